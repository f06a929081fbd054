// CRC-32C (Castagnoli): the checksum of the manifest, of shipped batch files and of trace
// records. Crc32c(b, Crc32c(a)) == Crc32c(a + b), so data can be checksummed in pieces.
// Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise (same results).
#pragma once

#include <cstdint>
#include <string_view>

namespace tidekv {

uint32_t Crc32c(std::string_view data, uint32_t seed = 0);

}  // namespace tidekv
