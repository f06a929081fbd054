// Manifest: the list of batches that make up the durable image, oldest first. Stored as one
// value in the log store's meta column family, committed in the same RocksDB WriteBatch as
// the log truncation it allows, so a crash leaves either the old or the new spine, whole.
//
// Encoding: "TKMF" magic, u32 format version, u64 next batch id, u32 count, then per batch
// id, lower, upper, level, bytes, entries, a content-checksum flag (u8 0/1) and the checksum
// (u32, 0 when absent) (fixed-width little-endian), then a CRC32C of all preceding bytes.
// Format 1 (no checksum fields) still decodes, with every content_crc absent. Decode rejects a
// wrong magic, an unknown version, a short buffer, a bad CRC, or batches that are not contiguous
// ([lower, upper) ranges must chain) with a Corruption status saying which. It also rejects
// trailing bytes, a batch with lower > upper, a repeated batch id, and an id not below
// next_batch_id (ids are handed out from next_batch_id, so every id in a spine is below it). The
// encoding of the current format is canonical: a buffer that decodes re-encodes to the same bytes.
// Format version 2; a change of layout bumps it, and Decode refuses versions it does not know
// rather than guess.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "compaction/batch.h"

namespace tidekv::compaction {

struct Manifest {
  uint64_t next_batch_id = 1;
  std::vector<BatchMeta> batches;  // oldest first; batches[i].upper == batches[i+1].lower
  bool operator==(const Manifest&) const = default;
};

std::string EncodeManifest(const Manifest& manifest);
Result<Manifest> DecodeManifest(std::string_view bytes);

}  // namespace tidekv::compaction
