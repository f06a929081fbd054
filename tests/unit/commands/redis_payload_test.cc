// RESTORE of payloads made by Redis's own DUMP (types/redis_payload.h), through the
// in-process engine. The payloads were recorded from redis-server 7.0.15 (with
// zset-max-listpack-entries 2, hash-max-listpack-entries 1 and list-max-listpack-size 4, so
// that small values take the large encodings too); the test does not need Redis.
#include "types/redis_payload.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

using V = std::vector<std::string>;

std::string Unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Replaces the trailer's CRC-64 with the right one for the bytes before it (for payloads
// changed on purpose).
std::string Reseal(std::string payload) {
  const size_t at = payload.size() - 8;
  uint64_t crc = types::RedisCrc64(std::string_view(payload).substr(0, at));
  for (int i = 0; i < 8; i++) payload[at + i] = static_cast<char>(crc >> (8 * i));
  return payload;
}

// DUMP payloads of redis-server 7.0.15, by OBJECT ENCODING there.
const std::string kString = Unhex("000568656c6c6f0a006372df766534200a");  // "hello", embstr
const std::string kInt = Unhex("00c1c7cf0a0067eda236b4db26d0");           // -12345, int
const std::string kLzf =  // "abc" x 100, raw: LZF-compressed in the payload
    Unhex("00c30e412c0361626361e0ff02e115070162630a00d25733cec044e12b");
const std::string kQuicklist = Unhex(  // 9 elements in 3 listpack nodes
    "1203021111000000040081610281620201010201ff02c31b407913790000000400c12c02dffb02f270110104"
    "e06478e05a000166ff0211110000000100f4ffe30b540200000009ff0a008207b9f20d1f4293");
const std::string kIntset =
    Unhex("0b1c04000000050000009cffffff010000000200000003000000701101000a009f4dd5a629d01743");
const std::string kSetTable = Unhex("02030161016301620a000d7e8a014cfe326c");  // a b c
const std::string kZSetListpack =
    Unhex("1115150000000400816302842d696e66058161020101ff0a0094d85ed18f145256");
const std::string kZSetSkiplist = Unhex(
    "050401649c7500883ce4377e016200000000000004400161000000000000f03f0163000000000000f0ff0a00"
    "4a381de30fd62dff");
const std::string kHashListpack = Unhex("100f0f00000002008266310382763103ff0a005e9922ca42314c99");
const std::string kHashTable = Unhex("0403026631027631026632c002026633000a00b722806ac83fdc8a");
// XADD stream 1-1 f v.
const std::string kStream = Unhex(
    "130110000000000000000100000000000000011d1d0000000a0001010001010181660200010201000100018176"
    "020401ff0101010101000001000a00ff55ab626ac035db");

// XADD s 1-1 a 1 b 2, 1-2 a 3 b 4, 2-1 c 5, 3-1 a 6 b 7; XDEL s 1-2; XGROUP CREATE s g1 0 and
// g2 $; XREADGROUP GROUP g1 alice COUNT 2, then bob COUNT 1; XACK s g1 1-1; XGROUP
// CREATECONSUMER s g2 carol.
const std::string kStreamGroups = Unhex(
    "13011000000000000000010000000000000001c33f404812480000001f0003010101020181610281620200200900"
    "002001401102050103600902030104200b40134003058163020501062026402802060107201a00ff0303010101"
    "01020402026731030104020000000000000002000000000000000109e66d52a2010000010000000000000003000"
    "000000000000109e66d52a2010000010205616c69636509e66d52a2010000010000000000000002000000000000"
    "000103626f6209e66d52a20100000100000000000000030000000000000001026732030181ffffffffffffffff"
    "0001056361726f6c09e66d52a2010000000a0082944e4c5b408657");
// A Redis 6 stream (RDB type 15, version 9), made from 7.0's DUMP of XADD t 1-1 a 1, 2-1 a 2,
// 3-1 a 3; XDEL t 2-1; XGROUP CREATE t g 1-1 by removing what type 15 lacks (first ID,
// largest deleted ID, entries added, the group's read counter) and sealing it again.
const std::string kStreamRedis6 = Unhex(
    "0f011000000000000000010000000000000001303000000014000201010101018161020001020100010001010104"
    "010301010100010201040102010201000103010401ff0203010101670101000009004758c2d76bcd4f9a");

// XADD n 1000-5 a 1, 1001-0 a 2, 1001-1 b 3: in one node, the second entry's sequence is 5
// below the node's first ID's (a negative difference).
const std::string kStreamSeqBack = Unhex(
    "13011000000000000003e800000000000000053737000000160003010001010181610200010201000100010101"
    "040102010101dffb020201040100010101dffc02010181620203010601ff0343e90143e805000003000a0089ae"
    "3902ea49d6d5");

// The value after `name` in a flattened reply (XINFO's field/value maps), or "".
std::string After(const std::vector<std::string>& elements, const std::string& name) {
  for (size_t i = 0; i + 1 < elements.size(); i++) {
    if (elements[i] == name) return elements[i + 1];
  }
  return "";
}

TEST_CASE("Redis's CRC-64 is the Jones polynomial, reflected", "[dump][redis]") {
  CHECK(types::RedisCrc64("123456789") == 0xe9c6d914c4b8d9caULL);
  CHECK(types::IsRedisPayload(kString));
  CHECK_FALSE(types::IsRedisPayload(kString.substr(0, kString.size() - 1)));
  CHECK_FALSE(types::IsRedisPayload("\x01" + kString.substr(1)));
}

TEST_CASE("RESTORE takes every Redis 7.0 DUMP encoding", "[dump][redis]") {
  EngineFixture f;
  const auto restore = [&](const std::string& key, const std::string& payload) {
    return f.Run({"RESTORE", key, "0", payload});
  };
  CHECK(restore("str", kString) == kOk);
  CHECK(f.Run({"GET", "str"}) == Bulk("hello"));
  CHECK(restore("int", kInt) == kOk);
  CHECK(f.Run({"INCR", "int"}) == Int(-12344));
  CHECK(restore("lzf", kLzf) == kOk);
  std::string abc;
  for (int i = 0; i < 100; i++) abc += "abc";
  CHECK(f.Run({"GET", "lzf"}) == Bulk(abc));

  CHECK(restore("list", kQuicklist) == kOk);
  CHECK(Elements(f.Run({"LRANGE", "list", "0", "-1"})) ==
        V{"a", "b", "1", "2", "300", "-5", "70000", std::string(100, 'x'), "9999999999"});
  CHECK(restore("intset", kIntset) == kOk);
  CHECK(Sorted(f.Run({"SMEMBERS", "intset"})) == V{"-100", "1", "2", "3", "70000"});
  CHECK(f.Run({"OBJECT", "ENCODING", "intset"}) == Bulk("intset"));
  CHECK(restore("set", kSetTable) == kOk);
  CHECK(Sorted(f.Run({"SMEMBERS", "set"})) == V{"a", "b", "c"});

  CHECK(restore("zlp", kZSetListpack) == kOk);
  CHECK(Elements(f.Run({"ZRANGE", "zlp", "0", "-1", "WITHSCORES"})) == V{"c", "-inf", "a", "1"});
  CHECK(restore("zsl", kZSetSkiplist) == kOk);
  CHECK(Elements(f.Run({"ZRANGE", "zsl", "0", "-1", "WITHSCORES"})) ==
        V{"c", "-inf", "a", "1", "b", "2.5", "d", "1.0000000000000001e+300"});

  CHECK(restore("hlp", kHashListpack) == kOk);
  CHECK(Sorted(f.Run({"HGETALL", "hlp"})) == V{"f1", "v1"});
  CHECK(restore("hht", kHashTable) == kOk);
  CHECK(f.Run({"HGET", "hht", "f2"}) == Bulk("2"));
  CHECK(f.Run({"HGET", "hht", "f3"}) == Bulk(""));
  CHECK(f.Run({"HLEN", "hht"}) == Int(3));

  // TTL, REPLACE and BUSYKEY as with tidekv's own payloads.
  CHECK(f.Run({"RESTORE", "str", "0", kString}).starts_with("-BUSYKEY"));
  CHECK(f.Run({"RESTORE", "str", "5000", kInt, "REPLACE"}) == kOk);
  CHECK(f.Run({"GET", "str"}) == Bulk("-12345"));
  CHECK(f.Run({"PTTL", "str"}) == Int(5000));
}

TEST_CASE("Redis payloads that cannot be read are refused and change nothing", "[dump][redis]") {
  EngineFixture f;
  const auto restore = [&](const std::string& payload) {
    return f.Run({"RESTORE", "k", "0", payload});
  };
  // A changed byte breaks the checksum.
  std::string flipped = kQuicklist;
  flipped[10] ^= 1;
  CHECK(restore(flipped) == Err("ERR DUMP payload version or checksum are wrong"));
  // A later RDB version than this server reads.
  std::string newer = kString;
  newer[newer.size() - 10] = 12;
  CHECK(restore(Reseal(newer)) == Err("ERR DUMP payload version or checksum are wrong"));
  // A module type (7) is not read: refused as bad data, as Redis refuses what it cannot load.
  std::string module = kString;
  module[0] = 7;
  CHECK(restore(Reseal(module)) == Err("ERR Bad data format"));
  // A stream whose consumer claims an entry its group's PEL lacks ("3-1" becomes "3-2" in
  // carol's... here bob's PEL).
  std::string foreign = kStreamGroups;
  const size_t bob = foreign.find("bob");
  REQUIRE(bob != std::string::npos);
  foreign[bob + 3 + 8 + 1 + 15] = 2;  // name, seen time, count, then the ID's last byte
  CHECK(restore(Reseal(foreign)) == Err("ERR Bad data format"));
  // A body cut short, with a valid checksum; a listpack whose header lies; trailing bytes.
  const std::string cut = kQuicklist.substr(0, 20) + kQuicklist.substr(kQuicklist.size() - 10);
  CHECK(restore(Reseal(cut)) == Err("ERR Bad data format"));
  std::string lying = kZSetListpack;
  lying[2] = 0x30;  // the listpack's total bytes
  CHECK(restore(Reseal(lying)) == Err("ERR Bad data format"));
  const std::string longer =
      kString.substr(0, kString.size() - 10) + "x" + kString.substr(kString.size() - 10);
  CHECK(restore(Reseal(longer)) == Err("ERR Bad data format"));
  // A set whose intset repeats a member.
  std::string repeated = kIntset;
  repeated[2 + 8 + 4] = repeated[2 + 8];  // the second member := the first (-100)
  repeated[2 + 8 + 5] = repeated[2 + 8 + 1];
  repeated[2 + 8 + 6] = repeated[2 + 8 + 2];
  repeated[2 + 8 + 7] = repeated[2 + 8 + 3];
  CHECK(restore(Reseal(repeated)) == Err("ERR Bad data format"));
  CHECK(f.Run({"EXISTS", "k"}) == Int(0));

  // Redis 7.2's set listpack (RDB 11): the members of a listpack, here the zset's four
  // entries read as members.
  std::string set_listpack = kZSetListpack;
  set_listpack[0] = 20;
  set_listpack[set_listpack.size() - 10] = 11;
  CHECK(restore(Reseal(set_listpack)) == kOk);
  CHECK(Sorted(f.Run({"SMEMBERS", "k"})) == V{"-inf", "1", "a", "c"});
}

TEST_CASE("RESTORE takes Redis streams with their consumer groups", "[dump][redis][stream]") {
  EngineFixture f;
  REQUIRE(f.Run({"RESTORE", "one", "0", kStream}) == kOk);
  CHECK(Elements(f.Run({"XRANGE", "one", "-", "+"})) == V{"1-1", "f", "v"});

  REQUIRE(f.Run({"RESTORE", "s", "0", kStreamGroups}) == kOk);
  CHECK(Elements(f.Run({"XRANGE", "s", "-", "+"})) ==
        V{"1-1", "a", "1", "b", "2", "2-1", "c", "5", "3-1", "a", "6", "b", "7"});
  const std::vector<std::string> info = Elements(f.Run({"XINFO", "STREAM", "s"}));
  CHECK(After(info, "length") == "3");
  CHECK(After(info, "last-generated-id") == "3-1");
  CHECK(After(info, "max-deleted-entry-id") == "1-2");
  CHECK(After(info, "entries-added") == "4");
  // g1: alice holds 2-1, bob 3-1 (1-1 was acknowledged); g2 has carol and nothing pending.
  CHECK(Elements(f.Run({"XPENDING", "s", "g1"})) == V{"2", "2-1", "3-1", "alice", "1", "bob", "1"});
  const std::string detail = f.Run({"XPENDING", "s", "g1", "-", "+", "10"});
  CHECK(Elements(detail)[0] == "2-1");
  CHECK(Elements(detail)[1] == "alice");
  CHECK(Elements(detail)[3] == "1");  // deliveries
  const std::vector<std::string> groups = Elements(f.Run({"XINFO", "GROUPS", "s"}));
  CHECK(After(groups, "name") == "g1");
  CHECK(After(groups, "last-delivered-id") == "3-1");
  CHECK(After(groups, "pending") == "2");
  CHECK(Elements(f.Run({"XINFO", "CONSUMERS", "s", "g2"}))[1] == "carol");
  // The group goes on from where it was: the next entry is delivered to g1 once.
  CHECK(f.Run({"XADD", "s", "4-1", "a", "8"}) == Bulk("4-1"));
  CHECK(Elements(f.Run({"XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "s", ">"})) ==
        V{"s", "4-1", "a", "8"});

  REQUIRE(f.Run({"RESTORE", "n", "0", kStreamSeqBack}) == kOk);
  CHECK(Elements(f.Run({"XRANGE", "n", "-", "+"})) ==
        V{"1000-5", "a", "1", "1001-0", "a", "2", "1001-1", "b", "3"});

  // Redis 6's layout: the entries count as all ever added, and the group's read counter is
  // estimated from its last ID, as Redis does when it loads one.
  REQUIRE(f.Run({"RESTORE", "t", "0", kStreamRedis6}) == kOk);
  CHECK(Elements(f.Run({"XRANGE", "t", "-", "+"})) == V{"1-1", "a", "1", "3-1", "a", "3"});
  const std::vector<std::string> old = Elements(f.Run({"XINFO", "STREAM", "t", "FULL"}));
  CHECK(After(old, "entries-added") == "2");
  CHECK(After(old, "max-deleted-entry-id") == "0-0");
  CHECK(After(old, "entries-read") == "1");
  CHECK(After(old, "lag") == "1");
}

// Redis 6's ziplist, built by hand (Redis 7 writes none): every entry encoding, and a
// previous-entry length of 1 and of 5 bytes.
class Ziplist {
 public:
  Ziplist& Str(std::string_view s) {
    std::string e = Prev();
    if (s.size() < 64) {
      e.push_back(static_cast<char>(s.size()));
    } else if (s.size() < 16384) {
      e.push_back(static_cast<char>(0x40 | (s.size() >> 8)));
      e.push_back(static_cast<char>(s.size() & 0xff));
    } else {
      e.push_back('\x80');
      for (int i = 3; i >= 0; i--) e.push_back(static_cast<char>(s.size() >> (8 * i)));
    }
    return Add(e + std::string(s));
  }
  Ziplist& Int(int64_t v) {
    std::string e = Prev();
    int bytes = 8;
    if (v >= 0 && v <= 12) {
      e.push_back(static_cast<char>(0xf1 + v));
      bytes = 0;
    } else if (v >= INT8_MIN && v <= INT8_MAX) {
      e.push_back('\xfe');
      bytes = 1;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      e.push_back('\xc0');
      bytes = 2;
    } else if (v >= -(1 << 23) && v < (1 << 23)) {
      e.push_back('\xf0');
      bytes = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      e.push_back('\xd0');
      bytes = 4;
    } else {
      e.push_back('\xe0');
    }
    for (int i = 0; i < bytes; i++)
      e.push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
    return Add(e);
  }
  std::string Build() const {
    std::string out;
    for (uint64_t v : {uint64_t{10 + entries_.size() + 1}, uint64_t{10 + last_}}) {
      for (int i = 0; i < 4; i++) out.push_back(static_cast<char>(v >> (8 * i)));
    }
    out.push_back(static_cast<char>(count_ & 0xff));
    out.push_back(static_cast<char>(count_ >> 8));
    return out + entries_ + "\xff";
  }

 private:
  std::string Prev() const {
    std::string p;
    if (prev_ < 254) {
      p.push_back(static_cast<char>(prev_));
    } else {
      p.push_back('\xfe');
      for (int i = 0; i < 4; i++) p.push_back(static_cast<char>(prev_ >> (8 * i)));
    }
    return p;
  }
  Ziplist& Add(const std::string& e) {
    last_ = entries_.size();
    entries_ += e;
    prev_ = e.size();
    count_++;
    return *this;
  }
  std::string entries_;
  size_t prev_ = 0, last_ = 0, count_ = 0;
};

// An RDB string holding `bytes` (a plain length prefix).
std::string RdbString(std::string_view bytes) {
  std::string out;
  if (bytes.size() < 64) {
    out.push_back(static_cast<char>(bytes.size()));
  } else if (bytes.size() < 16384) {
    out.push_back(static_cast<char>(0x40 | (bytes.size() >> 8)));
    out.push_back(static_cast<char>(bytes.size() & 0xff));
  } else {
    out.push_back('\x80');
    for (int i = 3; i >= 0; i--) out.push_back(static_cast<char>(bytes.size() >> (8 * i)));
  }
  return out + std::string(bytes);
}

// A Redis 6 payload (RDB version 9) of one object.
std::string Redis6Payload(uint8_t type, const std::string& object) {
  return Reseal(std::string(1, static_cast<char>(type)) + object + "\x09" + std::string(9, '\0'));
}

TEST_CASE("RESTORE takes Redis 6's ziplist, quicklist and zipmap payloads", "[dump][redis]") {
  EngineFixture f;
  const std::string long_string(300, 'L');  // the entry after it has a 5-byte previous length
  const std::string list = Ziplist()
                               .Str("a")
                               .Str("")
                               .Str(long_string)
                               .Int(12)
                               .Int(0)
                               .Int(-1)
                               .Int(127)
                               .Int(-30000)
                               .Int(8000000)
                               .Int(int64_t{1} << 40)
                               .Int(INT64_MIN)
                               .Str(std::string(70, 'm'))
                               .Build();
  const V elements = {"a",
                      "",
                      long_string,
                      "12",
                      "0",
                      "-1",
                      "127",
                      "-30000",
                      "8000000",
                      "1099511627776",
                      "-9223372036854775808",
                      std::string(70, 'm')};
  CHECK(f.Run({"RESTORE", "zl", "0", Redis6Payload(10, RdbString(list))}) == kOk);
  CHECK(Elements(f.Run({"LRANGE", "zl", "0", "-1"})) == elements);
  // Quicklist (type 14): nodes that are ziplists.
  const std::string second = Ziplist().Str("x").Int(5).Build();
  CHECK(f.Run({"RESTORE", "ql", "0",
               Redis6Payload(14, "\x02" + RdbString(list) + RdbString(second))}) == kOk);
  V both = elements;
  both.push_back("x");
  both.push_back("5");
  CHECK(Elements(f.Run({"LRANGE", "ql", "0", "-1"})) == both);

  const std::string hash = Ziplist().Str("f1").Str("v1").Str("f2").Int(12).Build();
  CHECK(f.Run({"RESTORE", "h", "0", Redis6Payload(13, RdbString(hash))}) == kOk);
  CHECK(Sorted(f.Run({"HGETALL", "h"})) == V{"12", "f1", "f2", "v1"});
  const std::string zset = Ziplist().Str("a").Str("1.5").Str("b").Int(3).Build();
  CHECK(f.Run({"RESTORE", "z", "0", Redis6Payload(12, RdbString(zset))}) == kOk);
  CHECK(Elements(f.Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"})) == V{"a", "1.5", "b", "3"});
  // Zipmap (hashes before Redis 2.6): count, then field, value (with its free bytes).
  std::string zipmap = "\x02";  // count
  zipmap +=
      "\x02"
      "f1";                                // field
  zipmap += std::string("\x02\x00v1", 4);  // value: length, free bytes, value
  zipmap +=
      "\x01"
      "g";
  zipmap +=
      "\x03\x02"
      "abc"
      "zz";  // a value with 2 free bytes after it
  zipmap += "\xff";
  CHECK(f.Run({"RESTORE", "zm", "0", Redis6Payload(9, RdbString(zipmap))}) == kOk);
  CHECK(Sorted(f.Run({"HGETALL", "zm"})) == V{"abc", "f1", "g", "v1"});

  // Damage: a wrong previous-entry length, a wrong total, a repeated hash field.
  std::string wrong_prev = hash;
  wrong_prev[10 + 4] = 9;  // the second entry's previous length (the first is 4 bytes)
  CHECK(f.Run({"RESTORE", "d", "0", Redis6Payload(13, RdbString(wrong_prev))}) ==
        Err("ERR Bad data format"));
  std::string wrong_total = list;
  wrong_total[0] = static_cast<char>(wrong_total[0] + 1);
  CHECK(f.Run({"RESTORE", "d", "0", Redis6Payload(10, RdbString(wrong_total))}) ==
        Err("ERR Bad data format"));
  const std::string repeated = Ziplist().Str("f").Str("1").Str("f").Str("2").Build();
  CHECK(f.Run({"RESTORE", "d", "0", Redis6Payload(13, RdbString(repeated))}) ==
        Err("ERR Bad data format"));
  CHECK(f.Run({"EXISTS", "d"}) == Int(0));
}

}  // namespace
}  // namespace tidekv::commands
