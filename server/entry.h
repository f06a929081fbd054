// Entry: one key of the keyspace, with its expiry and value.
//
// An Entry is a single heap node that never moves, so the hash table, the per-database
// volatile-key list and (later) the dirty set can all hold plain pointers to it. The key's
// bytes are stored inline after the header (one allocation for header + key). Loop thread
// only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidekv::server {

enum class ValueType : uint8_t {
  kString = 0,
};

std::string_view TypeName(ValueType type);

class Entry {
 public:
  static constexpr uint32_t kNotVolatile = UINT32_MAX;

  // Allocates an entry for key with an empty string value.
  static Entry* Create(std::string_view key, uint64_t hash);
  static void Destroy(Entry* entry);

  std::string_view key() const { return {key_, key_len_}; }
  uint64_t hash() const { return hash_; }

  // Absolute expiry in Unix ms; 0 means the key does not expire. Set through Database so
  // the volatile-key list stays in step.
  int64_t expire_at() const { return expire_at_; }
  bool HasExpiry() const { return expire_at_ != 0; }
  bool ExpiredAt(int64_t now_ms) const { return expire_at_ != 0 && expire_at_ <= now_ms; }

  ValueType type() const { return type_; }

  // The string value. Commands that modify it in place (APPEND, SETRANGE, SETBIT) call
  // MarkRaw so OBJECT ENCODING reports "raw" as Redis does.
  const std::string& str() const { return str_; }
  std::string& mutable_str() { return str_; }
  void SetString(std::string_view value) {
    // Do not keep a large buffer alive for a much smaller value.
    if (str_.capacity() > 64 && value.size() < str_.capacity() / 2) std::string().swap(str_);
    str_.assign(value.data(), value.size());
    type_ = ValueType::kString;
    raw_ = false;
  }
  void SetString(const char* value) { SetString(std::string_view(value)); }
  void SetString(std::string&& value) {
    str_ = std::move(value);
    type_ = ValueType::kString;
    raw_ = false;
  }
  void MarkRaw() { raw_ = true; }

  // Moves the value (type, encoding and bytes) out of other (RENAME, MOVE, COPY).
  void TakeValueFrom(Entry& other) {
    type_ = other.type_;
    raw_ = other.raw_;
    str_ = std::move(other.str_);
  }
  void CopyValueFrom(const Entry& other) {
    type_ = other.type_;
    raw_ = other.raw_;
    str_ = other.str_;
  }

  // OBJECT ENCODING: "int", "embstr" or "raw", computed the way Redis would have stored it.
  std::string_view Encoding() const;

  // Last access, in seconds of the server's LRU clock (OBJECT IDLETIME).
  uint32_t lru() const { return lru_; }
  void Touch(uint32_t lru_seconds) { lru_ = lru_seconds; }

  // Bytes this entry occupies on the heap (header + key + value buffer), for INFO and
  // memory accounting.
  size_t HeapBytes() const;

 private:
  friend class Database;
  Entry() = default;
  ~Entry() = default;

  uint64_t hash_ = 0;
  int64_t expire_at_ = 0;
  uint32_t volatile_index_ = kNotVolatile;  // position in Database::volatile_
  uint32_t lru_ = 0;
  uint32_t key_len_ = 0;
  ValueType type_ = ValueType::kString;
  bool raw_ = false;
  std::string str_;
  char key_[];  // key bytes follow the header (GNU flexible array member)
};

}  // namespace tidekv::server
