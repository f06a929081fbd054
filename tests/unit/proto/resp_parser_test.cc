#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "proto/resp.h"

namespace tidekv::proto {
namespace {

using namespace std::string_literals;
using Argv = std::vector<std::string>;

// What a connection sees after feeding a byte stream to the parser.
struct Outcome {
  std::vector<Argv> requests;
  bool failed = false;
  std::string error;
  size_t leftover = 0;  // bytes of an unfinished request still buffered at the end
};

// Feeds input the way a connection would: reads end at the given cut offsets (and at the
// end of input); after each read, parse until kIncomplete or kError, dropping consumed
// bytes. The buffer is copied before every call so stale pointers inside the parser would
// read freed memory (caught by ASan).
Outcome Drive(std::string_view input, const std::vector<size_t>& cuts,
              const ParserLimits& limits = {}) {
  RequestParser parser(limits);
  Outcome out;
  std::string buf;
  std::vector<std::string_view> argv;
  size_t fed = 0;
  size_t need = 0;  // what bytes_needed() promised for the request in progress
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t end : ends) {
    if (end < fed) continue;
    buf.append(input.substr(fed, end - fed));
    fed = end;
    for (;;) {
      const std::string copy = buf;
      size_t consumed = 12345;
      const ParseStatus status = parser.Parse(copy, &argv, &consumed);
      REQUIRE(consumed <= copy.size());
      if (status == ParseStatus::kError) {
        REQUIRE(argv.empty());
        out.failed = true;
        out.error = parser.error();
        return out;  // leftover stays 0: how much had arrived when it failed is irrelevant
      }
      if (status == ParseStatus::kIncomplete) {
        REQUIRE(argv.empty());
        if (parser.bytes_needed() != 0) {
          REQUIRE(parser.bytes_needed() > copy.size());
          need = parser.bytes_needed() - consumed;
        }
        buf.erase(0, consumed);
        break;
      }
      REQUIRE(!argv.empty());
      REQUIRE(consumed > 0);
      REQUIRE(consumed >= need);  // bytes_needed() was a lower bound
      need = 0;
      out.requests.emplace_back(argv.begin(), argv.end());
      buf.erase(0, consumed);
    }
  }
  out.leftover = buf.size();
  return out;
}

Outcome Whole(std::string_view input, const ParserLimits& limits = {}) {
  return Drive(input, {}, limits);
}

std::vector<size_t> EveryNBytes(size_t size, size_t n) {
  std::vector<size_t> cuts;
  for (size_t at = n; at < size; at += n) cuts.push_back(at);
  return cuts;
}

// Asserts that input gives the same outcome whole, split in two at every offset, and fed
// in chunks of every size.
void CheckSplitsAgree(std::string_view input, const ParserLimits& limits = {}) {
  const Outcome whole = Whole(input, limits);
  for (size_t cut = 0; cut <= input.size(); cut++) {
    INFO("split at " << cut);
    const Outcome split = Drive(input, {cut}, limits);
    REQUIRE(split.requests == whole.requests);
    REQUIRE(split.failed == whole.failed);
    REQUIRE(split.error == whole.error);
    REQUIRE(split.leftover == whole.leftover);
  }
  for (size_t n = 1; n <= input.size(); n++) {
    INFO("chunks of " << n);
    const Outcome chunked = Drive(input, EveryNBytes(input.size(), n), limits);
    REQUIRE(chunked.requests == whole.requests);
    REQUIRE(chunked.failed == whole.failed);
    REQUIRE(chunked.error == whole.error);
    REQUIRE(chunked.leftover == whole.leftover);
  }
}

std::string ErrorOf(std::string_view input, const ParserLimits& limits = {}) {
  const Outcome out = Whole(input, limits);
  return out.failed ? out.error : "<no error>";
}

std::string Multibulk(const Argv& argv) {
  std::string s = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// ---------------------------------------------------------------- multibulk

TEST_CASE("multibulk request parses into views of the buffer", "[resp]") {
  RequestParser parser;
  const std::string buf = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  std::vector<std::string_view> argv;
  size_t consumed = 0;
  REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(consumed == buf.size());
  REQUIRE(argv == std::vector<std::string_view>{"SET", "key", "value"});
  // Zero copy: the arguments point into the caller's buffer.
  REQUIRE(argv[0].data() == buf.data() + 8);
  REQUIRE(argv[2].data() == buf.data() + 26);
  REQUIRE(parser.bytes_needed() == 0);
}

TEST_CASE("many requests in one buffer come back one per call", "[resp]") {
  RequestParser parser;
  std::string buf;
  for (int i = 0; i < 100; i++) buf += Multibulk({"INCR", "k" + std::to_string(i)});
  std::vector<std::string_view> argv;
  std::string_view rest = buf;
  for (int i = 0; i < 100; i++) {
    size_t consumed = 0;
    REQUIRE(parser.Parse(rest, &argv, &consumed) == ParseStatus::kComplete);
    REQUIRE(argv.size() == 2);
    REQUIRE(argv[1] == "k" + std::to_string(i));
    rest.remove_prefix(consumed);
  }
  REQUIRE(rest.empty());
  size_t consumed = 99;
  REQUIRE(parser.Parse(rest, &argv, &consumed) == ParseStatus::kIncomplete);
  REQUIRE(consumed == 0);
}

TEST_CASE("bulk arguments are binary safe", "[resp]") {
  const std::string nul_arg = "a\0b"s;
  const std::string crlf_arg = "x\r\ny\r\n";
  const std::string star_arg = "*1\r\n$3\r\n";
  const Outcome out = Whole(Multibulk({"SET", nul_arg, crlf_arg, "", star_arg, "\0"s}));
  REQUIRE(!out.failed);
  REQUIRE(out.requests == std::vector<Argv>{{"SET", nul_arg, crlf_arg, "", star_arg, "\0"s}});
}

TEST_CASE("empty multibulk requests are skipped", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;

  SECTION("*0 and negative counts before a command are consumed with it, as Redis") {
    const std::string buf = "*0\r\n*-1\r\n*-2\r\n*-100\r\n*1\r\n$4\r\nPING\r\n";
    REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kComplete);
    REQUIRE(consumed == buf.size());
    REQUIRE(argv == std::vector<std::string_view>{"PING"});
  }
  SECTION("only empty requests: kIncomplete but consumed") {
    const std::string buf = "*0\r\n*-1\r\n";
    REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kIncomplete);
    REQUIRE(consumed == buf.size());
    REQUIRE(argv.empty());
  }
  SECTION("empty requests before a partial one") {
    const std::string buf = "*0\r\n\r\n*2\r\n$3\r\nGET";
    REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kIncomplete);
    REQUIRE(consumed == 6);
    const std::string rest = buf.substr(consumed) + "\r\n$1\r\nk\r\n";
    REQUIRE(parser.Parse(rest, &argv, &consumed) == ParseStatus::kComplete);
    REQUIRE(consumed == rest.size());
    REQUIRE(argv == std::vector<std::string_view>{"GET", "k"});
  }
}

TEST_CASE("multibulk length errors", "[resp][errors]") {
  const std::string invalid = "Protocol error: invalid multibulk length";
  for (const char* input :
       {"*abc\r\n", "*\r\n", "*01\r\n", "*+1\r\n", "* 1\r\n", "*1 \r\n", "*1.0\r\n", "*-0\r\n",
        "*0x10\r\n", "*99999999999999999999\r\n", "*9223372036854775808\r\n",
        "*-9223372036854775809\r\n", "*16777217\r\n", "*1\rX", "*1\r\r\n", "*1\n$1\r\n"}) {
    INFO(input);
    REQUIRE(ErrorOf(input) == invalid);
  }
  // The default limit itself is accepted (nothing arrives after it: incomplete).
  const Outcome out = Whole("*16777216\r\n");
  REQUIRE(!out.failed);
  REQUIRE(out.leftover == 11);
}

TEST_CASE("bulk length errors", "[resp][errors]") {
  const std::string invalid = "Protocol error: invalid bulk length";
  for (const char* bulk : {"$abc\r\n", "$-1\r\n", "$-5\r\n", "$\r\n", "$01\r\n", "$+1\r\n",
                           "$ 1\r\n", "$1 \r\n", "$-0\r\n", "$99999999999999999999\r\n",
                           "$9223372036854775808\r\n", "$536870913\r\n", "$1\rX", "$1\r\r\n"}) {
    INFO(bulk);
    REQUIRE(ErrorOf("*1\r\n"s + bulk) == invalid);
    // The second argument's header too.
    REQUIRE(ErrorOf("*2\r\n$1\r\na\r\n"s + bulk) == invalid);
  }
  // The default limit (512 MiB) itself is accepted.
  const Outcome out = Whole("*1\r\n$536870912\r\n");
  REQUIRE(!out.failed);
}

TEST_CASE("a bulk header must start with '$'", "[resp][errors]") {
  REQUIRE(ErrorOf("*1\r\nfoo\r\n") == "Protocol error: expected '$', got 'f'");
  REQUIRE(ErrorOf("*2\r\n$1\r\na\r\n:1\r\n") == "Protocol error: expected '$', got ':'");
  REQUIRE(ErrorOf("*1\r\n*1\r\n") == "Protocol error: expected '$', got '*'");
  REQUIRE(ErrorOf("*1\r\n\r\n") == "Protocol error: expected '$', got '\r'");
  // Known as soon as the byte arrives, without waiting for its line.
  REQUIRE(ErrorOf("*1\r\nx") == "Protocol error: expected '$', got 'x'");
}

TEST_CASE("a bulk must be followed by CRLF", "[resp][errors]") {
  const std::string bad = "Protocol error: bulk argument not followed by CRLF";
  for (const char* input : {"*1\r\n$3\r\nfooXY", "*1\r\n$3\r\nfoo\rX", "*1\r\n$3\r\nfoo\n\r",
                            "*1\r\n$3\r\nfoo\r\r", "*1\r\n$3\r\nfooo\r\n", "*1\r\n$0\r\nx\r\n",
                            "*2\r\n$1\r\na\r\n$1\r\nbc", "*1\r\n$3\r\nfooX"}) {
    INFO(input);
    REQUIRE(ErrorOf(input) == bad);
  }
  // One byte short of the CRLF: still waiting.
  const Outcome out = Whole("*1\r\n$3\r\nfoo\r");
  REQUIRE(!out.failed);
  REQUIRE(out.leftover == 12);
}

TEST_CASE("header lines longer than max_inline_bytes", "[resp][errors][limits]") {
  SECTION("default 64 KiB, no CR at all") {
    const std::string digits(64 * 1024 + 1, '1');
    REQUIRE(ErrorOf("*" + digits) == "Protocol error: too big mbulk count string");
    REQUIRE(ErrorOf("*1\r\n$" + digits) == "Protocol error: too big bulk count string");
    // Exactly max_inline_bytes without a CR: may still end in time.
    REQUIRE(!Whole("*" + digits.substr(2)).failed);
  }
  SECTION("small limit") {
    ParserLimits limits;
    limits.max_inline_bytes = 8;
    // "*1234567\r\n": the CR is byte 8 of the line, inside the 8 + 1 byte window.
    REQUIRE(ErrorOf("*1234567\r\n", limits) == "<no error>");
    REQUIRE(ErrorOf("*12345678\r\n", limits) == "Protocol error: too big mbulk count string");
    REQUIRE(ErrorOf("*1\r\n$12345678\r\n", limits) == "Protocol error: too big bulk count string");
    // The same whether or not the CR has arrived.
    REQUIRE(ErrorOf("*12345678", limits) == "Protocol error: too big mbulk count string");
    REQUIRE(ErrorOf("*1234567", limits) == "<no error>");
  }
}

TEST_CASE("ParserLimits bound argument count and size", "[resp][limits]") {
  ParserLimits limits;
  limits.max_multibulk_len = 3;
  limits.max_bulk_bytes = 5;
  REQUIRE(Whole(Multibulk({"a", "b", "c"}), limits).requests.size() == 1);
  REQUIRE(ErrorOf(Multibulk({"a", "b", "c", "d"}), limits) ==
          "Protocol error: invalid multibulk length");
  REQUIRE(Whole(Multibulk({"12345"}), limits).requests.size() == 1);
  REQUIRE(ErrorOf(Multibulk({"123456"}), limits) == "Protocol error: invalid bulk length");
  // "*-1" and "*0" stay fine with any limit.
  limits.max_multibulk_len = 0;
  REQUIRE(ErrorOf("*0\r\n*-1\r\n", limits) == "<no error>");
  REQUIRE(ErrorOf("*1\r\n", limits) == "Protocol error: invalid multibulk length");
}

TEST_CASE("errors are sticky until Reset", "[resp][errors]") {
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;
  REQUIRE(parser.Parse("*x\r\n", &argv, &consumed) == ParseStatus::kError);
  REQUIRE(parser.error() == "Protocol error: invalid multibulk length");
  REQUIRE(parser.Parse("*1\r\n$1\r\na\r\n", &argv, &consumed) == ParseStatus::kError);
  REQUIRE(argv.empty());
  parser.Reset();
  REQUIRE(parser.error().empty());
  REQUIRE(parser.Parse("*1\r\n$1\r\na\r\n", &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(argv == std::vector<std::string_view>{"a"});
}

TEST_CASE("Reset forgets a partial request", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;
  REQUIRE(parser.Parse("*2\r\n$3\r\nfoo\r\n$5\r\nab", &argv, &consumed) ==
          ParseStatus::kIncomplete);
  parser.Reset();
  REQUIRE(parser.bytes_needed() == 0);
  REQUIRE(parser.Parse("PING\r\n", &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(argv == std::vector<std::string_view>{"PING"});
}

TEST_CASE("bytes_needed inside a bulk", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;

  REQUIRE(parser.Parse("*2\r\n$3\r\nGET\r\n$10", &argv, &consumed) == ParseStatus::kIncomplete);
  REQUIRE(parser.bytes_needed() == 0);  // the length's line is not complete yet

  std::string buf = "*2\r\n$3\r\nGET\r\n$10\r\nab";
  REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kIncomplete);
  REQUIRE(consumed == 0);
  REQUIRE(parser.bytes_needed() == 13 + 5 + 10 + 2);
  buf += "cdefghij\r";
  REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kIncomplete);
  REQUIRE(parser.bytes_needed() == 30);
  buf += "\n";
  REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(parser.bytes_needed() == 0);
  REQUIRE(argv == std::vector<std::string_view>{"GET", "abcdefghij"});

  SECTION("counted from the start of buf, skipped bytes included") {
    REQUIRE(parser.Parse("*0\r\n\n*1\r\n$100\r\nxx", &argv, &consumed) == ParseStatus::kIncomplete);
    REQUIRE(consumed == 5);
    REQUIRE(parser.bytes_needed() == 5 + 4 + 6 + 100 + 2);
  }
  SECTION("zero for inline requests") {
    REQUIRE(parser.Parse("GET abc", &argv, &consumed) == ParseStatus::kIncomplete);
    REQUIRE(parser.bytes_needed() == 0);
  }
}

TEST_CASE("a request resumes where it stopped after the buffer moved", "[resp]") {
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;
  const std::string full = Multibulk({"MSET", "a", "1", "b", "2"});
  // The caller compacts or reallocates its buffer between calls: new storage every time.
  for (size_t n = 1; n < full.size(); n++) {
    const std::string prefix = full.substr(0, n);
    REQUIRE(parser.Parse(prefix, &argv, &consumed) == ParseStatus::kIncomplete);
    REQUIRE(consumed == 0);
  }
  const std::string copy = full;
  REQUIRE(parser.Parse(copy, &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(argv == std::vector<std::string_view>{"MSET", "a", "1", "b", "2"});
  REQUIRE(argv[1].data() == copy.data() + 18);
}

TEST_CASE("a large bulk fed in 16 KiB reads is linear", "[resp][perf]") {
  const size_t size = 64 * 1024 * 1024;
  std::string payload(size, 'v');
  payload[size / 2] = '\r';  // payload bytes are never interpreted
  payload[size / 2 + 1] = '\n';
  const std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(size) + "\r\n";
  const std::string full = head + payload + "\r\n";

  RequestParser parser;
  std::vector<std::string_view> argv;
  std::string buf;
  buf.reserve(full.size());
  size_t consumed = 0;
  size_t calls = 0;
  const auto start = std::chrono::steady_clock::now();
  ParseStatus status = ParseStatus::kIncomplete;
  for (size_t at = 0; at < full.size() && status == ParseStatus::kIncomplete; at += 16 * 1024) {
    buf.append(full, at, 16 * 1024);
    status = parser.Parse(buf, &argv, &consumed);
    calls++;
    if (status == ParseStatus::kIncomplete && buf.size() > head.size()) {
      REQUIRE(parser.bytes_needed() == full.size());
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(status == ParseStatus::kComplete);
  REQUIRE(consumed == full.size());
  REQUIRE(argv.size() == 3);
  REQUIRE(argv[2].size() == size);
  REQUIRE(argv[2].data() == buf.data() + head.size());
  REQUIRE(calls == (full.size() + 16 * 1024 - 1) / (16 * 1024));
  // Rescanning the payload on each of the ~4100 calls would touch ~140 GB (many minutes);
  // linear parsing touches nothing but the headers (milliseconds). The bound is a hang guard
  // far above a sanitizer build on a busy machine, yet far below the quadratic case.
  REQUIRE(elapsed < std::chrono::seconds(60));
}

TEST_CASE("a request with many arguments fed in small reads is linear", "[resp][perf]") {
  Argv args(200000, "x");
  args[0] = "RPUSH";
  const std::string full = Multibulk(args);
  RequestParser parser;
  std::vector<std::string_view> argv;
  std::string buf;
  size_t consumed = 0;
  ParseStatus status = ParseStatus::kIncomplete;
  const auto start = std::chrono::steady_clock::now();
  for (size_t at = 0; at < full.size() && status == ParseStatus::kIncomplete; at += 64) {
    buf.append(full, at, 64);
    status = parser.Parse(buf, &argv, &consumed);
  }
  REQUIRE(status == ParseStatus::kComplete);
  REQUIRE(argv.size() == args.size());
  REQUIRE(argv.back() == "x");
  // Re-parsing the arguments already read on each of the ~19,000 calls would take minutes.
  REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
}

// ---------------------------------------------------------------- inline

TEST_CASE("inline requests split on spaces and tabs", "[resp][inline]") {
  REQUIRE(Whole("PING\r\n").requests == std::vector<Argv>{{"PING"}});
  REQUIRE(Whole("PING\n").requests == std::vector<Argv>{{"PING"}});
  REQUIRE(Whole("SET a b\n").requests == std::vector<Argv>{{"SET", "a", "b"}});
  REQUIRE(Whole("  SET \t a\t\tb   \r\n").requests == std::vector<Argv>{{"SET", "a", "b"}});
  // A lone '\r' inside the line separates words, as in Redis.
  REQUIRE(Whole("GET a\rb\n").requests == std::vector<Argv>{{"GET", "a", "b"}});
  // Only one trailing '\r' belongs to the line end; another one is just a separator.
  REQUIRE(Whole("GET a\r\r\n").requests == std::vector<Argv>{{"GET", "a"}});
  // \v and \f are skipped between words but belong to a word once it started.
  REQUIRE(Whole("\v\fGET a\vb\n").requests == std::vector<Argv>{{"GET", "a\vb"}});
  // Binary safe: a NUL is an ordinary byte.
  REQUIRE(Whole("SET k a\0b\n"s).requests == std::vector<Argv>{{"SET", "k", "a\0b"s}});
  // Unquoted words are views into the buffer.
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;
  const std::string buf = "ECHO hello\r\n";
  REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(consumed == buf.size());
  REQUIRE(argv[1].data() == buf.data() + 5);
}

TEST_CASE("blank inline lines are skipped", "[resp][inline]") {
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;
  const std::string buf = "\n\r\n   \r\n\t\nPING\n";
  REQUIRE(parser.Parse(buf, &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(consumed == buf.size());
  REQUIRE(argv == std::vector<std::string_view>{"PING"});
  REQUIRE(parser.Parse("\r\n\n", &argv, &consumed) == ParseStatus::kIncomplete);
  REQUIRE(consumed == 3);
  REQUIRE(parser.Parse("\r", &argv, &consumed) == ParseStatus::kIncomplete);
  REQUIRE(consumed == 0);
}

TEST_CASE("inline double quotes", "[resp][inline]") {
  REQUIRE(Whole("SET \"a b\" \"\"\n").requests == std::vector<Argv>{{"SET", "a b", ""}});
  REQUIRE(Whole(R"(ECHO "\n\r\t\b\a\\\"\q\'")"
                "\n")
              .requests == std::vector<Argv>{{"ECHO", "\n\r\t\b\a\\\"q'"}});
  REQUIRE(Whole(R"(ECHO "\x41\x7a\x00\xff\xFf")"
                "\n")
              .requests == std::vector<Argv>{{"ECHO", "Az\0\xff\xff"s}});
  // Not a complete \xHH: the backslash escapes the 'x' only.
  REQUIRE(Whole(R"(ECHO "\xg1" "\x4")"
                "\n")
              .requests == std::vector<Argv>{{"ECHO", "xg1", "x4"}});
  // Quotes may start inside a word and join it.
  REQUIRE(Whole("SET k\"e y\" v\n").requests == std::vector<Argv>{{"SET", "ke y", "v"}});
  // Spaces, tabs and CR inside quotes are kept; the CR before the LF ends the line.
  REQUIRE(Whole("ECHO \" \t\r\"\r\n").requests == std::vector<Argv>{{"ECHO", " \t\r"}});
  REQUIRE(Whole("ECHO \"a\"\t\"b\"\r\n").requests == std::vector<Argv>{{"ECHO", "a", "b"}});
}

TEST_CASE("inline single quotes", "[resp][inline]") {
  REQUIRE(Whole("SET 'a b' ''\n").requests == std::vector<Argv>{{"SET", "a b", ""}});
  // Only \' is an escape; everything else is literal.
  REQUIRE(Whole(R"(ECHO 'it\'s \n \x41 "q"')"
                "\n")
              .requests == std::vector<Argv>{{"ECHO", R"(it's \n \x41 "q")"}});
  REQUIRE(Whole("ECHO a'b c'd\n").requests.empty());  // 'b c'd: closing quote not at word end
  REQUIRE(Whole("ECHO a'b c'\n").requests == std::vector<Argv>{{"ECHO", "ab c"}});
  REQUIRE(Whole("ECHO \"it's\" 'say \"hi\"'\n").requests ==
          std::vector<Argv>{{"ECHO", "it's", "say \"hi\""}});
}

TEST_CASE("unbalanced inline quotes", "[resp][inline][errors]") {
  const std::string unbalanced = "Protocol error: unbalanced quotes in request";
  for (const char* input :
       {"SET \"abc\n", "SET 'abc\n", "SET \"a\"b\n", "SET 'a'b\n", "SET \"a\"\"b\"\n",
        "SET \"abc\\\"\n", "SET 'abc\\'\n", "SET \"abc\\\n", "\"\n", "'\r\n", "a\"\n"}) {
    INFO(input);
    REQUIRE(ErrorOf(input) == unbalanced);
  }
  // A closing quote followed by the line end or a space is fine.
  REQUIRE(ErrorOf("SET \"a\"\r\n") == "<no error>");
  REQUIRE(ErrorOf("SET \"a\" \n") == "<no error>");
  REQUIRE(ErrorOf("SET \"a\"\r\r\n") == "<no error>");
}

TEST_CASE("inline words rewritten for quotes stay valid until the next Parse", "[resp][inline]") {
  RequestParser parser;
  std::vector<std::string_view> argv;
  size_t consumed = 0;
  std::string line = "MSET";
  Argv expected = {"MSET"};
  for (int i = 0; i < 300; i++) {
    line += " \"k\\x4" + std::to_string(i % 10) + "\"";
    expected.push_back("k\x40"s);
    expected.back().back() = static_cast<char>(0x40 + i % 10);
  }
  line += "\n";
  REQUIRE(parser.Parse(line, &argv, &consumed) == ParseStatus::kComplete);
  REQUIRE(Argv(argv.begin(), argv.end()) == expected);
}

TEST_CASE("inline line length limit", "[resp][inline][limits]") {
  ParserLimits limits;
  limits.max_inline_bytes = 16;
  const std::string sixteen = "ECHO 12345678901";  // 16 bytes
  REQUIRE(Whole(sixteen + "\n", limits).requests == std::vector<Argv>{{"ECHO", "12345678901"}});
  REQUIRE(Whole(sixteen, limits).leftover == 16);  // may still end in time
  REQUIRE(ErrorOf(sixteen + "2", limits) == "Protocol error: too big inline request");
  REQUIRE(ErrorOf(sixteen + "2\n", limits) == "Protocol error: too big inline request");
  REQUIRE(ErrorOf(std::string(64 * 1024 + 1, 'a')) == "Protocol error: too big inline request");
  REQUIRE(ErrorOf(std::string(64 * 1024, 'a')) == "<no error>");
}

// ---------------------------------------------------------------- splitting

TEST_CASE("a mixed stream parses the same however reads split it", "[resp][split]") {
  const std::string stream = Multibulk({"SET", "key", "a\r\nb\0c"s}) + "*0\r\n" + "PING\r\n" +
                             "\r\n" + "SET \"q w\" 'e\\'r' \"\\x41\"\n" + "*-1\r\n" +
                             Multibulk({"GET", ""}) + Multibulk({"x"}) + "  \n" +
                             Multibulk({std::string(40, 'z'), "$3\r\n"}) + "ECHO tail";
  const Outcome whole = Whole(stream);
  REQUIRE(!whole.failed);
  REQUIRE(whole.requests == std::vector<Argv>{{"SET", "key", "a\r\nb\0c"s},
                                              {"PING"},
                                              {"SET", "q w", "e'r", "A"},
                                              {"GET", ""},
                                              {"x"},
                                              {std::string(40, 'z'), "$3\r\n"}});
  REQUIRE(whole.leftover == 9);
  CheckSplitsAgree(stream);
}

TEST_CASE("errors are the same however reads split them", "[resp][split][errors]") {
  ParserLimits small;
  small.max_inline_bytes = 6;
  small.max_bulk_bytes = 4;
  small.max_multibulk_len = 3;
  const std::string ok = Multibulk({"GET", "k"});
  for (const std::string& bad :
       {"*x\r\n"s, "*-0\r\n"s, "*1\r\n$-1\r\n"s, "*1\r\nfoo\r\n"s, "*1\r\n$3\r\nfooXY"s,
        "*1\r\n$3\r\nfoo\rX"s, "*99999999999999999999\r\n"s, "*1\r\n$99999999999999999999\r\n"s,
        "SET \"a\n"s, "SET 'a'b\n"s, "*1\rX"s, "*4\r\n"s, "*1\r\n$5\r\n"s, "*1234567\r\n"s,
        "*1\r\n$1234567\r\n"s, "ECHO 123\n"s, "ECHO \"\\x41\"b\n"s}) {
    INFO(bad);
    const std::string stream = ok + bad + ok;
    const Outcome whole = Whole(stream, small);
    REQUIRE(whole.failed);
    REQUIRE(whole.requests.size() == 1);
    CheckSplitsAgree(stream, small);
  }
}

}  // namespace
}  // namespace tidekv::proto
