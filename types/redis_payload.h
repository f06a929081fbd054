// Redis's DUMP payloads, read by RESTORE (and so by MIGRATE from a Redis server to tidekv).
//
// A Redis payload is one RDB object: [u8 RDB type][the object][u16 LE RDB version]
// [u64 LE CRC-64 (Jones, reflected) of everything before it]. Read here, for RDB versions up
// to 11 (Redis 7.2) and back to Redis 2.x's forms: strings (raw, integer and LZF forms),
// lists (quicklist 2 with listpack and plain nodes, quicklist of ziplists, ziplist, plain
// elements), sets (members, intset, listpack), sorted sets (binary or text scores,
// listpack, ziplist), hashes (fields, listpack, ziplist, zipmap), streams (Redis 6, 7.0 and
// 7.2 layouts, with their consumer groups, pending entries and consumers). Not read: module
// types; RESTORE refuses them as bad data. Everything is bounds-checked: a damaged or
// hostile payload is refused and builds nothing. tidekv's own DUMP payload is a different
// format (commands/dump.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "types/value.h"

namespace tidekv::types {

// The CRC-64 Redis's DUMP trailer carries (polynomial 0xad93d23594c935a9, reflected, initial
// value 0, no final xor); crc64("123456789") == 0xe9c6d914c4b8d9ca.
uint64_t RedisCrc64(std::string_view bytes, uint64_t crc = 0);

// Whether `payload` ends in a Redis DUMP trailer that checks: a known RDB version and a
// matching CRC-64.
bool IsRedisPayload(std::string_view payload);

// A decoded Redis object: a string's bytes, or a collection value (owned by the caller, who
// frees it with OpsFor(type)->destroy or hands it to an Entry).
struct RedisObject {
  ValueType type = ValueType::kString;
  std::string str;
  Value* object = nullptr;
};

// Decodes a payload IsRedisPayload accepted (the caller checks: the trailer is not checked
// again). InvalidArgument for anything it cannot read.
Result<RedisObject> DecodeRedisPayload(std::string_view payload);

}  // namespace tidekv::types
