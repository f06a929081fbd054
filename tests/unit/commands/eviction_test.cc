// maxmemory-policy on the in-process engine: which keys each policy evicts, that an
// eviction is a DEL effect and a key event (WATCH), -OOM when nothing can go, OBJECT
// FREQ / IDLETIME per policy, and replicas that never evict.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

struct Fixture {
  Fixture() { f.engine().set_effect_sink(&sink); }
  // Bytes maxmemory compares with the limit right now.
  size_t Counted() { return Engine::UsedMemory() - f.engine().memory_not_counted_for_evict(); }
  // Sets maxmemory `below` bytes under the current usage: evicts at once.
  std::string LimitBelowUsage(size_t below) {
    return f.Run({"CONFIG", "SET", "maxmemory", std::to_string(Counted() - below)});
  }
  bool Exists(const std::string& key) { return f.Run({"EXISTS", key}) == Int(1); }
  uint64_t Evicted() { return f.engine().evictor().evicted_keys(); }
  EngineFixture f;
  RecordingSink sink;
};

const std::string kValue(200, 'v');

TEST_CASE("allkeys-lru evicts idle keys before recently used ones, as DEL effects", "[eviction]") {
  Fixture x;
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == kOk);
  for (int i = 0; i < 1000; i++) x.f.Run({"SET", "cold:" + std::to_string(i), kValue});
  x.f.clock().AdvanceMs(100'000);
  for (int i = 0; i < 1000; i++) x.f.Run({"SET", "hot:" + std::to_string(i), kValue});
  x.f.clock().AdvanceMs(1'000);
  x.sink.Take();
  REQUIRE(x.LimitBelowUsage(100 * 1024) == kOk);  // ~400 of the 2000 keys must go
  CHECK(x.Evicted() > 200);
  int hot_gone = 0, cold_gone = 0;
  for (int i = 0; i < 1000; i++) {
    if (!x.Exists("hot:" + std::to_string(i))) hot_gone++;
    if (!x.Exists("cold:" + std::to_string(i))) cold_gone++;
  }
  // (The recorded effects take memory too: the lookups above may have evicted a few more.)
  const uint64_t evicted = x.Evicted();
  CHECK(static_cast<uint64_t>(hot_gone + cold_gone) == evicted);
  CHECK(hot_gone * 20 < cold_gone);  // sampling is approximate, but not by much
  // Every eviction is a DEL for the log and the replicas.
  const std::vector<std::string> effects = x.sink.Take();
  CHECK(effects.size() == evicted);
  for (const std::string& e : effects) CHECK(e.rfind("0: DEL ", 0) == 0);
  CHECK(x.f.Run({"INFO", "stats"}).find("evicted_keys:" + std::to_string(evicted)) !=
        std::string::npos);
  // Under the limit again: writes run.
  CHECK(x.f.Run({"SET", "new", "v"}) == kOk);
}

TEST_CASE("allkeys-lfu evicts rarely used keys first, OBJECT FREQ reads the counter",
          "[eviction]") {
  Fixture x;
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}) == kOk);
  CHECK(x.f.Run({"SET", "k", "v"}) == kOk);
  CHECK(x.f.Run({"OBJECT", "FREQ", "k"}) == Int(5));  // a new key's counter
  for (int i = 0; i < 200; i++) x.f.Run({"GET", "k"});
  const std::vector<std::string> freq = Elements(x.f.Run({"OBJECT", "FREQ", "k"}));
  REQUIRE(freq.size() == 1);
  CHECK(std::stoi(freq[0]) > 8);  // 200 hits at log factor 10 give about 10-14
  CHECK(std::stoi(freq[0]) < 20);
  CHECK(x.f.Run({"OBJECT", "IDLETIME", "k"}) ==
        Err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
            "when switching between policies at runtime LRU and LFU data will take some time "
            "to adjust."));
  // Decay: one per lfu-decay-time minutes without access.
  REQUIRE(x.f.Run({"SET", "d", "v"}) == kOk);
  x.f.clock().AdvanceMs(3 * 60'000);
  CHECK(x.f.Run({"OBJECT", "FREQ", "d"}) == Int(2));
  REQUIRE(x.f.Run({"CONFIG", "SET", "lfu-decay-time", "0"}) == kOk);
  CHECK(x.f.Run({"OBJECT", "FREQ", "d"}) == Int(5));
  REQUIRE(x.f.Run({"CONFIG", "SET", "lfu-decay-time", "1"}) == kOk);

  for (int i = 0; i < 500; i++) x.f.Run({"SET", "rare:" + std::to_string(i), kValue});
  for (int i = 0; i < 500; i++) {
    const std::string key = "often:" + std::to_string(i);
    x.f.Run({"SET", key, kValue});
    for (int j = 0; j < 20; j++) x.f.Run({"GET", key});
  }
  REQUIRE(x.LimitBelowUsage(50 * 1024) == kOk);
  int often_gone = 0, rare_gone = 0;
  for (int i = 0; i < 500; i++) {
    if (!x.Exists("often:" + std::to_string(i))) often_gone++;
    if (!x.Exists("rare:" + std::to_string(i))) rare_gone++;
  }
  CHECK(rare_gone > 100);
  CHECK(often_gone * 10 < rare_gone);
}

TEST_CASE("RESTORE FREQ sets the LFU counter, IDLETIME the LRU time, per policy", "[eviction]") {
  Fixture x;
  x.f.Run({"SET", "src", "v"});
  const std::vector<std::string> dump = Elements(x.f.Run({"DUMP", "src"}));
  REQUIRE(dump.size() == 1);
  CHECK(x.f.Run({"RESTORE", "a", "0", dump[0], "IDLETIME", "100"}) == kOk);
  CHECK(x.f.Run({"OBJECT", "IDLETIME", "a"}) == Int(100));
  CHECK(x.f.Run({"RESTORE", "z", "0", dump[0], "IDLETIME", "1", "FREQ", "2"}) ==
        Err("ERR syntax error"));
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-policy", "volatile-lfu"}) == kOk);
  CHECK(x.f.Run({"RESTORE", "b", "0", dump[0], "FREQ", "77"}) == kOk);
  CHECK(x.f.Run({"OBJECT", "FREQ", "b"}) == Int(77));
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == kOk);
  CHECK(x.f.Run({"OBJECT", "FREQ", "b"}) ==
        Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust."));
  // Small integers stop being shared objects once an LRU policy has a limit (Redis).
  x.f.Run({"SET", "n", "1"});
  CHECK(x.f.Run({"OBJECT", "REFCOUNT", "n"}) == Int(2147483647));
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory", "1gb"}) == kOk);
  CHECK(x.f.Run({"OBJECT", "REFCOUNT", "n"}) == Int(1));
}

TEST_CASE("volatile policies evict only keys with a TTL, -OOM when none is left", "[eviction]") {
  Fixture x;
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-policy", "volatile-ttl"}) == kOk);
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-samples", "64"}) == kOk);
  for (int i = 0; i < 100; i++) x.f.Run({"SET", "plain:" + std::to_string(i), kValue});
  // One eviction frees more than CONFIG SET allocates (its first warning sets up the logger).
  const std::string big(64 * 1024, 'b');
  x.f.Run({"SET", "far", big, "EX", "1000"});
  x.f.Run({"SET", "near", big, "EX", "10"});
  x.f.Run({"SET", "mid", big, "EX", "100"});
  // Just over the limit: the key nearest its expiry goes first.
  REQUIRE(x.LimitBelowUsage(1000) == kOk);
  CHECK_FALSE(x.Exists("near"));
  CHECK(x.Exists("mid"));
  CHECK(x.Exists("far"));
  // Far over it: every volatile key goes, the others stay, and writes are refused.
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory", "1"}) == kOk);
  CHECK_FALSE(x.Exists("mid"));
  CHECK_FALSE(x.Exists("far"));
  CHECK(x.Exists("plain:7"));
  CHECK(x.f.Run({"SET", "k", "v"}) ==
        Err("OOM command not allowed when used memory > 'maxmemory'."));
  CHECK(x.f.Run({"GET", "plain:7"}) == Bulk(kValue));  // reads still run
  // noeviction never deletes.
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-policy", "noeviction"}) == kOk);
  const uint64_t before = x.Evicted();
  CHECK(x.f.Run({"SET", "k", "v"}) ==
        Err("OOM command not allowed when used memory > 'maxmemory'."));
  CHECK(x.Evicted() == before);
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory", "0"}) == kOk);
  CHECK(x.f.Run({"SET", "k", "v"}) == kOk);
}

TEST_CASE("an eviction fails a WATCH, a replica never evicts", "[eviction]") {
  Fixture x;
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-random"}) == kOk);
  x.f.Run({"SET", "w", "v"});
  x.f.Run({"WATCH", "w"});
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory", "1"}) == kOk);  // evicts everything
  CHECK_FALSE(x.Exists("w"));
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory", "0"}) == kOk);
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "w", "x"});
  CHECK(x.f.Run({"EXEC"}) == "*-1\r\n");

  x.f.Run({"SET", "r", "v"});
  x.f.engine().keyspace().set_replica_mode(true);
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory", "1"}) == kOk);
  CHECK(x.Exists("r"));
  CHECK(x.f.Run({"SET", "r2", "v"}) == kOk);  // no -OOM either: the primary decides
  x.f.engine().keyspace().set_replica_mode(false);
  REQUIRE(x.f.Run({"CONFIG", "SET", "maxmemory", "0"}) == kOk);
}

}  // namespace
}  // namespace tidekv::commands
