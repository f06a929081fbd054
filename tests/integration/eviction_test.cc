// maxmemory eviction against the real server ([eviction]): a primary with allkeys-lru filled
// past its limit evicts idle keys before recently used ones, publishes `evicted`
// notifications and counts evicted_keys; its replica applies the evictions as DELs and ends
// with the same data, and so does the primary itself after a kill -9 (the evictions are in
// the log like any client DEL).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

// Memory as maxmemory counts it.
int64_t Counted(redisContext* c) {
  return InfoInt(c, "used_memory", "memory") - InfoInt(c, "mem_not_counted_for_evict", "memory");
}

// Runs the commands pipelined and checks every reply is `expect`.
void Pipeline(redisContext* c, const std::vector<std::vector<std::string>>& commands,
              const std::string& expect) {
  for (const auto& argv : commands) AppendCommand(c, argv);
  for (size_t i = 0; i < commands.size(); i++) REQUIRE(Describe(GetReply(c)) == expect);
}

constexpr int kOld = 12000;

TEST_CASE("allkeys-lru: idle keys go first, notified, and replicas and restarts agree",
          "[integration][eviction][replication]") {
  TempDir data;
  std::unique_ptr<ServerProcess> primary = StartServerOn(
      data.path() / "p",
      {"--limits.maxmemory_policy", "allkeys-lru", "--server.notify_keyspace_events", "Ee"});
  std::unique_ptr<ServerProcess> replica = StartReplicaOn(data.path() / "r", primary->port());
  WaitLinkUp(*replica);
  RedisConnection c = primary->Connect();
  RedisConnection sub = primary->Connect();
  AppendCommand(sub.get(), {"SUBSCRIBE", "__keyevent@0__:evicted"});
  REQUIRE(Describe(GetReply(sub.get())) == "[subscribe, __keyevent@0__:evicted, (integer) 1]");

  // 12000 keys idle for 1000 s (RESTORE IDLETIME), then 500 keys used just now.
  const std::string value(1000, 'x');
  REQUIRE(Call(c.get(), {"SET", "template", value}) == "OK");
  Reply dump = Command(c.get(), {"DUMP", "template"});
  REQUIRE(dump->type == REDIS_REPLY_STRING);
  const std::string payload(dump->str, dump->len);
  std::vector<std::vector<std::string>> cmds;
  for (int i = 0; i < kOld; i++) {
    cmds.push_back({"RESTORE", "old:" + std::to_string(i), "0", payload, "IDLETIME", "1000"});
  }
  Pipeline(c.get(), cmds, "OK");
  cmds.clear();
  for (int i = 0; i < 500; i++) cmds.push_back({"SET", "hot:" + std::to_string(i), value});
  Pipeline(c.get(), cmds, "OK");

  // A limit 3 MiB below the usage: about 2800 of the idle keys must go at once. (What else
  // the server holds for a moment, such as a client's query buffer or a seal's buffers on a
  // background thread, moves the count by a few thousand keys either way; idle keys remain
  // to be evicted in every case.)
  const int64_t counted = Counted(c.get());
  REQUIRE(Call(c.get(), {"CONFIG", "SET", "maxmemory", std::to_string(counted - (3 << 20))}) ==
          "OK");
  // More writes keep the cache at its limit, each making room first.
  cmds.clear();
  for (int i = 0; i < 500; i++) cmds.push_back({"SET", "new:" + std::to_string(i), value});
  Pipeline(c.get(), cmds, "OK");

  // The limit goes before counting: at it, any command may evict one more key (DEBUG DIGEST
  // below included, which could evict on the primary after the replica was compared).
  REQUIRE(Call(c.get(), {"CONFIG", "SET", "maxmemory", "0"}) == "OK");
  const int64_t evicted = InfoInt(c.get(), "evicted_keys", "stats");
  CHECK(evicted >= 1000);
  // Counted without touching the idle keys (a lookup would make them recent).
  int hot_left = 0, new_left = 0;
  for (int i = 0; i < 500; i++) {
    hot_left += static_cast<int>(Command(c.get(), {"EXISTS", "hot:" + std::to_string(i)})->integer);
    new_left += static_cast<int>(Command(c.get(), {"EXISTS", "new:" + std::to_string(i)})->integer);
  }
  const int template_left = static_cast<int>(Command(c.get(), {"EXISTS", "template"})->integer);
  const int old_left =
      static_cast<int>(Command(c.get(), {"DBSIZE"})->integer) - template_left - hot_left - new_left;
  // The evicted keys are the idle ones; the recently used ones survive.
  INFO("old left " << old_left << ", hot left " << hot_left << ", new left " << new_left);
  CHECK((kOld - old_left) * 10 >= evicted * 9);
  CHECK(hot_left >= 450);
  CHECK(new_left >= 450);
  CHECK(kOld - old_left + 500 - hot_left + 500 - new_left + 1 - template_left == evicted);
  CHECK(Counted(c.get()) < counted);

  // The subscriber heard of evictions (the first ones: idle keys).
  const std::string first = Describe(GetReply(sub.get()));
  CHECK(first.rfind("[message, __keyevent@0__:evicted, old:", 0) == 0);

  // The replica applied the evictions as DELs and evicted nothing itself.
  WaitCaughtUp(*primary, *replica);
  RedisConnection r = replica->Connect();
  const std::vector<std::string> digests = Digests({primary.get(), replica.get()});
  CHECK(digests[0] == digests[1]);
  CHECK(InfoInt(r.get(), "evicted_keys", "stats") == 0);

  // A crash right after: the evictions were logged like any DEL.
  const std::string before = Digests({primary.get()})[0];
  WaitLogged(c.get());
  c.reset();
  sub.reset();
  KillHard(*primary);
  primary = StartServerOn(data.path() / "p", {"--limits.maxmemory_policy", "allkeys-lru"});
  CHECK(Digests({primary.get()})[0] == before);
}

}  // namespace
}  // namespace tidekv::integration
