// libFuzzer target for the collection value codec (types/): batch rows and full-sync
// snapshots carry these bytes, so decoding must refuse damaged or hostile input cleanly.
// Input: byte 0 picks the type (its value mod 5: hash, set, list, zset, stream) and small encoding
// thresholds (so every in-memory encoding is reached); the rest is the encoded value. When decoding
// accepts, the value is walked, re-encoded, decoded again, and both must hold the same
// elements with the same digest.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/stream.h"
#include "types/value.h"
#include "types/zset.h"

namespace {

using namespace tidekv::types;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "value_codec_fuzz: %s\n", what);
    std::abort();
  }
}

size_t Count(ValueType type, const Value& v) {
  size_t n = 0;
  if (type == ValueType::kHash) {
    static_cast<const HashValue&>(v).ForEach([&](std::string_view, std::string_view) { n++; });
  } else if (type == ValueType::kList) {
    static_cast<const ListValue&>(v).ForEach([&](std::string_view) { n++; });
  } else if (type == ValueType::kZSet) {
    static_cast<const ZSetValue&>(v).ForEach([&](std::string_view, double) { n++; });
  } else if (type == ValueType::kStream) {
    for (const auto& entry : static_cast<const StreamValue&>(v).entries()) {
      (void)entry;
      n++;
    }
  } else {
    static_cast<const SetValue&>(v).ForEach([&](std::string_view) { n++; });
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const ValueType types[] = {ValueType::kHash, ValueType::kSet, ValueType::kList, ValueType::kZSet,
                             ValueType::kStream};
  const ValueType type = types[control % 5];
  EncodingLimits& lim = Limits();
  lim.hash_max_listpack_entries = (control >> 1) % 8;
  lim.hash_max_listpack_value = 4 + (control >> 4) % 8;
  lim.set_max_intset_entries = (control >> 2) % 8;
  lim.set_max_listpack_entries = (control >> 3) % 8;
  lim.set_max_listpack_value = 4 + (control >> 5) % 8;
  lim.list_max_listpack_size = (control >> 2) % 8 - 4;  // -4..3: both kinds of node limit
  lim.list_compress_depth = (control >> 5) % 3;
  lim.zset_max_listpack_entries = (control >> 2) % 8;
  lim.zset_max_listpack_value = 4 + (control >> 4) % 8;
  StreamLimits().max_entries = (control >> 3) % 4;  // 0 (unlimited) or tiny nodes

  // An exactly sized heap copy, so ASan sees any read past the end.
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const TypeOps* ops = OpsFor(type);
  tidekv::Result<Value*> decoded = ops->decode(bytes);
  if (!decoded.ok()) return 0;
  Value* v = decoded.value();
  Check(ops->length(*v) == Count(type, *v), "length differs from the walk");
  // A stream may be empty (its ID counters and groups outlive its entries).
  Check(ops->length(*v) > 0 || type == ValueType::kStream, "an empty collection was accepted");
  ops->encoding(*v);
  ops->memory(*v);

  std::string again;
  ops->encode(*v, &again);
  tidekv::Result<Value*> redecoded = ops->decode(again);
  Check(redecoded.ok(), "a re-encoded value does not decode");
  Check(ops->length(*redecoded.value()) == ops->length(*v), "round trip changed the count");
  tidekv::Sha1 a, b;
  ops->digest(*v, a);
  ops->digest(*redecoded.value(), b);
  Check(a.Final() == b.Final(), "round trip changed the digest");
  Value* copy = ops->clone(*v);
  tidekv::Sha1 c, d;
  ops->digest(*copy, c);
  ops->digest(*v, d);
  Check(c.Final() == d.Final(), "a clone differs");
  ops->destroy(copy);
  // Its element rows (a large collection's form in batches) load back to the same value.
  Value* rows = ops->create(ops->length(*v));
  ops->each_element(*v, [&](std::string_view element, std::string_view payload) {
    Check(ops->apply_element(*rows, element, payload, false).ok(), "an element row is refused");
  });
  tidekv::Sha1 e, f;
  ops->digest(*rows, e);
  ops->digest(*v, f);
  Check(e.Final() == f.Final(), "element rows load back to another value");
  ops->destroy(rows);
  ops->destroy(redecoded.value());
  ops->destroy(v);
  return 0;
}
