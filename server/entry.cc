#include "server/entry.h"

#include <malloc.h>

#include <cstring>
#include <new>

#include "common/strings.h"

namespace tidekv::server {

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
  }
  return "none";
}

Entry* Entry::Create(std::string_view key, uint64_t hash) {
  void* mem = ::operator new(sizeof(Entry) + key.size());
  Entry* e = new (mem) Entry();
  e->hash_ = hash;
  e->key_len_ = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(e->key_, key.data(), key.size());
  return e;
}

void Entry::Destroy(Entry* entry) {
  entry->~Entry();
  ::operator delete(static_cast<void*>(entry));
}

std::string_view Entry::Encoding() const {
  // Redis stores a string that is a canonical 64-bit integer as "int", a short string
  // (up to 44 bytes) as "embstr", and anything longer or modified in place as "raw".
  if (!raw_ && str_.size() <= 20 && ParseInt64(str_)) return "int";
  if (!raw_ && str_.size() <= 44) return "embstr";
  return "raw";
}

size_t Entry::HeapBytes() const {
  size_t bytes = malloc_usable_size(const_cast<Entry*>(this));
  if (str_.capacity() > 15) bytes += str_.capacity() + 1;
  return bytes;
}

}  // namespace tidekv::server
