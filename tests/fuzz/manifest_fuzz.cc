// libFuzzer target for compaction::DecodeManifest.
//
// The manifest is read at every start-up from the log store; whatever bytes are there (a
// torn or damaged value, a future version) must be rejected cleanly, never crash or read
// out of bounds. When a buffer decodes, the encoding is canonical: re-encoding gives back
// exactly the input, and decoding that again gives the same manifest. Errors are
// Corruption with a "manifest: " message. Along the way the CRC32C seed contract is checked:
// the CRC of a buffer equals the CRC of its second part seeded with the CRC of its first.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/crc32c.h"
#include "compaction/manifest.h"

namespace {

using tidekv::Crc32c;
using tidekv::StatusCode;
using tidekv::compaction::DecodeManifest;
using tidekv::compaction::EncodeManifest;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "manifest_fuzz: %s\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  Check(Crc32c(input) == Crc32c(input.substr(cut), Crc32c(input.substr(0, cut))),
        "CRC32C does not chain");

  auto decoded = DecodeManifest(input);
  if (!decoded.ok()) {
    Check(decoded.status().code() == StatusCode::kCorruption, "error is not Corruption");
    Check(decoded.status().message().rfind("manifest: ", 0) == 0, "error without prefix");
    return 0;
  }
  const std::string encoded = EncodeManifest(*decoded);
  // The current format is canonical; format 1 re-encodes as the current one.
  const bool current = size >= 8 && data[4] == 2 && data[5] == 0 && data[6] == 0 && data[7] == 0;
  Check(!current || encoded == input, "decode then encode changed the bytes");
  auto again = DecodeManifest(encoded);
  Check(again.ok(), "re-encoded manifest does not decode");
  Check(*again == *decoded, "re-decoded manifest differs");
  return 0;
}
