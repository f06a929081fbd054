// OrderTree: random inserts, erases, re-scores and rank-window erases against a std::set
// model, with ranks, rank lookups, iteration both ways, score and lex ranges, and the tree's
// own invariant check (counts, separators, fill, links, height, memory) along the way.
#include "ds/order_tree.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ds/scan_table.h"

namespace tidekv::ds {
namespace {

using Item = std::pair<double, std::string>;
using Model = std::set<Item>;
using Elem = OrderTree::Elem;

constexpr double kInf = std::numeric_limits<double>::infinity();

Item ItemOf(const Elem* e) { return {e->score(), std::string(e->member())}; }

// A tree with its member index, as a sorted set keeps them, and the model.
struct Harness {
  OrderTree tree;
  ScanTable<Elem> index;
  Model model;

  Elem* Find(const std::string& member) const { return index.Find(member, HashBytes(member)); }
  void Insert(double score, const std::string& member) {
    index.Insert(tree.Insert(score, member));
    model.insert({score, member});
  }
  void Erase(Elem* e) {
    model.erase(ItemOf(e));
    index.Remove(e->member(), e->hash());
    tree.Erase(e);
  }
  void Update(Elem* e, double score) {
    model.erase(ItemOf(e));
    tree.UpdateScore(e, score);
    REQUIRE(e->score() == score);
    model.insert(ItemOf(e));
  }
  size_t EraseRanks(size_t first, size_t last) {
    return tree.EraseRanks(first, last, [&](Elem* e) {
      REQUIRE(model.erase(ItemOf(e)) == 1);
      REQUIRE(index.Remove(e->member(), e->hash()) == e);
    });
  }
};

// A score: mostly from a small set (so many are equal and members break the ties), some
// random, some infinite.
double RandomScore(std::mt19937_64& rng) {
  switch (rng() % 10) {
    case 0:
      return -kInf;
    case 1:
      return kInf;
    case 2:
    case 3:
      return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    default:
      return static_cast<double>(static_cast<int>(rng() % 12) - 4) / 2;
  }
}

// The whole tree against the model: invariants, order both ways, ranks, iterators, ranges.
void CheckAll(const Harness& h, std::mt19937_64& rng) {
  const OrderTree& t = h.tree;
  t.CheckInvariants();
  REQUIRE(t.size() == h.model.size());
  REQUIRE(h.index.size() == h.model.size());
  const std::vector<Item> want(h.model.begin(), h.model.end());
  std::vector<Item> fwd, bwd;
  for (auto it = t.IterAtRank(1); it.Valid(); it.Next()) fwd.push_back(ItemOf(it.elem()));
  for (auto it = t.IterAtRank(t.size()); it.Valid(); it.Prev()) bwd.push_back(ItemOf(it.elem()));
  std::reverse(bwd.begin(), bwd.end());
  REQUIRE(fwd == want);
  REQUIRE(bwd == want);
  REQUIRE(t.AtRank(0) == nullptr);
  REQUIRE(t.AtRank(t.size() + 1) == nullptr);
  REQUIRE_FALSE(t.IterAtRank(t.size() + 1).Valid());
  if (want.empty()) {
    REQUIRE(t.First() == nullptr);
    REQUIRE(t.Last() == nullptr);
    REQUIRE(t.FirstInRange(ScoreRange{.min = -kInf, .max = kInf}) == nullptr);
    REQUIRE(t.LastInRange(ScoreRange{.min = -kInf, .max = kInf}) == nullptr);
    return;
  }
  REQUIRE(ItemOf(t.First()) == want.front());
  REQUIRE(ItemOf(t.Last()) == want.back());
  for (int q = 0; q < 20; q++) {
    // Rank and AtRank of a random element, found through the index.
    const size_t i = rng() % want.size();
    const Elem* e = h.Find(want[i].second);
    REQUIRE(e != nullptr);
    REQUIRE(t.Rank(e) == i + 1);
    REQUIRE(t.AtRank(i + 1) == e);
    // A few steps either way from a random rank.
    auto it = t.IterAtRank(i + 1);
    for (size_t k = i; k < std::min(want.size(), i + 12); k++, it.Next()) {
      REQUIRE(ItemOf(it.elem()) == want[k]);
    }
    it = t.IterAtRank(i + 1);
    for (size_t k = i + 1; k-- > (i >= 12 ? i - 12 : 0); it.Prev()) {
      REQUIRE(ItemOf(it.elem()) == want[k]);
    }
    // A random score range (sometimes empty or inverted).
    ScoreRange r{.min = RandomScore(rng),
                 .max = RandomScore(rng),
                 .minex = rng() % 2 == 0,
                 .maxex = rng() % 2 == 0};
    if (rng() % 4 != 0 && r.min > r.max) std::swap(r.min, r.max);
    const Item* first = nullptr;
    const Item* last = nullptr;
    if (!r.Empty()) {
      for (const Item& item : want) {
        if (!r.Contains(item.first)) continue;
        if (first == nullptr) first = &item;
        last = &item;
      }
    }
    const Elem* f = t.FirstInRange(r);
    const Elem* l = t.LastInRange(r);
    REQUIRE((f == nullptr) == (first == nullptr));
    REQUIRE((l == nullptr) == (last == nullptr));
    if (f != nullptr) REQUIRE(ItemOf(f) == *first);
    if (l != nullptr) REQUIRE(ItemOf(l) == *last);
  }
}

TEST_CASE("order tree follows a std::set model under random operations", "[ds][order_tree]") {
  for (const uint64_t seed : {1u, 2u, 3u}) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    Harness h;
    // Phases: grow, churn, shrink to empty, grow again; the member pool bounds the size.
    const size_t pool = seed == 1 ? 200 : 4000;
    for (int op = 0; op < 60000; op++) {
      const int phase = op / 15000;
      const std::string member = "m" + std::to_string(rng() % pool);
      Elem* e = h.Find(member);
      const uint64_t dice = rng() % 100;
      const bool grow = phase == 0 || phase == 3;
      if (phase == 2 && dice < 70) {  // shrink
        if (e != nullptr) h.Erase(e);
      } else if (dice < (grow ? 60 : 30)) {
        if (e == nullptr) {
          h.Insert(RandomScore(rng), member);
        } else {
          h.Update(e, RandomScore(rng));
        }
      } else if (dice < 90) {
        if (e != nullptr) {
          // Mostly no or small moves (the in-place path), sometimes anywhere.
          const uint64_t how = rng() % 4;
          const double s = how == 0 ? e->score() : how == 1 ? e->score() + 1e-9 : RandomScore(rng);
          h.Update(e, s);
        }
      } else if (dice < 98) {
        if (e != nullptr) h.Erase(e);
      } else {
        const size_t n = h.tree.size();
        const size_t first = 1 + rng() % (n + 2);
        const size_t last = first + rng() % (rng() % 8 == 0 ? n + 1 : 40);
        const size_t want = first > n ? 0 : std::min(last, n) - first + 1;
        REQUIRE(h.EraseRanks(first, last) == want);
      }
      REQUIRE(h.tree.size() == h.model.size());
      if (op % 100 == 0) h.tree.CheckInvariants();
      if (op % 2000 == 0 || op == 44999) CheckAll(h, rng);
    }
    CheckAll(h, rng);
    // Everything goes; the tree is empty and holds no memory.
    REQUIRE(h.EraseRanks(1, h.tree.size()) == h.model.size());
    CheckAll(h, rng);
    REQUIRE(h.tree.MemoryBytes() == 0);
  }
}

TEST_CASE("order tree grows to 100k elements and shrinks to empty", "[ds][order_tree]") {
  std::mt19937_64 rng(7);
  Harness h;
  REQUIRE(h.tree.MemoryBytes() == 0);
  constexpr int kN = 100000;
  std::vector<std::string> members;
  for (int i = 0; i < kN; i++) members.push_back("member:" + std::to_string(i));
  std::shuffle(members.begin(), members.end(), rng);
  for (int i = 0; i < kN; i++) {
    h.Insert(std::uniform_real_distribution<double>(0, 1000)(rng), members[i]);
    if (i % 25000 == 0) h.tree.CheckInvariants();
  }
  CheckAll(h, rng);
  const size_t bytes = h.tree.MemoryBytes();
  CHECK(bytes > kN * (12 + 16));
  CHECK(bytes < kN * 80);
  // Re-score everything at random (the ZADD hot path), then erase in random order.
  for (int i = 0; i < kN; i++) {
    h.Update(h.Find(members[rng() % kN]), std::uniform_real_distribution<double>(0, 1000)(rng));
  }
  CheckAll(h, rng);
  std::shuffle(members.begin(), members.end(), rng);
  for (int i = 0; i < kN; i++) {
    h.Erase(h.Find(members[i]));
    if (i % 20000 == 0) h.tree.CheckInvariants();
  }
  CheckAll(h, rng);
  REQUIRE(h.tree.MemoryBytes() == 0);
}

TEST_CASE("order tree: ascending, descending and equal-score loads, erased by rank",
          "[ds][order_tree]") {
  std::mt19937_64 rng(11);
  for (int shape = 0; shape < 3; shape++) {
    CAPTURE(shape);
    Harness h;
    constexpr int kN = 20000;
    for (int i = 0; i < kN; i++) {
      const double score = shape == 0 ? i : shape == 1 ? -i : 0;
      char buf[16];
      std::snprintf(buf, sizeof buf, "%08d", shape == 2 ? kN - i : i);
      h.Insert(score, buf);
    }
    CheckAll(h, rng);
    // Windows from the front, the back and the middle, across many leaves.
    REQUIRE(h.EraseRanks(1, 1000) == 1000);
    h.tree.CheckInvariants();
    REQUIRE(h.EraseRanks(h.tree.size() - 999, h.tree.size() + 5) == 1000);
    h.tree.CheckInvariants();
    REQUIRE(h.EraseRanks(5000, 12000) == 7001);
    CheckAll(h, rng);
    REQUIRE(h.EraseRanks(0, 0) == 0);
    REQUIRE(h.EraseRanks(7, 6) == 0);
    // One at a time from the front.
    while (h.tree.size() > 0) h.Erase(h.tree.First());
    CheckAll(h, rng);
    REQUIRE(h.tree.MemoryBytes() == 0);
  }
}

TEST_CASE("order tree lex ranges over equal scores follow the model", "[ds][order_tree]") {
  std::mt19937_64 rng(5);
  Harness h;
  auto random_member = [&] {
    std::string m;
    for (size_t len = rng() % 4; len > 0; len--) m.push_back(static_cast<char>('a' + rng() % 4));
    return m;
  };
  using B = LexRange::Bound;
  auto random_bound = [&](std::string* bytes) {
    switch (rng() % 6) {
      case 0:
        return B::kNegInf;
      case 1:
        return B::kPosInf;
      default:
        *bytes = random_member();
        return B::kValue;
    }
  };
  for (int op = 0; op < 20000; op++) {
    const std::string member = random_member();
    Elem* e = h.Find(member);
    if (e == nullptr) {
      h.Insert(0, member);
    } else if (rng() % 3 == 0) {
      h.Erase(e);
    }
    if (op % 50 != 0) continue;
    h.tree.CheckInvariants();
    std::string lo, hi;
    LexRange r;
    r.min_kind = random_bound(&lo);
    r.max_kind = random_bound(&hi);
    r.min = lo;
    r.max = hi;
    r.minex = rng() % 2 == 0;
    r.maxex = rng() % 2 == 0;
    const Item* first = nullptr;
    const Item* last = nullptr;
    if (!r.Empty()) {
      for (const Item& item : h.model) {
        if (!r.Contains(item.second)) continue;
        if (first == nullptr) first = &item;
        last = &item;
      }
    }
    const Elem* f = h.tree.FirstInRange(r);
    const Elem* l = h.tree.LastInRange(r);
    REQUIRE((f == nullptr) == (first == nullptr));
    REQUIRE((l == nullptr) == (last == nullptr));
    if (f != nullptr) REQUIRE(ItemOf(f) == *first);
    if (l != nullptr) REQUIRE(ItemOf(l) == *last);
  }
  CheckAll(h, rng);
}

TEST_CASE("order tree keeps an element's record across re-scores", "[ds][order_tree]") {
  OrderTree t;
  Elem* a = t.Insert(1, "a");
  Elem* b = t.Insert(2, "b");
  Elem* c = t.Insert(3, "c");
  t.UpdateScore(a, 5);    // moves to the end
  t.UpdateScore(b, 2.5);  // stays in place
  CHECK(t.Rank(b) == 1);
  CHECK(t.Rank(c) == 2);
  CHECK(t.Rank(a) == 3);
  CHECK(a->member() == "a");
  CHECK(a->score() == 5);
  CHECK(a->key() == "a");
  CHECK(a->hash() == HashBytes("a"));
  t.UpdateScore(c, -kInf);
  CHECK(t.First() == c);
  t.UpdateScore(a, 2.5);  // ties with b: the member decides
  CHECK(t.Rank(a) == 2);
  CHECK(t.Rank(b) == 3);
  Elem* empty = t.Insert(2.5, "");
  CHECK(t.Rank(empty) == 2);
  CHECK(empty->member().empty());
  t.CheckInvariants();
  // EraseRanks with a named (const) callback.
  std::vector<std::string> gone;
  const auto note = [&](Elem* x) { gone.emplace_back(x->member()); };
  CHECK(t.EraseRanks(2, 3, note) == 2);
  CHECK(gone == std::vector<std::string>{"", "a"});
  CHECK(t.size() == 2);
  t.CheckInvariants();
}

}  // namespace
}  // namespace tidekv::ds
