// SHA-256 (FIPS 180-4): ACL password hashes, which Redis stores and shows as the lowercase
// hex SHA-256 of the password (ACL GETUSER, ACL LIST, #<hash> rules).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tidekv {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  void Update(std::string_view data);
  Digest Final();

  static Digest Of(std::string_view data) {
    Sha256 h;
    h.Update(data);
    return h.Final();
  }
  // The lowercase hex digest of data (64 characters).
  static std::string HexOf(std::string_view data);

 private:
  void Block(const uint8_t* p);

  uint32_t state_[8];
  uint64_t length_ = 0;  // bytes hashed so far
  uint8_t buffer_[64];
  size_t buffered_ = 0;
};

}  // namespace tidekv
