// tidekv-order-tree-bench: ds::SkipList against ds::OrderTree as a large sorted set uses them
// (each with a ScanTable member index, looked up exactly as ZSetValue does, so the hash
// lookup is paid equally), in ns per operation:
//   rescore   a random existing member gets a new random score (ZADD's hot path)
//   replace   a random member is erased and inserted again with a new score (a new record)
//   rank      the rank of a random member (ZRANK)
//   range10   the element at a random rank and the 9 after it (ZRANGE r r+9)
//   find      the index lookup alone, reading the score (ZSCORE): the part of rescore and
//             rank that does not depend on the structure
// and bytes per element (the structure's MemoryBytes, then the index's slots). Medians of
// -r repeats; the machine is shared, so run it a few times.
//
//   tidekv-order-tree-bench [-n 100000,1000000] [-o 200000] [-r 5]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ds/order_tree.h"
#include "ds/scan_table.h"
#include "ds/skiplist.h"

namespace tidekv::ds {
namespace {

// Calls that differ between the two structures.
struct SkipListSide {
  using Node = SkipList::Node;
  static constexpr const char* kName = "skiplist";
  SkipList s;
  static Node* AtRankAndWalk(const SkipList& s, size_t rank, size_t k, double* sum) {
    Node* n = s.AtRank(rank);
    for (size_t i = 0; i < k && n != nullptr; i++, n = n->next()) *sum += n->score();
    return n;
  }
};

struct OrderTreeSide {
  using Node = OrderTree::Elem;
  static constexpr const char* kName = "order_tree";
  OrderTree s;
  static Node* AtRankAndWalk(const OrderTree& s, size_t rank, size_t k, double* sum) {
    auto it = s.IterAtRank(rank);
    for (size_t i = 0; i < k && it.Valid(); i++, it.Next()) *sum += it.elem()->score();
    return it.Valid() ? it.elem() : nullptr;
  }
};

struct Ops {
  std::vector<uint32_t> picks;  // member indexes
  std::vector<double> scores;
  std::vector<size_t> ranks;  // 1-based
};

double NsPer(std::chrono::steady_clock::time_point t0, size_t ops) {
  const auto dt = std::chrono::steady_clock::now() - t0;
  return std::chrono::duration<double, std::nano>(dt).count() / static_cast<double>(ops);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename Side>
void Run(size_t n, size_t ops, int repeats, uint64_t seed) {
  using Node = typename Side::Node;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> score(0, 1e9);
  std::vector<std::string> members(n);
  for (size_t i = 0; i < n; i++) members[i] = "member:" + std::to_string(i);
  std::shuffle(members.begin(), members.end(), rng);

  Side side;
  ScanTable<Node> index;
  for (const std::string& m : members) index.Insert(side.s.Insert(score(rng), m), HashBytes(m));
  const double bytes_per = static_cast<double>(side.s.MemoryBytes()) / static_cast<double>(n);
  const double index_per = static_cast<double>(index.SlotBytes()) / static_cast<double>(n);

  // Memory after a load in order (a restart's or RESTORE's decode appends members sorted).
  double sorted_per = 0;
  {
    Side sorted;
    for (size_t i = 0; i < n; i++) sorted.s.Insert(static_cast<double>(i), members[i]);
    sorted_per = static_cast<double>(sorted.s.MemoryBytes()) / static_cast<double>(n);
  }

  Ops o;
  for (size_t i = 0; i < ops; i++) {
    o.picks.push_back(static_cast<uint32_t>(rng() % n));
    o.scores.push_back(score(rng));
    o.ranks.push_back(1 + rng() % (n - 10));
  }
  auto find = [&](uint32_t i) {
    const std::string& m = members[i];
    return index.Find(m, HashBytes(m));
  };
  std::vector<double> rescore, replace, rank, range10, lookup;
  size_t check = 0;
  double sum = 0;
  for (int r = 0; r < repeats; r++) {
    auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < ops; i++) side.s.UpdateScore(find(o.picks[i]), o.scores[i]);
    rescore.push_back(NsPer(t0, ops));

    t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < ops; i++) {
      const std::string& m = members[o.picks[i]];
      const uint64_t h = HashBytes(m);
      side.s.Erase(index.Remove(m, h));
      index.Insert(side.s.Insert(o.scores[ops - 1 - i], m), h);
    }
    replace.push_back(NsPer(t0, ops));

    t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < ops; i++) check += side.s.Rank(find(o.picks[i]));
    rank.push_back(NsPer(t0, ops));

    t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < ops; i++) Side::AtRankAndWalk(side.s, o.ranks[i], 10, &sum);
    range10.push_back(NsPer(t0, ops));

    t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < ops; i++) sum += find(o.picks[i])->score();
    lookup.push_back(NsPer(t0, ops));
  }
  std::printf(
      "%-10s n=%-8zu rescore %7.1f  replace %7.1f  rank %7.1f  range10 %7.1f  find %6.1f ns/op  "
      "bytes/elem %5.1f (%5.1f loaded in order) + index %4.1f  (%zu %.0f)\n",
      Side::kName, n, Median(rescore), Median(replace), Median(rank), Median(range10),
      Median(lookup), bytes_per, sorted_per, index_per, check % 10, sum > 0 ? 1.0 : 0.0);
}

}  // namespace
}  // namespace tidekv::ds

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {100000, 1000000};
  size_t ops = 200000;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "-n") == 0) {
      sizes.clear();
      for (char* p = argv[i + 1]; *p != '\0';) {
        sizes.push_back(std::strtoull(p, &p, 10));
        if (*p == ',') p++;
      }
    } else if (std::strcmp(argv[i], "-o") == 0) {
      ops = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "-r") == 0) {
      repeats = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [-n sizes,...] [-o ops] [-r repeats]\n", argv[0]);
      return 2;
    }
  }
  std::printf("order tree: leaf %zu bytes, inner %zu bytes\n", tidekv::ds::OrderTree::kLeafBytes,
              tidekv::ds::OrderTree::kInnerBytes);
  for (size_t n : sizes) {
    tidekv::ds::Run<tidekv::ds::SkipListSide>(n, ops, repeats, 42);
    tidekv::ds::Run<tidekv::ds::OrderTreeSide>(n, ops, repeats, 42);
  }
  return 0;
}
