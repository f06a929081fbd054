// HashBytes: the 64-bit hash the server's hash tables use for keys and fields.
//
// absl's hash: fast on short strings and seeded per process, which keeps hostile key sets
// from forcing long probe runs. The seed changes between runs, so a hash is never stored
// or sent anywhere; it only places things in memory. Any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidekv::ds {

uint64_t HashBytes(std::string_view bytes);

}  // namespace tidekv::ds
