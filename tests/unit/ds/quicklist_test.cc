// ds::Quicklist against a std::deque model: random pushes, pops, sets, inserts, erases and
// removals under small node limits and compression depths; node limits hold, ids stay
// ordered, the nodes an observer was told about are exactly what an image of the nodes by
// id needs to follow the list, and an image loads back (ApplyNode) to the same list.
#include "ds/quicklist.h"

#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace tidekv::ds {
namespace {

struct Notes final : NodeObserver {
  void NodeChanged(uint64_t id) override { ids.insert(id); }
  std::set<uint64_t> ids;
};

std::vector<std::string> Contents(const Quicklist& q) {
  std::vector<std::string> out;
  q.Walk(0, true, [&](size_t i, std::string_view v) {
    CHECK(i == out.size());
    out.emplace_back(v);
    return true;
  });
  return out;
}

std::vector<std::string> Model(const std::deque<std::string>& d) { return {d.begin(), d.end()}; }

using Image = std::map<uint64_t, std::string>;

Image ImageOf(const Quicklist& q) {
  Image image;
  q.ForEachNode([&](uint64_t id, std::string_view raw) { image[id] = std::string(raw); });
  return image;
}

// What an element-row writer does with the notes: rewrite or remove just those nodes.
void Follow(const Quicklist& q, const std::set<uint64_t>& changed, Image* image) {
  for (uint64_t id : changed) {
    std::string raw;
    if (q.NodeRaw(id, &raw)) {
      (*image)[id] = raw;
    } else {
      image->erase(id);
    }
  }
}

void CheckShape(const Quicklist& q, const QuicklistOptions& opt) {
  const std::vector<uint64_t> ids = q.NodeIds();
  for (size_t i = 1; i < ids.size(); i++) REQUIRE(ids[i - 1] < ids[i]);
  if (q.single()) {
    CHECK(q.node_count() <= 1);
    return;
  }
  // Every node holds at least one element and, unless it holds just one, fits the limit.
  q.ForEachNode([&](uint64_t, std::string_view raw) {
    std::optional<Listpack> lp = Listpack::FromRaw(raw);
    REQUIRE(lp);
    REQUIRE(lp->size() >= 1);
    if (lp->size() > 1) {
      if (opt.fill > 0) CHECK(lp->size() <= static_cast<size_t>(opt.fill));
      if (opt.fill < 0) CHECK(lp->bytes() <= (size_t{4096} << (-opt.fill - 1)));
    }
  });
}

std::string RandomValue(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return std::to_string(static_cast<int64_t>(rng() % 2000) - 1000);
    case 1:
      return std::string(1 + rng() % 300, static_cast<char>('a' + rng() % 3));
    default:
      return "v" + std::to_string(rng() % 50);
  }
}

TEST_CASE("quicklist follows a deque model through random operations", "[ds][quicklist]") {
  for (auto [fill, depth] :
       {std::pair<int64_t, int64_t>{4, 0}, {4, 1}, {1, 2}, {-1, 0}, {-1, 1}, {16, 3}, {2, 1}}) {
    INFO("fill " << fill << " depth " << depth);
    std::mt19937_64 rng(static_cast<uint64_t>(fill * 31 + depth));
    Quicklist q;
    Notes notes;
    QuicklistOptions opt{.fill = fill, .compress_depth = depth, .observer = &notes};
    std::deque<std::string> model;
    Image image;
    bool saw_multi = false, saw_compressed = false;
    for (int step = 0; step < 4000; step++) {
      const size_t n = model.size();
      const int op = static_cast<int>(rng() % 10);
      if (op <= 2 || n == 0) {
        const std::string v = RandomValue(rng);
        const bool front = rng() % 2 == 0;
        q.Push(front, v, opt);
        front ? model.push_front(v) : model.push_back(v);
      } else if (op == 3) {
        const bool front = rng() % 2 == 0;
        const std::string got = q.Pop(front, opt);
        REQUIRE(got == (front ? model.front() : model.back()));
        front ? model.pop_front() : model.pop_back();
      } else if (op == 4) {
        const size_t i = rng() % n;
        REQUIRE(q.At(i) == model[i]);
        const std::string v = RandomValue(rng);
        q.Set(i, v, opt);
        model[i] = v;
      } else if (op == 5) {
        const size_t i = rng() % (n + 1);
        const std::string v = RandomValue(rng);
        q.Insert(i, v, opt);
        model.insert(model.begin() + static_cast<ptrdiff_t>(i), v);
      } else if (op == 6 && rng() % 4 == 0) {
        const size_t i = rng() % n, count = rng() % 40;
        q.Erase(i, count, opt);
        const size_t end = std::min(n, i + count);
        model.erase(model.begin() + static_cast<ptrdiff_t>(i),
                    model.begin() + static_cast<ptrdiff_t>(end));
      } else if (op == 7) {
        const std::string v = "v" + std::to_string(rng() % 50);
        const size_t limit = rng() % 3;
        const bool from_tail = rng() % 2 == 0;
        size_t want = 0;
        if (from_tail) {
          for (size_t j = n; j-- > 0 && (limit == 0 || want < limit);) {
            if (model[j] == v) {
              model.erase(model.begin() + static_cast<ptrdiff_t>(j));
              want++;
            }
          }
        } else {
          for (size_t j = 0; j < model.size() && (limit == 0 || want < limit);) {
            if (model[j] == v) {
              model.erase(model.begin() + static_cast<ptrdiff_t>(j));
              want++;
            } else {
              j++;
            }
          }
        }
        REQUIRE(q.RemoveEqual(v, limit, from_tail, opt) == want);
      } else {
        // Walks from any index in both directions.
        const size_t from = rng() % n;
        const bool forward = rng() % 2 == 0;
        size_t expect = from, seen = 0;
        q.Walk(from, forward, [&](size_t i, std::string_view v) {
          REQUIRE(i == expect);
          REQUIRE(v == model[i]);
          expect = forward ? i + 1 : i - 1;
          return ++seen < 30;
        });
        CHECK(seen == std::min<size_t>(30, forward ? n - from : from + 1));
      }
      REQUIRE(q.size() == model.size());
      saw_multi |= !q.single();
      saw_compressed |= q.compressed_nodes() > 0;
      Follow(q, notes.ids, &image);
      notes.ids.clear();
      if (step % 97 == 0) {
        REQUIRE(Contents(q) == Model(model));
        CheckShape(q, opt);
        REQUIRE(image == ImageOf(q));
      }
    }
    REQUIRE(Contents(q) == Model(model));
    CHECK(saw_multi);
    if (depth > 0) CHECK(saw_compressed);

    // The image loads back, in any order of its rows, to the same list.
    Quicklist loaded;
    std::vector<std::pair<uint64_t, std::string>> rows(image.begin(), image.end());
    std::shuffle(rows.begin(), rows.end(), rng);
    for (const auto& [id, raw] : rows) REQUIRE(loaded.ApplyNode(id, raw, false));
    CHECK(Contents(loaded) == Model(model));
    CHECK(loaded.NodeIds() == q.NodeIds());
    // A copy is deep and equal.
    Quicklist copy(q);
    q.Push(true, "only-in-original", opt);
    CHECK(Contents(copy) == Model(model));
  }
}

TEST_CASE("quicklist nodes split at the limit and become one listpack again when small",
          "[ds][quicklist]") {
  Notes notes;
  QuicklistOptions opt{.fill = 3, .observer = &notes};
  Quicklist q;
  for (int i = 0; i < 3; i++) q.Push(false, std::to_string(i), opt);
  CHECK(q.single());
  CHECK(notes.ids == std::set<uint64_t>{Quicklist::kFirstId});
  q.Push(false, "3", opt);
  CHECK_FALSE(q.single());
  CHECK(q.node_count() == 2);
  CHECK(q.NodeIds() ==
        std::vector<uint64_t>{Quicklist::kFirstId, Quicklist::kFirstId + Quicklist::kIdGap});
  q.Push(true, "-1", opt);
  CHECK(q.NodeIds().front() == Quicklist::kFirstId - Quicklist::kIdGap);
  // Inserting into a full middle node splits it; the new node's id lies between.
  q.Insert(2, "x", opt);
  CHECK(Contents(q) == std::vector<std::string>{"-1", "0", "x", "1", "2", "3"});
  const std::vector<uint64_t> ids = q.NodeIds();
  CHECK(std::is_sorted(ids.begin(), ids.end()));
  // Down to one node of at most half the limit (1 element for fill 3): a listpack again.
  q.Erase(1, 4, opt);
  CHECK(Contents(q) == std::vector<std::string>{"-1", "3"});
  CHECK_FALSE(q.single());
  q.Pop(true, opt);
  CHECK(q.single());
  CHECK(q.NodeIds() == std::vector<uint64_t>{Quicklist::kFirstId});
}

TEST_CASE("quicklist renumbers its ids when no room is left between two nodes", "[ds][quicklist]") {
  Notes notes;
  QuicklistOptions opt{.fill = 1, .observer = &notes};
  Quicklist q;
  q.Push(false, "a", opt);
  q.Push(false, "z", opt);
  // Always inserting right after the first node halves the gap each time.
  for (int i = 0; i < 40; i++) q.Insert(1, "m" + std::to_string(i), opt);
  const std::vector<uint64_t> ids = q.NodeIds();
  REQUIRE(ids.size() == 42);
  CHECK(std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<>()) == ids.end());
  CHECK(q.At(0) == "a");
  CHECK(q.At(1) == "m39");
  CHECK(q.At(41) == "z");
}

TEST_CASE("quicklist compresses interior nodes past the depth and reads through them",
          "[ds][quicklist]") {
  QuicklistOptions opt{.fill = -1, .compress_depth = 1};
  Quicklist q;
  const std::string big(1000, 'q');
  for (int i = 0; i < 40; i++) q.Push(false, big + std::to_string(i), opt);
  CHECK(q.node_count() > 4);
  CHECK(q.compressed_nodes() == q.node_count() - 2);
  CHECK(q.At(17) == big + "17");
  q.Set(17, "small", opt);
  CHECK(q.At(17) == "small");
  CHECK(q.compressed_nodes() == q.node_count() - 2);
  Quicklist plain_copy(q);
  CHECK(plain_copy.At(30) == big + "30");
  // Element rows hold the plain listpack bytes.
  q.ForEachNode([](uint64_t, std::string_view raw) { CHECK(Listpack::FromRaw(raw)); });
}

TEST_CASE("quicklist refuses malformed node rows", "[ds][quicklist]") {
  Quicklist q;
  CHECK_FALSE(q.ApplyNode(Quicklist::kFirstId, "garbage", false));
  Listpack empty;
  CHECK_FALSE(q.ApplyNode(Quicklist::kFirstId, empty.Raw(), false));
  Listpack one;
  one.PushBack("x");
  CHECK(q.ApplyNode(5, one.Raw(), false));
  CHECK(q.ApplyNode(Quicklist::kFirstId, one.Raw(), false));
  CHECK(q.size() == 2);
  CHECK(q.ApplyNode(5, {}, true));
  CHECK(q.size() == 1);
}

TEST_CASE("quicklist tail pops stay right through changes to the tail node between them",
          "[ds][quicklist]") {
  // A queue (push at the head, pop at the tail) keeps the tail node's offsets between
  // pops; every other change to that node (set, insert, erase, push at the tail, a split or
  // a merge) must drop them.
  std::mt19937_64 rng(7);
  Quicklist q;
  QuicklistOptions opt{.fill = 8, .compress_depth = 1};
  std::deque<std::string> model;
  for (int i = 0; i < 200; i++) {
    const std::string v = RandomValue(rng);
    q.Push(true, v, opt);
    model.push_front(v);
  }
  for (int step = 0; step < 3000; step++) {
    const size_t n = model.size();
    const int op = static_cast<int>(rng() % 12);
    if (op < 5 || n < 4) {
      const std::string v = RandomValue(rng);
      q.Push(true, v, opt);
      model.push_front(v);
    } else if (op < 9) {
      REQUIRE(q.Pop(false, opt) == model.back());
      model.pop_back();
    } else if (op == 9) {  // a different length at one of the last few elements
      const size_t i = n - 1 - rng() % 3;
      const std::string v = RandomValue(rng) + RandomValue(rng);
      q.Set(i, v, opt);
      model[i] = v;
    } else if (op == 10) {
      const size_t i = n - rng() % 3;
      const std::string v = RandomValue(rng);
      q.Insert(i, v, opt);
      model.insert(model.begin() + static_cast<ptrdiff_t>(i), v);
    } else {
      const size_t i = n - 1 - rng() % 3;
      q.Erase(i, 1, opt);
      model.erase(model.begin() + static_cast<ptrdiff_t>(i));
    }
    REQUIRE(q.size() == model.size());
  }
  REQUIRE(Contents(q) == Model(model));
  // A copy carries the offsets along and pops the same.
  Quicklist copy(q);
  while (!model.empty()) {
    REQUIRE(copy.Pop(false, opt) == model.back());
    REQUIRE(q.Pop(false, opt) == model.back());
    model.pop_back();
  }
}

}  // namespace
}  // namespace tidekv::ds
