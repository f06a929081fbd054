// RESP request parsing: turns the bytes a client sent into argv views.
//
// Owns nothing but its own parse state. Runs on whichever thread owns the connection (the
// loop thread in the server); not thread-safe. No Asio and no allocation per request once
// the caller's argv vector has grown to its working size.
//
// Accepted input (what Redis accepts from clients):
//   multibulk  "*<n>\r\n" then n times "$<len>\r\n<len bytes>\r\n"
//   inline     a line of space-separated words ending in "\n" or "\r\n"; words may be
//              quoted "like \"this\"\n" (C escapes, \xHH) or 'like this' (only \' escape)
// "*0\r\n", "*-1\r\n" and empty inline lines are skipped (no command, no reply).
//
// Incremental: when a request is split across reads, the parser remembers how far it got
// (as offsets, not pointers, so the caller may move or grow its buffer) and continues from
// there on the next call instead of rescanning. The caller passes the same unconsumed bytes
// again, followed by whatever arrived since.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::proto {

struct ParserLimits {
  // Largest accepted bulk argument (limits.max_bulk_bytes).
  uint64_t max_bulk_bytes = 512ull * 1024 * 1024;
  // Largest accepted argument count of one multibulk request (limits.max_multibulk_len).
  uint64_t max_multibulk_len = 16ull * 1024 * 1024;
  // Longest inline request line, and longest "*<n>" / "$<len>" header line (Redis: 64 KiB).
  uint64_t max_inline_bytes = 64 * 1024;
};

enum class ParseStatus {
  kComplete,    // one request parsed: argv and consumed are set
  kIncomplete,  // need more bytes; nothing consumed
  kError,       // protocol error: error() says why; the connection must be closed
};

class RequestParser {
 public:
  explicit RequestParser(const ParserLimits& limits = {});

  // Parses one request from the front of buf.
  //   kComplete: *argv holds the request's arguments (never empty) as views into buf, valid
  //              while buf is unchanged; *consumed is the number of bytes to drop (the
  //              request plus any empty requests skipped before it). Inline words that
  //              needed unescaping (quotes) point into the parser instead, valid until the
  //              next Parse call.
  //   kIncomplete: more bytes are needed. *consumed may still be > 0 when leading empty
  //              requests were skipped: drop those bytes, then call again with the rest
  //              plus whatever arrives.
  //   kError: error() holds the message, starting "Protocol error: " (Redis wording, e.g.
  //              "Protocol error: invalid multibulk length"). Nothing more can be parsed.
  ParseStatus Parse(std::string_view buf, std::vector<std::string_view>* argv, size_t* consumed);

  // While kIncomplete inside a bulk argument: the total number of bytes (from the start of
  // buf as last passed) the current request needs at least, so the caller can reserve one
  // buffer for a large argument instead of growing it piecemeal. 0 when unknown. Counted
  // from the start of buf including any skipped bytes reported in *consumed: after dropping
  // those, the request needs bytes_needed() - *consumed bytes.
  size_t bytes_needed() const { return bytes_needed_; }

  const std::string& error() const { return error_; }

  // Forgets any partial request (after the caller dropped its buffer).
  void Reset();

  // Before the client authenticated (Redis's rule, DESIGN.md §9): at most
  // kUnauthenticatedArgs arguments of at most kUnauthenticatedBulkBytes each, so a stranger
  // cannot make the server buffer more than that ("Protocol error: unauthenticated multibulk
  // length" / "... bulk length"). Applies to headers read from the next call on.
  static constexpr uint64_t kUnauthenticatedArgs = 10;
  static constexpr uint64_t kUnauthenticatedBulkBytes = 16 * 1024;
  void set_unauthenticated(bool on) { unauthenticated_ = on; }

 private:
  ParseStatus ParseInline(std::string_view buf, std::vector<std::string_view>* argv,
                          size_t* consumed);
  ParseStatus ParseMultibulk(std::string_view buf, std::vector<std::string_view>* argv,
                             size_t* consumed);
  ParseStatus Fail(std::string message);

  // Reading a "*<n>\r\n" or "$<n>\r\n" line that starts at buf[start].
  enum class Header {
    kOk,        // *value and *next (the offset after "\r\n") are set
    kNeedMore,  // no "\r\n" yet, and the line may still fit the limit
    kTooBig,    // no '\r' within max_inline_bytes of start
    kInvalid,   // a complete line whose number is not a canonical integer, or "\r" not "\r\n"
  };
  Header ReadHeader(std::string_view buf, size_t start, int64_t* value, size_t* next);
  // Splits one inline line (without its line end) into words; false on unbalanced quotes.
  bool SplitInline(std::string_view line, std::vector<std::string_view>* argv);
  void ClearRequest();

  ParserLimits limits_;
  bool unauthenticated_ = false;
  std::string error_;
  size_t bytes_needed_ = 0;

  // Request progress, as offsets from the start of the current request in the caller's
  // buffer (never pointers: the caller may move its buffer between calls).
  bool in_multibulk_ = false;
  uint64_t expected_args_ = 0;  // n of "*<n>"
  size_t pos_ = 0;              // next byte to look at
  bool in_bulk_ = false;        // "$<len>\r\n" read, payload not complete yet
  uint64_t bulk_len_ = 0;       // len of that header
  size_t scan_pos_ = 0;         // a line end search already covered bytes before this
  struct Span {
    size_t offset;
    size_t length;
  };
  std::vector<Span> spans_;     // arguments parsed so far
  std::string inline_storage_;  // unescaped inline words (quoted words need rewriting)
};

}  // namespace tidekv::proto
