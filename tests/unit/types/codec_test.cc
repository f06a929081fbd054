// The collection value codec (types/): every encoding round-trips, decoding picks the
// encoding the thresholds call for, and damaged bytes are refused, never crash.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "types/hash.h"
#include "types/list.h"
#include "types/set.h"
#include "types/value.h"
#include "types/zset.h"

namespace tidekv::types {
namespace {

std::string Encode(ValueType type, const Value& v) {
  std::string out;
  OpsFor(type)->encode(v, &out);
  return out;
}

std::set<std::pair<std::string, std::string>> Fields(const HashValue& h) {
  std::set<std::pair<std::string, std::string>> out;
  h.ForEach([&](std::string_view f, std::string_view v) { out.emplace(f, v); });
  return out;
}

std::set<std::string> Members(const SetValue& s) {
  std::set<std::string> out;
  s.ForEach([&](std::string_view m) { out.emplace(m); });
  return out;
}

struct LimitsGuard {
  EncodingLimits saved = Limits();
  ~LimitsGuard() { Limits() = saved; }
};

TEST_CASE("hashes round-trip through the codec in both encodings", "[types]") {
  LimitsGuard guard;
  for (int n : {1, 5, 128, 129, 3000}) {
    HashValue h;
    for (int i = 0; i < n; i++) h.Set("field" + std::to_string(i), i % 3 ? "v" : "12345");
    CHECK(h.EncodingName() == (n <= 128 ? "listpack" : "hashtable"));
    const std::string bytes = Encode(ValueType::kHash, h);
    Result<Value*> decoded = HashValue::Ops().decode(bytes);
    REQUIRE(decoded.ok());
    auto* back = static_cast<HashValue*>(decoded.value());
    CHECK(back->EncodingName() == h.EncodingName());
    CHECK(Fields(*back) == Fields(h));
    Sha1 a, b;
    HashValue::Ops().digest(h, a);
    HashValue::Ops().digest(*back, b);
    CHECK(a.Final() == b.Final());
    HashValue::Ops().destroy(back);
  }
}

TEST_CASE("sets round-trip through the codec in all three encodings", "[types]") {
  LimitsGuard guard;
  std::vector<std::vector<std::string>> cases = {
      {"1", "2", "-9223372036854775808", "9223372036854775807"},
      {"a", "b", "7"},
      {std::string(100, 'x'), "y"},
  };
  std::vector<std::string> big;
  for (int i = 0; i < 1000; i++) big.push_back("m" + std::to_string(i));
  cases.push_back(big);
  const std::vector<std::string> encodings = {"intset", "listpack", "hashtable", "hashtable"};
  for (size_t c = 0; c < cases.size(); c++) {
    SetValue s(cases[c][0]);
    for (const std::string& m : cases[c]) s.Add(m);
    CHECK(s.EncodingName() == encodings[c]);
    const std::string bytes = Encode(ValueType::kSet, s);
    Result<Value*> decoded = SetValue::Ops().decode(bytes);
    REQUIRE(decoded.ok());
    auto* back = static_cast<SetValue*>(decoded.value());
    CHECK(back->EncodingName() == s.EncodingName());
    CHECK(Members(*back) == Members(s));
    SetValue::Ops().destroy(back);
  }
}

std::vector<std::string> Elements(const ListValue& l) {
  std::vector<std::string> out;
  l.ForEach([&](std::string_view e) { out.emplace_back(e); });
  return out;
}

Sha1::Digest DigestOf(const Value& v, ValueType type) {
  Sha1 h;
  OpsFor(type)->digest(v, h);
  return h.Final();
}

TEST_CASE("lists round-trip through the codec in both encodings, in order", "[types][list]") {
  LimitsGuard guard;
  for (int n : {1, 7, 400, 5000}) {
    ListValue l;
    for (int i = 0; i < n; i++) l.Push(i % 2 == 0, i % 3 ? "e" + std::to_string(i) : "12345");
    CHECK(l.EncodingName() == (n <= 400 ? "listpack" : "quicklist"));
    const std::string bytes = Encode(ValueType::kList, l);
    Result<Value*> decoded = ListValue::Ops().decode(bytes);
    REQUIRE(decoded.ok());
    auto* back = static_cast<ListValue*>(decoded.value());
    CHECK(back->EncodingName() == l.EncodingName());
    CHECK(Elements(*back) == Elements(l));
    CHECK(DigestOf(*back, ValueType::kList) == DigestOf(l, ValueType::kList));
    Value* copy = ListValue::Ops().clone(l);
    CHECK(Elements(*static_cast<ListValue*>(copy)) == Elements(l));
    ListValue::Ops().destroy(copy);
    ListValue::Ops().destroy(back);
  }
  // The digest is ordered: the same elements in another order differ.
  ListValue ab, ba;
  ab.Push(false, "a");
  ab.Push(false, "b");
  ba.Push(false, "b");
  ba.Push(false, "a");
  CHECK(DigestOf(ab, ValueType::kList) != DigestOf(ba, ValueType::kList));
}

TEST_CASE("a list's element rows are its nodes, and the log names the nodes a change touched",
          "[types][list]") {
  LimitsGuard guard;
  Limits().list_max_listpack_size = 16;
  const TypeOps& ops = ListValue::Ops();
  ListValue l;
  for (int i = 0; i < 1000; i++) l.Push(false, "x" + std::to_string(i));
  CHECK(l.EncodingName() == "quicklist");
  std::map<std::string, std::string> rows;
  ops.each_element(l, [&](std::string_view element, std::string_view payload) {
    CHECK(element.size() == 8);
    rows[std::string(element)] = std::string(payload);
  });
  CHECK(rows.size() == l.quicklist().node_count());
  auto log = std::make_unique<ElementLog>();
  ops.swap_element_log(l, std::move(log));
  l.Push(true, "head");
  l.Pop(false);
  // The head node and the tail node, nothing else.
  CHECK(l.element_log()->changed.size() == 2);
  for (const std::string& element : l.element_log()->changed) {
    std::string payload;
    if (ops.element(l, element, &payload)) {
      rows[element] = payload;
    } else {
      rows.erase(element);
    }
  }
  // The rows load back (in key order, as a batch holds them) to the same list.
  Value* loaded = ops.create(l.size());
  for (const auto& [element, payload] : rows) {
    REQUIRE(ops.apply_element(*loaded, element, payload, false).ok());
  }
  CHECK(ops.length(*loaded) == l.size());
  CHECK(Elements(*static_cast<ListValue*>(loaded)) == Elements(l));
  CHECK_FALSE(ops.apply_element(*loaded, "short", "x", false).ok());
  CHECK_FALSE(ops.apply_element(*loaded, rows.begin()->first, "not a listpack", false).ok());
  ops.destroy(loaded);
}

TEST_CASE("decoding follows the current thresholds", "[types]") {
  LimitsGuard guard;
  HashValue h;
  h.Set("a", "1");
  h.Set("b", "2");
  const std::string bytes = Encode(ValueType::kHash, h);
  Limits().hash_max_listpack_entries = 1;
  Result<Value*> decoded = HashValue::Ops().decode(bytes);
  REQUIRE(decoded.ok());
  CHECK(static_cast<HashValue*>(decoded.value())->EncodingName() == "hashtable");
  HashValue::Ops().destroy(decoded.value());
}

TEST_CASE("damaged encodings are refused without crashing", "[types]") {
  HashValue h;
  for (int i = 0; i < 20; i++) h.Set("f" + std::to_string(i), "value" + std::to_string(i));
  SetValue s("a");
  for (int i = 0; i < 20; i++) s.Add("m" + std::to_string(i));
  ListValue l;
  for (int i = 0; i < 20; i++) l.Push(false, "e" + std::to_string(i));
  ZSetValue z(0, 0);
  for (int i = 0; i < 20; i++) z.Set("m" + std::to_string(i), i * 1.5);
  for (auto [type, bytes] : {std::pair{ValueType::kHash, Encode(ValueType::kHash, h)},
                             std::pair{ValueType::kSet, Encode(ValueType::kSet, s)},
                             std::pair{ValueType::kList, Encode(ValueType::kList, l)},
                             std::pair{ValueType::kZSet, Encode(ValueType::kZSet, z)}}) {
    const TypeOps* ops = OpsFor(type);
    // Every truncation is refused.
    for (size_t n = 0; n < bytes.size(); n++) {
      Result<Value*> r = ops->decode(std::string_view(bytes).substr(0, n));
      CHECK_FALSE(r.ok());
    }
    // Trailing bytes, another version, an empty value.
    CHECK_FALSE(ops->decode(bytes + "x").ok());
    std::string v2 = bytes;
    v2[0] = 2;
    CHECK_FALSE(ops->decode(v2).ok());
    CHECK_FALSE(ops->decode(std::string("\x01\x00", 2)).ok());
    // Random single-byte changes either decode to something valid or are refused.
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; i++) {
      std::string damaged = bytes;
      damaged[rng() % damaged.size()] = static_cast<char>(rng());
      Result<Value*> r = ops->decode(damaged);
      if (r.ok()) ops->destroy(r.value());
    }
  }
  CHECK_FALSE(SetValue::Ops()
                  .decode(std::string("\x01\x02\x01"
                                      "a"
                                      "\x01"
                                      "a",
                                      7))
                  .ok());
}

std::vector<std::pair<std::string, double>> Items(const ZSetValue& z) {
  std::vector<std::pair<std::string, double>> out;
  z.ForEach([&](std::string_view m, double score) { out.emplace_back(m, score); });
  return out;
}

TEST_CASE("sorted sets round-trip through the codec in both encodings", "[types][zset]") {
  LimitsGuard guard;
  const double inf = std::numeric_limits<double>::infinity();
  for (int n : {1, 5, 128, 129, 3000}) {
    ZSetValue z(0, 0);
    for (int i = 0; i < n; i++) {
      // Integral, fractional, negative zero, infinite and huge scores, repeated scores.
      const double scores[] = {static_cast<double>(i % 7), i / 3.0, -0.0, inf, -inf, 1e300};
      z.Set("member" + std::to_string(i), scores[i % 6]);
    }
    CHECK(z.EncodingName() == (n <= 128 ? "listpack" : "skiplist"));
    const std::string bytes = Encode(ValueType::kZSet, z);
    Result<Value*> decoded = ZSetValue::Ops().decode(bytes);
    REQUIRE(decoded.ok());
    auto* back = static_cast<ZSetValue*>(decoded.value());
    CHECK(back->EncodingName() == z.EncodingName());
    CHECK(Items(*back) == Items(z));
    CHECK(DigestOf(*back, ValueType::kZSet) == DigestOf(z, ValueType::kZSet));
    Value* copy = ZSetValue::Ops().clone(z);
    CHECK(Items(*static_cast<ZSetValue*>(copy)) == Items(z));
    ZSetValue::Ops().destroy(copy);
    ZSetValue::Ops().destroy(back);
  }
}

TEST_CASE("a sorted set's digest ignores its encoding", "[types][zset]") {
  LimitsGuard guard;
  ZSetValue small(0, 0);
  ZSetValue large(1000, 0);  // a skiplist from the start
  for (int i = 0; i < 50; i++) {
    small.Set("m" + std::to_string(i), i * 0.1);
    large.Set("m" + std::to_string(i), i * 0.1);
  }
  CHECK(small.EncodingName() == "listpack");
  CHECK(large.EncodingName() == "skiplist");
  CHECK(DigestOf(small, ValueType::kZSet) == DigestOf(large, ValueType::kZSet));
  large.Set("m1", 7);
  CHECK(DigestOf(small, ValueType::kZSet) != DigestOf(large, ValueType::kZSet));
}

TEST_CASE("listpack scores whose bytes read as an integer stay doubles", "[types][zset]") {
  // The 8 bytes "12345678" as a double: the listpack would store them as an integer.
  double odd = 0;
  std::memcpy(&odd, "12345678", 8);
  ZSetValue z(0, 0);
  z.Set("a", odd);
  z.Set("b", 0.5);
  z.Set("c", -0.0);
  CHECK(z.EncodingName() == "listpack");
  CHECK(z.Score("a") == odd);
  CHECK(z.Score("b") == 0.5);
  CHECK(std::signbit(*z.Score("c")));
}

TEST_CASE("damaged sorted set encodings are refused", "[types][zset]") {
  auto encoded = [](std::vector<std::pair<std::string, double>> items) {
    std::string out(1, '\x01');
    out.push_back(static_cast<char>(items.size()));
    for (const auto& [m, score] : items) {
      out.push_back(static_cast<char>(m.size()));
      out += m;
      char bytes[8];
      std::memcpy(bytes, &score, 8);
      out.append(bytes, 8);
    }
    return out;
  };
  const TypeOps& ops = ZSetValue::Ops();
  Result<Value*> fine = ops.decode(encoded({{"a", 1}, {"b", 2}}));
  REQUIRE(fine.ok());
  ops.destroy(fine.value());
  CHECK_FALSE(ops.decode(encoded({{"a", 1}, {"a", 2}})).ok());  // member repeated
  CHECK_FALSE(ops.decode(encoded({{"a", std::numeric_limits<double>::quiet_NaN()}})).ok());
  CHECK_FALSE(ops.decode(encoded({})).ok());
  // Element rows: 8 bytes of score, not NaN.
  ZSetValue z(0, 0);
  const std::string one("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);
  const std::string nan("\x00\x00\x00\x00\x00\x00\xf8\x7f", 8);
  CHECK(ops.apply_element(z, "m", one, false).ok());
  CHECK(z.Score("m") == 1.0);
  CHECK_FALSE(ops.apply_element(z, "m", "short", false).ok());
  CHECK_FALSE(ops.apply_element(z, "m", nan, false).ok());
  std::string payload;
  CHECK(ops.element(z, "m", &payload));
  CHECK(payload == one);
  CHECK(ops.apply_element(z, "m", "", true).ok());
  CHECK(z.empty());
}

TEST_CASE("every type has one row, unknown stored types have none", "[types]") {
  CHECK(TypeName(ValueType::kString) == "string");
  CHECK(TypeName(ValueType::kHash) == "hash");
  CHECK(TypeName(ValueType::kSet) == "set");
  CHECK(TypeName(ValueType::kList) == "list");
  CHECK(OpsFor(uint8_t{1}) == &ListValue::Ops());
  CHECK(TypeName(ValueType::kZSet) == "zset");
  CHECK(OpsFor(uint8_t{4}) == &HashValue::Ops());
  CHECK(OpsFor(uint8_t{200}) == nullptr);
}

}  // namespace
}  // namespace tidekv::types
