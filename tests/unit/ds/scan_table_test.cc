// ScanTable: open addressing, backward-shift deletion, resizing, and the SCAN guarantee
// (every node present for a whole scan is returned, even when the table grows or shrinks
// between calls).
#include "ds/scan_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tidekv::ds {
namespace {

// The smallest node a ScanTable accepts: a key and its hash.
class Node {
 public:
  Node(std::string_view key, uint64_t hash) : key_(key), hash_(hash) {}
  std::string_view key() const { return key_; }
  uint64_t hash() const { return hash_; }

 private:
  std::string key_;
  uint64_t hash_;
};

using Table = ScanTable<Node>;

// Owns the nodes a test puts in a table (the table itself never frees them).
class Nodes {
 public:
  Node* Make(std::string_view key, uint64_t hash) {
    return all_.emplace_back(std::make_unique<Node>(key, hash)).get();
  }
  Node* Make(std::string_view key) { return Make(key, HashBytes(key)); }

 private:
  std::vector<std::unique_ptr<Node>> all_;
};

std::string Key(size_t i) { return "key:" + std::to_string(i); }

// Every node reachable through Find, and ForEach agrees with size().
void CheckConsistent(const Table& d, const std::unordered_map<std::string, Node*>& model) {
  REQUIRE(d.size() == model.size());
  size_t n = 0;
  d.ForEach([&](Node*) { n++; });
  REQUIRE(n == model.size());
  for (const auto& [k, e] : model) REQUIRE(d.Find(k, e->hash()) == e);
}

// A full scan with no changes in between; returns keys in the order returned.
std::vector<std::string> FullScan(const Table& d, size_t count) {
  std::vector<std::string> keys;
  uint64_t cursor = 0;
  size_t calls = 0;
  do {
    cursor = d.Scan(cursor, count, [&](Node* e) { keys.emplace_back(e->key()); });
    REQUIRE(++calls <= d.capacity() + 1);
  } while (cursor != 0);
  return keys;
}

TEST_CASE("ScanTable: empty table", "[scan_table]") {
  Table d;
  CHECK(d.size() == 0);
  CHECK(d.Find("a", HashBytes("a")) == nullptr);
  CHECK(d.Remove("a", HashBytes("a")) == nullptr);
  CHECK(d.SlotAfter(12345) == nullptr);
  bool called = false;
  CHECK(d.Scan(0, 10, [&](Node*) { called = true; }) == 0);
  CHECK_FALSE(called);
  d.Clear();
  CHECK(d.size() == 0);
}

TEST_CASE("ScanTable: random operations at scale agree with unordered_map", "[scan_table]") {
  Nodes pool;
  Table d;
  std::unordered_map<std::string, Node*> model;
  std::mt19937_64 rng(42);
  constexpr size_t kKeys = 100'000;
  // Phase 1: insert-heavy; phase 2: mixed; phase 3: delete-heavy (exercises shrinking).
  for (int phase = 0; phase < 3; phase++) {
    const unsigned insert_pct = phase == 0 ? 80 : phase == 1 ? 50 : 15;
    for (size_t op = 0; op < 300'000; op++) {
      std::string k = Key(rng() % kKeys);
      const uint64_t h = HashBytes(k);
      auto it = model.find(k);
      const unsigned dice = static_cast<unsigned>(rng() % 100);
      if (dice < insert_pct) {
        if (it == model.end()) {
          Node* e = pool.Make(k, h);
          d.Insert(e);
          model.emplace(k, e);
        } else {
          REQUIRE(d.Find(k, h) == it->second);
        }
      } else if (dice < insert_pct + 10) {
        REQUIRE(d.Find(k, h) == (it == model.end() ? nullptr : it->second));
      } else {
        Node* removed = d.Remove(k, h);
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

TEST_CASE("ScanTable: backward-shift deletion with hand-picked colliding hashes", "[scan_table]") {
  // Eight slots hold up to six nodes. Homes are drawn from a few buckets (including the
  // last ones, so runs wrap around slot 0), and several nodes share the *same full hash*
  // (only the key tells them apart). Every removal order must keep every other node
  // reachable.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20'000; round++) {
    Nodes pool;
    Table d;
    const size_t n = 1 + rng() % 6;
    std::vector<Node*> nodes;
    for (size_t i = 0; i < n; i++) {
      const uint64_t home = std::vector<uint64_t>{0, 5, 6, 7}[rng() % 4];
      const uint64_t tag = rng() % 2;  // the top bits: equal tags force the key compare
      const uint64_t hash = (tag << 60) | (rng() % 3) << 8 | home;
      Node* e = pool.Make("k" + std::to_string(i), hash);
      d.Insert(e);
      nodes.push_back(e);
    }
    REQUIRE(d.capacity() == 8);
    std::shuffle(nodes.begin(), nodes.end(), rng);
    for (size_t i = 0; i < nodes.size(); i++) {
      REQUIRE(d.Remove(nodes[i]->key(), nodes[i]->hash()) == nodes[i]);
      REQUIRE(d.Remove(nodes[i]->key(), nodes[i]->hash()) == nullptr);
      for (size_t j = 0; j < nodes.size(); j++) {
        Node* want = j > i ? nodes[j] : nullptr;
        REQUIRE(d.Find(nodes[j]->key(), nodes[j]->hash()) == want);
      }
      // Scanning still reports each remaining node exactly once: each sits in the probe
      // run of its home bucket.
      std::vector<std::string> scanned = FullScan(d, 1);
      REQUIRE(scanned.size() == nodes.size() - i - 1);
    }
  }
}

TEST_CASE("ScanTable: one long cluster of colliding hashes", "[scan_table]") {
  // All 2000 nodes hash into 16 home buckets: one big run in a 4096-slot table, wrapping
  // from the end of the table to its start.
  Nodes pool;
  Table d;
  std::unordered_map<std::string, Node*> model;
  std::mt19937_64 rng(3);
  for (size_t i = 0; i < 2000; i++) {
    const uint64_t hash = 4096 - 8 + rng() % 16;  // homes 4088..4095 and, masked, 0..7
    Node* e = pool.Make(Key(i), hash);
    d.Insert(e);
    model.emplace(Key(i), e);
  }
  REQUIRE(d.capacity() == 4096);
  CheckConsistent(d, model);
  std::vector<std::string> keys;
  for (const auto& [k, e] : model) keys.push_back(k);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (size_t i = 0; i < 1500; i++) {
    Node* e = model.at(keys[i]);
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

TEST_CASE("ScanTable: growth and shrink keep capacity a power of two within load bounds",
          "[scan_table]") {
  Nodes pool;
  Table d;
  std::vector<Node*> nodes;
  d.Insert(nodes.emplace_back(pool.Make(Key(0))));
  CHECK(d.capacity() == 8);
  size_t last_capacity = d.capacity();
  for (size_t i = 1; i < 10'000; i++) {
    d.Insert(nodes.emplace_back(pool.Make(Key(i))));
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
  for (size_t i = 0; i + 10 < nodes.size(); i++) {
    REQUIRE(d.Remove(nodes[i]->key(), nodes[i]->hash()) == nodes[i]);
    REQUIRE((d.capacity() & (d.capacity() - 1)) == 0);
    if (d.capacity() > 64) REQUIRE(d.size() * 8 >= d.capacity());
  }
  // Shrinking stops at 64 slots.
  CHECK(d.size() == 10);
  CHECK(d.capacity() == 64);
  for (size_t i = nodes.size() - 10; i < nodes.size(); i++) {
    REQUIRE(d.Find(nodes[i]->key(), nodes[i]->hash()) == nodes[i]);
  }
  d.Clear();
  CHECK(d.size() == 0);
  CHECK(d.capacity() == 0);
  CHECK(d.Find(nodes.back()->key(), nodes.back()->hash()) == nullptr);
  // Usable again after Clear.
  d.Insert(nodes.back());
  CHECK(d.Find(nodes.back()->key(), nodes.back()->hash()) == nodes.back());
}

TEST_CASE("ScanTable: a scan without changes returns every key exactly once", "[scan_table]") {
  for (size_t n : {1u, 7u, 100u, 5000u}) {
    Nodes pool;
    Table d;
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
void ScanWhileChanging(Table& d, const std::vector<Node*>& stable, size_t count,
                       Between&& between) {
  std::unordered_set<std::string> seen;
  uint64_t cursor = 0;
  size_t calls = 0;
  do {
    cursor = d.Scan(cursor, count, [&](Node* e) { seen.emplace(e->key()); });
    between(calls);
    REQUIRE(++calls < 1'000'000);
  } while (cursor != 0);
  for (Node* e : stable) REQUIRE(seen.count(std::string(e->key())) == 1);
}

TEST_CASE("ScanTable: SCAN returns every stable key while the table grows", "[scan_table]") {
  for (size_t count : {1u, 3u, 16u}) {
    Nodes pool;
    Table d;
    std::vector<Node*> stable;
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

TEST_CASE("ScanTable: SCAN returns every stable key while the table shrinks", "[scan_table]") {
  for (size_t count : {1u, 3u, 16u}) {
    Nodes pool;
    Table d;
    std::vector<Node*> stable;
    std::vector<Node*> churn;
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

TEST_CASE("ScanTable: SCAN returns every stable key when the table grows then shrinks",
          "[scan_table]") {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 10; round++) {
    Nodes pool;
    Table d;
    std::vector<Node*> stable;
    std::vector<Node*> churn;
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

TEST_CASE("ScanTable: SlotAfter returns nodes of the table", "[scan_table]") {
  Nodes pool;
  Table d;
  std::unordered_set<Node*> present;
  for (size_t i = 0; i < 50; i++) {
    Node* e = pool.Make(Key(i));
    d.Insert(e);
    present.insert(e);
  }
  std::mt19937_64 rng(5);
  std::unordered_set<Node*> hit;
  for (int i = 0; i < 20'000; i++) {
    Node* e = d.SlotAfter(rng());
    REQUIRE(present.count(e) == 1);
    hit.insert(e);
  }
  CHECK(hit.size() == present.size());  // every node is reachable
  // Large random numbers (above the mask) and a single node.
  for (Node* e : present) {
    if (e != *present.begin()) REQUIRE(d.Remove(e->key(), e->hash()) == e);
  }
  REQUIRE(d.size() == 1);
  CHECK(d.SlotAfter(~uint64_t{0}) == *present.begin());
  CHECK(d.SlotAfter(0) == *present.begin());
}

// A node with a cache hint: PrefetchEntry must call it for the node at the hash's home slot
// (and the table must still compile for Node, which has none).
class PrefetchingNode {
 public:
  PrefetchingNode(std::string_view key, uint64_t hash) : key_(key), hash_(hash) {}
  std::string_view key() const { return key_; }
  uint64_t hash() const { return hash_; }
  void Prefetch() const { prefetches_++; }
  int prefetches() const { return prefetches_; }

 private:
  std::string key_;
  uint64_t hash_;
  mutable int prefetches_ = 0;
};

TEST_CASE("ScanTable: PrefetchEntry calls Prefetch only on a node whose tag matches",
          "[scan_table]") {
  ScanTable<PrefetchingNode> t;
  t.PrefetchSlot(1);  // empty table: no slots to touch
  t.PrefetchEntry(1);
  PrefetchingNode a("a", (uint64_t{5} << 48) | 3);
  t.Insert(&a);
  t.PrefetchSlot(a.hash());
  t.PrefetchEntry(a.hash());
  CHECK(a.prefetches() == 1);
  t.PrefetchEntry((uint64_t{6} << 48) | 3);  // same home slot, different tag
  t.PrefetchEntry((uint64_t{5} << 48) | 4);  // tag matches but the home slot is empty
  CHECK(a.prefetches() == 1);

  Table plain;
  Node b("b", 3);
  plain.Insert(&b);
  plain.PrefetchSlot(3);
  plain.PrefetchEntry(3);  // no Prefetch(): a no-op
  CHECK(plain.Find("b", 3) == &b);
}

TEST_CASE("ScanTable: ReverseBits mirrors the bit order", "[scan_table]") {
  CHECK(ReverseBits(0) == 0);
  CHECK(ReverseBits(1) == uint64_t{1} << 63);
  CHECK(ReverseBits(uint64_t{1} << 63) == 1);
  CHECK(ReverseBits(0x00000000000000F0ull) == 0x0F00000000000000ull);
  std::mt19937_64 rng(9);
  for (int i = 0; i < 1000; i++) {
    const uint64_t v = rng();
    REQUIRE(ReverseBits(ReverseBits(v)) == v);
    uint64_t slow = 0;
    for (int b = 0; b < 64; b++) slow |= ((v >> b) & 1) << (63 - b);
    REQUIRE(ReverseBits(v) == slow);
  }
}

TEST_CASE("ScanTable: HashBytes is stable within a process and spreads keys", "[scan_table]") {
  CHECK(HashBytes("abc") == HashBytes(std::string("abc")));
  CHECK(HashBytes("abc") != HashBytes("abd"));
  // The top 16 bits (the slot tag) and the low bits (the home bucket) both vary.
  std::unordered_set<uint64_t> tags;
  std::unordered_set<uint64_t> homes;
  for (size_t i = 0; i < 1000; i++) {
    const uint64_t h = HashBytes(Key(i));
    tags.insert(h >> 48);
    homes.insert(h & 1023);
  }
  CHECK(tags.size() > 900);
  CHECK(homes.size() > 500);
}

}  // namespace
}  // namespace tidekv::ds
