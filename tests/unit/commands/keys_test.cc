// Generic key commands (commands/keys.cc) through the in-process engine: replies and
// error texts as Redis 7 gives them, TTL boundaries on a manual clock.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "engine/command_table.h"
#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

// ---- helpers ------------------------------------------------------------------------------

// Creates (or overwrites) a string key directly in the keyspace, so these tests do not
// depend on the string commands.
Entry* Put(EngineFixture& f, std::string_view key, std::string_view value, int db = 0) {
  Database& d = f.engine().keyspace().db(db);
  const int64_t now = f.clock().NowMs();
  d.Erase(key, now);
  Entry* e = d.Insert(key, now);
  e->SetString(value);
  e->Touch(static_cast<uint32_t>(now / 1000));
  return e;
}

// The value of a live key, read without side effects.
std::optional<std::string> Value(EngineFixture& f, std::string_view key, int db = 0) {
  Entry* e = f.engine().keyspace().db(db).Peek(key, f.clock().NowMs());
  if (e == nullptr) return std::nullopt;
  return std::string(e->str());
}

std::string Simple(std::string_view s) { return "+" + std::string(s) + "\r\n"; }

// Reads "*<n>\r\n" followed by n bulk strings starting at *pos.
std::vector<std::string> ReadBulkArray(std::string_view resp, size_t* pos) {
  auto read_line = [&]() {
    size_t end = resp.find("\r\n", *pos);
    REQUIRE(end != std::string_view::npos);
    std::string line(resp.substr(*pos, end - *pos));
    *pos = end + 2;
    return line;
  };
  std::string header = read_line();
  REQUIRE(header[0] == '*');
  const size_t n = std::stoul(header.substr(1));
  std::vector<std::string> items;
  for (size_t i = 0; i < n; i++) {
    std::string len = read_line();
    REQUIRE(len[0] == '$');
    const size_t l = std::stoul(len.substr(1));
    items.emplace_back(resp.substr(*pos, l));
    *pos += l + 2;
  }
  return items;
}

std::vector<std::string> SortedKeys(const std::string& resp) {
  size_t pos = 0;
  std::vector<std::string> keys = ReadBulkArray(resp, &pos);
  REQUIRE(pos == resp.size());
  std::sort(keys.begin(), keys.end());
  return keys;
}

struct ScanReply {
  std::string cursor;
  std::vector<std::string> keys;
};

ScanReply ParseScan(const std::string& resp) {
  INFO(resp);
  REQUIRE(resp.rfind("*2\r\n$", 0) == 0);
  size_t pos = 4;
  size_t end = resp.find("\r\n", pos);
  const size_t len = std::stoul(resp.substr(pos + 1, end - pos - 1));
  ScanReply r;
  r.cursor = resp.substr(end + 2, len);
  pos = end + 2 + len + 2;
  r.keys = ReadBulkArray(resp, &pos);
  REQUIRE(pos == resp.size());
  return r;
}

// Runs SCAN to completion with the given extra arguments; returns every key seen.
std::multiset<std::string> ScanAll(EngineFixture& f, std::vector<std::string> extra = {}) {
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    std::vector<std::string> argv = {"SCAN", cursor};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ScanReply r = ParseScan(f.Run(argv));
    seen.insert(r.keys.begin(), r.keys.end());
    cursor = r.cursor;
    REQUIRE(++calls < 100'000);
  } while (cursor != "0");
  return seen;
}

std::string Wrong(std::string_view cmd) {
  return Err("ERR wrong number of arguments for '" + std::string(cmd) + "' command");
}

const std::string kSyntaxErr = Err("ERR syntax error");
const std::string kNotInt = Err("ERR value is not an integer or out of range");
const std::string kDbRange = Err("ERR DB index is out of range");
const std::string kIntRange =
    Err("ERR value is out of range, value must between -2147483648 and 2147483647");
const std::string kSame = Err("ERR source and destination objects are the same");

// ---- DEL, UNLINK, EXISTS, TYPE, TOUCH ------------------------------------------------------

TEST_CASE("DEL and UNLINK", "[keys]") {
  EngineFixture f;
  for (const char* cmd : {"DEL", "UNLINK"}) {
    Put(f, "a", "1");
    Put(f, "b", "2");
    CHECK(f.Run({cmd, "a", "b", "c", "a"}) == Int(2));  // a second "a" is already gone
    CHECK(f.engine().keyspace().db(0).size() == 0);
    CHECK(f.Run({cmd, "a"}) == Int(0));
    CHECK(f.Run({cmd}) == Wrong(AsciiLower(cmd)));
  }
  SECTION("an expired key is counted as expired, not deleted") {
    Put(f, "t", "x");
    REQUIRE(f.Run({"PEXPIRE", "t", "100"}) == Int(1));
    f.clock().AdvanceMs(100);
    CHECK(f.Run({"DEL", "t"}) == Int(0));
    CHECK(f.engine().keyspace().db(0).size() == 0);
    CHECK(f.engine().keyspace().stats().expired_keys == 1);
  }
}

TEST_CASE("EXISTS counts every argument, duplicates included", "[keys]") {
  EngineFixture f;
  Put(f, "a", "1");
  CHECK(f.Run({"EXISTS", "a"}) == Int(1));
  CHECK(f.Run({"EXISTS", "a", "a", "nope", "a"}) == Int(3));
  CHECK(f.Run({"EXISTS", "nope"}) == Int(0));
  CHECK(f.Run({"EXISTS"}) == Wrong("exists"));
  REQUIRE(f.Run({"PEXPIRE", "a", "10"}) == Int(1));
  f.clock().AdvanceMs(10);
  CHECK(f.Run({"EXISTS", "a"}) == Int(0));
  CHECK(f.engine().keyspace().db(0).size() == 0);
}

TEST_CASE("TYPE", "[keys]") {
  EngineFixture f;
  Put(f, "s", "v");
  CHECK(f.Run({"TYPE", "s"}) == Simple("string"));
  CHECK(f.Run({"TYPE", "missing"}) == Simple("none"));
  CHECK(f.Run({"TYPE"}) == Wrong("type"));
  CHECK(f.Run({"TYPE", "a", "b"}) == Wrong("type"));
  REQUIRE(f.Run({"PEXPIRE", "s", "1"}) == Int(1));
  f.clock().AdvanceMs(1);
  CHECK(f.Run({"TYPE", "s"}) == Simple("none"));
}

TEST_CASE("TOUCH updates access time, EXISTS and TYPE do not", "[keys]") {
  EngineFixture f;
  Put(f, "a", "1");
  Put(f, "b", "2");
  f.clock().AdvanceMs(10'000);
  CHECK(f.Run({"EXISTS", "a"}) == Int(1));
  CHECK(f.Run({"TYPE", "a"}) == Simple("string"));
  CHECK(f.Run({"OBJECT", "IDLETIME", "a"}) == Int(10));
  CHECK(f.Run({"TOUCH", "a", "missing", "a"}) == Int(2));
  CHECK(f.Run({"OBJECT", "IDLETIME", "a"}) == Int(0));
  CHECK(f.Run({"OBJECT", "IDLETIME", "b"}) == Int(10));
  CHECK(f.Run({"TOUCH"}) == Wrong("touch"));
}

TEST_CASE("read lookups count keyspace hits and misses", "[keys]") {
  EngineFixture f;
  Put(f, "a", "1");
  KeyspaceStats& stats = f.engine().keyspace().stats();
  const uint64_t hits = stats.keyspace_hits;
  const uint64_t misses = stats.keyspace_misses;
  f.Run({"EXISTS", "a", "b", "a"});
  f.Run({"TTL", "zz"});
  CHECK(stats.keyspace_hits - hits == 2);
  CHECK(stats.keyspace_misses - misses == 2);
}

// ---- KEYS, SCAN, RANDOMKEY ------------------------------------------------------------------

TEST_CASE("KEYS matches glob patterns and skips expired keys", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"KEYS", "*"}) == "*0\r\n");
  for (const char* k : {"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "other"}) {
    Put(f, k, "v");
  }
  using V = std::vector<std::string>;
  CHECK(SortedKeys(f.Run({"KEYS", "*"})).size() == 7);
  CHECK(SortedKeys(f.Run({"KEYS", "h?llo"})) == V{"h*llo", "hallo", "hello", "hxllo"});
  CHECK(SortedKeys(f.Run({"KEYS", "h*llo"})) ==
        V{"h*llo", "hallo", "heeeello", "hello", "hllo", "hxllo"});
  CHECK(SortedKeys(f.Run({"KEYS", "h[ae]llo"})) == V{"hallo", "hello"});
  CHECK(SortedKeys(f.Run({"KEYS", "h[^e]llo"})) == V{"h*llo", "hallo", "hxllo"});
  CHECK(SortedKeys(f.Run({"KEYS", "h[a-b]llo"})) == V{"hallo"});
  CHECK(SortedKeys(f.Run({"KEYS", "h\\*llo"})) == V{"h*llo"});
  CHECK(SortedKeys(f.Run({"KEYS", "nomatch*"})).empty());
  CHECK(f.Run({"KEYS"}) == Wrong("keys"));

  REQUIRE(f.Run({"PEXPIRE", "hello", "5"}) == Int(1));
  f.clock().AdvanceMs(5);
  CHECK(SortedKeys(f.Run({"KEYS", "h?llo"})) == V{"h*llo", "hallo", "hxllo"});
}

TEST_CASE("KEYS reads a class's ranges as Redis 7 does", "[keys]") {
  EngineFixture f;
  for (const char* k : {"hello", "hallo", "ha", "h]", "h_", "h-", "hx"}) Put(f, k, "v");
  using V = std::vector<std::string>;
  // "a-]" is a range from ']' to 'a', and the class then runs to the end of the pattern, so
  // "llo" are members too (replies of redis-server 7.0.15).
  CHECK(SortedKeys(f.Run({"KEYS", "h[a-]llo"})) == V{"h]", "h_", "ha"});
  CHECK(SortedKeys(f.Run({"KEYS", "h[a-]"})) == V{"h]", "h_", "ha"});
  CHECK(SortedKeys(f.Run({"KEYS", "h[-a]"})) == V{"h-", "ha"});
  CHECK(SortedKeys(f.Run({"KEYS", "h[]-a]"})).empty());
}

TEST_CASE("SCAN iterates every key with MATCH, COUNT and TYPE", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"SCAN", "0"}) == "*2\r\n$1\r\n0\r\n*0\r\n");
  std::multiset<std::string> all;
  for (int i = 0; i < 1000; i++) {
    std::string k = (i % 2 == 0 ? "even:" : "odd:") + std::to_string(i);
    Put(f, k, "v");
    all.insert(k);
  }

  SECTION("plain scan returns each key once") { CHECK(ScanAll(f) == all); }
  SECTION("COUNT changes the batch size, not the result") {
    CHECK(ScanAll(f, {"COUNT", "1"}) == all);
    CHECK(ScanAll(f, {"count", "7"}) == all);
    ScanReply r = ParseScan(f.Run({"SCAN", "0", "COUNT", "5000"}));
    CHECK(r.cursor == "0");
    CHECK(r.keys.size() == 1000);
    // The default COUNT is 10: a first call returns about that many.
    ScanReply first = ParseScan(f.Run({"SCAN", "0"}));
    CHECK(first.cursor != "0");
    CHECK(first.keys.size() >= 10);
    CHECK(first.keys.size() < 100);
  }
  SECTION("MATCH filters") {
    std::multiset<std::string> odd = ScanAll(f, {"MATCH", "odd:*"});
    CHECK(odd.size() == 500);
    for (const std::string& k : odd) CHECK(k.rfind("odd:", 0) == 0);
    CHECK(ScanAll(f, {"MATCH", "*"}) == all);
    CHECK(ScanAll(f, {"MATCH", "even:10", "COUNT", "3"}) == std::multiset<std::string>{"even:10"});
  }
  SECTION("TYPE filters by type name, ignoring case") {
    CHECK(ScanAll(f, {"TYPE", "string"}) == all);
    CHECK(ScanAll(f, {"TYPE", "STRING", "MATCH", "odd:*"}).size() == 500);
    CHECK(ScanAll(f, {"TYPE", "hash"}).empty());
    CHECK(ScanAll(f, {"TYPE", "nosuchtype"}).empty());
  }
  SECTION("expired keys are never returned") {
    for (int i = 0; i < 1000; i += 2) {
      REQUIRE(f.Run({"PEXPIRE", "even:" + std::to_string(i), "50"}) == Int(1));
    }
    f.clock().AdvanceMs(50);
    std::multiset<std::string> seen = ScanAll(f);
    CHECK(seen.size() == 500);
    for (const std::string& k : seen) CHECK(k.rfind("odd:", 0) == 0);
    // SCAN deleted them on the way (lazy expiry).
    CHECK(f.engine().keyspace().db(0).size() == 500);
  }
  SECTION("keys present throughout a scan are returned while keys are added") {
    std::multiset<std::string> seen;
    std::string cursor = "0";
    int added = 0;
    do {
      ScanReply r = ParseScan(f.Run({"SCAN", cursor, "COUNT", "3"}));
      seen.insert(r.keys.begin(), r.keys.end());
      cursor = r.cursor;
      for (int i = 0; i < 20 && added < 20'000; i++) Put(f, "new:" + std::to_string(added++), "v");
    } while (cursor != "0");
    for (const std::string& k : all) REQUIRE(seen.count(k) >= 1);
  }
  SECTION("keys present throughout a scan are returned while keys are removed") {
    std::multiset<std::string> seen;
    std::string cursor = "0";
    int removed = 0;
    do {
      ScanReply r = ParseScan(f.Run({"SCAN", cursor}));
      seen.insert(r.keys.begin(), r.keys.end());
      cursor = r.cursor;
      for (int i = 0; i < 20 && removed < 1000; i += 1, removed += 2) {
        f.Run({"DEL", "even:" + std::to_string(removed)});
      }
    } while (cursor != "0");
    for (const std::string& k : all) {
      if (k.rfind("odd:", 0) == 0) REQUIRE(seen.count(k) >= 1);
    }
  }
}

TEST_CASE("SCAN argument errors", "[keys]") {
  EngineFixture f;
  Put(f, "k", "v");
  const std::string kBadCursor = Err("ERR invalid cursor");
  CHECK(f.Run({"SCAN", "abc"}) == kBadCursor);
  CHECK(f.Run({"SCAN", "-1"}) == kBadCursor);
  CHECK(f.Run({"SCAN", "1.5"}) == kBadCursor);
  CHECK(f.Run({"SCAN", "99999999999999999999999"}) == kBadCursor);
  CHECK(f.Run({"SCAN", "abc", "COUNT", "0"}) == kBadCursor);  // cursor is checked first
  CHECK(f.Run({"SCAN", "0", "COUNT", "0"}) == kSyntaxErr);
  CHECK(f.Run({"SCAN", "0", "COUNT", "-5"}) == kSyntaxErr);
  CHECK(f.Run({"SCAN", "0", "COUNT", "x"}) == kNotInt);
  CHECK(f.Run({"SCAN", "0", "COUNT"}) == kSyntaxErr);
  CHECK(f.Run({"SCAN", "0", "MATCH"}) == kSyntaxErr);
  CHECK(f.Run({"SCAN", "0", "TYPE"}) == kSyntaxErr);
  CHECK(f.Run({"SCAN", "0", "BOGUS", "1"}) == kSyntaxErr);
  CHECK(f.Run({"SCAN"}) == Wrong("scan"));
  // A cursor past the table's size is masked, never an error.
  CHECK(ParseScan(f.Run({"SCAN", "18446744073709551615"})).keys.size() <= 1);
}

TEST_CASE("RANDOMKEY", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"RANDOMKEY"}) == kNil);
  Put(f, "only", "v");
  CHECK(f.Run({"RANDOMKEY"}) == Bulk("only"));
  CHECK(f.Run({"RANDOMKEY", "x"}) == Wrong("randomkey"));

  SECTION("never an expired key, even when nearly all keys expired") {
    for (int i = 0; i < 2000; i++) {
      Put(f, "gone:" + std::to_string(i), "v");
      REQUIRE(f.Run({"PEXPIRE", "gone:" + std::to_string(i), "10"}) == Int(1));
    }
    f.clock().AdvanceMs(10);
    CHECK(f.Run({"RANDOMKEY"}) == Bulk("only"));
    CHECK(f.Run({"RANDOMKEY"}) == Bulk("only"));
  }
  SECTION("nil when every key expired") {
    REQUIRE(f.Run({"PEXPIRE", "only", "10"}) == Int(1));
    f.clock().AdvanceMs(10);
    CHECK(f.Run({"RANDOMKEY"}) == kNil);
  }
  SECTION("covers the keys") {
    std::set<std::string> seen;
    for (int i = 0; i < 9; i++) Put(f, "k" + std::to_string(i), "v");
    for (int i = 0; i < 2000; i++) seen.insert(f.Run({"RANDOMKEY"}));
    CHECK(seen.size() == 10);
  }
}

// ---- RENAME, RENAMENX ----------------------------------------------------------------------

TEST_CASE("RENAME", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"RENAME", "missing", "x"}) == Err("ERR no such key"));
  CHECK(f.Run({"RENAME", "missing", "missing"}) == Err("ERR no such key"));
  Put(f, "a", "va");
  CHECK(f.Run({"RENAME", "a", "a"}) == kOk);
  CHECK(Value(f, "a") == "va");
  CHECK(f.Run({"RENAME", "a", "b"}) == kOk);
  CHECK_FALSE(Value(f, "a"));
  CHECK(Value(f, "b") == "va");

  SECTION("overwrites the destination, including its TTL") {
    Put(f, "c", "vc");
    REQUIRE(f.Run({"EXPIRE", "c", "100"}) == Int(1));
    CHECK(f.Run({"RENAME", "b", "c"}) == kOk);
    CHECK(Value(f, "c") == "va");
    CHECK(f.Run({"TTL", "c"}) == Int(-1));
    CHECK(f.engine().keyspace().db(0).size() == 1);
    CHECK(f.engine().keyspace().db(0).volatile_size() == 0);
  }
  SECTION("keeps the source's TTL; renaming counts as an access") {
    REQUIRE(f.Run({"PEXPIRE", "b", "5000"}) == Int(1));
    f.clock().AdvanceMs(3000);
    CHECK(f.Run({"RENAME", "b", "d"}) == kOk);
    CHECK(f.Run({"PTTL", "d"}) == Int(2000));
    CHECK(f.Run({"OBJECT", "IDLETIME", "d"}) == Int(0));
    f.clock().AdvanceMs(2000);
    CHECK_FALSE(Value(f, "d"));
  }
  SECTION("an expired source is missing") {
    REQUIRE(f.Run({"PEXPIRE", "b", "1"}) == Int(1));
    f.clock().AdvanceMs(1);
    CHECK(f.Run({"RENAME", "b", "e"}) == Err("ERR no such key"));
  }
  CHECK(f.Run({"RENAME", "a"}) == Wrong("rename"));
}

TEST_CASE("RENAMENX", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"RENAMENX", "missing", "x"}) == Err("ERR no such key"));
  Put(f, "a", "va");
  Put(f, "b", "vb");
  CHECK(f.Run({"RENAMENX", "a", "a"}) == Int(0));
  CHECK(f.Run({"RENAMENX", "a", "b"}) == Int(0));
  CHECK(Value(f, "a") == "va");
  CHECK(Value(f, "b") == "vb");
  REQUIRE(f.Run({"EXPIRE", "a", "10"}) == Int(1));
  CHECK(f.Run({"RENAMENX", "a", "c"}) == Int(1));
  CHECK_FALSE(Value(f, "a"));
  CHECK(Value(f, "c") == "va");
  CHECK(f.Run({"TTL", "c"}) == Int(10));
  // An expired destination does not count as existing.
  REQUIRE(f.Run({"PEXPIRE", "b", "1"}) == Int(1));
  f.clock().AdvanceMs(1);
  CHECK(f.Run({"RENAMENX", "c", "b"}) == Int(1));
  CHECK(Value(f, "b") == "va");
}

// ---- EXPIRE family ----------------------------------------------------------------------------

TEST_CASE("EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT set the expiry", "[keys]") {
  EngineFixture f;
  const int64_t now = f.clock().NowMs();
  CHECK(f.Run({"EXPIRE", "missing", "10"}) == Int(0));
  Put(f, "k", "v");
  CHECK(f.Run({"EXPIRE", "k", "10"}) == Int(1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int(now + 10'000));
  CHECK(f.Run({"PEXPIRE", "k", "1500"}) == Int(1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int(now + 1500));
  CHECK(f.Run({"EXPIREAT", "k", std::to_string(now / 1000 + 100)}) == Int(1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int((now / 1000 + 100) * 1000));
  CHECK(f.Run({"PEXPIREAT", "k", std::to_string(now + 123)}) == Int(1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int(now + 123));
  CHECK(f.engine().keyspace().db(0).volatile_size() == 1);
  f.clock().AdvanceMs(122);
  CHECK(Value(f, "k") == "v");
  f.clock().AdvanceMs(1);
  CHECK_FALSE(Value(f, "k"));
  CHECK(f.Run({"EXPIRE", "k"}) == Wrong("expire"));
  CHECK(f.Run({"PEXPIREAT", "k"}) == Wrong("pexpireat"));
}

TEST_CASE("an expire time in the past deletes the key and returns 1", "[keys]") {
  EngineFixture f;
  const int64_t now = f.clock().NowMs();
  auto check_deletes = [&](std::vector<std::string> argv) {
    Put(f, "k", "v");
    INFO(argv[0] << " " << argv[2]);
    CHECK(f.Run(argv) == Int(1));
    CHECK_FALSE(Value(f, "k"));
    CHECK(f.engine().keyspace().db(0).size() == 0);
  };
  check_deletes({"EXPIRE", "k", "-1"});
  check_deletes({"EXPIRE", "k", "0"});
  check_deletes({"PEXPIRE", "k", "0"});
  check_deletes({"PEXPIRE", "k", "-100000"});
  check_deletes({"PEXPIREAT", "k", std::to_string(now)});  // exactly now is past
  check_deletes({"EXPIREAT", "k", std::to_string(now / 1000 - 1)});
  check_deletes({"EXPIREAT", "k", "0"});
  // Deleting through EXPIRE is a deletion, not an expiry.
  CHECK(f.engine().keyspace().stats().expired_keys == 0);
  // One millisecond ahead is kept.
  Put(f, "k", "v");
  CHECK(f.Run({"PEXPIREAT", "k", std::to_string(now + 1)}) == Int(1));
  CHECK(Value(f, "k") == "v");
  CHECK(f.Run({"PTTL", "k"}) == Int(1));
}

TEST_CASE("EXPIRE NX XX GT LT", "[keys]") {
  EngineFixture f;
  Put(f, "k", "v");  // no TTL yet
  SECTION("NX: only without a TTL") {
    CHECK(f.Run({"EXPIRE", "k", "100", "NX"}) == Int(1));
    CHECK(f.Run({"EXPIRE", "k", "200", "nx"}) == Int(0));
    CHECK(f.Run({"TTL", "k"}) == Int(100));
  }
  SECTION("XX: only with a TTL") {
    CHECK(f.Run({"EXPIRE", "k", "100", "XX"}) == Int(0));
    CHECK(f.Run({"TTL", "k"}) == Int(-1));
    REQUIRE(f.Run({"EXPIRE", "k", "100"}) == Int(1));
    CHECK(f.Run({"EXPIRE", "k", "50", "xx"}) == Int(1));
    CHECK(f.Run({"TTL", "k"}) == Int(50));
  }
  SECTION("GT: no TTL counts as infinite, so GT never applies to it") {
    CHECK(f.Run({"EXPIRE", "k", "100", "GT"}) == Int(0));
    CHECK(f.Run({"TTL", "k"}) == Int(-1));
    REQUIRE(f.Run({"EXPIRE", "k", "100"}) == Int(1));
    CHECK(f.Run({"EXPIRE", "k", "100", "GT"}) == Int(0));  // equal is not greater
    CHECK(f.Run({"EXPIRE", "k", "99", "GT"}) == Int(0));
    CHECK(f.Run({"EXPIRE", "k", "101", "gt"}) == Int(1));
    CHECK(f.Run({"TTL", "k"}) == Int(101));
    CHECK(f.Run({"EXPIRE", "k", "200", "XX", "GT"}) == Int(1));
    CHECK(f.Run({"TTL", "k"}) == Int(200));
  }
  SECTION("LT: anything is less than no TTL") {
    CHECK(f.Run({"EXPIRE", "k", "100", "LT"}) == Int(1));
    CHECK(f.Run({"EXPIRE", "k", "100", "LT"}) == Int(0));  // equal is not less
    CHECK(f.Run({"EXPIRE", "k", "101", "LT"}) == Int(0));
    CHECK(f.Run({"PEXPIRE", "k", "99999", "lt"}) == Int(1));
    CHECK(f.Run({"PTTL", "k"}) == Int(99999));
    CHECK(f.Run({"EXPIRE", "k", "10", "XX", "LT"}) == Int(1));
    CHECK(f.Run({"TTL", "k"}) == Int(10));
  }
  SECTION("LT with a past time on a key without TTL deletes it") {
    CHECK(f.Run({"EXPIRE", "k", "-5", "LT"}) == Int(1));
    CHECK_FALSE(Value(f, "k"));
  }
  SECTION("options on a missing key") {
    CHECK(f.Run({"EXPIRE", "nokey", "10", "NX"}) == Int(0));
    CHECK(f.Run({"EXPIRE", "nokey", "10", "LT"}) == Int(0));
  }
}

TEST_CASE("EXPIRE option and value errors", "[keys]") {
  EngineFixture f;
  Put(f, "k", "v");
  const std::string kNxErr =
      Err("ERR NX and XX, GT or LT options at the same time are not compatible");
  const std::string kGtLtErr = Err("ERR GT and LT options at the same time are not compatible");
  CHECK(f.Run({"EXPIRE", "k", "10", "NX", "XX"}) == kNxErr);
  CHECK(f.Run({"EXPIRE", "k", "10", "NX", "GT"}) == kNxErr);
  CHECK(f.Run({"PEXPIRE", "k", "10", "LT", "NX"}) == kNxErr);
  CHECK(f.Run({"EXPIRE", "k", "10", "GT", "LT"}) == kGtLtErr);
  CHECK(f.Run({"EXPIREAT", "k", "10", "XX", "GT", "LT"}) == kGtLtErr);
  CHECK(f.Run({"EXPIRE", "k", "10", "NX", "NX"}) == Int(1));  // repeating is fine
  CHECK(f.Run({"EXPIRE", "k", "10", "FOO"}) == Err("ERR Unsupported option FOO"));
  // Options are checked before the time and before the key.
  CHECK(f.Run({"EXPIRE", "k", "abc", "NX", "XX"}) == kNxErr);
  CHECK(f.Run({"EXPIRE", "nokey", "10", "GT", "LT"}) == kGtLtErr);
  CHECK(f.Run({"EXPIRE", "k", "abc"}) == kNotInt);
  CHECK(f.Run({"EXPIRE", "k", "1.5"}) == kNotInt);
  CHECK(f.Run({"PEXPIRE", "k", ""}) == kNotInt);
  CHECK(f.Run({"EXPIRE", "k", "99999999999999999999"}) == kNotInt);
  CHECK(f.Run({"TTL", "k"}) == Int(10));  // untouched by all of the above
}

TEST_CASE("EXPIRE overflow is an invalid expire time naming the command", "[keys]") {
  EngineFixture f;
  Put(f, "k", "v");
  auto invalid = [](std::string_view cmd) {
    return Err("ERR invalid expire time in '" + std::string(cmd) + "' command");
  };
  const std::string max = "9223372036854775807";
  const std::string min = "-9223372036854775808";
  CHECK(f.Run({"EXPIRE", "k", max}) == invalid("expire"));
  CHECK(f.Run({"EXPIRE", "k", min}) == invalid("expire"));
  CHECK(f.Run({"EXPIRE", "k", "9223372036854775"}) == invalid("expire"));  // + now overflows
  CHECK(f.Run({"PEXPIRE", "k", max}) == invalid("pexpire"));
  CHECK(f.Run({"EXPIREAT", "k", "9223372036854776"}) == invalid("expireat"));
  CHECK(f.Run({"expireat", "k", max}) == invalid("expireat"));
  CHECK(f.Run({"TTL", "k"}) == Int(-1));
  // The largest representable times are accepted.
  CHECK(f.Run({"PEXPIREAT", "k", max}) == Int(1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int(INT64_MAX));
  CHECK(f.Run({"EXPIRETIME", "k"}) == Int(INT64_MAX / 1000 + 1));  // rounded, no overflow
  CHECK(f.Run({"EXPIREAT", "k", "9223372036854775"}) == Int(1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int(9223372036854775000));
  // A very negative time is in the past: the key goes.
  CHECK(f.Run({"PEXPIRE", "k", min}) == Int(1));
  CHECK_FALSE(Value(f, "k"));
}

// ---- TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST ---------------------------------------------

TEST_CASE("TTL and PTTL", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"TTL", "missing"}) == Int(-2));
  CHECK(f.Run({"PTTL", "missing"}) == Int(-2));
  Put(f, "k", "v");
  CHECK(f.Run({"TTL", "k"}) == Int(-1));
  CHECK(f.Run({"PTTL", "k"}) == Int(-1));
  REQUIRE(f.Run({"PEXPIRE", "k", "1500"}) == Int(1));
  // Seconds round to the nearest second, half up: (ms + 500) / 1000.
  CHECK(f.Run({"TTL", "k"}) == Int(2));
  CHECK(f.Run({"PTTL", "k"}) == Int(1500));
  f.clock().AdvanceMs(1);  // 1499
  CHECK(f.Run({"TTL", "k"}) == Int(1));
  f.clock().AdvanceMs(999);  // 500
  CHECK(f.Run({"TTL", "k"}) == Int(1));
  f.clock().AdvanceMs(1);  // 499
  CHECK(f.Run({"TTL", "k"}) == Int(0));
  CHECK(f.Run({"PTTL", "k"}) == Int(499));
  f.clock().AdvanceMs(498);  // 1
  CHECK(f.Run({"TTL", "k"}) == Int(0));
  CHECK(f.Run({"PTTL", "k"}) == Int(1));
  f.clock().AdvanceMs(1);  // 0: expired
  CHECK(f.Run({"TTL", "k"}) == Int(-2));
  CHECK(f.Run({"PTTL", "k"}) == Int(-2));
  CHECK(f.Run({"TTL"}) == Wrong("ttl"));
  CHECK(f.Run({"PTTL", "a", "b"}) == Wrong("pttl"));
}

TEST_CASE("EXPIRETIME and PEXPIRETIME", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"EXPIRETIME", "missing"}) == Int(-2));
  CHECK(f.Run({"PEXPIRETIME", "missing"}) == Int(-2));
  Put(f, "k", "v");
  CHECK(f.Run({"EXPIRETIME", "k"}) == Int(-1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int(-1));
  REQUIRE(f.Run({"PEXPIREAT", "k", "33177117420499"}) == Int(1));
  CHECK(f.Run({"PEXPIRETIME", "k"}) == Int(33177117420499));
  CHECK(f.Run({"EXPIRETIME", "k"}) == Int(33177117420));
  REQUIRE(f.Run({"PEXPIREAT", "k", "33177117420500"}) == Int(1));
  CHECK(f.Run({"EXPIRETIME", "k"}) == Int(33177117421));  // rounds like TTL
  REQUIRE(f.Run({"EXPIREAT", "k", "33177117420"}) == Int(1));
  CHECK(f.Run({"EXPIRETIME", "k"}) == Int(33177117420));
  CHECK(f.Run({"EXPIRETIME"}) == Wrong("expiretime"));
}

TEST_CASE("PERSIST", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"PERSIST", "missing"}) == Int(0));
  Put(f, "k", "v");
  CHECK(f.Run({"PERSIST", "k"}) == Int(0));
  REQUIRE(f.Run({"EXPIRE", "k", "10"}) == Int(1));
  CHECK(f.engine().keyspace().db(0).volatile_size() == 1);
  CHECK(f.Run({"PERSIST", "k"}) == Int(1));
  CHECK(f.Run({"TTL", "k"}) == Int(-1));
  CHECK(f.engine().keyspace().db(0).volatile_size() == 0);
  f.clock().AdvanceMs(20'000);
  CHECK(Value(f, "k") == "v");
  CHECK(f.Run({"PERSIST"}) == Wrong("persist"));
}

// ---- COPY, MOVE, SWAPDB ---------------------------------------------------------------------

TEST_CASE("COPY", "[keys]") {
  EngineFixture f;
  CHECK(f.Run({"COPY", "missing", "x"}) == Int(0));
  Put(f, "a", "va");
  REQUIRE(f.Run({"PEXPIRE", "a", "5000"}) == Int(1));

  SECTION("copies value and TTL; the copy is independent") {
    CHECK(f.Run({"COPY", "a", "b"}) == Int(1));
    CHECK(Value(f, "a") == "va");
    CHECK(Value(f, "b") == "va");
    CHECK(f.Run({"PTTL", "b"}) == Int(5000));
    f.engine().keyspace().db(0).Find("a", f.clock().NowMs())->SetString(std::string("changed"));
    CHECK(Value(f, "b") == "va");
    CHECK(f.engine().keyspace().db(0).volatile_size() == 2);
  }
  SECTION("an existing destination needs REPLACE") {
    Put(f, "b", "vb");
    CHECK(f.Run({"COPY", "a", "b"}) == Int(0));
    CHECK(Value(f, "b") == "vb");
    CHECK(f.Run({"COPY", "a", "b", "REPLACE"}) == Int(1));
    CHECK(Value(f, "b") == "va");
    CHECK(f.Run({"PTTL", "b"}) == Int(5000));
    // REPLACE from a key without TTL leaves the destination without one.
    Put(f, "c", "vc");
    CHECK(f.Run({"COPY", "c", "b", "replace"}) == Int(1));
    CHECK(f.Run({"TTL", "b"}) == Int(-1));
  }
  SECTION("DB copies into another database") {
    CHECK(f.Run({"COPY", "a", "a", "DB", "3"}) == Int(1));
    CHECK(Value(f, "a", 3) == "va");
    CHECK(Value(f, "a") == "va");
    f.session().db = 3;
    CHECK(f.Run({"PTTL", "a"}) == Int(5000));
    f.session().db = 0;
    Put(f, "a", "other", 3);
    CHECK(f.Run({"COPY", "a", "a", "db", "3"}) == Int(0));
    CHECK(f.Run({"COPY", "a", "a", "REPLACE", "DB", "3"}) == Int(1));
    CHECK(Value(f, "a", 3) == "va");
  }
  SECTION("errors") {
    CHECK(f.Run({"COPY", "a", "a"}) == kSame);
    CHECK(f.Run({"COPY", "a", "a", "DB", "0"}) == kSame);
    CHECK(f.Run({"COPY", "missing", "missing"}) == kSame);  // checked before the lookup
    CHECK(f.Run({"COPY", "a", "b", "DB", "16"}) == kDbRange);
    CHECK(f.Run({"COPY", "a", "b", "DB", "-1"}) == kDbRange);
    CHECK(f.Run({"COPY", "a", "b", "DB", "x"}) == kNotInt);
    CHECK(f.Run({"COPY", "a", "b", "DB", "99999999999"}) == kIntRange);  // beyond int
    CHECK(f.Run({"COPY", "a", "b", "DB"}) == kSyntaxErr);
    CHECK(f.Run({"COPY", "a", "b", "FOO"}) == kSyntaxErr);
    CHECK(f.Run({"COPY", "a"}) == Wrong("copy"));
    CHECK_FALSE(Value(f, "b"));
  }
  SECTION("an expired source is missing") {
    f.clock().AdvanceMs(5000);
    CHECK(f.Run({"COPY", "a", "b"}) == Int(0));
  }
}

TEST_CASE("MOVE", "[keys]") {
  EngineFixture f;
  Put(f, "a", "va");
  REQUIRE(f.Run({"PEXPIRE", "a", "5000"}) == Int(1));
  CHECK(f.Run({"MOVE", "missing", "1"}) == Int(0));
  CHECK(f.Run({"MOVE", "a", "1"}) == Int(1));
  CHECK_FALSE(Value(f, "a"));
  CHECK(Value(f, "a", 1) == "va");
  CHECK(f.engine().keyspace().db(0).volatile_size() == 0);
  CHECK(f.engine().keyspace().db(1).volatile_size() == 1);
  f.session().db = 1;
  CHECK(f.Run({"PTTL", "a"}) == Int(5000));

  // An existing key in the destination blocks the move and keeps the source.
  Put(f, "a", "zero", 0);
  CHECK(f.Run({"MOVE", "a", "0"}) == Int(0));
  CHECK(Value(f, "a", 0) == "zero");
  CHECK(Value(f, "a", 1) == "va");

  CHECK(f.Run({"MOVE", "a", "1"}) == kSame);
  CHECK(f.Run({"MOVE", "a", "16"}) == kDbRange);
  CHECK(f.Run({"MOVE", "a", "-1"}) == kDbRange);
  CHECK(f.Run({"MOVE", "a", "one"}) == kNotInt);
  CHECK(f.Run({"MOVE", "a", "4294967296"}) == kIntRange);
  CHECK(f.Run({"MOVE", "a"}) == Wrong("move"));
  f.clock().AdvanceMs(5000);
  CHECK(f.Run({"MOVE", "a", "2"}) == Int(0));  // expired
}

TEST_CASE("SWAPDB", "[keys]") {
  EngineFixture f;
  Put(f, "in0", "v", 0);
  Put(f, "in1", "v", 1);
  CHECK(f.Run({"SWAPDB", "0", "1"}) == kOk);
  // The session stays on index 0 and now sees what was database 1.
  CHECK(f.Run({"EXISTS", "in1"}) == Int(1));
  CHECK(f.Run({"EXISTS", "in0"}) == Int(0));
  CHECK(Value(f, "in0", 1) == "v");
  CHECK(f.Run({"SWAPDB", "2", "2"}) == kOk);
  CHECK(f.Run({"SWAPDB", "x", "1"}) == Err("ERR invalid first DB index"));
  CHECK(f.Run({"SWAPDB", "0", "y"}) == Err("ERR invalid second DB index"));
  CHECK(f.Run({"SWAPDB", "0", "16"}) == kDbRange);
  CHECK(f.Run({"SWAPDB", "-1", "0"}) == kDbRange);
  CHECK(f.Run({"SWAPDB", "0"}) == Wrong("swapdb"));
}

// ---- OBJECT ---------------------------------------------------------------------------------

TEST_CASE("OBJECT subcommands", "[keys]") {
  EngineFixture f;
  Put(f, "int", "12345");
  Put(f, "neg", "-7");
  Put(f, "lead0", "012");
  Put(f, "short", "hello");
  Put(f, "long", std::string(45, 'x'));
  Put(f, "edge", std::string(44, 'x'));
  CHECK(f.Run({"OBJECT", "ENCODING", "int"}) == Bulk("int"));
  CHECK(f.Run({"OBJECT", "ENCODING", "neg"}) == Bulk("int"));
  CHECK(f.Run({"OBJECT", "ENCODING", "lead0"}) == Bulk("embstr"));
  CHECK(f.Run({"object", "encoding", "short"}) == Bulk("embstr"));
  CHECK(f.Run({"OBJECT", "ENCODING", "edge"}) == Bulk("embstr"));
  CHECK(f.Run({"OBJECT", "ENCODING", "long"}) == Bulk("raw"));
  CHECK(f.Run({"OBJECT", "ENCODING", "missing"}) == kNil);

  CHECK(f.Run({"OBJECT", "REFCOUNT", "short"}) == Int(1));
  CHECK(f.Run({"OBJECT", "REFCOUNT", "missing"}) == kNil);

  CHECK(f.Run({"OBJECT", "IDLETIME", "short"}) == Int(0));
  f.clock().AdvanceMs(4999);
  CHECK(f.Run({"OBJECT", "IDLETIME", "short"}) == Int(4));
  f.clock().AdvanceMs(1);
  CHECK(f.Run({"OBJECT", "IDLETIME", "short"}) == Int(5));  // not reset by looking
  CHECK(f.Run({"OBJECT", "IDLETIME", "missing"}) == kNil);

  CHECK(f.Run({"OBJECT", "FREQ", "short"}) ==
        Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
            "Please note that when switching between policies at runtime LRU and LFU data "
            "will take some time to adjust."));
  CHECK(f.Run({"OBJECT", "FREQ", "missing"}) == kNil);

  std::string help = f.Run({"OBJECT", "HELP"});
  CHECK(help.rfind("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n",
                   0) == 0);
  CHECK(help.find("+IDLETIME <key>\r\n") != std::string::npos);
  const std::string last = "+    Prints this help.\r\n";
  CHECK(help.substr(help.size() - last.size()) == last);

  CHECK(f.Run({"OBJECT"}) == Wrong("object"));
  CHECK(f.Run({"OBJECT", "ENCODING"}) == Wrong("object|encoding"));
  CHECK(f.Run({"OBJECT", "HELP", "x"}) == Wrong("object|help"));
  CHECK(f.Run({"OBJECT", "NOPE", "k"}) == Err("ERR unknown subcommand 'NOPE'. Try OBJECT HELP."));
}

// ---- the rows themselves -----------------------------------------------------------------

TEST_CASE("key command rows carry Redis's flags and key positions", "[keys]") {
  EngineFixture f;
  const CommandTable& t = f.engine().commands();
  auto flags = [&](std::string_view name) {
    const CommandSpec* c = t.Find(name);
    REQUIRE(c != nullptr);
    return c->flags;
  };
  using enum CommandFlag;
  for (const char* w : {"del", "unlink", "rename", "renamenx", "copy", "move", "swapdb", "expire",
                        "pexpire", "expireat", "pexpireat", "persist"}) {
    INFO(w);
    CHECK(HasFlag(flags(w), kWrite));
    CHECK_FALSE(HasFlag(flags(w), kReadOnly));
  }
  for (const char* r : {"exists", "type", "keys", "scan", "randomkey", "ttl", "pttl", "expiretime",
                        "pexpiretime", "touch"}) {
    INFO(r);
    CHECK(HasFlag(flags(r), kReadOnly));
    CHECK_FALSE(HasFlag(flags(r), kWrite));
  }
  CHECK_FALSE(HasFlag(flags("del"), kFast));
  CHECK(HasFlag(flags("unlink"), kFast));
  CHECK(HasFlag(flags("expire"), kFast));
  CHECK_FALSE(HasFlag(flags("keys"), kFast));
  CHECK_FALSE(HasFlag(flags("rename"), kFast));
  CHECK(HasFlag(flags("renamenx"), kFast));
  CHECK(HasFlag(flags("copy"), kDenyOom));

  const CommandSpec* rename = t.Find("rename");
  CHECK(rename->first_key == 1);
  CHECK(rename->last_key == 2);
  const CommandSpec* del = t.Find("del");
  CHECK(del->last_key == -1);
  CHECK(t.Find("scan")->syntax == "cursor [MATCH pattern] [COUNT count] [TYPE type]");
  const CommandSpec* object = t.Find("object");
  REQUIRE(object != nullptr);
  REQUIRE(object->FindSubcommand("ENCODING") != nullptr);
  CHECK(object->FindSubcommand("encoding")->first_key == 2);
  CHECK(object->FindSubcommand("help") != nullptr);
}

// Waits (bounded) until the lazy-free thread has freed everything handed to it.
bool WaitLazyFreeIdle(const keyspace::LazyFree& lazy) {
  for (int i = 0; i < 5000 && lazy.pending() > 0; i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return lazy.pending() == 0;
}

TEST_CASE("UNLINK frees a large value on the lazy-free thread, a small one at once",
          "[keys][lazyfree]") {
  EngineFixture f;
  keyspace::LazyFree& lazy = f.engine().keyspace().lazy_free();
  std::vector<std::string> sadd = {"SADD", "big"};
  for (int i = 0; i < 1000; i++) sadd.push_back("member:" + std::to_string(i));
  f.Run(sadd);
  REQUIRE(f.Run({"OBJECT", "ENCODING", "big"}) == Bulk("hashtable"));
  f.Run({"SADD", "small", "a", "b"});  // a listpack: one allocation, freed at once
  f.Run({"RPUSH", "list", "x"});

  CHECK(f.Run({"UNLINK", "big", "small", "missing"}) == Int(2));
  CHECK(f.Run({"EXISTS", "big", "small"}) == Int(0));  // gone at once, freed or not
  REQUIRE(WaitLazyFreeIdle(lazy));
  CHECK(lazy.freed() == 1);
  CHECK(f.Run({"INFO", "memory"}).find("lazyfree_pending_objects:0\r\n") != std::string::npos);
  CHECK(f.Run({"INFO", "stats"}).find("lazyfreed_objects:1\r\n") != std::string::npos);

  // DEL frees on the loop thread; a new value under the key is unaffected.
  f.Run(sadd);
  CHECK(f.Run({"DEL", "big"}) == Int(1));
  f.Run(sadd);
  CHECK(f.Run({"UNLINK", "big"}) == Int(1));
  REQUIRE(WaitLazyFreeIdle(lazy));
  CHECK(lazy.freed() == 2);
  f.Run(sadd);
  CHECK(f.Run({"SCARD", "big"}) == Int(1000));
  CHECK(f.Run({"CONFIG", "RESETSTAT"}) == kOk);
  CHECK(lazy.freed() == 0);
}

TEST_CASE("FLUSHDB and FLUSHALL ASYNC hand the keys to the lazy-free thread", "[keys][lazyfree]") {
  EngineFixture f;
  keyspace::LazyFree& lazy = f.engine().keyspace().lazy_free();
  const auto fill = [&](int db, int keys) {
    f.Run({"SELECT", std::to_string(db)});
    for (int i = 0; i < keys; i++) {
      f.Run({"SET", "k:" + std::to_string(i), std::string(100, 'v')});
      if (i % 10 == 0) f.Run({"SADD", "s:" + std::to_string(i), "a", "b"});
    }
  };
  fill(0, 5000);
  const size_t before = engine::Engine::UsedMemory();
  CHECK(f.Run({"FLUSHDB", "ASYNC"}) == kOk);
  CHECK(f.Run({"DBSIZE"}) == Int(0));  // gone at once, freed or not
  CHECK(f.Run({"SET", "k:1", "new"}) == kOk);
  REQUIRE(WaitLazyFreeIdle(lazy));
  CHECK(lazy.freed() == 5500);
  CHECK(engine::Engine::UsedMemory() < before - 5000 * 100);
  CHECK(f.Run({"GET", "k:1"}) == Bulk("new"));

  // FLUSHALL ASYNC: every database; a database of a few keys is freed at once.
  fill(0, 3000);
  fill(1, 10);
  CHECK(f.Run({"FLUSHALL", "ASYNC"}) == kOk);
  CHECK(f.Run({"DBSIZE"}) == Int(0));
  f.Run({"SELECT", "0"});
  CHECK(f.Run({"DBSIZE"}) == Int(0));
  REQUIRE(WaitLazyFreeIdle(lazy));
  CHECK(lazy.freed() == 5500 + 3300);
  // SYNC and no argument free on the loop thread.
  fill(0, 1000);
  CHECK(f.Run({"FLUSHALL", "SYNC"}) == kOk);
  fill(0, 1000);
  CHECK(f.Run({"FLUSHDB"}) == kOk);
  CHECK(lazy.freed() == 5500 + 3300);
  CHECK(f.Run({"FLUSHALL", "LAZY"}).rfind("-ERR syntax error", 0) == 0);
}

}  // namespace
}  // namespace tidekv::commands
