// HyperLogLog commands (commands/hyperloglog.cc): replies, error texts and stored bytes as
// Redis 7.0.15 gives them (the byte vectors come from a real redis-server), and the write
// path: effects, key events and the dirty counter only for real changes, PFCOUNT's cache
// write propagated as the bytes it wrote.
#include "ds/hyperloglog.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

const std::string kNotHll = Err("WRONGTYPE Key is not a valid HyperLogLog string value.");
const std::string kCorrupt = Err("INVALIDOBJ Corrupted HLL object detected");
const std::string kWrongType =
    Err("WRONGTYPE Operation against a key holding the wrong kind of value");

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

class KeyEvents : public engine::KeyEventListener {
 public:
  void OnKeyModified(int, Entry* entry) override { keys.emplace_back(entry->key()); }
  void OnKeyDeleted(int, std::string_view key) override { keys.emplace_back(key); }
  std::vector<std::string> keys;
};

struct Fixture {
  Fixture() {
    f.engine().set_effect_sink(&sink);
    f.engine().AddKeyListener(&events);
  }
  ~Fixture() { f.engine().RemoveKeyListener(&events); }
  uint64_t Dirty() { return f.engine().stats().dirty; }
  std::vector<std::string> Effects() { return sink.Take(); }
  std::vector<std::string> Events() { return std::exchange(events.keys, {}); }
  EngineFixture f;
  RecordingSink sink;
  KeyEvents events;
};

using V = std::vector<std::string>;

TEST_CASE("PFADD and PFCOUNT store Redis's bytes and cache the count", "[hll]") {
  Fixture x;
  CHECK(x.f.Run({"PFADD", "hll"}) == Int(1));
  CHECK(x.f.Run({"TYPE", "hll"}) == "+string\r\n");
  CHECK(x.f.Run({"OBJECT", "ENCODING", "hll"}) == Bulk("raw"));
  CHECK(x.f.Run({"GET", "hll"}) == Bulk(Unhex("48594c4c0100000000000000000000807fff")));
  CHECK(x.f.Run({"PFADD", "hll", "a", "b", "c"}) == Int(1));
  CHECK(x.f.Run({"GET", "hll"}) ==
        Bulk(Unhex("48594c4c01000000000000000000008060f38050b1844bfb80425a")));
  CHECK(x.Effects() == V{"0: PFADD hll", "0: PFADD hll a b c"});
  CHECK(x.Events() == V{"hll", "hll"});

  // Nothing raised: no write at all.
  const uint64_t dirty = x.Dirty();
  CHECK(x.f.Run({"PFADD", "hll", "a", "b", "c"}) == Int(0));
  CHECK(x.Dirty() == dirty);
  CHECK(x.Effects().empty());
  CHECK(x.Events().empty());

  // The first count is cached in the value, and that write is replicated as its bytes.
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == Int(3));
  CHECK(x.f.Run({"GET", "hll"}) ==
        Bulk(Unhex("48594c4c01000000030000000000000060f38050b1844bfb80425a")));
  CHECK(x.Dirty() == dirty + 1);
  CHECK(x.Effects() == V{"0: SETRANGE hll 8 " + Unhex("0300000000000000")});
  CHECK(x.Events() == V{"hll"});
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == Int(3));
  CHECK(x.Effects().empty());
  CHECK(x.Events().empty());

  // An update marks the cache invalid (high bit of its last byte) and keeps the old count.
  CHECK(x.f.Run({"PFADD", "hll", "d", ""}) == Int(1));
  CHECK(x.f.Run({"GETRANGE", "hll", "15", "15"}) == Bulk("\x80"));
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == Int(5));
  CHECK(x.f.Run({"GET", "hll"}) ==
        Bulk(Unhex("48594c4c01000000050000000000000057318445488044768050b1844bfb80425a")));
  CHECK(x.f.Run({"PFCOUNT", "nosuch"}) == Int(0));
  CHECK(x.f.Run({"EXISTS", "nosuch"}) == Int(0));
}

TEST_CASE("PFCOUNT of several keys and PFMERGE", "[hll]") {
  Fixture x;
  x.f.Run({"PFADD", "h1", "a", "b", "c"});
  x.f.Run({"PFADD", "h2", "b", "c", "d"});
  x.f.Run({"PFADD", "h3", "c", "d", "e"});
  x.Effects();
  x.Events();
  CHECK(x.f.Run({"PFCOUNT", "h1", "h2", "h3", "nosuch"}) == Int(5));
  CHECK(x.Effects().empty());  // a union writes nothing, not even caches
  CHECK(x.f.Run({"GETRANGE", "h1", "15", "15"}) == Bulk("\x80"));
  CHECK(x.f.Run({"PFMERGE", "h", "h1", "h2", "h3"}) == kOk);
  CHECK(x.f.Run({"PFCOUNT", "h"}) == Int(5));
  CHECK(x.Effects() == V{"0: PFMERGE h h1 h2 h3", "0: SETRANGE h 8 " + Unhex("0500000000000000")});
  // PFMERGE always counts as a write, as in Redis, even when nothing changes.
  CHECK(x.f.Run({"PFMERGE", "h", "h1"}) == kOk);
  CHECK(x.Effects() == V{"0: PFMERGE h h1"});
  CHECK(x.f.Run({"PFMERGE", "empty"}) == kOk);
  CHECK(x.f.Run({"PFCOUNT", "empty"}) == Int(0));

  // A dense source makes the destination dense.
  x.f.Run({"PFADD", "d", "x"});
  x.f.Run({"PFDEBUG", "TODENSE", "d"});
  CHECK(x.f.Run({"PFMERGE", "m", "h1", "d"}) == kOk);
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "m"}) == "+dense\r\n");
  CHECK(x.f.Run({"PFCOUNT", "m"}) == Int(4));
}

TEST_CASE("HLL type checks and damaged values", "[hll]") {
  Fixture x;
  x.f.Run({"SET", "str", "bar"});
  x.f.Run({"LPUSH", "list", "a"});
  CHECK(x.f.Run({"PFADD", "str", "1"}) == kNotHll);
  CHECK(x.f.Run({"PFCOUNT", "str"}) == kNotHll);
  CHECK(x.f.Run({"PFMERGE", "dst", "str"}) == kNotHll);
  CHECK(x.f.Run({"PFMERGE", "str", "dst"}) == kNotHll);
  CHECK(x.f.Run({"EXISTS", "dst"}) == Int(0));
  CHECK(x.f.Run({"PFADD", "list", "1"}) == kWrongType);
  CHECK(x.f.Run({"PFCOUNT", "list"}) == kWrongType);
  CHECK(x.f.Run({"PFCOUNT", "nosuch", "list"}) == kWrongType);
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "list"}) == kWrongType);

  x.f.Run({"PFADD", "hll", "a", "b", "c"});
  x.f.Run({"APPEND", "hll", "hello"});  // runs past 16384 registers
  x.Effects();
  const std::string before = x.f.Run({"GET", "hll"});
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == kCorrupt);
  CHECK(x.f.Run({"PFCOUNT", "hll", "nosuch"}) == kCorrupt);
  CHECK(x.f.Run({"PFMERGE", "out", "hll"}) == kCorrupt);
  CHECK(x.f.Run({"PFDEBUG", "TODENSE", "hll"}) == kCorrupt);
  CHECK(x.f.Run({"PFDEBUG", "GETREG", "hll"}) == kCorrupt);
  CHECK(x.f.Run({"GET", "hll"}) == before);
  CHECK(x.Effects().empty());
  // PFADD edits the registers it finds before the damage, as Redis does (its bytes).
  CHECK(x.f.Run({"PFADD", "hll", "zz"}) == Int(1));
  CHECK(x.f.Run({"GET", "hll"}) ==
        Bulk(Unhex("48594c4c0100000000000000000000804ad98056188050b1844bfb80425a68656c6c6f")));
  CHECK(x.Effects() == V{"0: PFADD hll zz"});
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == kCorrupt);

  // An XZERO cut off by the end reads its missing byte as 0, as in Redis (which reads the
  // NUL after the string): here that makes 255 + 16129 = 16384 registers.
  const std::string cut = Unhex("48594c4c0100000000000000000000803f3f3f3e7f");
  x.f.Run({"SET", "cut", cut});
  CHECK(x.f.Run({"PFDEBUG", "DECODE", "cut"}) == Bulk("z:64 z:64 z:64 z:63 Z:16129"));
  CHECK(x.f.Run({"PFADD", "cut", "a"}) == Int(1));
  CHECK(x.f.Run({"GET", "cut"}) == Bulk(Unhex("48594c4c0100000000000000000000803f3f3f3e70a7844e")));

  // An element whose register lies beyond a short payload: INVALIDOBJ, and the elements
  // before it in the same PFADD are undone (Redis keeps them, unpropagated).
  std::string beyond;
  for (int i = 0; beyond.empty(); i++) {
    if (ds::hll::PatternOf(std::to_string(i)).index > 16128) beyond = std::to_string(i);
  }
  x.f.Run({"SET", "short", Unhex("48594c4c0100000000000000000000807f00")});  // 16129 only
  x.Effects();
  CHECK(x.f.Run({"PFADD", "short", "a", beyond}) == kCorrupt);
  CHECK(x.f.Run({"GET", "short"}) == Bulk(Unhex("48594c4c0100000000000000000000807f00")));
  CHECK(x.f.Run({"PFADD", "short"}) == Int(0));
  CHECK(x.Effects().empty());

  x.f.Run({"SETRANGE", "hll", "0", "0123"});
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == kNotHll);
  x.f.Run({"DEL", "hll"});
  x.f.Run({"PFADD", "hll", "a"});
  x.f.Run({"SETRANGE", "hll", "4", std::string(1, '\0')});  // dense tag, sparse length
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == kNotHll);
}

TEST_CASE("PFDEBUG and PFSELFTEST", "[hll]") {
  Fixture x;
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "nosuch"}) == Err("ERR The specified key does not exist"));
  x.f.Run({"PFADD", "hll", "x", "y"});
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "hll"}) == "+sparse\r\n");
  x.f.Run({"PFADD", "five", "a", "b", "c", "d", ""});
  CHECK(x.f.Run({"PFDEBUG", "DECODE", "five"}) ==
        Bulk("Z:5938 v:2,1 Z:1353 v:1,1 Z:1143 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603"));
  CHECK(x.f.Run({"PFDEBUG", "NOPE", "hll"}) == Err("ERR Unknown PFDEBUG subcommand 'NOPE'"));
  x.Effects();
  CHECK(x.f.Run({"PFDEBUG", "TODENSE", "hll"}) == Int(1));
  CHECK(x.Effects() == V{"0: PFDEBUG TODENSE hll"});
  CHECK(x.f.Run({"PFDEBUG", "TODENSE", "hll"}) == Int(0));
  CHECK(x.Effects().empty());
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "hll"}) == "+dense\r\n");
  CHECK(x.f.Run({"STRLEN", "hll"}) == Int(12304));
  CHECK(x.f.Run({"PFDEBUG", "DECODE", "hll"}) == Err("ERR HLL encoding is not sparse"));
  CHECK(x.f.Run({"PFCOUNT", "hll"}) == Int(2));

  x.f.Run({"PFADD", "s", "a", "b", "c"});
  const std::vector<std::string> regs = Elements(x.f.Run({"PFDEBUG", "GETREG", "s"}));
  CHECK(regs.size() == 16384);
  CHECK(std::count_if(regs.begin(), regs.end(), [](const std::string& r) { return r != "0"; }) ==
        3);
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "s"}) == "+dense\r\n");  // GETREG converts

  CHECK(x.f.Run({"PFSELFTEST"}) == kOk);
}

TEST_CASE("hll-sparse-max-bytes decides when a sketch turns dense", "[hll]") {
  Fixture x;
  CHECK(x.f.Run({"CONFIG", "GET", "hll-sparse-max-bytes"}) ==
        "*2\r\n" + Bulk("hll-sparse-max-bytes") + Bulk("3000"));
  CHECK(x.f.Run({"CONFIG", "SET", "hll-sparse-max-bytes", "30"}) == kOk);
  x.f.Run({"PFADD", "small", "a"});
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "small"}) == "+sparse\r\n");
  x.f.Run({"PFADD", "small", "b", "c", "d", "e"});
  CHECK(x.f.Run({"PFDEBUG", "ENCODING", "small"}) == "+dense\r\n");
  CHECK(x.f.Run({"PFCOUNT", "small"}) == Int(5));
  CHECK(x.f.Run({"CONFIG", "SET", "hll-sparse-max-bytes", "3kb"}) == kOk);
  CHECK(x.f.Run({"CONFIG", "GET", "hll-sparse-max-bytes"}) ==
        "*2\r\n" + Bulk("hll-sparse-max-bytes") + Bulk("3072"));
}

TEST_CASE("HLL rows as Redis 7.0 describes them", "[hll]") {
  EngineFixture f;
  CHECK(Elements(f.Run({"COMMAND", "INFO", "pfadd"})) ==
        V{"pfadd",     "-2",      "write", "denyoom", "fast",
          "1",         "1",       "1",     "@write",  "@hyperloglog",
          "@fast",     "flags",   "RW",    "insert",  "begin_search",
          "type",      "index",   "spec",  "index",   "1",
          "find_keys", "type",    "range", "spec",    "lastkey",
          "0",         "keystep", "1",     "limit",   "0"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYSANDFLAGS", "pfmerge", "d", "s1", "s2"})) ==
        V{"d", "RW", "access", "insert", "s1", "RO", "access", "s2", "RO", "access"});
  CHECK(Elements(f.Run({"COMMAND", "GETKEYS", "pfdebug", "getreg", "k"})) == V{"k"});
}

}  // namespace
}  // namespace tidekv::commands
