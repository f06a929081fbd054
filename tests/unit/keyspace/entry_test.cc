// Entry: the per-key node. Values move between the inline bytes after the key and an
// out-of-line string (whose pointer takes the inline bytes' place), change type, and move or
// copy between entries; none of it may lose or mix bytes.
#include "keyspace/entry.h"

#include <catch2/catch.hpp>
#include <string>

#include "keyspace/keyspace.h"
#include "types/hash.h"

namespace tidekv::keyspace {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Bytes(size_t n, char seed) {
  std::string s(n, ' ');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>(seed + static_cast<char>(i % 23));
  return s;
}

TEST_CASE("Entry: values of every length keep their bytes, inline or not", "[keyspace]") {
  Keyspace ks(1);
  Database& db = ks.db(0);
  // Lengths around the pointer's size, the size classes and the inline limit.
  const size_t lengths[] = {0,   1,    7,     8,     9,     63,    64, 65,    100,
                            200, 1000, 16382, 16383, 16384, 20000, 3,  70000, 64};
  for (size_t key_len : {1, 10, 40, 300, 70000}) {
    const std::string key = Bytes(key_len, 'k');
    Entry* e = db.Insert(key, kNow, 64);
    char seed = 'a';
    for (size_t n : lengths) {
      INFO("key of " << key_len << " bytes, value of " << n);
      const std::string v = Bytes(n, seed++);
      e->SetString(v);
      CHECK(e->str() == v);
      CHECK(e->key() == key);
      CHECK(e->hash() == HashKey(key));
      CHECK(e->MemoryBytes() >= key.size() + n);
      // The value's own bytes as input (they may be inline, or the out-of-line buffer).
      e->SetString(e->str().substr(n / 2));
      CHECK(e->str() == v.substr(n / 2));
      // Moved out of line for an in-place edit, then replaced by a short value.
      e->mutable_str().append("xyz");
      CHECK(e->str() == v.substr(n / 2) + "xyz");
      e->SetString(std::string(v));
      CHECK(e->str() == v);
    }
    CHECK(db.Find(key, kNow) == e);
    REQUIRE(db.Erase(key, kNow));
  }
}

TEST_CASE("Entry: type changes, moves and copies between entries", "[keyspace]") {
  Keyspace ks(1);
  Database& db = ks.db(0);
  Entry* a = db.Insert("a", kNow, 8);
  Entry* b = db.Insert("b", kNow, 8);
  const std::string long_value = Bytes(5000, 'q');

  a->SetString(long_value);
  b->TakeValueFrom(*a);  // the out-of-line string changes hands
  CHECK(b->str() == long_value);
  CHECK(a->str().empty());

  auto* h = new types::HashValue();
  h->Set("f", "v");
  a->SetObject(types::ValueType::kHash, h);
  CHECK(a->type() == types::ValueType::kHash);
  CHECK(a->As<types::HashValue>() == h);
  CHECK(a->key() == "a");
  b->CopyValueFrom(*a);  // a string becomes a copy of a hash
  REQUIRE(b->As<types::HashValue>() != nullptr);
  CHECK(b->As<types::HashValue>() != h);
  std::string got;
  CHECK(b->As<types::HashValue>()->Get("f", &got));
  CHECK(got == "v");
  a->SetString("short");  // the hash is freed, the value is inline again
  CHECK(a->IsString());
  CHECK(a->str() == "short");
  a->TakeValueFrom(*b);  // the hash changes hands
  CHECK(a->type() == types::ValueType::kHash);
  CHECK(b->IsString());
  CHECK(b->str().empty());
  b->SetString(long_value);
  a->CopyValueFrom(*b);
  CHECK(a->str() == long_value);
  CHECK(a->Encoding() == "raw");
}

TEST_CASE("Entry: idle time from a 24-bit LRU stamp", "[keyspace]") {
  Keyspace ks(1);
  Entry* e = ks.db(0).Insert("k", kNow);
  const uint32_t now = 1'733'000'000;  // Unix seconds, far beyond 24 bits
  e->Touch(now - 100);
  CHECK(e->IdleSeconds(now) == 100);
  e->Touch(now);
  CHECK(e->IdleSeconds(now) == 0);
  CHECK(e->IdleSeconds(now - 5) == 0);  // a clock set backwards
  e->Touch(0x00FFFFF0);                 // the stamp wraps: 0x10 + 0x10 seconds later
  CHECK(e->IdleSeconds(0x01000010) == 0x20);
}

}  // namespace
}  // namespace tidekv::keyspace
