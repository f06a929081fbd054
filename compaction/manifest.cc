#include "compaction/manifest.h"

#include <set>

#include "common/coding.h"
#include "common/crc32c.h"

namespace tidekv::compaction {
namespace {

constexpr std::string_view kMagic{"TKMF", 4};
constexpr uint32_t kVersion = 2;
// magic, version, next batch id, count.
constexpr size_t kHeaderBytes = 4 + 4 + 8 + 4;
// id, lower, upper, level, bytes, entries; format 2 adds: has content crc (u8), crc (u32).
constexpr size_t kBatchBytesV1 = 8 + 8 + 8 + 4 + 8 + 8;
constexpr size_t kBatchBytes = kBatchBytesV1 + 1 + 4;
constexpr size_t kCrcBytes = 4;

// Reads fixed-width little-endian fields front to back; callers check the length first.
class FieldReader {
 public:
  explicit FieldReader(std::string_view bytes) : p_(bytes.data()) {}
  uint8_t U8() { return static_cast<uint8_t>(Take(1)); }
  uint32_t U32() { return static_cast<uint32_t>(Take(4)); }
  uint64_t U64() { return Take(8); }

 private:
  uint64_t Take(int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= uint64_t{static_cast<uint8_t>(p_[i])} << (8 * i);
    p_ += n;
    return v;
  }
  const char* p_;
};

Status Bad(const std::string& why) { return Status::Corruption("manifest: " + why); }

}  // namespace

std::string EncodeManifest(const Manifest& manifest) {
  std::string out;
  out.reserve(kHeaderBytes + manifest.batches.size() * kBatchBytes + kCrcBytes);
  out.append(kMagic);
  PutFixed32(&out, kVersion);
  PutFixed64(&out, manifest.next_batch_id);
  PutFixed32(&out, static_cast<uint32_t>(manifest.batches.size()));
  for (const BatchMeta& b : manifest.batches) {
    PutFixed64(&out, b.id);
    PutFixed64(&out, b.lower);
    PutFixed64(&out, b.upper);
    PutFixed32(&out, b.level);
    PutFixed64(&out, b.bytes);
    PutFixed64(&out, b.entries);
    out.push_back(b.content_crc ? '\1' : '\0');
    PutFixed32(&out, b.content_crc.value_or(0));
  }
  PutFixed32(&out, Crc32c(out));
  return out;
}

Result<Manifest> DecodeManifest(std::string_view bytes) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return Bad("bad magic (not a tidekv manifest)");
  }
  if (bytes.size() < kHeaderBytes + kCrcBytes) {
    return Bad("truncated: " + std::to_string(bytes.size()) + " bytes, header needs " +
               std::to_string(kHeaderBytes + kCrcBytes));
  }
  FieldReader in(bytes.substr(kMagic.size()));
  const uint32_t version = in.U32();
  if (version != 1 && version != kVersion) {
    return Bad("unknown format version " + std::to_string(version));
  }
  const size_t batch_bytes = version == 1 ? kBatchBytesV1 : kBatchBytes;
  Manifest manifest;
  manifest.next_batch_id = in.U64();
  const uint64_t count = in.U32();
  // Sized from the count before the CRC is checked, so that a short buffer is reported as
  // truncated rather than as a CRC mismatch; the count is 32-bit, so this cannot overflow.
  const uint64_t want = kHeaderBytes + count * batch_bytes + kCrcBytes;
  if (bytes.size() < want) {
    return Bad("truncated: " + std::to_string(bytes.size()) + " bytes, " + std::to_string(count) +
               " batches need " + std::to_string(want));
  }
  if (bytes.size() > want) {
    return Bad(std::to_string(bytes.size() - want) + " trailing bytes after the CRC");
  }
  const std::string_view body = bytes.substr(0, want - kCrcBytes);
  const uint32_t stored_crc = FieldReader(bytes.substr(want - kCrcBytes)).U32();
  if (Crc32c(body) != stored_crc) return Bad("CRC mismatch");

  // The fields are trusted as bytes from here on, but must still describe a spine.
  manifest.batches.reserve(count);
  std::set<uint64_t> ids;
  for (uint64_t i = 0; i < count; i++) {
    BatchMeta b;
    b.id = in.U64();
    b.lower = in.U64();
    b.upper = in.U64();
    b.level = in.U32();
    b.bytes = in.U64();
    b.entries = in.U64();
    if (version >= 2) {
      const uint8_t has_crc = in.U8();
      const uint32_t crc = in.U32();
      if (has_crc > 1 || (has_crc == 0 && crc != 0)) {
        return Bad("batch " + std::to_string(i) + " has a malformed content checksum field");
      }
      if (has_crc == 1) b.content_crc = crc;
    }
    const std::string which = "batch " + std::to_string(i) + " (id " + std::to_string(b.id) + ")";
    if (b.lower > b.upper) return Bad(which + " has lower > upper");
    if (i > 0 && manifest.batches.back().upper != b.lower) {
      return Bad(which + " starts at " + std::to_string(b.lower) + " but the previous ends at " +
                 std::to_string(manifest.batches.back().upper) + " (not contiguous)");
    }
    if (b.id >= manifest.next_batch_id) {
      return Bad(which + " is not below next_batch_id " + std::to_string(manifest.next_batch_id));
    }
    if (!ids.insert(b.id).second) return Bad(which + " repeats an id");
    manifest.batches.push_back(b);
  }
  return manifest;
}

}  // namespace tidekv::compaction
