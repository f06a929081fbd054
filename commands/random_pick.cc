#include "commands/random_pick.h"

#include <numeric>

#include "types/value.h"

namespace tidekv::commands {

std::optional<RandomCount> ParseRandomCount(CommandContext& ctx, size_t i, bool with_values) {
  std::optional<int64_t> v = ctx.IntArg(i);
  if (!v) return std::nullopt;
  const int64_t bound = with_values ? INT64_MAX / 2 : INT64_MAX;
  if (*v < -bound || *v > bound) {
    ctx.Error("ERR value is out of range");
    return std::nullopt;
  }
  return RandomCount{.n = static_cast<size_t>(*v < 0 ? -*v : *v), .repeats = *v < 0};
}

std::vector<size_t> PickDistinct(size_t size, size_t n) {
  std::vector<size_t> idx(size);
  std::iota(idx.begin(), idx.end(), size_t{0});
  if (n >= size) return idx;
  // A partial Fisher-Yates shuffle: the first n slots end up a uniform sample.
  std::mt19937_64& rng = types::Rng();
  for (size_t k = 0; k < n; k++) {
    std::uniform_int_distribution<size_t> pick(k, size - 1);
    std::swap(idx[k], idx[pick(rng)]);
  }
  idx.resize(n);
  return idx;
}

}  // namespace tidekv::commands
