// The pub/sub registry on its own (subscriptions, patterns, counts, unsubscribe-all) and the
// pub/sub commands in process: confirmations in both protocols, RESP2 subscribed mode, PUBSUB
// introspection, RESET, the effect PUBLISH propagates. Delivery to other connections needs
// the server: tests/integration/pubsub_test.cc.
#include "engine/pubsub.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

using engine::PubSubRegistry;
using Kind = PubSubRegistry::Kind;

// Who receives a message: "id" for a channel subscriber, "id:pattern" for a pattern match.
std::vector<std::string> Receivers(const PubSubRegistry& r, Kind kind, std::string_view channel,
                                   size_t* count = nullptr) {
  std::vector<std::string> out;
  const size_t n = r.ForEachReceiver(kind, channel, [&](Session& s, const std::string* p) {
    out.push_back(std::to_string(s.id) + (p != nullptr ? ":" + *p : ""));
  });
  if (count != nullptr) *count = n;
  std::sort(out.begin(), out.end());
  return out;
}

Session MakeSession(uint64_t id) {
  Session s;
  s.id = id;
  return s;
}

TEST_CASE("registry: channel subscriptions are counted once per session", "[pubsub]") {
  PubSubRegistry r;
  Session a = MakeSession(1);
  Session b = MakeSession(2);
  CHECK(r.Subscribe(a, Kind::kChannel, "news"));
  CHECK_FALSE(r.Subscribe(a, Kind::kChannel, "news"));  // again: nothing changes
  CHECK(r.Subscribe(b, Kind::kChannel, "news"));
  CHECK(r.Subscribe(a, Kind::kChannel, "sport"));
  CHECK(a.subscribed_channels == 2);
  CHECK(b.subscribed_channels == 1);
  CHECK(a.subscribed());
  CHECK(r.NumSubscribers(Kind::kChannel, "news") == 2);
  CHECK(r.NumSubscribers(Kind::kChannel, "nothing") == 0);
  CHECK(r.Count(Kind::kChannel) == 2);
  size_t n = 0;
  CHECK(Receivers(r, Kind::kChannel, "news", &n) == std::vector<std::string>{"1", "2"});
  CHECK(n == 2);
  CHECK(Receivers(r, Kind::kChannel, "weather").empty());

  CHECK(r.Unsubscribe(a, Kind::kChannel, "news"));
  CHECK_FALSE(r.Unsubscribe(a, Kind::kChannel, "news"));
  CHECK_FALSE(r.Unsubscribe(b, Kind::kChannel, "never"));
  CHECK(Receivers(r, Kind::kChannel, "news") == std::vector<std::string>{"2"});
  CHECK(a.subscribed_channels == 1);
  CHECK(r.Unsubscribe(b, Kind::kChannel, "news"));
  // A channel nobody listens to any more is gone from PUBSUB CHANNELS.
  CHECK(r.Names(Kind::kChannel, std::nullopt) == std::vector<std::string>{"sport"});
  CHECK(r.Count(Kind::kChannel) == 1);
  CHECK_FALSE(b.subscribed());
}

TEST_CASE("registry: patterns match with the glob matcher, each match counts", "[pubsub]") {
  PubSubRegistry r;
  Session a = MakeSession(1);
  Session b = MakeSession(2);
  r.Subscribe(a, Kind::kPattern, "news.*");
  r.Subscribe(b, Kind::kPattern, "news.*");
  r.Subscribe(b, Kind::kPattern, "n?ws.[ab]*");
  r.Subscribe(a, Kind::kChannel, "news.art");
  CHECK(r.Count(Kind::kPattern) == 2);  // distinct patterns (NUMPAT)
  CHECK(a.subscribed_patterns == 1);
  CHECK(b.subscribed_patterns == 2);
  size_t n = 0;
  // a twice (channel and pattern), b twice (two patterns).
  CHECK(Receivers(r, Kind::kChannel, "news.art", &n) ==
        std::vector<std::string>{"1", "1:news.*", "2:n?ws.[ab]*", "2:news.*"});
  CHECK(n == 4);
  CHECK(Receivers(r, Kind::kChannel, "news.sport") ==
        std::vector<std::string>{"1:news.*", "2:news.*"});
  CHECK(Receivers(r, Kind::kChannel, "newsXart").empty());
  // Patterns never receive shard messages, and channel subscribers never shard ones.
  CHECK(Receivers(r, Kind::kShardChannel, "news.art").empty());
}

TEST_CASE("registry: shard channels are their own namespace", "[pubsub]") {
  PubSubRegistry r;
  Session a = MakeSession(1);
  Session b = MakeSession(2);
  r.Subscribe(a, Kind::kShardChannel, "orders");
  r.Subscribe(b, Kind::kChannel, "orders");
  CHECK(a.subscribed_shard_channels == 1);
  CHECK(a.subscribed_channels == 0);
  CHECK(a.subscribed());
  CHECK(Receivers(r, Kind::kShardChannel, "orders") == std::vector<std::string>{"1"});
  CHECK(Receivers(r, Kind::kChannel, "orders") == std::vector<std::string>{"2"});
  CHECK(r.Names(Kind::kShardChannel, std::nullopt) == std::vector<std::string>{"orders"});
  CHECK(r.NumSubscribers(Kind::kShardChannel, "orders") == 1);
}

TEST_CASE("registry: listing, unsubscribe-all and removing a client", "[pubsub]") {
  PubSubRegistry r;
  Session a = MakeSession(1);
  Session b = MakeSession(2);
  for (std::string_view c : {"c3", "c1", "c2"}) r.Subscribe(a, Kind::kChannel, c);
  r.Subscribe(a, Kind::kPattern, "p*");
  r.Subscribe(a, Kind::kShardChannel, "s1");
  r.Subscribe(b, Kind::kChannel, "c1");
  CHECK(r.SubscriptionsOf(a, Kind::kChannel) == std::vector<std::string>{"c1", "c2", "c3"});
  CHECK(r.SubscriptionsOf(b, Kind::kPattern).empty());
  std::vector<std::string> names = r.Names(Kind::kChannel, "c[12]");
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"c1", "c2"});

  r.RemoveClient(a);
  CHECK_FALSE(a.subscribed());
  CHECK(a.subscribed_channels + a.subscribed_patterns + a.subscribed_shard_channels == 0);
  CHECK(r.Count(Kind::kPattern) == 0);
  CHECK(r.Count(Kind::kShardChannel) == 0);
  CHECK(r.Names(Kind::kChannel, std::nullopt) == std::vector<std::string>{"c1"});
  CHECK(Receivers(r, Kind::kChannel, "c1") == std::vector<std::string>{"2"});
  CHECK(r.SubscriptionsOf(a, Kind::kChannel).empty());
}

// ---- the commands, in process ------------------------------------------------------------

TEST_CASE("SUBSCRIBE and UNSUBSCRIBE confirm each channel with the running count", "[pubsub]") {
  EngineFixture f;
  CHECK(f.Run({"SUBSCRIBE", "a", "b", "a"}) ==
        "*3\r\n" + Bulk("subscribe") + Bulk("a") + Int(1) + "*3\r\n" + Bulk("subscribe") +
            Bulk("b") + Int(2) + "*3\r\n" + Bulk("subscribe") + Bulk("a") + Int(2));
  // Channels and patterns share the count; shard channels count apart.
  CHECK(f.Run({"PSUBSCRIBE", "x*"}) == "*3\r\n" + Bulk("psubscribe") + Bulk("x*") + Int(3));
  CHECK(f.Run({"SSUBSCRIBE", "s"}) == "*3\r\n" + Bulk("ssubscribe") + Bulk("s") + Int(1));
  CHECK(f.Run({"UNSUBSCRIBE", "zzz"}) == "*3\r\n" + Bulk("unsubscribe") + Bulk("zzz") + Int(3));
  // No arguments: every channel, one confirmation each.
  CHECK(Elements(f.Run({"UNSUBSCRIBE"})) ==
        std::vector<std::string>{"unsubscribe", "a", "2", "unsubscribe", "b", "1"});
  CHECK(f.Run({"PUNSUBSCRIBE"}) == "*3\r\n" + Bulk("punsubscribe") + Bulk("x*") + Int(0));
  // Nothing left to leave: one confirmation with a null name.
  CHECK(f.Run({"PUNSUBSCRIBE"}) == "*3\r\n" + Bulk("punsubscribe") + kNil + Int(0));
  CHECK(f.Run({"SUNSUBSCRIBE"}) == "*3\r\n" + Bulk("sunsubscribe") + Bulk("s") + Int(0));
  CHECK_FALSE(f.session().subscribed());
}

TEST_CASE("RESP3 confirmations are pushes with a RESP3 null", "[pubsub]") {
  EngineFixture f;
  f.session().resp = 3;
  CHECK(f.Run({"SUBSCRIBE", "a"}) == ">3\r\n" + Bulk("subscribe") + Bulk("a") + Int(1));
  CHECK(f.Run({"UNSUBSCRIBE"}) == ">3\r\n" + Bulk("unsubscribe") + Bulk("a") + Int(0));
  CHECK(f.Run({"UNSUBSCRIBE"}) == ">3\r\n" + Bulk("unsubscribe") + "_\r\n" + Int(0));
}

TEST_CASE("a subscribed RESP2 client runs only the subscribed-mode commands", "[pubsub]") {
  EngineFixture f;
  f.Run({"SUBSCRIBE", "a"});
  CHECK(f.Run({"GET", "k"}) ==
        Err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context"));
  CHECK(f.Run({"CLIENT", "ID"}).rfind("-ERR Can't execute 'client|id'", 0) == 0);
  CHECK(f.Run({"PUBLISH", "a", "m"}).rfind("-ERR Can't execute 'publish'", 0) == 0);
  CHECK(f.Run({"PING"}) == "*2\r\n" + Bulk("pong") + Bulk(""));
  CHECK(f.Run({"PING", "hi"}) == "*2\r\n" + Bulk("pong") + Bulk("hi"));
  CHECK(f.Run({"PSUBSCRIBE", "p*"}).rfind("*3\r\n", 0) == 0);
  // Left everything: back to normal replies.
  f.Run({"UNSUBSCRIBE"});
  f.Run({"PUNSUBSCRIBE"});
  CHECK(f.Run({"PING"}) == "+PONG\r\n");
  CHECK(f.Run({"GET", "k"}) == kNil);
}

TEST_CASE("a subscribed RESP3 client runs any command", "[pubsub]") {
  EngineFixture f;
  f.session().resp = 3;
  f.Run({"SUBSCRIBE", "a"});
  CHECK(f.Run({"SET", "k", "v"}) == kOk);
  CHECK(f.Run({"PING"}) == "+PONG\r\n");
  CHECK(f.Run({"PUBLISH", "a", "m"}) == Int(1));  // itself
}

TEST_CASE("RESET leaves every subscription without confirmations", "[pubsub]") {
  EngineFixture f;
  f.Run({"SUBSCRIBE", "a", "b"});
  f.Run({"PSUBSCRIBE", "p*"});
  f.Run({"SSUBSCRIBE", "s"});
  CHECK(f.Run({"RESET"}) == "+RESET\r\n");
  CHECK_FALSE(f.session().subscribed());
  CHECK(f.Run({"PUBSUB", "NUMPAT"}) == Int(0));
  CHECK(f.Run({"PUBSUB", "CHANNELS"}) == "*0\r\n");
  CHECK(f.Run({"PUBLISH", "a", "m"}) == Int(0));
}

TEST_CASE("PUBSUB introspection", "[pubsub]") {
  EngineFixture f;
  Session other;
  other.id = f.engine().NextSessionId();
  engine::PubSubRegistry& r = f.engine().pubsub();
  r.Subscribe(other, Kind::kChannel, "news.art");
  r.Subscribe(other, Kind::kChannel, "weather");
  r.Subscribe(other, Kind::kPattern, "news.*");
  r.Subscribe(other, Kind::kPattern, "w*");
  r.Subscribe(other, Kind::kShardChannel, "orders");
  CHECK(Sorted(f.Run({"PUBSUB", "CHANNELS"})) == std::vector<std::string>{"news.art", "weather"});
  CHECK(Elements(f.Run({"PUBSUB", "CHANNELS", "news.*"})) == std::vector<std::string>{"news.art"});
  CHECK(f.Run({"PUBSUB", "NUMSUB", "news.art", "none"}) ==
        "*4\r\n" + Bulk("news.art") + Int(1) + Bulk("none") + Int(0));
  CHECK(f.Run({"PUBSUB", "NUMSUB"}) == "*0\r\n");
  CHECK(f.Run({"PUBSUB", "NUMPAT"}) == Int(2));
  CHECK(Elements(f.Run({"PUBSUB", "SHARDCHANNELS"})) == std::vector<std::string>{"orders"});
  CHECK(f.Run({"PUBSUB", "SHARDNUMSUB", "orders"}) == "*2\r\n" + Bulk("orders") + Int(1));
  CHECK(f.Run({"PUBSUB", "CHANNELS", "a", "b"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB "
            "HELP."));
  CHECK(f.Run({"PUBSUB", "NOPE"}) == Err("ERR unknown subcommand 'NOPE'. Try PUBSUB HELP."));
  // PUBLISH counts each channel subscriber and each pattern match; SPUBLISH only shards.
  CHECK(f.Run({"PUBLISH", "news.art", "m"}) == Int(2));
  CHECK(f.Run({"PUBLISH", "weather", "m"}) == Int(2));
  CHECK(f.Run({"SPUBLISH", "orders", "m"}) == Int(1));
  CHECK(f.Run({"SPUBLISH", "weather", "m"}) == Int(0));
  const std::string info = f.Run({"INFO", "stats"});
  CHECK(info.find("pubsub_channels:2\r\n") != std::string::npos);
  CHECK(info.find("pubsub_patterns:2\r\n") != std::string::npos);
  CHECK(info.find("pubsubshard_channels:1\r\n") != std::string::npos);
  r.RemoveClient(other);
}

TEST_CASE("PUBLISH and SPUBLISH propagate themselves, subscribing does not", "[pubsub]") {
  EngineFixture f;
  RecordingSink log(/*with_db=*/false);
  f.engine().set_effect_sink(&log);
  f.Run({"PUBLISH", "ch", "hello"});
  f.Run({"SPUBLISH", "sh", "world"});
  f.Run({"SUBSCRIBE", "ch"});
  f.Run({"UNSUBSCRIBE"});
  f.Run({"PUBSUB", "NUMPAT"});
  f.engine().set_effect_sink(nullptr);
  CHECK(log.effects == std::vector<std::string>{"PUBLISH ch hello", "SPUBLISH sh world"});
  // Neither is a write: a replica's read-only gate lets them through, and its frame applier
  // takes them (kMayReplicate).
  const CommandSpec* publish = f.engine().commands().Find("publish");
  REQUIRE(publish != nullptr);
  CHECK_FALSE(HasFlag(publish->flags, CommandFlag::kWrite));
  CHECK(HasFlag(publish->flags, CommandFlag::kMayReplicate));
}

}  // namespace
}  // namespace tidekv::commands
