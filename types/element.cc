#include "types/element.h"

#include <malloc.h>

#include <cstring>
#include <new>

namespace tidekv::types {

static_assert(sizeof(Element) == 16, "Element's header grew");

Element* Element::Create(std::string_view key, std::string_view value, uint64_t hash) {
  void* mem = ::operator new(sizeof(Element) + key.size() + value.size());
  auto* e = new (mem) Element();
  e->hash_ = hash;
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->val_len_ = static_cast<uint32_t>(value.size());
  if (!key.empty()) std::memcpy(e->data_, key.data(), key.size());
  if (!value.empty()) std::memcpy(e->data_ + key.size(), value.data(), value.size());
  return e;
}

void Element::Destroy(Element* e) { ::operator delete(static_cast<void*>(e)); }

Element* Element::WithValue(Element* e, std::string_view value) {
  if (sizeof(Element) + e->key_len_ + value.size() <= malloc_usable_size(e)) {
    // memmove: value may be this element's own bytes.
    if (!value.empty()) std::memmove(e->data_ + e->key_len_, value.data(), value.size());
    e->val_len_ = static_cast<uint32_t>(value.size());
    return e;
  }
  Element* fresh = Create(e->key(), value, e->hash_);
  Destroy(e);
  return fresh;
}

size_t Element::AllocatedBytes() const { return malloc_usable_size(const_cast<Element*>(this)); }

}  // namespace tidekv::types
