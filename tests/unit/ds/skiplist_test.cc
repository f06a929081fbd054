// SkipList: random inserts, erases and score updates against a std::set model, with ranks,
// rank lookups, score and lex ranges, the backward links, and deletions by rank.
#include "ds/skiplist.h"

#include <catch2/catch.hpp>
#include <iterator>
#include <limits>
#include <map>
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

// The list's elements in order, walked forward, and checked against the backward links.
std::vector<Item> Walk(const SkipList& list) {
  std::vector<Item> out;
  const SkipList::Node* prev = nullptr;
  for (const SkipList::Node* n = list.First(); n != nullptr; n = n->next()) {
    REQUIRE(n->prev() == prev);
    out.emplace_back(n->score(), std::string(n->member()));
    prev = n;
  }
  REQUIRE(list.Last() == prev);
  return out;
}

void CheckSame(const SkipList& list, const Model& model) {
  REQUIRE(list.size() == model.size());
  REQUIRE(Walk(list) == std::vector<Item>(model.begin(), model.end()));
}

TEST_CASE("skiplist follows a std::set model under random operations", "[ds][skiplist]") {
  SkipList list;
  ScanTable<SkipList::Node> index;  // member -> node, as a sorted set keeps it
  Model model;
  std::map<std::string, double> scores;
  std::mt19937_64 rng(42);
  for (int op = 0; op < 20000; op++) {
    const std::string member = "m" + std::to_string(rng() % 600);
    const double score = static_cast<double>(static_cast<int>(rng() % 50)) / 4;
    const uint64_t h = HashBytes(member);
    SkipList::Node* n = index.Find(member, h);
    switch (rng() % 3) {
      case 0:  // add or update
        if (n == nullptr) {
          index.Insert(list.Insert(score, member), h);
        } else {
          model.erase({n->score(), member});
          list.UpdateScore(n, score);
        }
        model.insert({score, member});
        scores[member] = score;
        break;
      case 1:  // erase
        if (n != nullptr) {
          model.erase({n->score(), member});
          scores.erase(member);
          index.Remove(member, h);
          list.Erase(n);
        }
        break;
      default:  // rank of an element, and the element at that rank
        if (n != nullptr) {
          const auto it = model.find({n->score(), member});
          const size_t want = static_cast<size_t>(std::distance(model.begin(), it)) + 1;
          REQUIRE(list.Rank(n) == want);
          REQUIRE(list.AtRank(want) == n);
        }
        break;
    }
    if (op % 1000 == 0) CheckSame(list, model);
  }
  CheckSame(list, model);
  CHECK(list.AtRank(0) == nullptr);
  CHECK(list.AtRank(list.size() + 1) == nullptr);
  CHECK(list.MemoryBytes() > list.size() * sizeof(SkipList::Node));
}

TEST_CASE("skiplist score ranges find the first and last element inside", "[ds][skiplist]") {
  SkipList list;
  for (int i = 0; i < 100; i++) list.Insert(i / 2, "e" + std::to_string(1000 + i));
  auto first = [&](ScoreRange r) {
    const SkipList::Node* n = list.FirstInRange(r);
    return n == nullptr ? std::string("-") : std::string(n->member());
  };
  auto last = [&](ScoreRange r) {
    const SkipList::Node* n = list.LastInRange(r);
    return n == nullptr ? std::string("-") : std::string(n->member());
  };
  CHECK(first({.min = 3, .max = 4}) == "e1006");
  CHECK(last({.min = 3, .max = 4}) == "e1009");
  CHECK(first({.min = 3, .max = 4, .minex = true}) == "e1008");
  CHECK(last({.min = 3, .max = 4, .maxex = true}) == "e1007");
  CHECK(first({.min = 3, .max = 3, .minex = true}) == "-");  // empty interval
  CHECK(first({.min = 5, .max = 4}) == "-");
  CHECK(first({.min = 100, .max = 200}) == "-");
  CHECK(last({.min = -10, .max = -1}) == "-");
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(first({.min = -inf, .max = inf}) == "e1000");
  CHECK(last({.min = -inf, .max = inf}) == "e1099");
  CHECK(first({.min = 2.5, .max = 2.7}) == "-");  // between two scores
  const SkipList::Node* a = list.FirstInRange(ScoreRange{.min = 10, .max = 20});
  const SkipList::Node* b = list.LastInRange(ScoreRange{.min = 10, .max = 20});
  CHECK(list.Rank(b) - list.Rank(a) + 1 == 22);
}

TEST_CASE("skiplist lex ranges over equal scores", "[ds][skiplist]") {
  SkipList list;
  for (std::string m : {"a", "b", "c", "d", "e", "f", "g"}) list.Insert(0, m);
  using B = LexRange::Bound;
  auto span = [&](LexRange r) {
    const SkipList::Node* a = list.FirstInRange(r);
    const SkipList::Node* b = list.LastInRange(r);
    if (a == nullptr || b == nullptr) return std::string("-");
    return std::string(a->member()) + std::string(b->member());
  };
  LexRange all;
  CHECK(span(all) == "ag");
  CHECK(span({.min_kind = B::kValue, .max_kind = B::kValue, .min = "b", .max = "d"}) == "bd");
  CHECK(span({.min_kind = B::kValue,
              .max_kind = B::kValue,
              .min = "b",
              .max = "d",
              .minex = true,
              .maxex = true}) == "cc");
  CHECK(span({.min_kind = B::kValue, .max_kind = B::kPosInf, .min = "bb"}) == "cg");
  CHECK(span({.min_kind = B::kNegInf, .max_kind = B::kValue, .max = "c", .maxex = true}) == "ab");
  CHECK(span({.min_kind = B::kPosInf, .max_kind = B::kPosInf}) == "-");
  CHECK(span({.min_kind = B::kNegInf, .max_kind = B::kNegInf}) == "-");
  CHECK(span({.min_kind = B::kValue, .max_kind = B::kValue, .min = "d", .max = "b"}) == "-");
  CHECK(span({.min_kind = B::kValue, .max_kind = B::kValue, .min = "zz", .max = "zzz"}) == "-");
  // Bytewise: 0xFF sorts after every ASCII byte.
  list.Insert(0, "\xff");
  CHECK(std::string(list.Last()->member()) == "\xff");
}

TEST_CASE("skiplist deletions by rank keep spans right", "[ds][skiplist]") {
  SkipList list;
  Model model;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; i++) {
    const Item item{static_cast<double>(rng() % 100), "k" + std::to_string(i)};
    list.Insert(item.first, item.second);
    model.insert(item);
  }
  while (list.size() > 0) {
    // Erase a run of ranks [start, start + count), as ZREMRANGEBYRANK does.
    const size_t start = rng() % list.size() + 1;
    const size_t count = std::min<size_t>(rng() % 40 + 1, list.size() - start + 1);
    SkipList::Node* n = list.AtRank(start);
    for (size_t k = 0; k < count; k++) {
      SkipList::Node* next = n->next();
      model.erase({n->score(), std::string(n->member())});
      list.Erase(n);
      n = next;
    }
    CheckSame(list, model);
    if (!model.empty()) {
      const size_t r = rng() % model.size();
      const SkipList::Node* at = list.AtRank(r + 1);
      REQUIRE(at != nullptr);
      REQUIRE(Item{at->score(), std::string(at->member())} == *std::next(model.begin(), r));
      REQUIRE(list.Rank(at) == r + 1);
    }
  }
  CHECK(list.First() == nullptr);
  CHECK(list.Last() == nullptr);
}

TEST_CASE("skiplist score updates keep the node", "[ds][skiplist]") {
  SkipList list;
  SkipList::Node* a = list.Insert(1, "a");
  list.Insert(2, "b");
  list.Insert(3, "c");
  list.UpdateScore(a, 2.5);  // moves between b and c
  CHECK(list.Rank(a) == 2);
  CHECK(a->score() == 2.5);
  list.UpdateScore(a, 10);
  CHECK(list.Last() == a);
  list.UpdateScore(a, 9);  // stays last: in place
  CHECK(list.Last() == a);
  CHECK(a->prev()->member() == "c");
  list.UpdateScore(a, -1);
  CHECK(list.First() == a);
  CHECK(list.Rank(a) == 1);
}

}  // namespace
}  // namespace tidekv::ds
