// Lists through the real binary (DESIGN.md §2a, §6, §7): both encodings (listpack and
// quicklist, with and without node compression) keep their elements in order across SAVE
// and a clean restart and across kill -9 with only the log; a large list is sealed as node
// element rows, so a seal after one LPUSH writes about one node, and it comes back exactly
// through many incremental seals, kill -9 and a clean restart; a replica converges with its
// primary under a list load (full sync, then stream); a traced list workload replays with
// no mismatch.
#include <catch2/catch.hpp>
#include <deque>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/collections_util.h"
#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;
using Strings = std::vector<std::string>;

std::string Int(uint64_t i) { return std::to_string(i); }

// A list as a client sees it: its encoding, TTL and elements in order.
struct ListState {
  std::string encoding;
  int64_t expire_at = -1;
  Strings elements;
  bool operator==(const ListState&) const = default;
};

std::map<std::string, ListState> ReadLists(redisContext* c, const Strings& keys) {
  std::map<std::string, ListState> out;
  for (const std::string& key : keys) {
    ListState s;
    s.encoding = Call(c, {"OBJECT", "ENCODING", key});
    s.expire_at = std::stoll(Call(c, {"PEXPIRETIME", key}).substr(10));  // "(integer) N"
    Reply r = Command(c, {"LRANGE", key, "0", "-1"});
    REQUIRE(r != nullptr);
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < r->elements; i++) {
      s.elements.emplace_back(r->element[i]->str, r->element[i]->len);
    }
    REQUIRE(Call(c, {"LLEN", key}) == "(integer) " + Int(s.elements.size()));
    out[key] = std::move(s);
  }
  return out;
}

std::string Describe(const std::map<std::string, ListState>& want,
                     const std::map<std::string, ListState>& got) {
  std::string out;
  for (const auto& [key, w] : want) {
    const ListState& g = got.at(key);
    if (w == g) continue;
    out += key + ": encoding " + g.encoding + " (want " + w.encoding + "), " +
           Int(g.elements.size()) + " elements (want " + Int(w.elements.size()) + ")";
    if (w.expire_at != g.expire_at) out += ", expiry differs";
    for (size_t i = 0; i < std::min(w.elements.size(), g.elements.size()); i++) {
      if (w.elements[i] != g.elements[i]) {
        out += ", first difference at " + Int(i) + ": " + Printable(g.elements[i]);
        break;
      }
    }
    out += "\n";
  }
  return out;
}

// A seeded list load over keys `prefix`0..n-1 (and a few long lists `prefix`big:0..1):
// every list write command, with elements of every listpack form (small and large integers,
// short, medium and long strings, empty), moves between keys, and keys emptied and reborn.
// No command answers an error.
std::vector<Argv> ListLoad(uint64_t seed, size_t count, const std::string& prefix, int keys) {
  std::mt19937_64 rng(seed);
  auto below = [&](uint64_t n) { return rng() % n; };
  auto key = [&] {
    return below(5) == 0 ? prefix + "big:" + Int(below(2)) : prefix + Int(below(keys));
  };
  auto element = [&]() -> std::string {
    switch (below(6)) {
      case 0:
        return std::to_string(static_cast<int64_t>(rng()));
      case 1:
        return Int(below(300));
      case 2:
        return std::string(below(3000), static_cast<char>('a' + below(26)));
      case 3:
        return "";
      default:
        return "e" + Int(below(40));
    }
  };
  std::vector<Argv> out;
  for (int b = 0; b < 2; b++) {
    Argv fill = {"RPUSH", prefix + "big:" + Int(b)};
    for (int i = 0; i < 3000; i++) fill.push_back("big-" + Int(i));
    out.push_back(fill);
  }
  while (out.size() < count) {
    const std::string k = key();
    switch (below(14)) {
      case 0:
      case 1:
        out.push_back({"LPUSH", k, element(), element()});
        break;
      case 2:
      case 3:
        out.push_back({"RPUSH", k, element()});
        break;
      case 4:
        out.push_back({"LPOP", k});
        break;
      case 5:
        out.push_back({"RPOP", k, Int(below(4))});
        break;
      case 6:
        out.push_back({"LPUSHX", k, element()});
        break;
      case 7:
        out.push_back(
            {"LINSERT", k, below(2) ? "BEFORE" : "AFTER", "e" + Int(below(40)), element()});
        break;
      case 8:
        out.push_back(
            {"LREM", k, std::to_string(static_cast<int64_t>(below(5)) - 2), "e" + Int(below(40))});
        break;
      case 9:
        out.push_back({"LTRIM", k, Int(below(3)), "-" + Int(1 + below(3))});
        break;
      case 10:
        out.push_back(
            {"LMOVE", k, key(), below(2) ? "LEFT" : "RIGHT", below(2) ? "LEFT" : "RIGHT"});
        break;
      case 11:
        out.push_back({"RPOPLPUSH", k, k});
        break;
      case 12:
        out.push_back(
            {"LMPOP", "2", k, key(), below(2) ? "LEFT" : "RIGHT", "COUNT", Int(1 + below(3))});
        break;
      default:
        // LSET on a list made sure to exist first.
        out.push_back({"RPUSH", k, element()});
        out.push_back({"LSET", k, "-1", element()});
        break;
    }
  }
  return out;
}

Strings LoadKeys(const std::string& prefix, int keys) {
  Strings out = {prefix + "big:0", prefix + "big:1"};
  for (int i = 0; i < keys; i++) out.push_back(prefix + Int(i));
  return out;
}

// Lists of both encodings, some compressed, some with a TTL, written through the log.
void WriteLists(redisContext* c, Strings* keys) {
  RunAllOk(c, ListLoad(11, 3000, "lp:", 6));
  for (const std::string& k : LoadKeys("lp:", 6)) keys->push_back(k);
  Ok(c, {"CONFIG", "SET", "list-compress-depth", "1"});
  Ok(c, {"CONFIG", "SET", "list-max-listpack-size", "5"});
  RunAllOk(c, ListLoad(12, 1500, "cq:", 4));
  for (const std::string& k : LoadKeys("cq:", 4)) keys->push_back(k);
  Ok(c, {"CONFIG", "SET", "list-compress-depth", "0"});
  Ok(c, {"CONFIG", "SET", "list-max-listpack-size", "-2"});
  Ok(c, {"RPUSH", "ttl", "a", "b", "c"});
  Ok(c, {"PEXPIREAT", "ttl", "4102444800000"});
  keys->push_back("ttl");
}

enum class Stop { kSaveThenShutdown, kKillWithLogTail };

void CheckRestart(Stop how) {
  TempDir dir;
  const fs::path data = dir.path() / "data";
  Strings keys;
  std::map<std::string, ListState> before;
  std::string digest;
  {
    auto server = StartServerOn(data, kNoTimedSeals);
    RedisConnection c = server->Connect();
    WaitFirstSeal(c.get());
    WriteLists(c.get(), &keys);
    before = ReadLists(c.get(), keys);
    std::map<std::string, int> census;
    for (const auto& [key, s] : before) census[s.encoding]++;
    REQUIRE(census["listpack"] > 0);
    REQUIRE(census["quicklist"] > 0);
    digest = Digest(c.get());
    SaveAndShutdownOrKill(*server, c.get(), how == Stop::kSaveThenShutdown);
  }
  auto server = StartServerOn(data, kNoTimedSeals);
  RedisConnection c = server->Connect();
  const auto after = ReadLists(c.get(), keys);
  // Replayed from the log, the lists are rebuilt by the same commands under the default
  // node size (CONFIG SET is not logged), so the encodings of those built under it match.
  // Loaded from batches, a list takes the encoding its size calls for (a quicklist that
  // shrank may come back a listpack, as in Redis 7.2).
  std::map<std::string, int> census;
  for (auto& [key, s] : before) {
    if (how == Stop::kSaveThenShutdown || key.rfind("cq:", 0) == 0) {
      s.encoding = after.at(key).encoding;
    }
    census[after.at(key).encoding]++;
  }
  CHECK(census["listpack"] > 0);
  CHECK(census["quicklist"] > 0);
  CHECK(Describe(before, after) == "");
  CHECK(Digest(c.get()) == digest);
}

TEST_CASE("lists of both encodings survive SAVE and a clean restart",
          "[integration][list][persistence]") {
  CheckRestart(Stop::kSaveThenShutdown);
}

TEST_CASE("lists of both encodings written only to the log survive kill -9",
          "[integration][list][persistence]") {
  CheckRestart(Stop::kKillWithLogTail);
}

TEST_CASE("a large list is sealed by its nodes: one LPUSH writes about one node",
          "[integration][list][persistence][elements]") {
  TempDir dir;
  const fs::path data = dir.path() / "d";
  auto server = StartServerOn(data, kNoTimedSeals);
  RedisConnection c = server->Connect();
  WaitFirstSeal(c.get());
  std::deque<std::string> model;
  for (int i = 0; i < 50000; i += 1000) {
    Argv rpush = {"RPUSH", "big"};
    for (int j = i; j < i + 1000; j++) {
      rpush.push_back("element-" + Int(static_cast<uint64_t>(j) * 7919));
      model.push_back(rpush.back());
    }
    Ok(c.get(), rpush);
  }
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  const int64_t whole = InfoInt(c.get(), "last_seal_bytes");
  Ok(c.get(), {"LPUSH", "big", "new-head"});
  model.push_front("new-head");
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  const int64_t one_push = InfoInt(c.get(), "last_seal_bytes");
  Ok(c.get(), {"RPOP", "big"});
  model.pop_back();
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  const int64_t one_pop = InfoInt(c.get(), "last_seal_bytes");
  INFO("whole " << whole << " bytes, after one LPUSH " << one_push << ", after one RPOP "
                << one_pop);
  CHECK(whole > 200'000);
  CHECK(one_push < whole / 20);
  CHECK(one_pop < whole / 20);

  // Many incremental seals of pushes, pops and changes in the middle.
  std::mt19937_64 rng(5);
  for (int round = 0; round < 30; round++) {
    for (int i = 0; i < 20; i++) {
      const std::string v = "r" + Int(static_cast<uint64_t>(round)) + "-" + Int(rng() % 1000);
      switch (rng() % 5) {
        case 0:
          Ok(c.get(), {"LPUSH", "big", v});
          model.push_front(v);
          break;
        case 1:
          Ok(c.get(), {"RPUSH", "big", v});
          model.push_back(v);
          break;
        case 2:
          Ok(c.get(), {"LPOP", "big"});
          model.pop_front();
          break;
        case 3:
          Ok(c.get(), {"RPOP", "big"});
          model.pop_back();
          break;
        default: {
          const size_t at = rng() % model.size();
          Ok(c.get(), {"LSET", "big", Int(at), v});
          model[at] = v;
          Ok(c.get(), {"LINSERT", "big", "AFTER", v, v + "+"});
          model.insert(model.begin() + static_cast<ptrdiff_t>(at) + 1, v + "+");
        }
      }
    }
    if (round % 3 == 0) REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  }
  const Strings want(model.begin(), model.end());
  const std::string digest = Digest(c.get());
  REQUIRE(ReadLists(c.get(), {"big"})["big"].elements == want);
  WaitLogged(c.get());
  c.reset();
  KillHard(*server);

  server = StartServerOn(data, kNoTimedSeals);
  c = server->Connect();
  CHECK(ReadLists(c.get(), {"big"})["big"].elements == want);
  CHECK(Digest(c.get()) == digest);
  // Changes after the restart continue the rows loaded from the batches (the first SAVE
  // writes the nodes the log's replay changed).
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  Ok(c.get(), {"LPUSH", "big", "after-restart"});
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  CHECK(InfoInt(c.get(), "last_seal_bytes") < whole / 20);
  const std::string later = Digest(c.get());
  c.reset();
  ShutdownClean(*server);
  server = StartServerOn(data, kNoTimedSeals);
  c = server->Connect();
  CHECK(Digest(c.get()) == later);
  CHECK(Call(c.get(), {"LINDEX", "big", "0"}) == "after-restart");
  CHECK(Call(c.get(), {"OBJECT", "ENCODING", "big"}) == "quicklist");
}

TEST_CASE("a replica converges with its primary under a list load",
          "[integration][list][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p", {"--encoding.list_compress_depth", "1"});
  RedisConnection p = primary->Connect();
  RunAllOk(p.get(), ListLoad(21, 2000, "r:", 8));
  // Blocking forms served at once replicate as their plain forms.
  Ok(p.get(), {"BLPOP", "none", "r:big:0", "0"});
  Ok(p.get(), {"BLMOVE", "r:big:1", "r:big:0", "RIGHT", "LEFT", "0"});
  Ok(p.get(), {"BLMPOP", "0", "1", "r:big:1", "RIGHT", "COUNT", "3"});
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  WaitCaughtUp(*primary, *replica);
  RunAllOk(p.get(), ListLoad(22, 3000, "r:", 8));
  REQUIRE(Call(p.get(), {"WAIT", "1", "30000"}) == "(integer) 1");
  RedisConnection r = replica->Connect();
  const Strings keys = LoadKeys("r:", 8);
  const auto on_primary = ReadLists(p.get(), keys);
  auto on_replica = ReadLists(r.get(), keys);
  for (auto& [key, s] : on_replica) s.encoding = on_primary.at(key).encoding;
  CHECK(Describe(on_primary, on_replica) == "");
  const std::string digest = Digest(p.get());
  CHECK(digest != std::string(40, '0'));
  CHECK(Digest(r.get()) == digest);
}

TEST_CASE("a traced list workload replays without a mismatch", "[integration][list][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "lists.trace";
  std::vector<Argv> load = ListLoad(31, 2500, "t:", 5);
  for (const std::string& k : LoadKeys("t:", 5)) {
    load.push_back({"LRANGE", k, "0", "-1"});
    load.push_back({"LPOS", k, "e1", "COUNT", "0"});
    load.push_back({"LINDEX", k, "-2"});
  }
  const std::string digest = Record(trace, [&](ServerProcess& server) {
    RedisConnection c = server.Connect();
    for (const Argv& argv : load) Command(c.get(), argv);
  });
  CheckReplays(trace, digest, load.size());
}

}  // namespace
}  // namespace tidekv::integration
