#include "proto/reply.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace tidekv::proto {
namespace {

// Decimal text of the small numbers that most headers carry ("$3", "*2", ":0"), so the
// common case is one 4-byte copy instead of a conversion.
struct SmallDecimal {
  char text[4];
  uint8_t length;
};
constexpr size_t kSmallDecimals = 1000;
constexpr std::array<SmallDecimal, kSmallDecimals> kSmallDecimalTable = [] {
  std::array<SmallDecimal, kSmallDecimals> table{};
  for (size_t n = 0; n < kSmallDecimals; n++) {
    SmallDecimal& d = table[n];
    if (n >= 100) {
      d.text[0] = static_cast<char>('0' + n / 100);
      d.text[1] = static_cast<char>('0' + n / 10 % 10);
      d.text[2] = static_cast<char>('0' + n % 10);
      d.length = 3;
    } else if (n >= 10) {
      d.text[0] = static_cast<char>('0' + n / 10);
      d.text[1] = static_cast<char>('0' + n % 10);
      d.length = 2;
    } else {
      d.text[0] = static_cast<char>('0' + n);
      d.length = 1;
    }
  }
  return table;
}();

// Largest "<prefix><u64 or i64>\r\n".
constexpr size_t kMaxHeader = 1 + 20 + 2;
// Bulk strings up to this size are assembled on the stack and appended in one go.
constexpr size_t kSmallBulk = 64;

char* WriteDecimal(char* p, uint64_t n) {
  if (n < kSmallDecimals) {
    const SmallDecimal& d = kSmallDecimalTable[n];
    std::memcpy(p, d.text, sizeof d.text);  // a fixed-size copy; bytes past length are scratch
    return p + d.length;
  }
  return std::to_chars(p, p + 20, n).ptr;
}

char* WriteHeader(char* p, char prefix, uint64_t n) {
  *p++ = prefix;
  p = WriteDecimal(p, n);
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

// Appends prefix, text with '\r' and '\n' turned into spaces, and "\r\n". A client's
// parser reads a simple string or error up to the first "\r\n", so a line break inside the
// text would end it early and make the rest look like another reply.
void AppendLine(std::string* out, char prefix, std::string_view text) {
  out->push_back(prefix);
  const size_t at = out->size();
  out->append(text);
  if (text.find_first_of("\r\n") != std::string_view::npos) {
    for (size_t i = at; i < out->size(); i++) {
      char& c = (*out)[i];
      if (c == '\r' || c == '\n') c = ' ';
    }
  }
  out->append("\r\n", 2);
}

// Redis's double text: "%.17g", with "inf", "-inf" and "nan" (never "-nan"). to_chars with
// general format and a precision is specified to match printf's %.17g, without its locale
// and varargs cost. Returns the length written to buf (at most 32 bytes).
size_t WriteDouble(char* buf, double d) {
  if (std::isnan(d)) {
    std::memcpy(buf, "nan", 3);
    return 3;
  }
  if (std::isinf(d)) {
    if (d > 0) {
      std::memcpy(buf, "inf", 3);
      return 3;
    }
    std::memcpy(buf, "-inf", 4);
    return 4;
  }
  return static_cast<size_t>(std::to_chars(buf, buf + 32, d, std::chars_format::general, 17).ptr -
                             buf);
}

}  // namespace

void ReplyBuilder::Header(char prefix, uint64_t n) {
  char buf[kMaxHeader];
  out_->append(buf, static_cast<size_t>(WriteHeader(buf, prefix, n) - buf));
}

void ReplyBuilder::Simple(std::string_view s) { AppendLine(out_, '+', s); }

void ReplyBuilder::Error(std::string_view msg) {
  // Callers pass "ERR ..." and the '-' is ours; tolerate a message that already has it
  // rather than emitting "--ERR".
  if (!msg.empty() && msg.front() == '-') msg.remove_prefix(1);
  AppendLine(out_, '-', msg);
}

void ReplyBuilder::Integer(int64_t v) {
  char buf[kMaxHeader];
  char* p = buf;
  *p++ = ':';
  if (v < 0) {
    *p++ = '-';
    p = WriteDecimal(p, 0 - static_cast<uint64_t>(v));  // well defined for INT64_MIN too
  } else {
    p = WriteDecimal(p, static_cast<uint64_t>(v));
  }
  *p++ = '\r';
  *p++ = '\n';
  out_->append(buf, static_cast<size_t>(p - buf));
}

void ReplyBuilder::Bulk(std::string_view s) {
  if (s.size() <= kSmallBulk) {
    char buf[kMaxHeader + kSmallBulk + 2];
    char* p = WriteHeader(buf, '$', s.size());
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p += s.size();
    *p++ = '\r';
    *p++ = '\n';
    out_->append(buf, static_cast<size_t>(p - buf));
    return;
  }
  Header('$', s.size());
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Null() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyBuilder::NullArray() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyBuilder::Array(size_t n) { Header('*', n); }

void ReplyBuilder::Map(size_t pairs) {
  if (resp3_) {
    Header('%', pairs);
  } else {
    Header('*', 2 * static_cast<uint64_t>(pairs));
  }
}

void ReplyBuilder::Set(size_t n) { Header(resp3_ ? '~' : '*', n); }

void ReplyBuilder::Push(size_t n) {
  pushes_++;
  Header(resp3_ ? '>' : '*', n);
}

void ReplyBuilder::Double(double d) {
  char text[32];
  const size_t len = WriteDouble(text, d);
  if (!resp3_) {
    Bulk(std::string_view(text, len));
    return;
  }
  char buf[1 + sizeof text + 2];
  buf[0] = ',';
  std::memcpy(buf + 1, text, len);
  buf[1 + len] = '\r';
  buf[2 + len] = '\n';
  out_->append(buf, len + 3);
}

void ReplyBuilder::Bool(bool b) {
  if (resp3_) {
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyBuilder::Verbatim(std::string_view text) {
  if (!resp3_) {
    Bulk(text);
    return;
  }
  Header('=', text.size() + 4);
  out_->append("txt:", 4);
  out_->append(text);
  out_->append("\r\n", 2);
}

}  // namespace tidekv::proto
