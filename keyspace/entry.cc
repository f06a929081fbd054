#include "keyspace/entry.h"

#include <malloc.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>

#include "common/strings.h"

namespace tidekv::keyspace {

// The per-key header (plus key and inline value bytes): keep flags in bitfields to hold it.
static_assert(sizeof(Entry) == 48, "Entry's header grew");

Entry* Entry::Create(std::string_view key, uint64_t hash, size_t value_capacity) {
  const size_t want = sizeof(Entry) + key.size() + value_capacity;
  void* mem = ::operator new(want);
  Entry* e = new (mem) Entry();
  e->hash_ = hash;
  e->key_len_ = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(e->data_, key.data(), key.size());
  // Whatever the allocator's size class gives beyond the request is inline room too.
  const size_t usable = std::max(malloc_usable_size(mem), want);
  e->val_cap_ =
      static_cast<uint32_t>(std::min<size_t>(usable - sizeof(Entry) - key.size(), UINT32_MAX));
  return e;
}

void Entry::Destroy(Entry* entry) {
  entry->~Entry();
  ::operator delete(static_cast<void*>(entry));
}

void Entry::FreeValue() {
  if (type_ == ValueType::kString) {
    delete ext_;
  } else if (obj_ != nullptr) {
    types::OpsFor(type_)->destroy(obj_);
  }
  ext_ = nullptr;
  type_ = ValueType::kString;
  val_len_ = 0;
}

void Entry::SetObject(ValueType type, types::Value* value) {
  FreeValue();
  type_ = type;
  obj_ = value;
  raw_ = false;
  not_int_ = false;
  unshared_ = false;
}

size_t Entry::MemoryBytes() const {
  size_t n = malloc_usable_size(const_cast<Entry*>(this));
  if (!IsString()) return n + types::OpsFor(type_)->memory(*obj_);
  if (ext_ != nullptr) n += sizeof(std::string) + ext_->capacity() + 1;
  return n;
}

void Entry::DigestValue(Sha1& h) const {
  if (IsString()) {
    h.Update(str());
  } else {
    types::OpsFor(type_)->digest(*obj_, h);
  }
}

std::string& Entry::mutable_str() {
  if (ext_ == nullptr) {
    ext_ = new std::string(data_ + key_len_, val_len_);
    val_len_ = 0;
  }
  return *ext_;
}

void Entry::SetString(std::string_view value) {
  if (type_ != ValueType::kString) FreeValue();
  raw_ = false;
  not_int_ = false;
  unshared_ = false;
  if (value.size() <= val_cap_) {
    // memmove: value may point into this entry's own inline bytes.
    if (!value.empty()) std::memmove(data_ + key_len_, value.data(), value.size());
    val_len_ = static_cast<uint32_t>(value.size());
    delete ext_;
    ext_ = nullptr;
    return;
  }
  if (ext_ == nullptr) {
    ext_ = new std::string(value);
  } else {
    // Do not keep a large buffer alive for a much smaller value.
    if (ext_->capacity() > 64 && value.size() < ext_->capacity() / 2) std::string().swap(*ext_);
    ext_->assign(value.data(), value.size());
  }
  val_len_ = 0;
}

void Entry::SetString(std::string&& value) {
  if (value.size() <= val_cap_) return SetString(std::string_view(value));
  if (type_ != ValueType::kString) FreeValue();
  raw_ = false;
  not_int_ = false;
  unshared_ = false;
  if (ext_ == nullptr) {
    ext_ = new std::string(std::move(value));
  } else {
    *ext_ = std::move(value);
  }
  val_len_ = 0;
}

void Entry::TakeValueFrom(Entry& other) {
  if (!other.IsString()) {
    SetObject(other.type_, other.obj_);
    other.obj_ = nullptr;
    other.type_ = ValueType::kString;
    return;
  }
  if (other.ext_ != nullptr) {
    FreeValue();
    ext_ = other.ext_;
    other.ext_ = nullptr;
    val_len_ = 0;
  } else {
    SetString(other.str());
  }
  type_ = other.type_;
  raw_ = other.raw_;
  not_int_ = other.not_int_;
  unshared_ = other.unshared_;
}

void Entry::CopyValueFrom(const Entry& other) {
  if (!other.IsString()) {
    SetObject(other.type_, types::OpsFor(other.type_)->clone(*other.obj_));
    return;
  }
  SetString(other.str());
  type_ = other.type_;
  raw_ = other.raw_;
  not_int_ = other.not_int_;
  unshared_ = true;
}

std::string_view Entry::Encoding() const {
  if (!IsString()) return types::OpsFor(type_)->encoding(*obj_);
  // Redis stores a string that is a canonical 64-bit integer as "int", a short string
  // (up to 44 bytes) as "embstr", and anything longer or modified in place as "raw".
  const std::string_view v = str();
  if (!raw_ && !not_int_ && v.size() <= 20 && ParseInt64(v)) return "int";
  if (!raw_ && v.size() <= 44) return "embstr";
  return "raw";
}

bool Entry::SharedInteger() const {
  // Redis's tryObjectEncoding and createStringObjectFromLongLongForValue hand out
  // shared.integers[0..9999] unless an LRU/LFU maxmemory policy needs per-key access times;
  // tidekv only has noeviction, so every such value qualifies.
  constexpr int64_t kSharedIntegers = 10000;  // OBJ_SHARED_INTEGERS
  if (unshared_ || Encoding() != "int") return false;
  const std::optional<int64_t> v = ParseInt64(str());
  return v && *v >= 0 && *v < kSharedIntegers;
}

}  // namespace tidekv::keyspace
