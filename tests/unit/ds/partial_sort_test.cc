// PartialQuickSort: the wanted prefix equals a full sort's on random input, and equal keys
// end in the very order Redis's pqsort leaves them (the expected permutations come from
// Redis 7.0.15's pqsort.c run on the same input).
#include "ds/partial_sort.h"

#include <catch2/catch.hpp>
#include <random>
#include <utility>
#include <vector>

namespace tidekv::ds {
namespace {

using Item = std::pair<int, int>;  // key, original position

int CompareKeys(const Item& a, const Item& b) {
  return a.first > b.first ? 1 : a.first == b.first ? 0 : -1;
}

std::vector<int> SortedIds(const std::vector<int>& keys, size_t wanted) {
  std::vector<Item> v;
  for (size_t i = 0; i < keys.size(); i++) v.emplace_back(keys[i], static_cast<int>(i));
  PartialQuickSort(v.data(), v.size(), wanted, CompareKeys);
  std::vector<int> ids;
  for (const Item& it : v) ids.push_back(it.second);
  return ids;
}

TEST_CASE("PartialQuickSort leaves equal keys where Redis's pqsort does", "[partial_sort]") {
  CHECK(SortedIds({3, 1, 2, 1, 3, 0, 1, 2, 0, 1, 3, 2}, 4) ==
        std::vector<int>{8, 5, 6, 1, 3, 9, 11, 2, 7, 4, 10, 0});
  // Where a partition needs no exchange, 7.0's pqsort goes on partitioning (later versions
  // switch to insertion sort and order ties differently).
  CHECK(SortedIds({2, 1, 0, 2, 0, 0, 0, 0, 0, 2}, 2) ==
        std::vector<int>{6, 8, 2, 7, 4, 5, 1, 9, 3, 0});
  std::vector<int> keys;
  for (int i = 0; i < 50; i++) keys.push_back((i * 7) % 4);
  CHECK(SortedIds(keys, 5) == std::vector<int>{12, 20, 4,  16, 0,  40, 36, 44, 8,  32, 28, 48, 24,
                                               19, 3,  7,  11, 15, 23, 27, 31, 35, 39, 43, 47, 25,
                                               26, 2,  10, 29, 30, 45, 9,  33, 34, 46, 6,  37, 38,
                                               49, 5,  41, 42, 18, 17, 14, 21, 22, 1,  13});
}

TEST_CASE("PartialQuickSort's wanted prefix equals a full sort's", "[partial_sort]") {
  std::mt19937 rng(3);
  for (int t = 0; t < 2000; t++) {
    const size_t n = 1 + rng() % 300;
    const int distinct = 1 + static_cast<int>(rng() % 400);
    std::vector<int> v(n);
    for (int& x : v) x = static_cast<int>(rng() % static_cast<unsigned>(distinct));
    const size_t wanted = 1 + rng() % n;
    std::vector<int> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    PartialQuickSort(v.data(), n, wanted, [](int a, int b) { return a < b ? -1 : a > b ? 1 : 0; });
    REQUIRE(std::vector<int>(v.begin(), v.begin() + static_cast<ptrdiff_t>(wanted)) ==
            std::vector<int>(sorted.begin(), sorted.begin() + static_cast<ptrdiff_t>(wanted)));
    std::sort(v.begin(), v.end());
    REQUIRE(v == sorted);  // a permutation of the input
  }
}

}  // namespace
}  // namespace tidekv::ds
