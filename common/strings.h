// Byte and number helpers shared by every module: strict integer/float parsing with Redis's
// rules, number formatting, and glob-style pattern matching (KEYS, SCAN MATCH, CONFIG GET).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tidekv {

// Parses a signed 64-bit decimal integer the way Redis does: optional '-', digits, no
// spaces, no '+', no leading zeros (except "0" itself), no overflow.
std::optional<int64_t> ParseInt64(std::string_view s);

// Parses an unsigned 64-bit decimal (same rules, no sign).
std::optional<uint64_t> ParseUint64(std::string_view s);

// Parses a finite long double as INCRBYFLOAT does: no spaces, not NaN; "inf" only when
// allow_inf (e.g. ZADD scores later).
std::optional<long double> ParseLongDouble(std::string_view s, bool allow_inf = false);

// Parses a double ("inf"/"-inf"/"+inf" accepted), for RESP3 doubles and sorted-set scores.
std::optional<double> ParseDouble(std::string_view s);

// Appends the decimal form of v to out.
void AppendInt64(std::string& out, int64_t v);

// Formats a long double the way INCRBYFLOAT replies: up to 17 significant digits, no
// exponent, trailing zeros removed ("3.0" -> "3").
std::string FormatLongDouble(long double v);

// Formats a double as RESP3 and Redis do ("%.17g", with "inf", "-inf", "nan").
std::string FormatDouble(double v);

// Glob-style match (Redis stringmatchlen): * ? [abc] [^a] [a-z] and \ escapes.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

// ASCII lower-case copy / in-place comparison without allocation.
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace tidekv
