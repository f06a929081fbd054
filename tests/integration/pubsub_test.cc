// Pub/sub against the real server ([pubsub]): RESP2 subscribers through hiredis and RESP3
// subscribers on a raw socket (exact push bytes), patterns and shard channels, PUBSUB
// introspection, CLIENT LIST and INFO, subscribed-mode errors, clean-up when a subscriber
// disconnects, is killed or RESETs, the pub/sub output limit closing a subscriber that does
// not read, messages of many pipelining publishers arriving complete and in order, PUBLISH on a
// primary reaching subscribers on its replica, and keyspace notifications (notify-keyspace-events).
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

// Sends a command without reading its replies (SUBSCRIBE answers one per channel).
void Send(redisContext* c, const std::vector<std::string>& argv) {
  AppendCommand(c, argv);
  int done = 0;
  while (!done) REQUIRE(redisBufferWrite(c, &done) == REDIS_OK);
}

std::string Read(redisContext* c) { return Describe(GetReply(c)); }

int64_t NumSub(redisContext* c, const std::string& channel) {
  Reply r = Command(c, {"PUBSUB", "NUMSUB", channel});
  REQUIRE(r != nullptr);
  REQUIRE(r->type == REDIS_REPLY_ARRAY);
  REQUIRE(r->elements == 2);
  return r->element[1]->integer;
}

}  // namespace

TEST_CASE("RESP2 subscribers receive messages and pattern messages", "[integration][pubsub]") {
  ServerProcess server;
  RedisConnection sub = server.Connect();
  RedisConnection psub = server.Connect();
  RedisConnection pub = server.Connect();
  Send(sub.get(), {"SUBSCRIBE", "news", "sport"});
  CHECK(Read(sub.get()) == "[subscribe, news, (integer) 1]");
  CHECK(Read(sub.get()) == "[subscribe, sport, (integer) 2]");
  Send(psub.get(), {"PSUBSCRIBE", "n*"});
  CHECK(Read(psub.get()) == "[psubscribe, n*, (integer) 1]");

  CHECK(Call(pub.get(), {"PUBLISH", "news", "hello"}) == "(integer) 2");
  CHECK(Call(pub.get(), {"PUBLISH", "sport", "goal"}) == "(integer) 1");
  CHECK(Call(pub.get(), {"PUBLISH", "nothing", "x"}) == "(integer) 1");  // n* only
  CHECK(Call(pub.get(), {"PUBLISH", "weather", "rain"}) == "(integer) 0");
  CHECK(Read(sub.get()) == "[message, news, hello]");
  CHECK(Read(sub.get()) == "[message, sport, goal]");
  CHECK(Read(psub.get()) == "[pmessage, n*, news, hello]");
  CHECK(Read(psub.get()) == "[pmessage, n*, nothing, x]");

  // A binary payload arrives intact.
  const std::string payload("a\0b\r\nc", 6);
  CHECK(Call(pub.get(), {"PUBLISH", "sport", payload}) == "(integer) 1");
  Reply m = GetReply(sub.get());
  REQUIRE(m != nullptr);
  REQUIRE(m->elements == 3);
  CHECK(std::string(m->element[2]->str, m->element[2]->len) == payload);

  // Unsubscribing from one channel keeps the other.
  Send(sub.get(), {"UNSUBSCRIBE", "news"});
  CHECK(Read(sub.get()) == "[unsubscribe, news, (integer) 1]");
  CHECK(Call(pub.get(), {"PUBLISH", "news", "again"}) == "(integer) 1");
  CHECK(Read(psub.get()) == "[pmessage, n*, news, again]");
  // Leaving everything ends subscribed mode.
  Send(sub.get(), {"UNSUBSCRIBE"});
  CHECK(Read(sub.get()) == "[unsubscribe, sport, (integer) 0]");
  CHECK(Call(sub.get(), {"SET", "k", "v"}) == "OK");
}

TEST_CASE("a subscribed RESP2 client gets Redis's errors, PING as a message",
          "[integration][pubsub]") {
  ServerProcess server;
  RedisConnection sub = server.Connect();
  Send(sub.get(), {"SUBSCRIBE", "ch"});
  CHECK(Read(sub.get()) == "[subscribe, ch, (integer) 1]");
  Send(sub.get(), {"GET", "k"});
  CHECK(Read(sub.get()) ==
        "(error) ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT "
        "/ RESET are allowed in this context");
  Send(sub.get(), {"PING"});
  CHECK(Read(sub.get()) == "[pong, ]");
  Send(sub.get(), {"PING", "hi"});
  CHECK(Read(sub.get()) == "[pong, hi]");
  // RESET leaves the channel and returns to normal replies.
  Send(sub.get(), {"RESET"});
  CHECK(Read(sub.get()) == "RESET");
  CHECK(Call(sub.get(), {"PING"}) == "PONG");
  RedisConnection admin = server.Connect();
  CHECK(NumSub(admin.get(), "ch") == 0);
}

TEST_CASE("RESP3 subscribers get pushes and may run any command", "[integration][pubsub]") {
  ServerProcess server;
  RawSocket sub(server.port());
  sub.Roundtrip(Resp({"HELLO", "3"}));
  CHECK(sub.Roundtrip(Resp({"SUBSCRIBE", "ch"})) ==
        ">3\r\n" + BulkOf("subscribe") + BulkOf("ch") + ":1\r\n");
  CHECK(sub.Roundtrip(Resp({"PSUBSCRIBE", "c*"})) ==
        ">3\r\n" + BulkOf("psubscribe") + BulkOf("c*") + ":2\r\n");
  CHECK(sub.Roundtrip(Resp({"SSUBSCRIBE", "sh"})) ==
        ">3\r\n" + BulkOf("ssubscribe") + BulkOf("sh") + ":1\r\n");
  // Any command runs while subscribed.
  CHECK(sub.Roundtrip(Resp({"SET", "k", "v"})) == "+OK\r\n");
  CHECK(sub.Roundtrip(Resp({"PING"})) == "+PONG\r\n");

  RedisConnection pub = server.Connect();
  CHECK(Call(pub.get(), {"PUBLISH", "ch", "hello"}) == "(integer) 2");
  CHECK(Call(pub.get(), {"SPUBLISH", "sh", "shard"}) == "(integer) 1");
  const std::vector<std::string> pushes = sub.ReadReplies(3);
  CHECK(pushes[0] == ">3\r\n" + BulkOf("message") + BulkOf("ch") + BulkOf("hello"));
  CHECK(pushes[1] == ">4\r\n" + BulkOf("pmessage") + BulkOf("c*") + BulkOf("ch") + BulkOf("hello"));
  CHECK(pushes[2] == ">3\r\n" + BulkOf("smessage") + BulkOf("sh") + BulkOf("shard"));
  // Unsubscribe-all with nothing left: one push with a RESP3 null.
  CHECK(sub.Roundtrip(Resp({"SUNSUBSCRIBE"})) ==
        ">3\r\n" + BulkOf("sunsubscribe") + BulkOf("sh") + ":0\r\n");
  CHECK(sub.Roundtrip(Resp({"SUNSUBSCRIBE"})) == ">3\r\n" + BulkOf("sunsubscribe") + "_\r\n:0\r\n");
}

TEST_CASE("PUBSUB, CLIENT LIST and INFO show subscriptions, a leaving client drops them",
          "[integration][pubsub]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  RedisConnection a = server.Connect();
  RedisConnection b = server.Connect();
  Send(a.get(), {"SUBSCRIBE", "c1", "c2"});
  Send(a.get(), {"PSUBSCRIBE", "p*"});
  Send(a.get(), {"SSUBSCRIBE", "s1"});
  for (int i = 0; i < 4; i++) Read(a.get());
  Send(b.get(), {"SUBSCRIBE", "c1"});
  Read(b.get());
  CHECK(Call(admin.get(), {"PUBSUB", "NUMSUB", "c1", "c2", "c3"}) ==
        "[c1, (integer) 2, c2, (integer) 1, c3, (integer) 0]");
  CHECK(Call(admin.get(), {"PUBSUB", "NUMPAT"}) == "(integer) 1");
  CHECK(Call(admin.get(), {"PUBSUB", "CHANNELS", "c1"}) == "[c1]");
  CHECK(Call(admin.get(), {"PUBSUB", "SHARDCHANNELS"}) == "[s1]");
  CHECK(Call(admin.get(), {"PUBSUB", "SHARDNUMSUB", "s1"}) == "[s1, (integer) 1]");
  const std::string info = Describe(Command(admin.get(), {"INFO", "stats"}));
  CHECK(InfoField(info, "pubsub_channels") == "2");
  CHECK(InfoField(info, "pubsub_patterns") == "1");
  CHECK(InfoField(info, "pubsubshard_channels") == "1");
  const std::string list = Describe(Command(admin.get(), {"CLIENT", "LIST", "TYPE", "pubsub"}));
  CHECK(list.find("flags=P db=0 sub=2 psub=1 ssub=1") != std::string::npos);
  CHECK(list.find("flags=P db=0 sub=1 psub=0 ssub=0") != std::string::npos);
  // The admin connection is a normal client, not a pub/sub one.
  CHECK(list.find("cmd=client|list") == std::string::npos);

  // A client that disconnects leaves every channel, pattern and shard channel.
  a.reset();
  CHECK(WaitFor([&] { return NumSub(admin.get(), "c2") == 0; }));
  CHECK(Call(admin.get(), {"PUBSUB", "NUMPAT"}) == "(integer) 0");
  CHECK(Call(admin.get(), {"PUBSUB", "SHARDCHANNELS"}) == "[]");
  CHECK(NumSub(admin.get(), "c1") == 1);
  // CLIENT KILL TYPE pubsub closes the other; its subscription goes with it.
  CHECK(Call(admin.get(), {"CLIENT", "KILL", "TYPE", "pubsub"}) == "(integer) 1");
  CHECK(NumSub(admin.get(), "c1") == 0);
  CHECK(Call(admin.get(), {"PUBLISH", "c1", "x"}) == "(integer) 0");
}

TEST_CASE("a subscriber that does not read is closed at the pub/sub output limit",
          "[integration][pubsub][limits]") {
  ServerProcess server({"--limits.client_output_pubsub_bytes", "1048576"});
  RawSocket slow(server.port());
  slow.Send(Resp({"SUBSCRIBE", "firehose"}));
  slow.ReadReplies(1);
  RedisConnection pub = server.Connect();
  // The subscriber reads nothing from here on: once the socket buffers are full, its output
  // grows in the server until the 1 MiB limit closes it. Bounded: 256 MiB at most.
  const std::string payload(64 * 1024, 'x');
  int published = 0;
  for (; published < 4096; published++) {
    if (Call(pub.get(), {"PUBLISH", "firehose", payload}) == "(integer) 0") break;
  }
  CHECK(published < 4096);
  CHECK(NumSub(pub.get(), "firehose") == 0);
  const std::string info = Describe(Command(pub.get(), {"INFO", "stats"}));
  CHECK(InfoField(info, "client_output_limit_disconnections") == "1");
  CHECK(WaitFor([&] {
    return server.Log().find("past limits.client_output_pubsub_bytes (1048576)") !=
           std::string::npos;
  }));
  // A normal client with the same backlog of replies is not held to the pub/sub limit.
  CHECK(Call(pub.get(), {"PING"}) == "PONG");
}

TEST_CASE("messages from many pipelining publishers all arrive, each publisher's in order",
          "[integration][pubsub]") {
  // Pushes are written once per loop turn, all a turn queued for a subscriber in one write
  // (Server::FlushPendingSends): none may be lost, duplicated or reordered on the way.
  ServerProcess server;
  constexpr int kPublishers = 8;
  constexpr int kRounds = 5;
  constexpr int kPerRound = 100;
  std::vector<std::unique_ptr<RawSocket>> subs;
  for (int i = 0; i < 2; i++) {
    subs.push_back(std::make_unique<RawSocket>(server.port()));
    subs.back()->Send(Resp({"SUBSCRIBE", "feed"}));
    subs.back()->ReadReplies(1);
  }
  std::vector<std::unique_ptr<RawSocket>> pubs;
  for (int p = 0; p < kPublishers; p++) pubs.push_back(std::make_unique<RawSocket>(server.port()));
  for (int round = 0; round < kRounds; round++) {
    for (int p = 0; p < kPublishers; p++) {
      std::string batch;
      for (int i = 0; i < kPerRound; i++) {
        batch += Resp(
            {"PUBLISH", "feed", std::to_string(p) + ":" + std::to_string(round * kPerRound + i)});
      }
      REQUIRE(pubs[p]->Send(batch));
    }
  }
  for (auto& pub : pubs) {
    for (const std::string& reply : pub->ReadReplies(kRounds * kPerRound)) {
      CHECK(reply == ":2\r\n");
    }
  }
  for (auto& sub : subs) {
    std::vector<int> next(kPublishers, 0);
    for (const std::string& m : sub->ReadReplies(kPublishers * kRounds * kPerRound)) {
      const std::string prefix = "*3\r\n$7\r\nmessage\r\n$4\r\nfeed\r\n$";
      REQUIRE(m.substr(0, prefix.size()) == prefix);
      const std::string payload = m.substr(m.find("\r\n", prefix.size()) + 2);
      const size_t colon = payload.find(':');
      const int p = std::stoi(payload.substr(0, colon));
      REQUIRE(p >= 0);
      REQUIRE(p < kPublishers);
      CHECK(std::stoi(payload.substr(colon + 1)) == next[p]);
      next[p]++;
    }
    for (int p = 0; p < kPublishers; p++) CHECK(next[p] == kRounds * kPerRound);
  }
}

TEST_CASE("PUBLISH on a primary reaches subscribers on its replica",
          "[integration][pubsub][replication]") {
  TempDir data;
  std::unique_ptr<ServerProcess> primary = StartServerOn(data.path() / "p", kNoTimedSeals);
  std::unique_ptr<ServerProcess> replica = StartReplicaOn(data.path() / "r", primary->port());
  WaitLinkUp(*replica);
  RedisConnection on_replica = replica->Connect();
  RedisConnection shard_on_replica = replica->Connect();
  Send(on_replica.get(), {"PSUBSCRIBE", "ev.*"});
  CHECK(Read(on_replica.get()) == "[psubscribe, ev.*, (integer) 1]");
  Send(shard_on_replica.get(), {"SSUBSCRIBE", "orders"});
  CHECK(Read(shard_on_replica.get()) == "[ssubscribe, orders, (integer) 1]");

  RedisConnection pub = primary->Connect();
  WaitFirstSeal(pub.get());  // later frames stay in the log for the restart below
  // Nobody listens on the primary; the replica's subscribers still get it.
  CHECK(Call(pub.get(), {"PUBLISH", "ev.login", "alice"}) == "(integer) 0");
  CHECK(Call(pub.get(), {"SPUBLISH", "orders", "42"}) == "(integer) 0");
  CHECK(Call(pub.get(), {"SET", "after", "1"}) == "OK");
  CHECK(Read(on_replica.get()) == "[pmessage, ev.*, ev.login, alice]");
  CHECK(Read(shard_on_replica.get()) == "[smessage, orders, 42]");
  WaitCaughtUp(*primary, *replica);

  // PUBLISH is not a write: a replica's own clients may publish to its own subscribers, and
  // that goes nowhere else.
  RedisConnection replica_client = replica->Connect();
  CHECK(Call(replica_client.get(), {"PUBLISH", "ev.local", "x"}) == "(integer) 1");
  CHECK(Read(on_replica.get()) == "[pmessage, ev.*, ev.local, x]");
  CHECK(Call(replica_client.get(), {"SET", "k", "v"}).rfind("(error) READONLY", 0) == 0);

  // The primary logged the PUBLISH frames; replaying them at recovery delivers to nobody
  // and changes nothing.
  const std::string digest = Digest(pub.get());
  KillHard(*primary);
  primary = StartServerOn(data.path() / "p", kNoTimedSeals);
  RedisConnection after = primary->Connect();
  CHECK(Call(after.get(), {"GET", "after"}) == "1");
  CHECK(Digest(after.get()) == digest);
}

TEST_CASE("keyspace notifications follow notify-keyspace-events", "[integration][pubsub]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  RedisConnection sub = server.Connect();
  Send(sub.get(), {"PSUBSCRIBE", "__key*__:*"});
  CHECK(Read(sub.get()) == "[psubscribe, __key*__:*, (integer) 1]");
  // Off by default: a write raises nothing; the PING after it comes first.
  CHECK(Call(admin.get(), {"SET", "quiet", "1"}) == "OK");
  CHECK(Call(admin.get(), {"CONFIG", "SET", "notify-keyspace-events", "KEA"}) == "OK");
  CHECK(Call(admin.get(), {"CONFIG", "GET", "notify-keyspace-events"}) ==
        "[notify-keyspace-events, AKE]");
  CHECK(Call(admin.get(), {"SET", "foo", "bar"}) == "OK");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyspace@0__:foo, set]");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@0__:set, foo]");
  // Events by the command's row: HMSET raises hset, INCR incrby; a pop that empties a list
  // raises its own event then del. Databases are named in the channel.
  CHECK(Call(admin.get(), {"SELECT", "3"}) == "OK");
  CHECK(Call(admin.get(), {"HMSET", "h", "f", "1"}) == "OK");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyspace@3__:h, hset]");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:hset, h]");
  CHECK(Call(admin.get(), {"CONFIG", "SET", "notify-keyspace-events", "Kl$g"}) == "OK");
  CHECK(Call(admin.get(), {"INCR", "n"}) == "(integer) 1");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyspace@3__:n, incrby]");
  CHECK(Call(admin.get(), {"RPUSH", "l", "a"}) == "(integer) 1");
  CHECK(Call(admin.get(), {"HSET", "h", "g", "2"}) == "(integer) 1");  // class h is off
  CHECK(Call(admin.get(), {"SREM", "none", "x"}) == "(integer) 0");    // changed nothing
  CHECK(Call(admin.get(), {"LPOP", "l"}) == "a");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyspace@3__:l, rpush]");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyspace@3__:l, lpop]");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyspace@3__:l, del]");
  // GEOADD is a ZADD (class z); a STORE form raises its store event, or only del when its
  // empty result deletes the destination.
  CHECK(Call(admin.get(), {"CONFIG", "SET", "notify-keyspace-events", "Ezg"}) == "OK");
  CHECK(Call(admin.get(), {"GEOADD", "geo", "1", "1", "a"}) == "(integer) 1");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:zadd, geo]");
  CHECK(Call(admin.get(), {"GEORADIUS", "geo", "1", "1", "1", "km", "STORE", "dst"}) ==
        "(integer) 1");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:georadiusstore, dst]");
  CHECK(Call(admin.get(), {"GEOSEARCHSTORE", "dst", "geo", "FROMLONLAT", "50", "50", "BYRADIUS",
                           "1", "km"}) == "(integer) 0");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:del, dst]");
  // SORT ... STORE writes a list: its sortstore event is of class l, not g.
  CHECK(Call(admin.get(), {"CONFIG", "SET", "notify-keyspace-events", "El"}) == "OK");
  CHECK(Call(admin.get(), {"RPUSH", "src", "2", "1"}) == "(integer) 2");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:rpush, src]");
  CHECK(Call(admin.get(), {"SORT", "src", "STORE", "sorted"}) == "(integer) 2");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:sortstore, sorted]");
  // Expiry (class x) and new keys (n), on the keyevent channel only.
  CHECK(Call(admin.get(), {"CONFIG", "SET", "notify-keyspace-events", "Exn"}) == "OK");
  CHECK(Call(admin.get(), {"PSETEX", "t", "50", "v"}) == "OK");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:new, t]");
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:expired, t]");
  CHECK(Call(admin.get(), {"SET", "t2", "v"}) == "OK");
  CHECK(Call(admin.get(), {"SET", "t2", "w"}) == "OK");  // not new the second time
  CHECK(Read(sub.get()) == "[pmessage, __key*__:*, __keyevent@3__:new, t2]");
  // Off again: nothing more arrives; the next thing the subscriber reads is its PING.
  CHECK(Call(admin.get(), {"CONFIG", "SET", "notify-keyspace-events", ""}) == "OK");
  CHECK(Call(admin.get(), {"DEL", "t2"}) == "(integer) 1");
  Send(sub.get(), {"PING"});
  CHECK(Read(sub.get()) == "[pong, ]");
}

}  // namespace tidekv::integration
