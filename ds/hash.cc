#include "ds/hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace tidekv::ds {
namespace {

uint64_t g_seed = 0x9e37'79b9'7f4a'7c15ull;

}  // namespace

uint64_t HashBytes(std::string_view bytes) {
  return XXH3_64bits_withSeed(bytes.data(), bytes.size(), g_seed);
}

void SetHashSeed(uint64_t seed) { g_seed = seed; }

uint64_t HashSeed() { return g_seed; }

}  // namespace tidekv::ds
