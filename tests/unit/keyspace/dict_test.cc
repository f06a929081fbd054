// Dict: open addressing, backward-shift deletion, resizing, and the SCAN guarantee (every
// key present for a whole scan is returned, even when the table grows or shrinks between
// calls).
#include "keyspace/dict.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "keyspace/entry.h"

namespace tidekv::keyspace {
namespace {

// Owns the entries a test puts in a Dict (the Dict itself never frees them).
class Entries {
 public:
  ~Entries() {
    for (Entry* e : all_) Entry::Destroy(e);
  }
  Entry* Make(std::string_view key, uint64_t hash) {
    all_.push_back(Entry::Create(key, hash));
    return all_.back();
  }
  Entry* Make(std::string_view key) { return Make(key, HashKey(key)); }

 private:
  std::vector<Entry*> all_;
};

std::string Key(size_t i) { return "key:" + std::to_string(i); }

// Every entry reachable through Find, and ForEach agrees with size().
void CheckConsistent(const Dict& d, const std::unordered_map<std::string, Entry*>& model) {
  REQUIRE(d.size() == model.size());
  size_t n = 0;
  d.ForEach([&](Entry*) { n++; });
  REQUIRE(n == model.size());
  for (const auto& [k, e] : model) REQUIRE(d.Find(k, e->hash()) == e);
}

// A full scan with no changes in between; returns keys in the order returned.
std::vector<std::string> FullScan(const Dict& d, size_t count) {
  std::vector<std::string> keys;
  uint64_t cursor = 0;
  size_t calls = 0;
  do {
    cursor = d.Scan(cursor, count, [&](Entry* e) { keys.emplace_back(e->key()); });
    REQUIRE(++calls <= d.capacity() + 1);
  } while (cursor != 0);
  return keys;
}

TEST_CASE("Dict: empty table", "[dict]") {
  Dict d;
  CHECK(d.size() == 0);
  CHECK(d.Find("a", HashKey("a")) == nullptr);
  CHECK(d.Remove("a", HashKey("a")) == nullptr);
  CHECK(d.SlotAfter(12345) == nullptr);
  bool called = false;
  CHECK(d.Scan(0, 10, [&](Entry*) { called = true; }) == 0);
  CHECK_FALSE(called);
  d.Clear();
  CHECK(d.size() == 0);
}

TEST_CASE("Dict: random operations at scale agree with unordered_map", "[dict]") {
  Entries pool;
  Dict d;
  std::unordered_map<std::string, Entry*> model;
  std::mt19937_64 rng(42);
  constexpr size_t kKeys = 100'000;
  // Phase 1: insert-heavy; phase 2: mixed; phase 3: delete-heavy (exercises shrinking).
  for (int phase = 0; phase < 3; phase++) {
    const unsigned insert_pct = phase == 0 ? 80 : phase == 1 ? 50 : 15;
    for (size_t op = 0; op < 300'000; op++) {
      std::string k = Key(rng() % kKeys);
      const uint64_t h = HashKey(k);
      auto it = model.find(k);
      const unsigned dice = static_cast<unsigned>(rng() % 100);
      if (dice < insert_pct) {
        if (it == model.end()) {
          Entry* e = pool.Make(k, h);
          d.Insert(e);
          model.emplace(k, e);
        } else {
          REQUIRE(d.Find(k, h) == it->second);
        }
      } else if (dice < insert_pct + 10) {
        REQUIRE(d.Find(k, h) == (it == model.end() ? nullptr : it->second));
      } else {
        Entry* removed = d.Remove(k, h);
        REQUIRE(removed == (it == model.end() ? nullptr : it->second));
        if (it != model.end()) model.erase(it);
      }
    }
    CheckConsistent(d, model);
    // Load stays within the documented bounds (1/8 applies above the 64-slot floor).
    REQUIRE(d.size() * 4 <= d.capacity() * 3);
    if (d.capacity() > 64) REQUIRE(d.size() * 8 >= d.capacity());
  }
  for (const auto& [k, e] : model) REQUIRE(d.Remove(k, e->hash()) == e);
  CHECK(d.size() == 0);
}

TEST_CASE("Dict: backward-shift deletion with hand-picked colliding hashes", "[dict]") {
  // Eight slots hold up to six entries. Homes are drawn from a few buckets (including the
  // last ones, so runs wrap around slot 0), and several entries share the *same full hash*
  // (only the key tells them apart). Every removal order must keep every other entry
  // reachable.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20'000; round++) {
    Entries pool;
    Dict d;
    const size_t n = 1 + rng() % 6;
    std::vector<Entry*> entries;
    for (size_t i = 0; i < n; i++) {
      const uint64_t home = std::vector<uint64_t>{0, 5, 6, 7}[rng() % 4];
      const uint64_t tag = rng() % 2;  // the top bits: equal tags force the key compare
      const uint64_t hash = (tag << 60) | (rng() % 3) << 8 | home;
      Entry* e = pool.Make("k" + std::to_string(i), hash);
      d.Insert(e);
      entries.push_back(e);
    }
    REQUIRE(d.capacity() == 8);
    std::shuffle(entries.begin(), entries.end(), rng);
    for (size_t i = 0; i < entries.size(); i++) {
      REQUIRE(d.Remove(entries[i]->key(), entries[i]->hash()) == entries[i]);
      REQUIRE(d.Remove(entries[i]->key(), entries[i]->hash()) == nullptr);
      for (size_t j = 0; j < entries.size(); j++) {
        Entry* want = j > i ? entries[j] : nullptr;
        REQUIRE(d.Find(entries[j]->key(), entries[j]->hash()) == want);
      }
      // Scanning still reports each remaining entry exactly once: each sits in the probe
      // run of its home bucket.
      std::vector<std::string> scanned = FullScan(d, 1);
      REQUIRE(scanned.size() == entries.size() - i - 1);
    }
  }
}

TEST_CASE("Dict: one long cluster of colliding hashes", "[dict]") {
  // All 2000 entries hash into 16 home buckets: one big run in a 4096-slot table, wrapping
  // from the end of the table to its start.
  Entries pool;
  Dict d;
  std::unordered_map<std::string, Entry*> model;
  std::mt19937_64 rng(3);
  for (size_t i = 0; i < 2000; i++) {
    const uint64_t hash = 4096 - 8 + rng() % 16;  // homes 4088..4095 and, masked, 0..7
    Entry* e = pool.Make(Key(i), hash);
    d.Insert(e);
    model.emplace(Key(i), e);
  }
  REQUIRE(d.capacity() == 4096);
  CheckConsistent(d, model);
  std::vector<std::string> keys;
  for (const auto& [k, e] : model) keys.push_back(k);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < 1500; i++) {
    Entry* e = model.at(keys[i]);
    REQUIRE(d.Remove(keys[i], e->hash()) == e);
    model.erase(keys[i]);
    if (i % 100 == 0) CheckConsistent(d, model);
  }
  CheckConsistent(d, model);
  std::vector<std::string> scanned = FullScan(d, 7);
  std::sort(scanned.begin(), scanned.end());
  REQUIRE(std::adjacent_find(scanned.begin(), scanned.end()) == scanned.end());
  REQUIRE(scanned.size() == model.size());
}

TEST_CASE("Dict: growth and shrink keep capacity a power of two within load bounds", "[dict]") {
  Entries pool;
  Dict d;
  std::vector<Entry*> entries;
  d.Insert(entries.emplace_back(pool.Make(Key(0))));
  CHECK(d.capacity() == 8);
  size_t last_capacity = d.capacity();
  for (size_t i = 1; i < 10'000; i++) {
    d.Insert(entries.emplace_back(pool.Make(Key(i))));
    REQUIRE((d.capacity() & (d.capacity() - 1)) == 0);
    REQUIRE(d.size() * 4 <= d.capacity() * 3);
    // Growth doubles exactly when the 3/4 bound would be crossed.
    if (d.capacity() != last_capacity) {
      REQUIRE(d.capacity() == last_capacity * 2);
      REQUIRE(d.size() * 4 > last_capacity * 3);
      last_capacity = d.capacity();
    }
  }
  CHECK(d.capacity() == 16384);
  CHECK(d.SlotBytes() >= d.capacity() * sizeof(uintptr_t));
  for (size_t i = 0; i + 10 < entries.size(); i++) {
    REQUIRE(d.Remove(entries[i]->key(), entries[i]->hash()) == entries[i]);
    REQUIRE((d.capacity() & (d.capacity() - 1)) == 0);
    if (d.capacity() > 64) REQUIRE(d.size() * 8 >= d.capacity());
  }
  // Shrinking stops at 64 slots.
  CHECK(d.size() == 10);
  CHECK(d.capacity() == 64);
  for (size_t i = entries.size() - 10; i < entries.size(); i++) {
    REQUIRE(d.Find(entries[i]->key(), entries[i]->hash()) == entries[i]);
  }
  d.Clear();
  CHECK(d.size() == 0);
  CHECK(d.capacity() == 0);
  CHECK(d.Find(entries.back()->key(), entries.back()->hash()) == nullptr);
  // Usable again after Clear.
  d.Insert(entries.back());
  CHECK(d.Find(entries.back()->key(), entries.back()->hash()) == entries.back());
}

TEST_CASE("Dict: a scan without changes returns every key exactly once", "[dict]") {
  for (size_t n : {1u, 7u, 100u, 5000u}) {
    Entries pool;
    Dict d;
    for (size_t i = 0; i < n; i++) d.Insert(pool.Make(Key(i)));
    for (size_t count : {1u, 10u, 1000u}) {
      std::vector<std::string> keys = FullScan(d, count);
      REQUIRE(keys.size() == n);
      std::sort(keys.begin(), keys.end());
      REQUIRE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
    }
  }
}

// Scans `stable` keys while `between` changes the table after every call; every stable key
// must be returned at least once and the scan must finish.
template <typename Between>
void ScanWhileChanging(Dict& d, const std::vector<Entry*>& stable, size_t count,
                       Between&& between) {
  std::unordered_set<std::string> seen;
  uint64_t cursor = 0;
  size_t calls = 0;
  do {
    cursor = d.Scan(cursor, count, [&](Entry* e) { seen.emplace(e->key()); });
    between(calls);
    REQUIRE(++calls < 1'000'000);
  } while (cursor != 0);
  for (Entry* e : stable) REQUIRE(seen.count(std::string(e->key())) == 1);
}

TEST_CASE("Dict: SCAN returns every stable key while the table grows", "[dict]") {
  for (size_t count : {1u, 3u, 16u}) {
    Entries pool;
    Dict d;
    std::vector<Entry*> stable;
    for (size_t i = 0; i < 500; i++) d.Insert(stable.emplace_back(pool.Make(Key(i))));
    const size_t start_capacity = d.capacity();
    size_t next = 1'000'000;
    // Growth must stop at some point: a table that grows as fast as the scan advances
    // would never let the cursor wrap.
    ScanWhileChanging(d, stable, count, [&](size_t call) {
      if (call >= 500) return;
      for (int k = 0; k < 40; k++) d.Insert(pool.Make(Key(next++)));
    });
    CHECK(d.capacity() >= start_capacity * 8);  // it really grew, several times
  }
}

TEST_CASE("Dict: SCAN returns every stable key while the table shrinks", "[dict]") {
  for (size_t count : {1u, 3u, 16u}) {
    Entries pool;
    Dict d;
    std::vector<Entry*> stable;
    std::vector<Entry*> churn;
    for (size_t i = 0; i < 200; i++) d.Insert(stable.emplace_back(pool.Make(Key(i))));
    for (size_t i = 0; i < 20'000; i++) d.Insert(churn.emplace_back(pool.Make(Key(i + 1000))));
    const size_t start_capacity = d.capacity();
    ScanWhileChanging(d, stable, count, [&](size_t) {
      for (int k = 0; k < 400 && !churn.empty(); k++) {
        REQUIRE(d.Remove(churn.back()->key(), churn.back()->hash()) == churn.back());
        churn.pop_back();
      }
    });
    CHECK(d.capacity() * 16 <= start_capacity);  // it really shrank, several times
  }
}

TEST_CASE("Dict: SCAN returns every stable key when the table grows then shrinks", "[dict]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 10; round++) {
    Entries pool;
    Dict d;
    std::vector<Entry*> stable;
    std::vector<Entry*> churn;
    for (size_t i = 0; i < 300; i++) d.Insert(stable.emplace_back(pool.Make(Key(i))));
    size_t next = 1'000'000;
    // Random bursts of growth and shrinkage between calls, with random COUNT.
    ScanWhileChanging(d, stable, 1 + rng() % 8, [&](size_t call) {
      const bool grow = (call / 8) % 2 == 0;
      const size_t burst = rng() % 400;
      for (size_t k = 0; k < burst; k++) {
        if (grow && churn.size() < 5'000) {
          d.Insert(churn.emplace_back(pool.Make(Key(next++))));
        } else if (!grow && !churn.empty()) {
          size_t pick = rng() % churn.size();
          std::swap(churn[pick], churn.back());
          REQUIRE(d.Remove(churn.back()->key(), churn.back()->hash()) == churn.back());
          churn.pop_back();
        }
      }
    });
  }
}

TEST_CASE("Dict: SlotAfter returns entries of the table", "[dict]") {
  Entries pool;
  Dict d;
  std::unordered_set<Entry*> present;
  for (size_t i = 0; i < 50; i++) {
    Entry* e = pool.Make(Key(i));
    d.Insert(e);
    present.insert(e);
  }
  std::mt19937_64 rng(5);
  std::unordered_set<Entry*> hit;
  for (int i = 0; i < 20'000; i++) {
    Entry* e = d.SlotAfter(rng());
    REQUIRE(present.count(e) == 1);
    hit.insert(e);
  }
  CHECK(hit.size() == present.size());  // every entry is reachable
  // Large random numbers (above the mask) and a single entry.
  for (Entry* e : present) {
    if (e != *present.begin()) REQUIRE(d.Remove(e->key(), e->hash()) == e);
  }
  REQUIRE(d.size() == 1);
  CHECK(d.SlotAfter(~uint64_t{0}) == *present.begin());
  CHECK(d.SlotAfter(0) == *present.begin());
}

}  // namespace
}  // namespace tidekv::keyspace
