// Listpack: agrees with a std::vector<std::string> model under random edits, stores exactly
// the canonical int64 decimals as integers (and compares them exactly), and FromRaw accepts
// only canonical encodings, refusing damaged bytes without reading out of bounds.
#include "ds/listpack.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace tidekv::ds {
namespace {

// Canonical int64 decimals, by an independent route: format the parsed value back and
// compare (std::stoll accepts "+1", "007", " 1"; the round trip rejects them).
bool IsCanonicalInt(const std::string& s) {
  if (s.empty() || s.size() > 20) return false;
  for (size_t i = 0; i < s.size(); i++) {
    if (!(std::isdigit(static_cast<unsigned char>(s[i])) || (i == 0 && s[i] == '-'))) return false;
  }
  try {
    size_t used = 0;
    const long long v = std::stoll(s, &used);
    return used == s.size() && std::to_string(v) == s;
  } catch (const std::exception&) {
    return false;
  }
}

std::vector<std::string> Contents(const Listpack& lp) {
  std::vector<std::string> out;
  char buf[24];
  for (uint32_t pos = lp.First(); pos != Listpack::kEnd; pos = lp.Next(pos)) {
    out.emplace_back(lp.Get(pos, buf));
  }
  return out;
}

Listpack Build(const std::vector<std::string>& values) {
  Listpack lp;
  for (const std::string& v : values) lp.PushBack(v);
  return lp;
}

// Everything observable agrees with the model, and the bytes survive FromRaw.
void CheckAgainst(const Listpack& lp, const std::vector<std::string>& model) {
  REQUIRE(lp.size() == model.size());
  REQUIRE(lp.empty() == model.empty());
  REQUIRE(Contents(lp) == model);
  REQUIRE(lp.bytes() == (model.empty() ? 0 : lp.Raw().size()));
  size_t i = 0;
  char buf[24];
  for (uint32_t pos = lp.First(); pos != Listpack::kEnd; pos = lp.Next(pos), i++) {
    REQUIRE(lp.Seek(i) == pos);
    int64_t v = 0;
    const bool is_int = lp.GetInt(pos, &v);
    REQUIRE(is_int == IsCanonicalInt(model[i]));
    if (is_int) REQUIRE(std::to_string(v) == model[i]);
    REQUIRE(lp.Get(pos, buf) == model[i]);
  }
  REQUIRE(lp.Seek(model.size()) == Listpack::kEnd);
  std::optional<Listpack> back = Listpack::FromRaw(lp.Raw());
  REQUIRE(back.has_value());
  REQUIRE(back->Raw() == lp.Raw());
}

// Values that reach every element form and the integer/string border.
std::string RandomValue(std::mt19937_64& rng) {
  static const std::vector<std::string> kEdges = {"0",
                                                  "-0",
                                                  "00",
                                                  "007",
                                                  "+1",
                                                  " 1",
                                                  "1 ",
                                                  "-",
                                                  "",
                                                  "127",
                                                  "128",
                                                  "-1",
                                                  "-4096",
                                                  "-4097",
                                                  "4095",
                                                  "4096",
                                                  "32767",
                                                  "32768",
                                                  "-32768",
                                                  "-32769",
                                                  "9223372036854775807",
                                                  "-9223372036854775808",
                                                  "9223372036854775808",
                                                  "-9223372036854775809",
                                                  "18446744073709551616",
                                                  "99999999999999999999",
                                                  "12345678901234567890",
                                                  "1e3",
                                                  "0x10",
                                                  "a",
                                                  std::string("\0", 1),
                                                  "field"};
  switch (rng() % 6) {
    case 0:
      return kEdges[rng() % kEdges.size()];
    case 1:
      return std::to_string(static_cast<int64_t>(rng()) >> (rng() % 64));
    case 2:
      return std::to_string(static_cast<int>(rng() % 300) - 150);
    case 3: {
      // Lengths around the string form borders.
      static const size_t kLens[] = {0, 1, 62, 63, 64, 65, 4094, 4095, 4096, 4097};
      std::string s(kLens[rng() % 10], 'x');
      for (char& c : s) c = static_cast<char>(rng());
      return s;
    }
    default:
      return "v" + std::to_string(rng() % 50);
  }
}

TEST_CASE("Listpack: an empty listpack has no elements and no allocation", "[listpack]") {
  Listpack lp;
  CHECK(lp.size() == 0);
  CHECK(lp.empty());
  CHECK(lp.bytes() == 0);
  CHECK(lp.First() == Listpack::kEnd);
  CHECK(lp.Seek(0) == Listpack::kEnd);
  CHECK(lp.Find("a", lp.First(), 0) == Listpack::kEnd);
  CHECK(lp.Erase(Listpack::kEnd) == Listpack::kEnd);
  CHECK(lp.Raw().size() == Listpack::kHeaderBytes);
  std::optional<Listpack> back = Listpack::FromRaw(lp.Raw());
  REQUIRE(back.has_value());
  CHECK(back->empty());
}

TEST_CASE("Listpack: random edits agree with a vector model", "[listpack]") {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    std::mt19937_64 rng(seed);
    Listpack lp;
    std::vector<std::string> model;
    for (int op = 0; op < 3000; op++) {
      const unsigned dice = static_cast<unsigned>(rng() % 100);
      if (dice < 25 || model.empty()) {
        std::string v = RandomValue(rng);
        lp.PushBack(v);
        model.push_back(v);
      } else if (dice < 45) {
        const size_t i = rng() % (model.size() + 1);
        std::string v = RandomValue(rng);
        const uint32_t pos = lp.Insert(lp.Seek(i), v);
        model.insert(model.begin() + static_cast<ptrdiff_t>(i), v);
        REQUIRE(pos == lp.Seek(i));
      } else if (dice < 65) {
        const size_t i = rng() % model.size();
        std::string v = RandomValue(rng);
        const uint32_t pos = lp.Replace(lp.Seek(i), v);
        model[i] = v;
        REQUIRE(pos == lp.Seek(i));
      } else if (dice < 80) {
        const size_t i = rng() % model.size();
        const size_t n = rng() % 4;
        const uint32_t next = lp.Erase(lp.Seek(i), n);
        model.erase(model.begin() + static_cast<ptrdiff_t>(i),
                    model.begin() + static_cast<ptrdiff_t>(std::min(model.size(), i + n)));
        REQUIRE(next == lp.Seek(i));
      } else {
        // Find with a stride, from a random start, for a value present or not.
        const size_t start = rng() % model.size();
        const size_t skip = rng() % 3;
        const std::string v = rng() % 2 == 0 ? model[rng() % model.size()] : RandomValue(rng);
        size_t want = model.size();
        for (size_t i = start; i < model.size(); i += skip + 1) {
          if (model[i] == v) {
            want = i;
            break;
          }
        }
        REQUIRE(lp.Find(v, lp.Seek(start), skip) == lp.Seek(want));
      }
      if (op % 50 == 0 || model.size() < 5) CheckAgainst(lp, model);
      // Keep it listpack-sized, as callers do.
      if (model.size() > 200) {
        lp.Erase(lp.First(), 150);
        model.erase(model.begin(), model.begin() + 150);
      }
    }
    CheckAgainst(lp, model);
    // One sequence, one encoding: the same contents built by appends are byte-identical.
    REQUIRE(Build(model).Raw() == lp.Raw());
  }
}

TEST_CASE("Listpack: edge integers round-trip and use the shortest form", "[listpack]") {
  struct Case {
    std::string text;
    size_t element_bytes;
  };
  const std::vector<Case> kInts = {{"0", 1},
                                   {"127", 1},
                                   {"128", 2},
                                   {"-1", 2},
                                   {"-4096", 2},
                                   {"4095", 2},
                                   {"4096", 3},
                                   {"-4097", 3},
                                   {"32767", 3},
                                   {"-32768", 3},
                                   {"32768", 4},
                                   {"8388607", 4},
                                   {"8388608", 5},
                                   {"-2147483648", 5},
                                   {"2147483648", 6},
                                   {"549755813888", 7},
                                   {"140737488355328", 8},
                                   {"36028797018963968", 9},
                                   {"9223372036854775807", 9},
                                   {"-9223372036854775808", 9}};
  for (const Case& c : kInts) {
    INFO(c.text);
    Listpack lp;
    lp.PushBack(c.text);
    CHECK(lp.bytes() == Listpack::kHeaderBytes + c.element_bytes);
    int64_t v = 0;
    REQUIRE(lp.GetInt(lp.First(), &v));
    CHECK(std::to_string(v) == c.text);
    char buf[24];
    CHECK(lp.Get(lp.First(), buf) == c.text);
  }
  // Not canonical, so stored as the strings they are.
  for (std::string s : {"-0", "007", "00", "+5", " 5", "5 ", "-", "--1", "9223372036854775808",
                        "-9223372036854775809", "18446744073709551616", "99999999999999999999",
                        "-99999999999999999999", "123456789012345678901"}) {
    INFO(s);
    Listpack lp;
    lp.PushBack(s);
    int64_t v = 0;
    CHECK_FALSE(lp.GetInt(lp.First(), &v));
    CHECK(lp.bytes() == Listpack::kHeaderBytes + 1 + s.size());
    char buf[24];
    CHECK(lp.Get(lp.First(), buf) == s);
  }
}

TEST_CASE("Listpack: Find compares integer elements with strings exactly", "[listpack]") {
  Listpack lp = Build({"01", "1", "-0", "0", "+1", "1"});
  CHECK(lp.Find("1", lp.First(), 0) == lp.Seek(1));
  CHECK(lp.Find("01", lp.First(), 0) == lp.Seek(0));
  CHECK(lp.Find("-0", lp.First(), 0) == lp.Seek(2));
  CHECK(lp.Find("0", lp.First(), 0) == lp.Seek(3));
  CHECK(lp.Find("+1", lp.First(), 0) == lp.Seek(4));
  CHECK(lp.Find("00", lp.First(), 0) == Listpack::kEnd);
  CHECK(lp.Find("1", lp.Seek(2), 0) == lp.Seek(5));
  CHECK(lp.Find("1", Listpack::kEnd, 0) == Listpack::kEnd);

  // Field/value pairs: skip=1 looks only at fields, never at a value equal to the field.
  Listpack hash = Build({"a", "b", "b", "c", "12", "a"});
  CHECK(hash.Find("b", hash.First(), 1) == hash.Seek(2));
  CHECK(hash.Find("a", hash.Seek(2), 1) == Listpack::kEnd);
  CHECK(hash.Find("12", hash.First(), 1) == hash.Seek(4));
  CHECK(hash.Find("c", hash.First(), 1) == Listpack::kEnd);
  CHECK(hash.Find("c", hash.Seek(1), 1) == hash.Seek(3));
}

TEST_CASE("Listpack: edits return the positions the contract promises", "[listpack]") {
  Listpack lp = Build({"a", "1000", "c"});
  // Replacing with a longer and a shorter form keeps the position and the neighbours.
  uint32_t pos = lp.Replace(lp.Seek(1), std::string(5000, 'z'));
  CHECK(pos == lp.Seek(1));
  CHECK(Contents(lp) == std::vector<std::string>{"a", std::string(5000, 'z'), "c"});
  pos = lp.Replace(pos, "7");
  CHECK(Contents(lp) == std::vector<std::string>{"a", "7", "c"});
  // Insert at kEnd appends; Erase past the end stops at the end.
  pos = lp.Insert(Listpack::kEnd, "d");
  CHECK(pos == lp.Seek(3));
  CHECK(lp.Erase(lp.Seek(2), 100) == Listpack::kEnd);
  CHECK(Contents(lp) == std::vector<std::string>{"a", "7"});
  CHECK(lp.Erase(lp.First()) == lp.First());
  CHECK(Contents(lp) == std::vector<std::string>{"7"});
  CHECK(lp.Erase(lp.First(), 0) == lp.First());
  CHECK(lp.Erase(lp.First()) == Listpack::kEnd);
  CHECK(lp.empty());
  CHECK(lp.bytes() == 0);
  lp.PushBack("again");
  CHECK(Contents(lp) == std::vector<std::string>{"again"});
  lp.Clear();
  CHECK(lp.empty());
}

TEST_CASE("Listpack: a value taken from the listpack itself can be inserted", "[listpack]") {
  Listpack lp = Build({std::string(100, 'q'), "x"});
  char buf[24];
  for (int i = 0; i < 20; i++) {
    // Get returns a view into the buffer that Insert reallocates.
    lp.Insert(lp.First(), lp.Get(lp.Seek(lp.size() - 2), buf));
    lp.Replace(lp.Seek(1), lp.Get(lp.First(), buf));
  }
  std::vector<std::string> contents = Contents(lp);
  for (size_t i = 0; i + 1 < contents.size(); i++) CHECK(contents[i] == std::string(100, 'q'));
  CHECK(contents.back() == "x");
}

TEST_CASE("Listpack: copies are independent and moves leave an empty listpack", "[listpack]") {
  Listpack a = Build({"1", "two", "3"});
  Listpack b = a;
  b.PushBack("4");
  CHECK(a.size() == 3);
  CHECK(b.size() == 4);
  a = b;
  CHECK(a == b);
  a = a;  // NOLINT: self-assignment is harmless
  CHECK(a == b);
  Listpack c = std::move(a);
  CHECK(c == b);
  CHECK(a.empty());  // NOLINT: the moved-from state is specified
  Listpack d;
  d = std::move(c);
  CHECK(d == b);
  Listpack empty;
  d = empty;
  CHECK(d.empty());
}

// Whatever FromRaw accepts is the canonical encoding of what it holds: walking it works and
// re-encoding the contents gives back the same bytes.
void CheckAcceptedIsCanonical(const std::optional<Listpack>& lp, std::string_view raw) {
  if (!lp.has_value()) return;
  REQUIRE(lp->Raw() == raw);
  std::vector<std::string> contents = Contents(*lp);
  REQUIRE(contents.size() == lp->size());
  REQUIRE(Build(contents).Raw() == raw);
}

void SetU32(std::string& s, size_t at, uint32_t v) { std::memcpy(s.data() + at, &v, 4); }
void SetU16(std::string& s, size_t at, uint16_t v) { std::memcpy(s.data() + at, &v, 2); }

TEST_CASE("Listpack: FromRaw refuses every truncation", "[listpack]") {
  const Listpack lp = Build({"a", "5", "-300", "70000", std::string(70, 'm'), "-0",
                             "-9223372036854775808", std::string(4100, 'L'), "end"});
  const std::string raw(lp.Raw());
  for (size_t n = 0; n < raw.size(); n++) {
    std::string cut = raw.substr(0, n);
    REQUIRE_FALSE(Listpack::FromRaw(cut).has_value());
    // Even with the header's total patched to match, the element walk or the count
    // refuses it (an element is cut, or elements are missing).
    if (n >= Listpack::kHeaderBytes) {
      SetU32(cut, 0, static_cast<uint32_t>(n));
      REQUIRE_FALSE(Listpack::FromRaw(cut).has_value());
    }
  }
  REQUIRE(Listpack::FromRaw(raw).has_value());
}

TEST_CASE("Listpack: FromRaw refuses single-byte corruptions that break the encoding",
          "[listpack]") {
  const Listpack lp = Build({"a", "5", "127", "-300", "4096", "70000", "-2147483649",
                             std::string(70, 'm'), "-0", "", "9223372036854775807", "end"});
  const std::string raw(lp.Raw());
  size_t accepted = 0;
  for (size_t i = 0; i < raw.size(); i++) {
    for (int b = 0; b < 256; b++) {
      if (static_cast<unsigned char>(raw[i]) == b) continue;
      std::string bad = raw;
      bad[i] = static_cast<char>(b);
      const std::optional<Listpack> got = Listpack::FromRaw(bad);
      // The header describes the whole buffer: no change there is ever valid.
      if (i < Listpack::kHeaderBytes) REQUIRE_FALSE(got.has_value());
      CheckAcceptedIsCanonical(got, bad);
      accepted += got.has_value();
    }
  }
  // Changing a string's bytes (to other non-numeric bytes) keeps it valid.
  CHECK(accepted > 0);

  // Specific non-canonical forms, each refused.
  auto with_element = [](std::string element) {
    std::string r(Listpack::kHeaderBytes, '\0');
    r += element;
    SetU32(r, 0, static_cast<uint32_t>(r.size()));
    SetU16(r, 4, 1);
    return r;
  };
  CHECK(Listpack::FromRaw(with_element("\x81z")).has_value());  // the valid baseline
  CHECK_FALSE(Listpack::FromRaw(with_element(std::string("\x81") + "5")).has_value());  // a string
  CHECK_FALSE(Listpack::FromRaw(with_element("\xC0\x05")).has_value());  // 5 as a 13-bit int
  CHECK_FALSE(Listpack::FromRaw(with_element(std::string("\xF0\x05\x00", 3))).has_value());
  CHECK_FALSE(Listpack::FromRaw(with_element(std::string("\xE0\x01z", 3))).has_value());
  CHECK_FALSE(Listpack::FromRaw(with_element(std::string("\xF7\x01\x00\x00\x00z", 6))).has_value());
  for (int tag = 0xF8; tag <= 0xFF; tag++) {
    CHECK_FALSE(
        Listpack::FromRaw(with_element(std::string(1, static_cast<char>(tag)))).has_value());
  }
  std::string two = with_element("\x81z");
  SetU16(two, 4, 2);  // count says two, one is there
  CHECK_FALSE(Listpack::FromRaw(two).has_value());
  std::string zero(Listpack::kHeaderBytes, '\0');
  CHECK_FALSE(Listpack::FromRaw(zero).has_value());  // total 0 for 6 bytes
  SetU32(zero, 0, Listpack::kHeaderBytes);
  CHECK(Listpack::FromRaw(zero).has_value());
}

// The header's 16-bit count saturates: from 65535 elements on, size() walks.
TEST_CASE("Listpack: counts of 65535 elements and more", "[listpack]") {
  Listpack lp;
  constexpr size_t kMany = 70'000;
  for (size_t i = 0; i < kMany; i++) lp.PushBack(i % 2 == 0 ? "x" : "12");
  CHECK(lp.size() == kMany);
  std::string raw(lp.Raw());
  REQUIRE(Listpack::FromRaw(raw).has_value());
  CHECK(Listpack::FromRaw(raw)->size() == kMany);
  lp.Replace(lp.First(), std::string(100, 'r'));  // the count is kept across a resize
  CHECK(lp.size() == kMany);
  lp.Erase(lp.First(), kMany - 65'535);
  CHECK(lp.size() == 65'535);
  lp.Erase(lp.First());
  CHECK(lp.size() == 65'534);
  lp.PushBack("y");
  CHECK(lp.size() == 65'535);
  // A saturated count over fewer elements is refused.
  Listpack few;
  few.PushBack("a");
  raw = std::string(few.Raw());
  SetU16(raw, 4, 0xFFFF);
  CHECK_FALSE(Listpack::FromRaw(raw).has_value());
}

TEST_CASE("Listpack: FromRaw survives random garbage", "[listpack]") {
  std::mt19937_64 rng(17);
  size_t accepted = 0;
  for (int round = 0; round < 20'000; round++) {
    // A plausible header over random element bytes, so the walk is really exercised.
    std::string r(Listpack::kHeaderBytes + rng() % 40, '\0');
    for (size_t i = Listpack::kHeaderBytes; i < r.size(); i++) r[i] = static_cast<char>(rng());
    SetU32(r, 0, static_cast<uint32_t>(r.size()));
    SetU16(r, 4, static_cast<uint16_t>(rng() % 6));
    const std::optional<Listpack> got = Listpack::FromRaw(r);
    CheckAcceptedIsCanonical(got, r);
    accepted += got.has_value();
  }
  CHECK(accepted > 0);
}

}  // namespace
}  // namespace tidekv::ds
