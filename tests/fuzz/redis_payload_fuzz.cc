// libFuzzer target for Redis DUMP payloads (types/redis_payload.h): RESTORE takes them from
// any client (and MIGRATE from any Redis), so decoding must refuse hostile bytes cleanly.
// Input: the payload without its trailer (the RDB type byte, then the object); the harness
// appends RDB version 10 and the right CRC-64, so the fuzzer reaches the decoder rather than
// the checksum. A decoded collection other than a stream must not be empty; it is freed
// (leaks are findings).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "types/redis_payload.h"
#include "types/value.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tidekv::types;
  if (size == 0 || size > (1 << 16)) return 0;
  std::string payload(reinterpret_cast<const char*>(data), size);
  payload.push_back(10);
  payload.push_back(0);
  const uint64_t crc = RedisCrc64(payload);
  for (int i = 0; i < 8; i++) payload.push_back(static_cast<char>(crc >> (8 * i)));
  if (!IsRedisPayload(payload)) std::abort();
  auto decoded = DecodeRedisPayload(payload);
  if (!decoded.ok()) return 0;
  if (decoded.value().object != nullptr) {
    const TypeOps* ops = OpsFor(decoded.value().type);
    // Only a stream may be empty (its groups and last ID remain, as in Redis).
    if (ops == nullptr ||
        (ops->length(*decoded.value().object) == 0 && decoded.value().type != ValueType::kStream)) {
      std::fprintf(stderr, "redis_payload_fuzz: an empty or untyped collection was accepted\n");
      std::abort();
    }
    ops->destroy(decoded.value().object);
  }
  return 0;
}
