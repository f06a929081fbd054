#include "keyspace/entry.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <new>
#include <optional>

#include "common/strings.h"

namespace tidekv::keyspace {

Entry* Entry::Create(std::string_view key, size_t value_capacity) {
  // The per-key header before the key's bytes: no padding, flags in bitfields.
  static_assert(offsetof(Entry, data_) == 22, "Entry's header grew");
  // Room for the value's pointer at least; a value too long to keep inline gets none more.
  if (value_capacity > kMaxInline) value_capacity = 0;
  const size_t want = offsetof(Entry, data_) + key.size() + std::max(value_capacity, sizeof(void*));
  void* mem = ::operator new(want);
  Entry* e = new (mem) Entry();
  e->key_len_ = static_cast<uint32_t>(key.size());
  if (!key.empty()) std::memcpy(e->data_, key.data(), key.size());
  return e;
}

size_t Entry::val_cap() const {
  const size_t usable = malloc_usable_size(const_cast<Entry*>(this));
  return std::min(usable - offsetof(Entry, data_) - key_len_, kMaxInline);
}

namespace {
std::atomic<size_t> g_dead_bytes{0};
}  // namespace

size_t Entry::DeadBytes() { return g_dead_bytes.load(std::memory_order_relaxed); }

void Entry::MarkDead() {
  dead_ = true;
  FreeValue();
  g_dead_bytes.fetch_add(malloc_usable_size(this), std::memory_order_relaxed);
}

void Entry::Destroy(Entry* entry) {
  if (entry->dead_) g_dead_bytes.fetch_sub(malloc_usable_size(entry), std::memory_order_relaxed);
  entry->~Entry();
  ::operator delete(static_cast<void*>(entry));
}

void Entry::FreeValue() {
  if (IsString()) {
    delete ext();
  } else if (obj() != nullptr) {
    types::OpsFor(type())->destroy(obj());
  }
  out_ = false;
  set_type(ValueType::kString);
  val_len_ = 0;
}

types::Value* Entry::DetachObject() {
  types::Value* value = obj();
  out_ = false;
  set_type(ValueType::kString);
  val_len_ = 0;
  return value;
}

void Entry::SetObject(ValueType type, types::Value* value) {
  FreeValue();
  set_type(type);
  set_ptr(value);
  raw_ = false;
  not_int_ = false;
  unshared_ = false;
}

size_t Entry::MemoryBytes() const {
  size_t n = malloc_usable_size(const_cast<Entry*>(this));
  if (!IsString()) return n + types::OpsFor(type())->memory(*obj());
  if (const std::string* s = ext()) n += sizeof(std::string) + s->capacity() + 1;
  return n;
}

void Entry::DigestValue(Sha1& h) const {
  if (IsString()) {
    h.Update(str());
  } else {
    types::OpsFor(type())->digest(*obj(), h);
  }
}

std::string& Entry::mutable_str() {
  if (!out_) {
    std::string* s = new std::string(data_ + key_len_, val_len_);
    set_ptr(s);
    out_ = true;
    val_len_ = 0;
  }
  return *ext();
}

void Entry::SetString(std::string_view value) {
  if (!IsString()) FreeValue();
  raw_ = false;
  not_int_ = false;
  unshared_ = false;
  std::string* old = ext();
  if (value.size() <= val_cap()) {
    // memmove: value may point into this entry's own inline bytes (or into *old, which goes
    // only after the copy; its pointer is overwritten by the copy).
    if (!value.empty()) std::memmove(data_ + key_len_, value.data(), value.size());
    val_len_ = static_cast<uint16_t>(value.size());
    out_ = false;
    delete old;
    return;
  }
  if (old == nullptr) {
    set_ptr(new std::string(value));  // copies before the pointer overwrites inline bytes
    out_ = true;
  } else if (old->capacity() > 64 && value.size() < old->capacity() / 2) {
    // Do not keep a large buffer alive for a much smaller value.
    set_ptr(new std::string(value));
    delete old;
  } else {
    old->assign(value.data(), value.size());
  }
  val_len_ = 0;
}

void Entry::SetString(std::string&& value) {
  if (value.size() <= val_cap()) return SetString(std::string_view(value));
  if (!IsString()) FreeValue();
  raw_ = false;
  not_int_ = false;
  unshared_ = false;
  if (std::string* old = ext()) {
    *old = std::move(value);
  } else {
    set_ptr(new std::string(std::move(value)));
    out_ = true;
  }
  val_len_ = 0;
}

void Entry::TakeValueFrom(Entry& other) {
  if (!other.IsString()) {
    SetObject(other.type(), other.obj());
    other.set_ptr(nullptr);
    other.set_type(ValueType::kString);
    return;
  }
  if (std::string* s = other.ext()) {
    FreeValue();
    set_ptr(s);
    out_ = true;
    other.out_ = false;
    other.val_len_ = 0;
    val_len_ = 0;
  } else {
    SetString(other.str());
  }
  raw_ = other.raw_;
  not_int_ = other.not_int_;
  unshared_ = other.unshared_;
}

void Entry::CopyValueFrom(const Entry& other) {
  if (!other.IsString()) {
    SetObject(other.type(), types::OpsFor(other.type())->clone(*other.obj()));
    return;
  }
  SetString(other.str());
  raw_ = other.raw_;
  not_int_ = other.not_int_;
  unshared_ = true;
}

std::string_view Entry::Encoding() const {
  if (!IsString()) return types::OpsFor(type())->encoding(*obj());
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
