// HashBytes: the 64-bit hash the server's hash tables use for keys and fields.
//
// XXH3 with a 64-bit seed: fast on short strings, and seeded at start-up from a random
// source, which keeps hostile key sets from forcing long probe runs. The seed is the only
// thing that makes table layouts (and so SCAN orders and random picks from large tables)
// differ between runs: the op trace records it, and tidekv-replay sets it before building
// anything, so a replay lays its tables out as the traced server did. A hash is never
// stored or sent anywhere. Set the seed before the first table exists; then any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidekv::ds {

uint64_t HashBytes(std::string_view bytes);

void SetHashSeed(uint64_t seed);
uint64_t HashSeed();

}  // namespace tidekv::ds
