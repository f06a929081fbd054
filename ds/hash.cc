#include "ds/hash.h"

#include <absl/hash/hash.h>

namespace tidekv::ds {

uint64_t HashBytes(std::string_view bytes) {
  // Through absl::string_view: Debian's absl has its own string_view type, and hashing
  // std::string_view would fall back to std::hash and then mix again.
  return absl::Hash<absl::string_view>{}(absl::string_view(bytes.data(), bytes.size()));
}

}  // namespace tidekv::ds
