// libFuzzer target for ds::IntSet::FromRaw and the intset's edits.
//
// Intsets come back from disk, from a replica's full sync and from RESTORE, so FromRaw
// must refuse any damaged or hostile bytes cleanly, never crash or read outside them.
// Checks per input:
//  1. FromRaw on an exactly sized heap copy (ASan sees any read past the end). When it
//     accepts, the members are walked (At, Contains), they ascend, and the encoding is
//     canonical: Raw() is the input, and adding the members to an empty set rebuilds
//     exactly the same bytes.
//  2. The input read as adds and removes of integers of every width, applied to an IntSet
//     and a std::set side by side; they must agree, at the smallest width, and the result
//     must pass FromRaw.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <string_view>

#include "ds/intset.h"

namespace {

using tidekv::ds::IntSet;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "intset_fuzz: %s\n", what);
    std::abort();
  }
}

void CheckCanonical(const IntSet& s, std::string_view raw) {
  Check(s.Raw() == raw, "Raw differs from the accepted input");
  Check(s.bytes() == raw.size() || (s.empty() && s.bytes() == 0), "bytes() is off");
  IntSet rebuilt;
  for (size_t i = 0; i < s.size(); i++) {
    const int64_t v = s.At(i);
    if (i > 0) Check(s.At(i - 1) < v, "members do not ascend");
    Check(s.Contains(v), "Contains misses a member");
    Check(rebuilt.Add(v), "a member added twice");
  }
  Check(rebuilt == s, "accepted bytes are not the canonical encoding");
}

void CheckFromRaw(std::string_view input) {
  char* copy = static_cast<char*>(std::malloc(input.size() + 1));
  if (!input.empty()) std::memcpy(copy, input.data(), input.size());
  std::optional<IntSet> s = IntSet::FromRaw(std::string_view(copy, input.size()));
  std::free(copy);
  if (s.has_value()) CheckCanonical(*s, input);
}

int WidthNeeded(const std::set<int64_t>& model) {
  if (model.empty()) return 2;
  const int64_t lo = *model.begin();
  const int64_t hi = *model.rbegin();
  if (lo >= INT16_MIN && hi <= INT16_MAX) return 2;
  if (lo >= INT32_MIN && hi <= INT32_MAX) return 4;
  return 8;
}

// Reads the input as edits: an op byte (add/remove and the value's width), then the value.
void CheckEdits(std::string_view input) {
  IntSet s;
  std::set<int64_t> model;
  size_t at = 0;
  while (at < input.size()) {
    const unsigned op = static_cast<unsigned char>(input[at++]);
    const size_t width = size_t{1} << ((op >> 1) & 3);  // 1, 2, 4 or 8 bytes
    if (at + width > input.size()) break;
    uint64_t u = 0;
    std::memcpy(&u, input.data() + at, width);
    at += width;
    const unsigned shift = static_cast<unsigned>(64 - 8 * width);  // sign-extend
    const int64_t v = static_cast<int64_t>(u << shift) >> shift;
    if (op & 1) {
      Check(s.Remove(v) == (model.erase(v) == 1), "Remove disagrees with the model");
    } else {
      Check(s.Add(v) == model.insert(v).second, "Add disagrees with the model");
    }
    Check(s.size() == model.size(), "size disagrees with the model");
    Check(s.width() == WidthNeeded(model), "width is not the smallest");
  }
  size_t i = 0;
  for (int64_t v : model) Check(s.At(i++) == v, "members disagree with the model");
  std::optional<IntSet> back = IntSet::FromRaw(s.Raw());
  Check(back.has_value(), "an edited intset fails FromRaw");
  Check(*back == s, "FromRaw(Raw()) differs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckFromRaw(input);
  CheckEdits(input);
  return 0;
}
