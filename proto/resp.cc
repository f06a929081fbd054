#include "proto/resp.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "common/check.h"
#include "common/strings.h"

// Where this parser deliberately differs from Redis (processMultibulkBuffer and
// processInlineBuffer in networking.c):
//  - Header lines must end in "\r\n" and a bulk payload must be followed by "\r\n"; Redis
//    only looks for '\r' and skips two bytes blindly, which lets a client desynchronise
//    the stream silently.
//  - "*<n>" with n < -1 is an error (Redis skips any n <= 0).
//  - A bulk header that does not start with '$' fails as soon as its first byte arrives,
//    instead of after its whole line arrived.
//  - Line ends are searched only within the first max_inline_bytes + 1 bytes of a line
//    (Redis accepts a longer line when it happens to arrive in one read). This makes every
//    outcome depend only on the bytes, never on how reads split them, which the fuzzer
//    checks.
//  - Inline lines are binary safe: a NUL byte is an ordinary character (Redis's strchr and
//    sdssplitargs stop at it).

namespace tidekv::proto {
namespace {

constexpr char kInvalidMultibulkLength[] = "Protocol error: invalid multibulk length";
constexpr char kInvalidBulkLength[] = "Protocol error: invalid bulk length";
constexpr char kBulkNotTerminated[] = "Protocol error: bulk argument not followed by CRLF";

// A huge "*<n>" must not reserve memory for n arguments before they arrive (Redis caps its
// first argv allocation the same way).
constexpr size_t kMaxSpansReserve = 1024;
// Buffers above these sizes are released after the request that grew them, so one large
// request does not pin memory for the rest of the connection's life.
constexpr size_t kKeepSpans = 64 * 1024;
constexpr size_t kKeepInlineStorage = 64 * 1024;

bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') <= 9; }

// What skips between inline words: C isspace in the "C" locale.
bool IsInlineSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// What ends an unquoted inline word. '\v' and '\f' are skipped before a word but belong to
// it once it started, as in sdssplitargs.
bool EndsInlineWord(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// The byte an escape "\<c>" stands for inside double quotes: the C escapes \n \r \t \b \a,
// and any other byte (\\, \", \') for itself.
char EscapedByte(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Bytes of a line, starting at its first byte, in which its terminator must appear.
size_t LineWindow(size_t available, uint64_t max_line) {
  return available > max_line ? static_cast<size_t>(max_line) + 1 : available;
}

}  // namespace

RequestParser::RequestParser(const ParserLimits& limits) : limits_(limits) {}

void RequestParser::Reset() {
  ClearRequest();
  error_.clear();
  bytes_needed_ = 0;
}

void RequestParser::ClearRequest() {
  in_multibulk_ = false;
  expected_args_ = 0;
  pos_ = 0;
  in_bulk_ = false;
  bulk_len_ = 0;
  scan_pos_ = 0;
  spans_.clear();
  if (spans_.capacity() > kKeepSpans) std::vector<Span>().swap(spans_);
}

ParseStatus RequestParser::Fail(std::string message) {
  error_ = std::move(message);
  bytes_needed_ = 0;
  return ParseStatus::kError;
}

ParseStatus RequestParser::Parse(std::string_view buf, std::vector<std::string_view>* argv,
                                 size_t* consumed) {
  argv->clear();
  *consumed = 0;
  bytes_needed_ = 0;
  if (!error_.empty()) return ParseStatus::kError;
  // Resuming needs at least the bytes already parsed; fewer means the caller dropped part of
  // a request without Reset(), and continuing would read outside buf.
  TIDEKV_CHECK(pos_ <= buf.size());
  // The previous request's argv may point into inline_storage_ until this call, so a large
  // one is released here rather than when that request completed.
  if (inline_storage_.capacity() > kKeepInlineStorage) std::string().swap(inline_storage_);

  // Empty requests ("*0", "*-1", blank inline lines) come back as kComplete with an empty
  // argv; they are skipped here so the caller only ever sees real commands.
  size_t skipped = 0;
  while (skipped < buf.size()) {
    const std::string_view rest = buf.substr(skipped);
    size_t used = 0;
    const ParseStatus status = (in_multibulk_ || rest.front() == '*')
                                   ? ParseMultibulk(rest, argv, &used)
                                   : ParseInline(rest, argv, &used);
    if (status == ParseStatus::kComplete) {
      skipped += used;
      if (argv->empty()) continue;
      *consumed = skipped;
      return status;
    }
    *consumed = skipped;
    if (status == ParseStatus::kIncomplete && bytes_needed_ != 0) bytes_needed_ += skipped;
    return status;
  }
  *consumed = skipped;
  return ParseStatus::kIncomplete;
}

RequestParser::Header RequestParser::ReadHeader(std::string_view buf, size_t start, int64_t* value,
                                                size_t* next) {
  const char* data = buf.data();
  const size_t size = buf.size();
  const size_t window_end = start + LineWindow(size - start, limits_.max_inline_bytes);

  // Fast path: the usual short non-negative length right before "\r\n", read in one pass
  // without a separate line search. 18 digits cannot overflow. Taken only where the slow
  // path would accept the same line, so both always agree.
  size_t i = start + 1;
  const size_t digits_end = std::min(window_end, i + 18);
  uint64_t v = 0;
  while (i < digits_end && IsDigit(data[i])) v = v * 10 + static_cast<uint64_t>(data[i++] - '0');
  const size_t digits = i - start - 1;
  if (digits > 0 && i < window_end && i + 1 < size && data[i] == '\r' && data[i + 1] == '\n' &&
      (digits == 1 || data[start + 1] != '0')) {
    *value = static_cast<int64_t>(v);
    *next = i + 2;
    scan_pos_ = 0;
    return Header::kOk;
  }

  // Slow path: find the '\r', resuming where an earlier call stopped so that a header
  // trickling in byte by byte is not rescanned.
  const size_t from = std::max(scan_pos_, start + 1);
  if (from < window_end) {
    const void* cr = std::memchr(data + from, '\r', window_end - from);
    if (cr != nullptr) {
      const size_t at = static_cast<size_t>(static_cast<const char*>(cr) - data);
      if (at + 1 >= size) {
        scan_pos_ = at;
        return Header::kNeedMore;
      }
      scan_pos_ = 0;
      if (data[at + 1] != '\n') return Header::kInvalid;
      const auto parsed = ParseInt64(buf.substr(start + 1, at - start - 1));
      if (!parsed) return Header::kInvalid;
      *value = *parsed;
      *next = at + 2;
      return Header::kOk;
    }
    scan_pos_ = window_end;
  }
  return size - start > limits_.max_inline_bytes ? Header::kTooBig : Header::kNeedMore;
}

ParseStatus RequestParser::ParseMultibulk(std::string_view buf, std::vector<std::string_view>* argv,
                                          size_t* consumed) {
  if (!in_multibulk_) {
    int64_t n = 0;
    size_t next = 0;
    switch (ReadHeader(buf, 0, &n, &next)) {
      case Header::kOk:
        break;
      case Header::kNeedMore:
        return ParseStatus::kIncomplete;
      case Header::kTooBig:
        return Fail("Protocol error: too big mbulk count string");
      case Header::kInvalid:
        return Fail(kInvalidMultibulkLength);
    }
    if (unauthenticated_ && n > static_cast<int64_t>(kUnauthenticatedArgs)) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    if (n > 0 && static_cast<uint64_t>(n) > limits_.max_multibulk_len) {
      return Fail(kInvalidMultibulkLength);
    }
    if (n <= 0) {  // "*0", "*-1" and any other negative count: nothing to run, as Redis
      *consumed = next;
      return ParseStatus::kComplete;
    }
    in_multibulk_ = true;
    expected_args_ = static_cast<uint64_t>(n);
    pos_ = next;
    spans_.clear();
    spans_.reserve(std::min<uint64_t>(expected_args_, kMaxSpansReserve));
  }

  const char* data = buf.data();
  const size_t size = buf.size();
  while (spans_.size() < expected_args_) {
    if (!in_bulk_) {
      if (pos_ >= size) return ParseStatus::kIncomplete;
      if (data[pos_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + data[pos_] + "'");
      }
      int64_t len = 0;
      size_t next = 0;
      switch (ReadHeader(buf, pos_, &len, &next)) {
        case Header::kOk:
          break;
        case Header::kNeedMore:
          return ParseStatus::kIncomplete;
        case Header::kTooBig:
          return Fail("Protocol error: too big bulk count string");
        case Header::kInvalid:
          return Fail(kInvalidBulkLength);
      }
      if (unauthenticated_ && len > static_cast<int64_t>(kUnauthenticatedBulkBytes)) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      if (len < 0 || static_cast<uint64_t>(len) > limits_.max_bulk_bytes) {
        return Fail(kInvalidBulkLength);
      }
      in_bulk_ = true;
      bulk_len_ = static_cast<uint64_t>(len);
      pos_ = next;
    }
    // The payload is never scanned: a large argument arriving in many reads costs O(1) per
    // call until it is complete.
    const size_t available = size - pos_;
    if (available < bulk_len_ + 2) {
      if (available > bulk_len_ && data[pos_ + bulk_len_] != '\r') return Fail(kBulkNotTerminated);
      bytes_needed_ = pos_ + bulk_len_ + 2;
      return ParseStatus::kIncomplete;
    }
    if (data[pos_ + bulk_len_] != '\r' || data[pos_ + bulk_len_ + 1] != '\n') {
      return Fail(kBulkNotTerminated);
    }
    spans_.push_back(Span{pos_, bulk_len_});
    pos_ += bulk_len_ + 2;
    in_bulk_ = false;
  }

  argv->reserve(spans_.size());
  for (const Span& span : spans_) argv->emplace_back(data + span.offset, span.length);
  *consumed = pos_;
  ClearRequest();
  return ParseStatus::kComplete;
}

ParseStatus RequestParser::ParseInline(std::string_view buf, std::vector<std::string_view>* argv,
                                       size_t* consumed) {
  const char* data = buf.data();
  const size_t window_end = LineWindow(buf.size(), limits_.max_inline_bytes);
  const void* nl = nullptr;
  if (scan_pos_ < window_end) {
    nl = std::memchr(data + scan_pos_, '\n', window_end - scan_pos_);
  }
  if (nl == nullptr) {
    scan_pos_ = window_end;
    if (buf.size() > limits_.max_inline_bytes) {
      return Fail("Protocol error: too big inline request");
    }
    return ParseStatus::kIncomplete;
  }
  size_t line_end = static_cast<size_t>(static_cast<const char*>(nl) - data);
  *consumed = line_end + 1;
  if (line_end > 0 && data[line_end - 1] == '\r') line_end--;
  const bool ok = SplitInline(buf.substr(0, line_end), argv);
  ClearRequest();
  if (!ok) return Fail("Protocol error: unbalanced quotes in request");
  return ParseStatus::kComplete;  // an empty argv (blank line) is skipped by Parse
}

bool RequestParser::SplitInline(std::string_view line, std::vector<std::string_view>* argv) {
  const char* p = line.data();
  const char* const end = p + line.size();

  // Fast path (PING, redis-benchmark's *_INLINE tests, telnet users): no quotes, so every
  // word is a view into the caller's buffer.
  if (std::memchr(p, '"', line.size()) == nullptr && std::memchr(p, '\'', line.size()) == nullptr) {
    for (;;) {
      while (p < end && IsInlineSpace(*p)) p++;
      if (p == end) return true;
      const char* word = p;
      while (p < end && !EndsInlineWord(*p)) p++;
      argv->emplace_back(word, static_cast<size_t>(p - word));
    }
  }

  // Quoted words are rewritten into inline_storage_. Unescaping never grows a word, so
  // reserving the line's size up front means the storage never moves while words are added.
  inline_storage_.clear();
  inline_storage_.reserve(line.size());
  spans_.clear();
  for (;;) {
    while (p < end && IsInlineSpace(*p)) p++;
    if (p == end) break;
    const size_t word_start = inline_storage_.size();
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (p == end) return false;  // unterminated "..."
        if (*p == '\\' && end - p >= 4 && p[1] == 'x' && HexValue(p[2]) >= 0 &&
            HexValue(p[3]) >= 0) {
          inline_storage_.push_back(static_cast<char>(HexValue(p[2]) * 16 + HexValue(p[3])));
          p += 4;
        } else if (*p == '\\' && end - p >= 2) {
          inline_storage_.push_back(EscapedByte(p[1]));
          p += 2;
        } else if (*p == '"') {
          // The closing quote must end the word: "a"b is rejected, like Redis does.
          if (end - p >= 2 && !IsInlineSpace(p[1])) return false;
          p++;
          done = true;
        } else {
          inline_storage_.push_back(*p++);
        }
      } else if (in_single) {
        if (p == end) return false;  // unterminated '...'
        if (*p == '\\' && end - p >= 2 && p[1] == '\'') {
          inline_storage_.push_back('\'');
          p += 2;
        } else if (*p == '\'') {
          if (end - p >= 2 && !IsInlineSpace(p[1])) return false;
          p++;
          done = true;
        } else {
          inline_storage_.push_back(*p++);
        }
      } else if (p == end || EndsInlineWord(*p)) {
        done = true;
      } else if (*p == '"') {  // a quote inside a word opens a quoted part: a"b c" is "ab c"
        in_double = true;
        p++;
      } else if (*p == '\'') {
        in_single = true;
        p++;
      } else {
        inline_storage_.push_back(*p++);
      }
    }
    spans_.push_back(Span{word_start, inline_storage_.size() - word_start});
  }
  argv->reserve(spans_.size());
  for (const Span& span : spans_) {
    argv->emplace_back(inline_storage_.data() + span.offset, span.length);
  }
  spans_.clear();
  return true;
}

}  // namespace tidekv::proto
