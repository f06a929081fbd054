// Eviction's building blocks: the LFU counter (logarithmic increments, decay by idle
// minutes, the 16-bit minute clock wrapping) and the eviction pool's ordering.
#include "keyspace/eviction.h"

#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <string>

#include "keyspace/keyspace.h"

namespace tidekv::keyspace {
namespace {

TEST_CASE("LFU: the word packs the minute and the counter", "[keyspace][eviction]") {
  const uint32_t w = LfuWord(0x1234, 77);
  CHECK(w == ((0x1234u << 8) | 77u));
  CHECK(w < (1u << 24));                             // fits Entry's 24-bit access field
  CHECK(LfuMinutes(int64_t{60'000} * 65'537) == 1);  // minutes wrap at 2^16
}

TEST_CASE("LFU: the counter decays by one per decay period, never below 0",
          "[keyspace][eviction]") {
  const uint32_t w = LfuWord(100, 20);
  CHECK(LfuDecayedCounter(w, 100, 1) == 20);
  CHECK(LfuDecayedCounter(w, 105, 1) == 15);
  CHECK(LfuDecayedCounter(w, 105, 2) == 18);   // 2 whole periods of 2 minutes
  CHECK(LfuDecayedCounter(w, 1000, 1) == 0);   // decayed away
  CHECK(LfuDecayedCounter(w, 1000, 0) == 20);  // lfu-decay-time 0: no decay
  // The minute clock wrapped since: 65535 - 65530 + 3 = 8 minutes.
  CHECK(LfuElapsedMinutes(LfuWord(65530, 9), 3) == 8);
  CHECK(LfuDecayedCounter(LfuWord(65530, 9), 3, 1) == 1);
}

TEST_CASE("LFU: increments get rarer as the counter grows", "[keyspace][eviction]") {
  // At or below the initial value every access counts; above it with 1/((c-5)*f+1).
  CHECK(LfuLogIncrement(0, 10, 0.999) == 1);
  CHECK(LfuLogIncrement(kLfuInitVal, 10, 0.999) == kLfuInitVal + 1);
  CHECK(LfuLogIncrement(6, 10, 0.05) == 7);  // p = 1/11
  CHECK(LfuLogIncrement(6, 10, 0.10) == 6);
  CHECK(LfuLogIncrement(255, 0, 0.0) == 255);  // saturated
  // Redis's documented table (lfu-log-factor 10): about 10 at 100 hits, 18 at 1000,
  // about 142 at 100k... counted here with a seeded source.
  auto hits_to = [](int64_t factor, int hits) {
    std::mt19937_64 rng(42);
    uint32_t c = kLfuInitVal;
    for (int i = 0; i < hits; i++) {
      c = LfuLogIncrement(c, factor, static_cast<double>(rng() >> 11) * 0x1.0p-53);
    }
    return c;
  };
  CHECK(hits_to(10, 100) >= 8);
  CHECK(hits_to(10, 100) <= 13);
  CHECK(hits_to(10, 1000) >= 12);
  CHECK(hits_to(10, 1000) <= 24);
  CHECK(hits_to(0, 1000) == 255);  // factor 0: every hit counts
  CHECK(hits_to(100, 1000) < hits_to(10, 1000));
}

TEST_CASE("EvictionPool: keeps the best candidates in order, pops the best first",
          "[keyspace][eviction]") {
  EvictionPool pool;
  int db = -1;
  std::string key;
  CHECK_FALSE(pool.PopBest(&db, &key));
  for (uint64_t s : {5, 1, 9, 3}) pool.Offer(0, "k" + std::to_string(s), s);
  REQUIRE(pool.size() == 4);
  CHECK(pool.score(0) == 1);
  CHECK(pool.score(3) == 9);
  REQUIRE(pool.PopBest(&db, &key));
  CHECK(key == "k9");
  CHECK(db == 0);

  SECTION("a key offered again is not pooled twice, and takes its new score") {
    pool.Offer(0, "k1", 50);
    CHECK(pool.size() == 3);
    REQUIRE(pool.PopBest(&db, &key));
    CHECK(key == "k1");
    // The same key in another database is another candidate.
    pool.Offer(1, "k3", 3);
    CHECK(pool.size() == 3);
  }
  SECTION("a full pool drops its worst for a better candidate, ignores worse ones") {
    pool.Clear();
    for (uint64_t s = 100; s < 100 + EvictionPool::kSize; s++) {
      pool.Offer(2, "k" + std::to_string(s), s);
    }
    REQUIRE(pool.size() == EvictionPool::kSize);
    pool.Offer(2, "worse", 50);
    CHECK(pool.size() == EvictionPool::kSize);
    CHECK(pool.score(0) == 100);
    pool.Offer(2, "better", 1000);
    CHECK(pool.score(0) == 101);  // 100 fell out
    CHECK(pool.key(EvictionPool::kSize - 1) == "better");
    std::set<std::string> popped;
    for (size_t i = 0; i < EvictionPool::kSize; i++) {
      REQUIRE(pool.PopBest(&db, &key));
      CHECK(db == 2);
      popped.insert(key);
    }
    CHECK(popped.size() == EvictionPool::kSize);
    CHECK(popped.count("better") == 1);
    CHECK(popped.count("worse") == 0);
    CHECK_FALSE(pool.PopBest(&db, &key));
  }
}

TEST_CASE("Database::SampleKeys draws from all keys or from those with a TTL",
          "[keyspace][eviction]") {
  Keyspace ks(1);
  Database& db = ks.db(0);
  std::mt19937_64 rng(7);
  size_t calls = 0;
  db.SampleKeys(false, 5, rng, [&](Entry*) { calls++; });
  CHECK(calls == 0);  // empty: nothing to draw
  for (int i = 0; i < 100; i++) db.Insert("k" + std::to_string(i), 0);
  Entry* v = db.Insert("volatile", 0);
  db.SetExpire(v, 1'000'000);
  std::set<std::string> seen;
  db.SampleKeys(false, 500, rng, [&](Entry* e) { seen.insert(std::string(e->key())); });
  CHECK(seen.size() > 80);  // spread over the keys
  db.SampleKeys(true, 20, rng, [&](Entry* e) { CHECK(e == v); });
}

}  // namespace
}  // namespace tidekv::keyspace
