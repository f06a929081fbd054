// Shared pieces of the collection types' value codec and digests (internal to types/).
//
// Codec (batch rows, full sync): one version byte, a varint element count, then the
// elements, each length-prefixed (hash: field then value). Strings are not encoded here:
// their batch rows hold the bytes themselves, as before any other type existed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/coding.h"
#include "common/sha1.h"
#include "common/status.h"

namespace tidekv::types {

inline constexpr uint8_t kCodecVersion = 1;
// A hash with field expiries (HEXPIRE): each field is followed by its expiry.
inline constexpr uint8_t kCodecVersionFieldTtls = 2;

// Reads the version byte and the element count; refuses versions outside 1..max_version
// and counts that cannot fit in what is left (every element takes at least one byte).
inline Status ReadCodecHeader(std::string_view* in, std::string_view type, uint64_t* count,
                              uint8_t max_version = kCodecVersion, uint8_t* version_out = nullptr) {
  if (in->empty()) return Status::Corruption(std::string(type) + " value: empty encoding");
  const auto version = static_cast<uint8_t>(in->front());
  in->remove_prefix(1);
  if (version_out != nullptr) *version_out = version;
  if (version < kCodecVersion || version > max_version) {
    return Status::Corruption(std::string(type) + " value: codec version " +
                              std::to_string(version) + " is not one this build reads");
  }
  if (!GetVarint64(in, count) || *count > in->size()) {
    return Status::Corruption(std::string(type) + " value: bad element count");
  }
  return Status::Ok();
}

// XOR of per-element SHA-1s: the same for any element order (Redis's mixDigest idea).
class UnorderedDigest {
 public:
  // a, b and c (a hash field's expiry, empty for none) are length-prefixed, so no two
  // different triples feed the same bytes.
  void Add(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
    Sha1 h;
    for (std::string_view part : {a, b, c}) {
      const std::string len = std::to_string(part.size()) + ":";
      h.Update(len);
      h.Update(part);
    }
    const Sha1::Digest d = h.Final();
    for (size_t i = 0; i < d.size(); i++) acc_[i] ^= d[i];
  }
  void Feed(Sha1& h) const {
    h.Update(std::string_view(reinterpret_cast<const char*>(acc_.data()), acc_.size()));
  }

 private:
  Sha1::Digest acc_{};
};

}  // namespace tidekv::types
