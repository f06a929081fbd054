// The manifest codec and CRC32C.
#include "compaction/manifest.h"

#include <catch2/catch.hpp>
#include <random>

#include "common/crc32c.h"

namespace tidekv::compaction {
namespace {

BatchMeta Meta(uint64_t id, uint64_t lower, uint64_t upper, uint32_t level = 0, uint64_t bytes = 0,
               uint64_t entries = 0) {
  BatchMeta meta;
  meta.id = id;
  meta.lower = lower;
  meta.upper = upper;
  meta.level = level;
  meta.bytes = bytes;
  meta.entries = entries;
  return meta;
}

Manifest Sample() {
  Manifest m;
  m.batches = {Meta(17, 0, 1000, 3, 1 << 20, 5000), Meta(4, 1000, 1000, 0, 900, 0),
               Meta(UINT64_MAX - 1, 1000, UINT64_MAX, UINT32_MAX, UINT64_MAX, UINT64_MAX)};
  m.batches[0].content_crc = 0xDEADBEEF;
  m.batches[1].content_crc = 0;
  m.next_batch_id = UINT64_MAX;
  return m;
}

void ExpectCorruption(std::string_view bytes, std::string_view why) {
  auto decoded = DecodeManifest(bytes);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == StatusCode::kCorruption);
  INFO(decoded.status().message());
  CHECK(decoded.status().message().find(why) != std::string::npos);
}

// Writes v little-endian at bytes[at] and recomputes the trailing CRC, so that a test
// reaches the check after the CRC.
void Patch(std::string& bytes, size_t at, uint64_t v, int width) {
  for (int i = 0; i < width; i++) bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  const uint32_t crc = Crc32c(std::string_view(bytes).substr(0, bytes.size() - 4));
  for (int i = 0; i < 4; i++) bytes[bytes.size() - 4 + i] = static_cast<char>(crc >> (8 * i));
}

TEST_CASE("Crc32c over pieces of every length equals Crc32c of the whole", "[manifest][crc]") {
  // Covers the 8-byte steps and the byte tail of the SSE4.2 path at every split point.
  std::string data(200, '\0');
  for (size_t i = 0; i < data.size(); i++) data[i] = static_cast<char>(i * 37 + 11);
  const uint32_t whole = Crc32c(data);
  for (size_t split = 0; split <= data.size(); split++) {
    const std::string_view view(data);
    CHECK(Crc32c(view.substr(split), Crc32c(view.substr(0, split))) == whole);
  }
}

TEST_CASE("Crc32c matches the Castagnoli test vectors", "[manifest]") {
  CHECK(Crc32c("123456789") == 0xE3069283u);
  CHECK(Crc32c("") == 0u);
  // RFC 3720 (iSCSI), appendix B.4.
  CHECK(Crc32c(std::string(32, '\0')) == 0x8A9136AAu);
  CHECK(Crc32c(std::string(32, '\xff')) == 0x62A8AB43u);
  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; i++) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  CHECK(Crc32c(ascending) == 0x46DD794Eu);
  CHECK(Crc32c(descending) == 0x113FDB5Cu);
  // The seed continues a CRC over a split buffer.
  CHECK(Crc32c("56789", Crc32c("1234")) == 0xE3069283u);
  CHECK(Crc32c("123456789", Crc32c("")) == 0xE3069283u);
}

TEST_CASE("a manifest round-trips", "[manifest]") {
  for (const Manifest& m : {Manifest{}, Sample()}) {
    const std::string bytes = EncodeManifest(m);
    CHECK(bytes.size() == 24 + 49 * m.batches.size());
    auto decoded = DecodeManifest(bytes);
    REQUIRE(decoded.ok());
    CHECK(*decoded == m);
    CHECK(EncodeManifest(*decoded) == bytes);
  }
}

TEST_CASE("the manifest encoding is the documented layout", "[manifest]") {
  Manifest m;
  m.next_batch_id = 2;
  m.batches = {Meta(1, 5, 9, 1, 300, 7)};
  m.batches[0].content_crc = 0x01020304;
  const std::string bytes = EncodeManifest(m);
  REQUIRE(bytes.size() == 73);
  CHECK(bytes.substr(0, 4) == "TKMF");
  CHECK(bytes.substr(4, 4) == std::string("\x02\x00\x00\x00", 4));       // version
  CHECK(bytes.substr(8, 8) == std::string("\x02\0\0\0\0\0\0\0", 8));     // next id
  CHECK(bytes.substr(16, 4) == std::string("\x01\0\0\0", 4));            // count
  CHECK(bytes.substr(20, 8) == std::string("\x01\0\0\0\0\0\0\0", 8));    // id
  CHECK(bytes.substr(28, 8) == std::string("\x05\0\0\0\0\0\0\0", 8));    // lower
  CHECK(bytes.substr(36, 8) == std::string("\x09\0\0\0\0\0\0\0", 8));    // upper
  CHECK(bytes.substr(44, 4) == std::string("\x01\0\0\0", 4));            // level
  CHECK(bytes.substr(48, 8) == std::string("\x2c\x01\0\0\0\0\0\0", 8));  // bytes
  CHECK(bytes.substr(56, 8) == std::string("\x07\0\0\0\0\0\0\0", 8));    // entries
  CHECK(bytes.substr(64, 1) == std::string("\x01", 1));                  // has crc
  CHECK(bytes.substr(65, 4) == std::string("\x04\x03\x02\x01", 4));      // content crc
  const uint32_t crc = Crc32c(std::string_view(bytes).substr(0, 69));
  CHECK(bytes.substr(69) == std::string{static_cast<char>(crc), static_cast<char>(crc >> 8),
                                        static_cast<char>(crc >> 16),
                                        static_cast<char>(crc >> 24)});
}

TEST_CASE("a format 1 manifest (no content checksums) still decodes", "[manifest]") {
  // Format 1: the same header, 44 bytes a batch, no checksum fields.
  std::string v1 = std::string("TKMF") + std::string("\x01\0\0\0", 4) +
                   std::string("\x02\0\0\0\0\0\0\0", 8) + std::string("\x01\0\0\0", 4);
  for (uint64_t field : {1, 5, 9}) {
    for (int i = 0; i < 8; i++) v1.push_back(static_cast<char>((field >> (8 * i)) & 0xFF));
  }
  v1 += std::string("\x01\0\0\0", 4) + std::string("\x2c\x01\0\0\0\0\0\0", 8) +
        std::string("\x07\0\0\0\0\0\0\0", 8);
  const uint32_t crc = Crc32c(v1);
  for (int i = 0; i < 4; i++) v1.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  auto decoded = DecodeManifest(v1);
  REQUIRE(decoded.ok());
  REQUIRE(decoded->batches.size() == 1);
  CHECK(decoded->batches[0] == Meta(1, 5, 9, 1, 300, 7));
  CHECK_FALSE(decoded->batches[0].content_crc.has_value());
}

TEST_CASE("every truncation of a manifest is rejected", "[manifest]") {
  const std::string bytes = EncodeManifest(Sample());
  for (size_t n = 0; n < bytes.size(); n++) {
    INFO("length " << n);
    auto decoded = DecodeManifest(std::string_view(bytes).substr(0, n));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == StatusCode::kCorruption);
  }
  ExpectCorruption(std::string_view(bytes).substr(0, bytes.size() - 1), "truncated");
  ExpectCorruption(std::string_view(bytes).substr(0, 10), "truncated");
  ExpectCorruption(bytes + "x", "trailing");
}

TEST_CASE("a manifest with a bad magic, version or CRC is rejected", "[manifest]") {
  const std::string good = EncodeManifest(Sample());
  std::string bad = good;
  bad[0] = 'X';
  ExpectCorruption(bad, "magic");
  ExpectCorruption("", "magic");
  ExpectCorruption("TKM", "magic");

  bad = good;
  Patch(bad, 4, 3, 4);
  ExpectCorruption(bad, "version 3");
  bad = good;
  Patch(bad, 4, 0, 4);
  ExpectCorruption(bad, "version 0");

  // Any single changed byte is caught (by the CRC, or earlier by the field it breaks).
  for (size_t i = 0; i < good.size(); i++) {
    for (uint8_t flip : {0x01, 0x80, 0xFF}) {
      bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      INFO("byte " << i << " ^ " << int{flip});
      REQUIRE_FALSE(DecodeManifest(bad).ok());
    }
  }
  bad = good;
  bad[30] ^= 0x10;  // inside the first batch: only the CRC can tell
  ExpectCorruption(bad, "CRC");
  bad = good;
  bad[good.size() - 1] ^= 0x10;
  ExpectCorruption(bad, "CRC");
}

TEST_CASE("manifests that do not describe a spine are rejected", "[manifest]") {
  Manifest gap;
  gap.next_batch_id = 10;
  gap.batches = {Meta(1, 0, 10), Meta(2, 11, 20)};
  ExpectCorruption(EncodeManifest(gap), "not contiguous");

  Manifest overlap = gap;
  overlap.batches[1].lower = 9;
  ExpectCorruption(EncodeManifest(overlap), "not contiguous");

  Manifest backwards = gap;
  backwards.batches = {Meta(1, 10, 5)};
  ExpectCorruption(EncodeManifest(backwards), "lower > upper");

  Manifest repeated = gap;
  repeated.batches = {Meta(3, 0, 10), Meta(3, 10, 20)};
  ExpectCorruption(EncodeManifest(repeated), "repeats an id");

  Manifest unissued = gap;
  unissued.batches = {Meta(10, 0, 10)};
  ExpectCorruption(EncodeManifest(unissued), "next_batch_id");

  // A huge count with a short buffer is a truncation, not an allocation.
  std::string bytes = EncodeManifest(Manifest{});
  Patch(bytes, 16, UINT32_MAX, 4);
  ExpectCorruption(bytes, "truncated");
}

TEST_CASE("a torn manifest write decodes as the old or the new manifest, or not at all",
          "[manifest]") {
  // The log store replaces the manifest atomically; this checks the codec's half of the
  // promise: no mix of two encodings, nor random damage, decodes as something else.
  Manifest older;
  older.next_batch_id = 5;
  older.batches = {Meta(1, 0, 10, 1, 100, 3), Meta(2, 10, 20, 0, 50, 2), Meta(4, 20, 25)};
  Manifest newer = older;
  newer.next_batch_id = 6;
  newer.batches = {Meta(5, 0, 20, 1, 120, 4), Meta(4, 20, 25)};
  const std::string a = EncodeManifest(older);
  const std::string b = EncodeManifest(newer);
  for (const auto& [first, second] : {std::pair{a, b}, std::pair{b, a}}) {
    for (size_t cut = 0; cut <= first.size(); cut++) {
      // The start of one write followed by the rest of the other, at every cut.
      const std::string mixed = first.substr(0, cut) + second.substr(std::min(cut, second.size()));
      auto decoded = DecodeManifest(mixed);
      if (decoded.ok()) CHECK((*decoded == older || *decoded == newer));
    }
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 2000; i++) {
    std::string damaged = a;
    const int changes = 1 + static_cast<int>(rng() % 4);
    for (int c = 0; c < changes; c++) damaged[rng() % damaged.size()] = static_cast<char>(rng());
    auto decoded = DecodeManifest(damaged);
    if (decoded.ok()) CHECK(damaged == a);
  }
}

}  // namespace
}  // namespace tidekv::compaction
