// IntSet: agrees with a std::set model under random adds and removes, always at the
// smallest width its members need (widening and narrowing), and FromRaw accepts only that
// canonical form, refusing damaged bytes without reading out of bounds.
#include "ds/intset.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace tidekv::ds {
namespace {

int WidthNeeded(const std::set<int64_t>& model) {
  if (model.empty()) return 2;
  const int64_t lo = *model.begin();
  const int64_t hi = *model.rbegin();
  if (lo >= INT16_MIN && hi <= INT16_MAX) return 2;
  if (lo >= INT32_MIN && hi <= INT32_MAX) return 4;
  return 8;
}

void CheckAgainst(const IntSet& s, const std::set<int64_t>& model) {
  REQUIRE(s.size() == model.size());
  REQUIRE(s.empty() == model.empty());
  REQUIRE(s.width() == WidthNeeded(model));
  REQUIRE(s.bytes() == (model.empty() ? 0 : IntSet::kHeaderBytes + model.size() * s.width()));
  size_t i = 0;
  for (int64_t v : model) {
    REQUIRE(s.At(i++) == v);
    REQUIRE(s.Contains(v));
  }
  std::optional<IntSet> back = IntSet::FromRaw(s.Raw());
  REQUIRE(back.has_value());
  REQUIRE(*back == s);
}

// Values mostly in the 16-bit range, sometimes 32- or 64-bit, so widths go up and down.
int64_t RandomValue(std::mt19937_64& rng) {
  static const int64_t kEdges[] = {0,
                                   -1,
                                   INT16_MIN,
                                   INT16_MAX,
                                   int64_t{INT16_MIN} - 1,
                                   int64_t{INT16_MAX} + 1,
                                   INT32_MIN,
                                   INT32_MAX,
                                   int64_t{INT32_MIN} - 1,
                                   int64_t{INT32_MAX} + 1,
                                   INT64_MIN,
                                   INT64_MAX};
  switch (rng() % 10) {
    case 0:
      return kEdges[rng() % std::size(kEdges)];
    case 1:
      return static_cast<int32_t>(rng());
    case 2:
      return static_cast<int64_t>(rng());
    default:
      return static_cast<int64_t>(rng() % 2000) - 1000;
  }
}

TEST_CASE("IntSet: an empty set has no members and no allocation", "[intset]") {
  IntSet s;
  CHECK(s.size() == 0);
  CHECK(s.empty());
  CHECK(s.bytes() == 0);
  CHECK(s.width() == 2);
  CHECK_FALSE(s.Contains(0));
  CHECK_FALSE(s.Remove(0));
  std::optional<IntSet> back = IntSet::FromRaw(s.Raw());
  REQUIRE(back.has_value());
  CHECK(back->empty());
}

TEST_CASE("IntSet: random adds and removes agree with a std::set model", "[intset]") {
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    IntSet s;
    std::set<int64_t> model;
    for (int op = 0; op < 20'000; op++) {
      const int64_t v =
          rng() % 3 == 0 && !model.empty()
              ? *std::next(model.begin(), static_cast<ptrdiff_t>(rng() % model.size()))
              : RandomValue(rng);
      const bool add = model.size() < 300 ? rng() % 100 < 60 : rng() % 100 < 40;
      if (add) {
        REQUIRE(s.Add(v) == model.insert(v).second);
      } else {
        REQUIRE(s.Remove(v) == (model.erase(v) == 1));
      }
      REQUIRE(s.width() == WidthNeeded(model));
      if (op % 100 == 0) CheckAgainst(s, model);
      const int64_t probe = RandomValue(rng);
      REQUIRE(s.Contains(probe) == (model.count(probe) == 1));
    }
    CheckAgainst(s, model);
    // One set, one encoding: the same members added in another order give the same bytes.
    std::vector<int64_t> members(model.begin(), model.end());
    std::shuffle(members.begin(), members.end(), rng);
    IntSet again;
    for (int64_t v : members) again.Add(v);
    REQUIRE(again == s);
  }
}

TEST_CASE("IntSet: the width grows with the widest member and shrinks back", "[intset]") {
  IntSet s;
  for (int64_t v : {5, -7, 300}) s.Add(v);
  CHECK(s.width() == 2);
  CHECK(s.Add(INT16_MAX));
  CHECK(s.width() == 2);
  // A wider value lies beyond every member: it goes last (or first when negative).
  CHECK(s.Add(int64_t{INT16_MAX} + 1));
  CHECK(s.width() == 4);
  CHECK(s.At(s.size() - 1) == int64_t{INT16_MAX} + 1);
  CHECK(s.Add(INT64_MIN));
  CHECK(s.width() == 8);
  CHECK(s.At(0) == INT64_MIN);
  CHECK(s.Add(INT64_MAX));
  CHECK_FALSE(s.Add(INT64_MAX));
  CHECK(s.At(s.size() - 1) == INT64_MAX);
  CHECK(s.bytes() == IntSet::kHeaderBytes + 8 * s.size());
  CHECK(s.Contains(-7));
  CHECK_FALSE(s.Contains(-8));
  CHECK(s.Remove(INT64_MIN));
  CHECK(s.width() == 8);  // INT64_MAX still needs 8 bytes
  CHECK(s.Remove(INT64_MAX));
  CHECK(s.width() == 4);
  CHECK(s.Remove(int64_t{INT16_MAX} + 1));
  CHECK(s.width() == 2);
  CHECK(s.bytes() == IntSet::kHeaderBytes + 2 * 4);
  std::vector<int64_t> members;
  for (size_t i = 0; i < s.size(); i++) members.push_back(s.At(i));
  CHECK(members == std::vector<int64_t>{-7, 5, 300, INT16_MAX});
  // A value wider than every member is never contained (and is not searched for).
  CHECK_FALSE(s.Contains(INT64_MIN));
  CHECK_FALSE(s.Contains(int64_t{INT32_MAX} + 5));
  for (int64_t v : members) CHECK(s.Remove(v));
  CHECK(s.empty());
  CHECK(s.bytes() == 0);
}

TEST_CASE("IntSet: copies are independent and moves leave an empty set", "[intset]") {
  IntSet a;
  for (int64_t v : {1, 2, 3}) a.Add(v);
  IntSet b = a;
  b.Add(INT64_MAX);
  CHECK(a.size() == 3);
  CHECK(a.width() == 2);
  CHECK(b.size() == 4);
  a = b;
  CHECK(a == b);
  IntSet c = std::move(a);
  CHECK(c == b);
  CHECK(a.empty());  // NOLINT: the moved-from state is specified
  IntSet d;
  d = std::move(c);
  CHECK(d == b);
  d.Clear();
  CHECK(d.empty());
}

void CheckAcceptedIsCanonical(const std::optional<IntSet>& s, std::string_view raw) {
  if (!s.has_value()) return;
  REQUIRE(s->Raw() == raw);
  IntSet rebuilt;
  for (size_t i = 0; i < s->size(); i++) REQUIRE(rebuilt.Add(s->At(i)));
  REQUIRE(rebuilt.Raw() == raw);
}

IntSet Make(std::initializer_list<int64_t> values) {
  IntSet s;
  for (int64_t v : values) s.Add(v);
  return s;
}

void SetU32(std::string& s, size_t at, uint32_t v) { std::memcpy(s.data() + at, &v, 4); }

TEST_CASE("IntSet: FromRaw refuses every truncation", "[intset]") {
  for (const IntSet& s : {Make({1, -2, 300}), Make({70000, -5}), Make({INT64_MIN, 0, 9})}) {
    const std::string raw(s.Raw());
    for (size_t n = 0; n < raw.size(); n++) {
      std::string cut = raw.substr(0, n);
      REQUIRE_FALSE(IntSet::FromRaw(cut).has_value());
      // With the count patched to what is left, a cut inside a member is still refused
      // (and a cut at a member boundary is a valid smaller set only if still canonical).
      if (n >= IntSet::kHeaderBytes) {
        SetU32(cut, 4, static_cast<uint32_t>((n - IntSet::kHeaderBytes) / s.width()));
        const std::optional<IntSet> got = IntSet::FromRaw(cut);
        if ((n - IntSet::kHeaderBytes) % s.width() != 0) REQUIRE_FALSE(got.has_value());
        CheckAcceptedIsCanonical(got, cut);
      }
    }
    REQUIRE(IntSet::FromRaw(raw).has_value());
  }
}

TEST_CASE("IntSet: FromRaw refuses single-byte corruptions that break the encoding", "[intset]") {
  for (const IntSet& s : {Make({1, -2, 300, 4000}), Make({70000, -5, 6}), Make({INT64_MIN, 9})}) {
    const std::string raw(s.Raw());
    for (size_t i = 0; i < raw.size(); i++) {
      for (int b = 0; b < 256; b++) {
        if (static_cast<unsigned char>(raw[i]) == b) continue;
        std::string bad = raw;
        bad[i] = static_cast<char>(b);
        const std::optional<IntSet> got = IntSet::FromRaw(bad);
        if (i < IntSet::kHeaderBytes) REQUIRE_FALSE(got.has_value());
        CheckAcceptedIsCanonical(got, bad);
      }
    }
  }
  auto raw_of = [](uint32_t width, std::vector<int64_t> members) {
    std::string r(IntSet::kHeaderBytes, '\0');
    SetU32(r, 0, width);
    SetU32(r, 4, static_cast<uint32_t>(members.size()));
    for (int64_t v : members) r.append(reinterpret_cast<const char*>(&v), width);
    return r;
  };
  CHECK(IntSet::FromRaw(raw_of(2, {1, 2})).has_value());                 // the valid baseline
  CHECK_FALSE(IntSet::FromRaw(raw_of(2, {2, 1})).has_value());           // not sorted
  CHECK_FALSE(IntSet::FromRaw(raw_of(2, {1, 1})).has_value());           // not distinct
  CHECK_FALSE(IntSet::FromRaw(raw_of(4, {1, 2})).has_value());           // wider than needed
  CHECK_FALSE(IntSet::FromRaw(raw_of(3, {1, 2})).has_value());           // no such width
  CHECK_FALSE(IntSet::FromRaw(raw_of(4, {})).has_value());               // empty is width 2
  CHECK(IntSet::FromRaw(raw_of(8, {1, int64_t{1} << 40})).has_value());  // needs 8
  CHECK_FALSE(IntSet::FromRaw(raw_of(8, {1, int64_t{1} << 30})).has_value());
  std::string extra = raw_of(2, {1, 2});
  extra.push_back('\0');
  CHECK_FALSE(IntSet::FromRaw(extra).has_value());
}

TEST_CASE("IntSet: FromRaw survives random garbage", "[intset]") {
  std::mt19937_64 rng(23);
  size_t accepted = 0;
  for (int round = 0; round < 20'000; round++) {
    const uint32_t width = std::vector<uint32_t>{2, 4, 8, 5}[rng() % 4];
    const uint32_t count = static_cast<uint32_t>(rng() % 4);
    std::string r(IntSet::kHeaderBytes + count * (width == 5 ? 2 : width) + rng() % 2, '\0');
    for (size_t i = IntSet::kHeaderBytes; i < r.size(); i++) r[i] = static_cast<char>(rng());
    SetU32(r, 0, width);
    SetU32(r, 4, count);
    const std::optional<IntSet> got = IntSet::FromRaw(r);
    CheckAcceptedIsCanonical(got, r);
    accepted += got.has_value();
  }
  CHECK(accepted > 0);
}

}  // namespace
}  // namespace tidekv::ds
