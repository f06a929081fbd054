// ScoreRange and LexRange: the intervals sorted-set range commands ask for (ZRANGEBYSCORE,
// ZRANGEBYLEX, ZCOUNT, ...), shared by the ordered structures that answer them (SkipList,
// OrderTree). Plain values; the caller keeps a LexRange's bound bytes alive.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidekv::ds {

// A score interval; min and max are included unless minex/maxex.
struct ScoreRange {
  double min = 0;
  double max = 0;
  bool minex = false;
  bool maxex = false;

  bool AboveMin(double v) const { return minex ? v > min : v >= min; }
  bool BelowMax(double v) const { return maxex ? v < max : v <= max; }
  bool Contains(double v) const { return AboveMin(v) && BelowMax(v); }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

// A member interval in bytewise order; a bound is a value (excluded when *ex) or -inf/+inf.
struct LexRange {
  enum class Bound : uint8_t { kValue, kNegInf, kPosInf };
  Bound min_kind = Bound::kNegInf;
  Bound max_kind = Bound::kPosInf;
  std::string_view min;  // the bounds' bytes (the caller keeps them alive)
  std::string_view max;
  bool minex = false;
  bool maxex = false;

  bool AboveMin(std::string_view v) const {
    if (min_kind != Bound::kValue) return min_kind == Bound::kNegInf;
    return minex ? v > min : v >= min;
  }
  bool BelowMax(std::string_view v) const {
    if (max_kind != Bound::kValue) return max_kind == Bound::kPosInf;
    return maxex ? v < max : v <= max;
  }
  bool Contains(std::string_view v) const { return AboveMin(v) && BelowMax(v); }
  bool Empty() const {
    if (min_kind == Bound::kPosInf || max_kind == Bound::kNegInf) return true;
    if (min_kind == Bound::kNegInf || max_kind == Bound::kPosInf) return false;
    const int cmp = min.compare(max);
    return cmp > 0 || (cmp == 0 && (minex || maxex));
  }
};

}  // namespace tidekv::ds
