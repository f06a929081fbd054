// SHA-1 (FIPS 180-4), used for content digests that must be identical on every node
// (DEBUG DIGEST), not for security.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tidekv {

class Sha1 {
 public:
  using Digest = std::array<uint8_t, 20>;

  Sha1();
  void Update(std::string_view data);
  Digest Final();

  static Digest Of(std::string_view data) {
    Sha1 h;
    h.Update(data);
    return h.Final();
  }
  static std::string Hex(const Digest& d);

 private:
  void Block(const uint8_t* p);

  uint32_t state_[5];
  uint64_t length_ = 0;  // bytes hashed so far
  uint8_t buffer_[64];
  size_t buffered_ = 0;
};

}  // namespace tidekv
