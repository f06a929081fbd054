// Hash field expiry (commands/hash_expire.cc, keyspace/field_expiry.cc) through the
// in-process engine: replies and Redis 7.4's error texts, conditions, the effects replicas
// and the log get, lazy and active removal, and what carries the expiries (COPY, RENAME,
// the codec, the digest).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"
#include "types/hash.h"

namespace tidekv::commands {
namespace {

struct Fixture {
  Fixture() {
    f.clock().SetMs(kNow);
    f.engine().set_effect_sink(&effects);
    f.Run({"HSET", "h", "a", "1", "b", "2", "c", "3"});
    effects.Take();
  }
  static constexpr int64_t kNow = 1'700'000'000'000;
  EngineFixture f;
  RecordingSink effects{/*with_db=*/false};
};

using V = std::vector<std::string>;

TEST_CASE("HEXPIRE family sets field times and answers per field", "[hash][hexpire]") {
  Fixture x;
  CHECK(Elements(x.f.Run({"HEXPIRE", "h", "100", "FIELDS", "2", "a", "zz"})) == V{"1", "-2"});
  CHECK(Elements(x.f.Run({"HPEXPIRE", "h", "5500", "FIELDS", "1", "b"})) == V{"1"});
  CHECK(Elements(x.f.Run({"HEXPIREAT", "h", "1700000200", "FIELDS", "1", "c"})) == V{"1"});
  CHECK(x.effects.Take() == V{"HPEXPIREAT h 1700000100000 FIELDS 1 a",
                              "HPEXPIREAT h 1700000005500 FIELDS 1 b",
                              "HPEXPIREAT h 1700000200000 FIELDS 1 c"});
  CHECK(Elements(x.f.Run({"HTTL", "h", "FIELDS", "4", "a", "b", "c", "zz"})) ==
        V{"100", "6", "200", "-2"});  // seconds round up, as Redis
  CHECK(Elements(x.f.Run({"HPTTL", "h", "FIELDS", "1", "b"})) == V{"5500"});
  CHECK(Elements(x.f.Run({"HEXPIRETIME", "h", "FIELDS", "1", "b"})) == V{"1700000006"});
  CHECK(Elements(x.f.Run({"HPEXPIRETIME", "h", "FIELDS", "1", "b"})) == V{"1700000005500"});
  CHECK(Elements(x.f.Run({"HTTL", "nokey", "FIELDS", "2", "a", "b"})) == V{"-2", "-2"});
  CHECK(Elements(x.f.Run({"HEXPIRE", "nokey", "10", "FIELDS", "1", "a"})) == V{"-2"});
  CHECK(x.f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpackex"));
  CHECK(x.effects.Take().empty());
}

TEST_CASE("NX XX GT LT decide per field, no expiry counts as forever", "[hash][hexpire]") {
  Fixture x;
  x.f.Run({"HEXPIRE", "h", "100", "FIELDS", "1", "a"});
  x.effects.Take();
  CHECK(Elements(x.f.Run({"HEXPIRE", "h", "50", "NX", "FIELDS", "2", "a", "b"})) == V{"0", "1"});
  CHECK(Elements(x.f.Run({"HEXPIRE", "h", "60", "XX", "FIELDS", "2", "a", "c"})) == V{"1", "0"});
  CHECK(Elements(x.f.Run({"HEXPIRE", "h", "70", "GT", "FIELDS", "3", "a", "b", "c"})) ==
        V{"1", "1", "0"});
  CHECK(Elements(x.f.Run({"HEXPIRE", "h", "65", "LT", "FIELDS", "3", "a", "b", "c"})) ==
        V{"1", "1", "1"});
  CHECK(Elements(x.f.Run({"HTTL", "h", "FIELDS", "3", "a", "b", "c"})) == V{"65", "65", "65"});
  // Only the fields it changed are propagated.
  CHECK(x.effects.Take() ==
        V{"HPEXPIREAT h 1700000050000 FIELDS 1 b", "HPEXPIREAT h 1700000060000 FIELDS 1 a",
          "HPEXPIREAT h 1700000070000 FIELDS 2 a b", "HPEXPIREAT h 1700000065000 FIELDS 3 a b c"});
}

TEST_CASE("a time already past deletes the field (2) and propagates HDEL", "[hash][hexpire]") {
  Fixture x;
  CHECK(Elements(x.f.Run({"HEXPIRE", "h", "0", "FIELDS", "2", "a", "zz"})) == V{"2", "-2"});
  CHECK(Elements(x.f.Run({"HPEXPIREAT", "h", "1", "FIELDS", "1", "b"})) == V{"2"});
  CHECK(x.effects.Take() == V{"HDEL h a", "HDEL h b"});
  CHECK(Elements(x.f.Run({"HEXPIRE", "h", "0", "FIELDS", "1", "c"})) == V{"2"});
  CHECK(x.f.Run({"EXISTS", "h"}) == Int(0));
}

TEST_CASE("HEXPIRE argument errors use Redis's texts", "[hash][hexpire]") {
  Fixture x;
  CHECK(x.f.Run({"HEXPIRE", "h", "x", "FIELDS", "1", "a"}) == Err(err::kNotInteger));
  CHECK(x.f.Run({"HEXPIRE", "h", "-1", "FIELDS", "1", "a"}) ==
        Err("ERR invalid expire time, must be >= 0"));
  CHECK(x.f.Run({"HEXPIRE", "h", "281474976711", "FIELDS", "1", "a"}) ==
        Err("ERR invalid expire time in 'hexpire' command"));
  CHECK(x.f.Run({"HPEXPIREAT", "h", "281474976710656", "FIELDS", "1", "a"}) ==
        Err("ERR invalid expire time in 'hpexpireat' command"));
  CHECK(x.f.Run({"HEXPIRE", "h", "10", "FIELD", "1", "a"}) ==
        Err("ERR Mandatory argument FIELDS is missing or not at the right position"));
  CHECK(x.f.Run({"HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1"}) ==
        Err("ERR Mandatory argument FIELDS is missing or not at the right position"));
  CHECK(x.f.Run({"HEXPIRE", "h", "10", "FIELDS", "0", "a"}) ==
        Err("ERR Parameter `numFields` should be greater than 0"));
  CHECK(x.f.Run({"HEXPIRE", "h", "10", "FIELDS", "2", "a"}) ==
        Err("ERR The `numfields` parameter must match the number of arguments"));
  CHECK(x.f.Run({"HTTL", "h", "FIELDS", "x", "a"}) ==
        Err("ERR Number of fields must be a positive integer"));
  CHECK(x.f.Run({"HPERSIST", "h", "FIELDS", "3", "a"}) ==
        Err("ERR The `numfields` parameter must match the number of arguments"));
  x.f.Run({"SET", "s", "v"});
  CHECK(x.f.Run({"HEXPIRE", "s", "10", "FIELDS", "1", "a"}) == Err(err::kWrongType));
  CHECK(x.f.Run({"HTTL", "s", "FIELDS", "1", "a"}) == Err(err::kWrongType));
  CHECK(x.effects.Take() == V{"SET s v"});
}

TEST_CASE("HPERSIST removes times, HSET drops a field's time, HINCRBY keeps it",
          "[hash][hexpire]") {
  Fixture x;
  x.f.Run({"HEXPIRE", "h", "100", "FIELDS", "3", "a", "b", "c"});
  x.effects.Take();
  CHECK(Elements(x.f.Run({"HPERSIST", "h", "FIELDS", "3", "a", "a", "zz"})) == V{"1", "-1", "-2"});
  CHECK(x.effects.Take() == V{"HPERSIST h FIELDS 3 a a zz"});
  CHECK(Elements(x.f.Run({"HPERSIST", "h", "FIELDS", "1", "a"})) == V{"-1"});
  CHECK(x.effects.Take().empty());
  x.f.Run({"HSET", "h", "b", "20"});
  x.f.Run({"HINCRBY", "h", "c", "5"});
  CHECK(Elements(x.f.Run({"HTTL", "h", "FIELDS", "2", "b", "c"})) == V{"-1", "100"});
  x.effects.Take();
  // HINCRBYFLOAT's effect is an HSET, so the kept time follows it, in one atomic group.
  CHECK(x.f.Run({"HINCRBYFLOAT", "h", "c", "0.5"}) == Bulk("8.5"));
  CHECK(x.effects.Take() ==
        V{"TIDEKV.GROUP 2 0 4 HSET h c 8.5 0 6 HPEXPIREAT h 1700000100000 FIELDS 1 c"});
  CHECK(x.f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpackex"));
  x.f.Run({"HPERSIST", "h", "FIELDS", "1", "c"});
  CHECK(x.f.Run({"OBJECT", "ENCODING", "h"}) == Bulk("listpack"));
}

TEST_CASE("a lookup deletes due fields and propagates HDEL, the last one takes the key",
          "[hash][hexpire]") {
  Fixture x;
  x.f.Run({"HPEXPIRE", "h", "100", "FIELDS", "2", "a", "b"});
  x.effects.Take();
  x.f.clock().AdvanceMs(99);
  CHECK(x.f.Run({"HLEN", "h"}) == Int(3));
  x.f.clock().AdvanceMs(1);
  CHECK(x.f.Run({"HLEN", "h"}) == Int(1));
  CHECK(Sorted(x.f.Run({"HGETALL", "h"})) == V{"3", "c"});
  const V hdel = x.effects.Take();
  REQUIRE(hdel.size() == 1);
  CHECK((hdel[0] == "HDEL h a b" || hdel[0] == "HDEL h b a"));
  CHECK(x.f.Run({"INFO", "stats"}).find("expired_subkeys:2") != std::string::npos);
  x.f.Run({"HPEXPIRE", "h", "10", "FIELDS", "1", "c"});
  x.f.clock().AdvanceMs(10);
  x.effects.Take();
  CHECK(x.f.Run({"EXISTS", "h"}) == Int(0));
  CHECK(x.effects.Take() == V{"HDEL h c"});
}

TEST_CASE("the active cycle removes due fields of hashes nobody reads", "[hash][hexpire]") {
  Fixture x;
  x.f.Run({"HSET", "other", "f", "v", "g", "w"});
  x.f.Run({"HPEXPIRE", "h", "100", "FIELDS", "1", "a"});
  x.f.Run({"HPEXPIRE", "other", "100", "FIELDS", "2", "f", "g"});
  x.f.Run({"HPEXPIRE", "other", "500", "FIELDS", "1", "g"});
  x.effects.Take();
  Keyspace& ks = x.f.engine().keyspace();
  CHECK(ks.db(0).field_expiry_keys() == 2);
  x.f.clock().AdvanceMs(100);
  ks.ActiveExpireCycle(x.f.clock().NowMs(), 1'000'000, x.f.clock());
  V hdels = x.effects.Take();
  std::sort(hdels.begin(), hdels.end());
  CHECK(hdels == V{"HDEL h a", "HDEL other f"});
  x.f.clock().AdvanceMs(400);
  ks.ActiveExpireCycle(x.f.clock().NowMs(), 1'000'000, x.f.clock());
  CHECK(x.effects.Take() == V{"HDEL other g"});
  CHECK(ks.db(0).Peek("other", INT64_MIN) == nullptr);
  // A tracked hash that left (or lost its times) is forgotten on the next walk.
  x.f.Run({"HPERSIST", "h", "FIELDS", "1", "b"});
  ks.ActiveExpireCycle(x.f.clock().NowMs(), 1'000'000, x.f.clock());
  CHECK(ks.db(0).field_expiry_keys() == 0);
}

TEST_CASE("a replica shows due fields until the primary's HDEL", "[hash][hexpire]") {
  Fixture x;
  x.f.Run({"HPEXPIRE", "h", "100", "FIELDS", "1", "a"});
  x.effects.Take();
  x.f.engine().keyspace().set_replica_mode(true);
  x.f.clock().AdvanceMs(200);
  CHECK(x.f.Run({"HLEN", "h"}) == Int(3));
  CHECK(Elements(x.f.Run({"HTTL", "h", "FIELDS", "1", "a"})) == V{"-2"});
  x.f.engine().keyspace().ActiveExpireCycle(x.f.clock().NowMs(), 1'000'000, x.f.clock());
  CHECK(x.effects.Take().empty());
  x.f.Run({"HDEL", "h", "a"});
  CHECK(x.f.Run({"HLEN", "h"}) == Int(2));
}

TEST_CASE("COPY, RENAME, MOVE, the codec and the digest carry field times", "[hash][hexpire]") {
  Fixture x;
  const std::string plain = x.f.Run({"DEBUG", "DIGEST-VALUE", "h"});
  x.f.Run({"HEXPIRE", "h", "100", "FIELDS", "1", "a"});
  const std::string timed = x.f.Run({"DEBUG", "DIGEST-VALUE", "h"});
  CHECK(plain != timed);
  x.f.Run({"COPY", "h", "h2"});
  CHECK(x.f.Run({"DEBUG", "DIGEST-VALUE", "h2"}) == timed);
  x.f.Run({"RENAME", "h2", "h3"});
  CHECK(Elements(x.f.Run({"HTTL", "h3", "FIELDS", "2", "a", "b"})) == V{"100", "-1"});
  x.f.Run({"MOVE", "h3", "1"});
  CHECK(x.f.engine().keyspace().db(1).field_expiry_keys() == 1);

  const Entry* e = x.f.engine().keyspace().db(0).Peek("h", INT64_MIN);
  REQUIRE(e != nullptr);
  const types::TypeOps& ops = types::HashValue::Ops();
  std::string bytes;
  ops.encode(*e->object(), &bytes);
  CHECK(bytes[0] == 2);  // the version with field times
  Result<types::Value*> back = ops.decode(bytes);
  REQUIRE(back.ok());
  auto* h = static_cast<types::HashValue*>(back.value());
  CHECK(h->FieldExpireAt("a") == Fixture::kNow + 100'000);
  CHECK(h->FieldExpireAt("b") == 0);
  Sha1 d1, d2;
  ops.digest(*e->object(), d1);
  ops.digest(*h, d2);
  CHECK(d1.Final() == d2.Final());
  ops.destroy(h);
  // Damaged times are refused.
  std::string bad = bytes;
  bad.resize(bad.size() - 1);
  CHECK(!ops.decode(bad).ok());

  x.f.Run({"HPERSIST", "h", "FIELDS", "1", "a"});
  CHECK(x.f.Run({"DEBUG", "DIGEST-VALUE", "h"}) == plain);
}

}  // namespace
}  // namespace tidekv::commands
