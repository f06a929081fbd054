#include "types/value.h"

#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/stream.h"
#include "types/zset.h"

namespace tidekv::types {

EncodingLimits& Limits() {
  static EncodingLimits limits;
  return limits;
}

std::mt19937_64& Rng() {
  static std::mt19937_64 rng{0x7469'6465'6b76ull};
  return rng;
}

void SeedRng(uint64_t seed) { Rng().seed(seed); }

namespace {

// Strings keep their bytes in the Entry (keyspace/entry.h); their row names the type only.
const TypeOps kStringOps = {.type = ValueType::kString, .name = "string"};

}  // namespace

const TypeOps* OpsFor(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return &kStringOps;
    case ValueType::kHash:
      return &HashValue::Ops();
    case ValueType::kSet:
      return &SetValue::Ops();
    case ValueType::kList:
      return &ListValue::Ops();
    case ValueType::kZSet:
      return &ZSetValue::Ops();
    case ValueType::kStream:
      return &StreamValue::Ops();
  }
  return nullptr;
}

const TypeOps* OpsFor(uint8_t stored_type) {
  if (stored_type > static_cast<uint8_t>(ValueType::kHash) &&
      stored_type != static_cast<uint8_t>(ValueType::kStream)) {
    return nullptr;
  }
  return OpsFor(static_cast<ValueType>(stored_type));
}

std::string_view TypeName(ValueType type) {
  const TypeOps* ops = OpsFor(type);
  return ops != nullptr ? ops->name : "none";
}

}  // namespace tidekv::types
