#include "common/strings.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tidekv {

std::optional<uint64_t> ParseUint64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

std::optional<int64_t> ParseInt64(std::string_view s) {
  bool negative = false;
  if (!s.empty() && s[0] == '-') {
    negative = true;
    s.remove_prefix(1);
    if (s == "0") return std::nullopt;  // "-0" is not a canonical integer
  }
  auto u = ParseUint64(s);
  if (!u) return std::nullopt;
  if (negative) {
    if (*u > static_cast<uint64_t>(INT64_MAX) + 1) return std::nullopt;
    return static_cast<int64_t>(0 - *u);
  }
  if (*u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(*u);
}

std::optional<long double> ParseLongDouble(std::string_view s, bool allow_inf) {
  if (s.empty() || s.size() > 5000) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s.front())) ||
      std::isspace(static_cast<unsigned char>(s.back()))) {
    return std::nullopt;
  }
  std::string buf(s);
  errno = 0;
  char* end = nullptr;
  long double v = std::strtold(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size()) return std::nullopt;
  if (std::isnan(v)) return std::nullopt;
  if (!allow_inf && (std::isinf(v) || errno == ERANGE)) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (s.empty() || s.size() > 5000) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  std::string buf(s);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(buf.c_str(), &end);
  if (end != buf.c_str() + buf.size() || std::isnan(v)) return std::nullopt;
  return v;
}

void AppendInt64(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string FormatLongDouble(long double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[5 * 1024];
  int len = std::snprintf(buf, sizeof buf, "%.17Lf", v);
  if (len <= 0 || static_cast<size_t>(len) >= sizeof buf) return "0";
  // Remove trailing zeros after the decimal point, and the point itself if nothing is left.
  if (std::strchr(buf, '.') != nullptr) {
    char* p = buf + len - 1;
    while (*p == '0') {
      p--;
      len--;
    }
    if (*p == '.') len--;
  }
  std::string out(buf, static_cast<size_t>(len));
  if (out == "-0") out = "0";
  return out;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  int len = std::snprintf(buf, sizeof buf, "%.17g", v);
  return std::string(buf, static_cast<size_t>(len));
}

namespace {

char Lower(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Does the single pattern element at pattern[p] ('?', a [class], an escape or a literal)
// match c? Sets *len to the element's length in the pattern.
bool MatchElement(std::string_view pattern, size_t p, char c, bool nocase, size_t* len) {
  const size_t end = pattern.size();
  switch (pattern[p]) {
    case '?':
      *len = 1;
      return true;
    case '[': {
      size_t i = p + 1;
      bool negate = i < end && pattern[i] == '^';
      if (negate) i++;
      bool matched = false;
      const char lc = Lower(c, nocase);
      while (i < end && pattern[i] != ']') {
        if (pattern[i] == '\\' && i + 1 < end) {
          i++;
          if (Lower(pattern[i], nocase) == lc) matched = true;
        } else if (i + 2 < end && pattern[i + 1] == '-') {
          // As Redis: even "x-]" is a range (up to ']'), and the class runs on past it.
          char lo = Lower(pattern[i], nocase), hi = Lower(pattern[i + 2], nocase);
          if (lo > hi) std::swap(lo, hi);
          if (lc >= lo && lc <= hi) matched = true;
          i += 2;
        } else if (Lower(pattern[i], nocase) == lc) {
          matched = true;
        }
        i++;
      }
      // An unterminated class ends at the end of the pattern.
      *len = (i < end ? i + 1 : end) - p;
      return negate ? !matched : matched;
    }
    case '\\':
      if (p + 1 < end) {
        *len = 2;
        return Lower(pattern[p + 1], nocase) == Lower(c, nocase);
      }
      [[fallthrough]];
    default:
      *len = 1;
      return Lower(pattern[p], nocase) == Lower(c, nocase);
  }
}

}  // namespace

// Iterative matching that backtracks only to the most recent '*': O(pattern * text) in the
// worst case, so a hostile pattern like "a*a*a*a*b" cannot blow up (unlike naive recursion).
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t p = 0, s = 0, star_p = kNone, star_s = 0;
  while (s < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') p++;
      star_p = p;
      star_s = s;
      continue;
    }
    size_t len = 0;
    if (p < pattern.size() && MatchElement(pattern, p, text[s], nocase, &len)) {
      p += len;
      s++;
      continue;
    }
    if (star_p == kNone) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pattern.size() && pattern[p] == '*') p++;
  return p == pattern.size();
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace tidekv
