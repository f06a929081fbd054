// Values and types (DESIGN.md §2a): the type tag every key carries, the base of the
// collection value classes, and one TypeOps row per type. Code that must treat every type
// alike (TYPE, OBJECT ENCODING, seals and recovery, DEBUG DIGEST, MEMORY USAGE, COPY,
// destruction) calls the row instead of switching on the type, so a new type is one
// types/<type>.{h,cc} and one commands/<type>.cc. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "common/sha1.h"
#include "common/status.h"
#include "types/element_log.h"

namespace tidekv::types {

// Numbered as Redis's OBJ_* types; stored in batch rows, so never renumber.
enum class ValueType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZSet = 3,
  kHash = 4,
  kStream = 6,  // Redis's OBJ_STREAM (5 is OBJ_MODULE)
};

// Base of the collection values (strings live inline in the key's Entry). Not polymorphic:
// the TypeOps row of the owning key's type knows the concrete class.
class Value {
 protected:
  Value() = default;
  ~Value() = default;
};

// The typed-lookup tag for strings (CommandContext::Read<StringValue>): their bytes live in
// the key's Entry, so a lookup yields the entry and no value object.
struct StringValue {
  static constexpr ValueType kType = ValueType::kString;
};

// The size thresholds past which a small encoding converts to the full structure, under
// Redis's option names (CONFIG SET hash-max-listpack-entries ...). The engine copies the
// configuration here; conversions only go from small to full, as in Redis.
struct EncodingLimits {
  int64_t hash_max_listpack_entries = 128;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t set_max_listpack_entries = 128;
  int64_t set_max_listpack_value = 64;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;
  int64_t list_max_listpack_size = -2;  // >0 elements per node; -1..-5: 4..64 KiB
  int64_t list_compress_depth = 0;
};
EncodingLimits& Limits();

// The random source every random pick of the engine uses (SPOP, SRANDMEMBER, HRANDFIELD,
// RANDOMKEY, active expiry sampling): seeded, so trace replay can draw the same numbers.
std::mt19937_64& Rng();
void SeedRng(uint64_t seed);

struct TypeOps {
  ValueType type;
  std::string_view name;  // TYPE, SCAN TYPE
  // The rest apply to collection values; strings keep their bytes in the Entry.
  std::string_view (*encoding)(const Value& v);  // OBJECT ENCODING
  size_t (*length)(const Value& v);              // elements (fields, members)
  // The versioned value codec (batches, full sync): Encode appends; Decode validates
  // everything and picks the encoding the thresholds call for.
  void (*encode)(const Value& v, std::string* out);
  Result<Value*> (*decode)(std::string_view bytes);
  // Feeds an encoding-independent description of the content (element order ignored where
  // the type has none) to h: equal contents give equal digests on every node.
  void (*digest)(const Value& v, Sha1& h);
  size_t (*memory)(const Value& v);  // heap bytes held (MEMORY USAGE, INFO)
  Value* (*clone)(const Value& v);   // COPY
  void (*destroy)(Value* v);

  // Element rows (large collections in batches, DESIGN.md §6). An element is a hash field
  // or a set member; its payload is what else the row must hold (a hash: varint field
  // expiry, then the value; a set: nothing).
  // The value's element log (null when it has none), and its replacement: swap_element_log
  // installs `log` (null removes it) and returns the log it replaces.
  ElementLog* (*element_log)(Value& v);
  std::unique_ptr<ElementLog> (*swap_element_log)(Value& v, std::unique_ptr<ElementLog> log);
  using ElementFn = std::function<void(std::string_view element, std::string_view payload)>;
  void (*each_element)(const Value& v, const ElementFn& fn);
  // The element's current payload into *payload; false when it is absent.
  bool (*element)(const Value& v, std::string_view element, std::string* payload);
  // An empty value about to receive `count` elements through apply_element (a load).
  Value* (*create)(size_t count);
  // Adds or replaces (remove: deletes) one element; Corruption for a malformed payload.
  Status (*apply_element)(Value& v, std::string_view element, std::string_view payload,
                          bool remove);
};

// The row for a type, or nullptr for a type this build does not have (a byte from disk).
const TypeOps* OpsFor(ValueType type);
const TypeOps* OpsFor(uint8_t stored_type);
std::string_view TypeName(ValueType type);

}  // namespace tidekv::types
