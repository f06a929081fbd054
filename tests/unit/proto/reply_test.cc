#include "proto/reply.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "common/strings.h"

namespace tidekv::proto {
namespace {

using namespace std::string_literals;

// Runs f against a fresh builder in RESP2 and in RESP3 and returns both outputs.
template <typename F>
std::pair<std::string, std::string> Both(F f) {
  std::string resp2, resp3;
  ReplyBuilder b2(&resp2);
  f(b2);
  ReplyBuilder b3(&resp3);
  b3.set_resp3(true);
  f(b3);
  return {resp2, resp3};
}

template <typename F>
void Expect(F f, const std::string& resp2, const std::string& resp3) {
  const auto [got2, got3] = Both(f);
  CHECK(got2 == resp2);
  CHECK(got3 == resp3);
}

TEST_CASE("protocol selection", "[reply]") {
  std::string out;
  ReplyBuilder b(&out);
  REQUIRE(!b.resp3());
  b.set_resp3(true);
  REQUIRE(b.resp3());
  REQUIRE(b.buffer() == &out);
}

TEST_CASE("replies append to the buffer", "[reply]") {
  std::string out = "existing";
  ReplyBuilder b(&out);
  b.Ok();
  b.Integer(1);
  REQUIRE(out == "existing+OK\r\n:1\r\n");
}

TEST_CASE("simple strings and errors", "[reply]") {
  Expect([](ReplyBuilder& b) { b.Ok(); }, "+OK\r\n", "+OK\r\n");
  Expect([](ReplyBuilder& b) { b.Simple("PONG"); }, "+PONG\r\n", "+PONG\r\n");
  Expect([](ReplyBuilder& b) { b.Simple(""); }, "+\r\n", "+\r\n");
  Expect([](ReplyBuilder& b) { b.Simple("a\r\nb\nc\rd"); }, "+a  b c d\r\n", "+a  b c d\r\n");
  Expect([](ReplyBuilder& b) { b.Error("ERR syntax error"); }, "-ERR syntax error\r\n",
         "-ERR syntax error\r\n");
  Expect([](ReplyBuilder& b) { b.Error("WRONGTYPE Operation"); }, "-WRONGTYPE Operation\r\n",
         "-WRONGTYPE Operation\r\n");
  Expect([](ReplyBuilder& b) { b.Error("ERR bad\r\nkey\n"); }, "-ERR bad  key \r\n",
         "-ERR bad  key \r\n");
  // A caller that already wrote the '-' does not get a doubled one.
  Expect([](ReplyBuilder& b) { b.Error("-ERR x"); }, "-ERR x\r\n", "-ERR x\r\n");
  // Binary bytes other than CR/LF pass through.
  Expect([](ReplyBuilder& b) { b.Simple("a\0b"s); }, "+a\0b\r\n"s, "+a\0b\r\n"s);
}

TEST_CASE("integers", "[reply]") {
  const auto check = [](int64_t v, const std::string& text) {
    Expect([v](ReplyBuilder& b) { b.Integer(v); }, ":" + text + "\r\n", ":" + text + "\r\n");
  };
  check(0, "0");
  check(7, "7");
  check(9, "9");
  check(10, "10");
  check(99, "99");
  check(100, "100");
  check(999, "999");
  check(1000, "1000");
  check(123456789, "123456789");
  check(-1, "-1");
  check(-999, "-999");
  check(-1000, "-1000");
  check(std::numeric_limits<int64_t>::max(), "9223372036854775807");
  check(std::numeric_limits<int64_t>::min(), "-9223372036854775808");
  for (int64_t v = -2000; v <= 2000; v++) {
    std::string out;
    ReplyBuilder b(&out);
    b.Integer(v);
    REQUIRE(out == ":" + std::to_string(v) + "\r\n");
  }
}

TEST_CASE("bulk strings", "[reply]") {
  Expect([](ReplyBuilder& b) { b.Bulk("hello"); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n");
  Expect([](ReplyBuilder& b) { b.Bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n");
  Expect([](ReplyBuilder& b) { b.Bulk("a\r\n\0b"s); }, "$5\r\na\r\n\0b\r\n"s,
         "$5\r\na\r\n\0b\r\n"s);
  // Around the size where the builder switches from one stack copy to three appends.
  for (size_t n : {63ul, 64ul, 65ul, 999ul, 1000ul, 100000ul}) {
    const std::string s(n, 'x');
    const std::string want = "$" + std::to_string(n) + "\r\n" + s + "\r\n";
    Expect([&s](ReplyBuilder& b) { b.Bulk(s); }, want, want);
  }
}

TEST_CASE("nulls", "[reply]") {
  Expect([](ReplyBuilder& b) { b.Null(); }, "$-1\r\n", "_\r\n");
  Expect([](ReplyBuilder& b) { b.NullArray(); }, "*-1\r\n", "_\r\n");
}

TEST_CASE("aggregate headers", "[reply]") {
  for (size_t n :
       {0ul, 1ul, 9ul, 10ul, 99ul, 100ul, 999ul, 1000ul, 1023ul, 1024ul, 65536ul, 4294967296ul}) {
    INFO(n);
    const std::string num = std::to_string(n);
    Expect([n](ReplyBuilder& b) { b.Array(n); }, "*" + num + "\r\n", "*" + num + "\r\n");
    Expect([n](ReplyBuilder& b) { b.Set(n); }, "*" + num + "\r\n", "~" + num + "\r\n");
    Expect([n](ReplyBuilder& b) { b.Push(n); }, "*" + num + "\r\n", ">" + num + "\r\n");
    Expect([n](ReplyBuilder& b) { b.Map(n); }, "*" + std::to_string(2 * n) + "\r\n",
           "%" + num + "\r\n");
  }
  Expect([](ReplyBuilder& b) { b.Array(std::numeric_limits<size_t>::max()); },
         "*18446744073709551615\r\n", "*18446744073709551615\r\n");
  for (size_t n = 0; n < 1200; n++) {
    std::string out;
    ReplyBuilder b(&out);
    b.Array(n);
    REQUIRE(out == "*" + std::to_string(n) + "\r\n");
  }
}

TEST_CASE("a nested reply", "[reply]") {
  Expect(
      [](ReplyBuilder& b) {
        b.Map(2);
        b.Bulk("a");
        b.Integer(1);
        b.Bulk("b");
        b.Array(2);
        b.Null();
        b.Bool(true);
      },
      "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*2\r\n$-1\r\n:1\r\n",
      "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n*2\r\n_\r\n#t\r\n");
}

TEST_CASE("doubles", "[reply]") {
  const auto check = [](double d, const std::string& text) {
    INFO(text);
    Expect([d](ReplyBuilder& b) { b.Double(d); },
           "$" + std::to_string(text.size()) + "\r\n" + text + "\r\n", "," + text + "\r\n");
  };
  check(0.0, "0");
  check(-0.0, "-0");
  check(1.0, "1");
  check(1.5, "1.5");
  check(-2.25, "-2.25");
  check(0.1, "0.10000000000000001");
  check(3.14, "3.1400000000000001");
  check(1e17, "1e+17");
  check(123456789012345678.0, "1.2345678901234568e+17");
  check(1e300, "1.0000000000000001e+300");
  check(1e-300, "1e-300");
  check(5e-324, "4.9406564584124654e-324");
  check(-1.7976931348623157e308, "-1.7976931348623157e+308");
  check(std::numeric_limits<double>::infinity(), "inf");
  check(-std::numeric_limits<double>::infinity(), "-inf");
  check(std::numeric_limits<double>::quiet_NaN(), "nan");
  check(-std::numeric_limits<double>::quiet_NaN(), "nan");
}

TEST_CASE("doubles match common FormatDouble", "[reply]") {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<uint64_t> bits;
  std::uniform_real_distribution<double> real(-1e6, 1e6);
  for (int i = 0; i < 20000; i++) {
    double d;
    if (i % 2 == 0) {
      const uint64_t b = bits(rng);
      std::memcpy(&d, &b, sizeof d);  // any bit pattern, including NaNs and subnormals
    } else {
      d = real(rng);
    }
    std::string out;
    ReplyBuilder b(&out);
    b.set_resp3(true);
    b.Double(d);
    REQUIRE(out == "," + FormatDouble(d) + "\r\n");
  }
}

TEST_CASE("booleans", "[reply]") {
  Expect([](ReplyBuilder& b) { b.Bool(true); }, ":1\r\n", "#t\r\n");
  Expect([](ReplyBuilder& b) { b.Bool(false); }, ":0\r\n", "#f\r\n");
}

TEST_CASE("verbatim strings", "[reply]") {
  Expect([](ReplyBuilder& b) { b.Verbatim("# Server\r\nx:1\r\n"); },
         "$15\r\n# Server\r\nx:1\r\n\r\n", "=19\r\ntxt:# Server\r\nx:1\r\n\r\n");
  Expect([](ReplyBuilder& b) { b.Verbatim(""); }, "$0\r\n\r\n", "=4\r\ntxt:\r\n");
  const std::string big(5000, 'v');
  Expect([&big](ReplyBuilder& b) { b.Verbatim(big); }, "$5000\r\n" + big + "\r\n",
         "=5004\r\ntxt:" + big + "\r\n");
}

TEST_CASE("raw bytes pass through", "[reply]") {
  Expect([](ReplyBuilder& b) { b.Raw("+QUEUED\r\n"); }, "+QUEUED\r\n", "+QUEUED\r\n");
  Expect([](ReplyBuilder& b) { b.Raw(""); }, "", "");
}

}  // namespace
}  // namespace tidekv::proto
