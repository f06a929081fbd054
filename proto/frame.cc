#include "proto/frame.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

#include "common/check.h"

namespace tidekv::proto {
namespace {

// Bound on a frame header: "*3\r\n:" + 20 digits + "\r\n:" + 10 digits + "\r\n*"
// + 20 digits + "\r\n".
constexpr size_t kHeaderMax = 96;
// "$" + 20 digits + "\r\n".
constexpr size_t kArgHeaderMax = 23;

char* PutDecimal(char* p, uint64_t v) {
  // 20 digits always fit; the callers' buffers are sized for it.
  return std::to_chars(p, p + 20, v).ptr;
}

char* PutLiteral(char* p, const char* s, size_t n) {
  std::memcpy(p, s, n);
  return p + n;
}

// Grows out geometrically: an exact reserve per frame would reallocate on every append.
void Reserve(std::string* out, size_t more) {
  const size_t need = out->size() + more;
  if (need > out->capacity()) out->reserve(std::max(need, 2 * out->capacity()));
}

// Reads "<digits>\r\n" at buf[*pos]: canonical decimal (no sign, no leading zeros), at
// most max_value. Every prefix of an acceptable line is kIncomplete and every byte that can
// no longer lead to one is kCorrupt, checked as soon as it is seen: a number already above
// max_value is corrupt because more digits only make it larger.
FrameStatus ReadNumber(std::string_view buf, size_t* pos, uint64_t max_value, const char* what,
                       uint64_t* value, std::string* error) {
  size_t i = *pos;
  uint64_t v = 0;
  size_t digits = 0;
  for (; i < buf.size(); i++) {
    const char c = buf[i];
    if (c < '0' || c > '9') break;
    if (digits == 1 && v == 0) {
      *error = std::string("leading zero in ") + what;
      return FrameStatus::kCorrupt;
    }
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (d > max_value || v > (max_value - d) / 10) {
      *error = std::string(what) + " too large";
      return FrameStatus::kCorrupt;
    }
    v = v * 10 + d;
    digits++;
  }
  if (i == buf.size()) return FrameStatus::kIncomplete;
  if (buf[i] != '\r' || digits == 0) {
    *error = std::string("bad ") + what + (buf[i] == '-' ? " (negative)" : " (not a number)");
    return FrameStatus::kCorrupt;
  }
  if (++i == buf.size()) return FrameStatus::kIncomplete;
  if (buf[i] != '\n') {
    *error = std::string("missing LF after ") + what;
    return FrameStatus::kCorrupt;
  }
  *pos = i + 1;
  *value = v;
  return FrameStatus::kOk;
}

// Expects the single byte c at buf[*pos].
FrameStatus ReadByte(std::string_view buf, size_t* pos, char c, const char* what,
                     std::string* error) {
  if (*pos == buf.size()) return FrameStatus::kIncomplete;
  if (buf[*pos] != c) {
    *error = std::string("expected ") + what;
    return FrameStatus::kCorrupt;
  }
  ++*pos;
  return FrameStatus::kOk;
}

}  // namespace

void EncodeFrame(uint64_t offset, int db, std::span<const std::string_view> argv,
                 std::string* out) {
  // An empty argv would be a frame no replica can apply; it can only come from a bug here.
  TIDEKV_CHECK(!argv.empty());
  TIDEKV_CHECK(db >= 0);
  // Grow once to an upper bound, write in place, then trim: one capacity check instead of
  // one per piece, and no digit counting up front.
  size_t bound = kHeaderMax;
  for (std::string_view arg : argv) bound += kArgHeaderMax + arg.size() + 2;
  const size_t old_size = out->size();
  Reserve(out, bound);
  out->resize(old_size + bound);
  char* const begin = out->data() + old_size;
  char* p = begin;
  if (db == 0) {
    p = PutLiteral(p, "*2\r\n:", 5);
    p = PutDecimal(p, offset);
  } else {
    p = PutLiteral(p, "*3\r\n:", 5);
    p = PutDecimal(p, offset);
    p = PutLiteral(p, "\r\n:", 3);
    p = PutDecimal(p, static_cast<uint64_t>(db));
  }
  p = PutLiteral(p, "\r\n*", 3);
  p = PutDecimal(p, argv.size());
  p = PutLiteral(p, "\r\n", 2);
  for (std::string_view arg : argv) {
    p = PutLiteral(p, "$", 1);
    p = PutDecimal(p, arg.size());
    p = PutLiteral(p, "\r\n", 2);
    if (!arg.empty()) p = PutLiteral(p, arg.data(), arg.size());
    p = PutLiteral(p, "\r\n", 2);
  }
  out->resize(old_size + static_cast<size_t>(p - begin));
}

FrameStatus DecodeFrame(std::string_view buf, Frame* frame, std::string* error, size_t max_args,
                        size_t max_arg_bytes) {
  size_t pos = 0;
  FrameStatus s;
  // The header is one of exactly two byte strings, "*2\r\n" or "*3\r\n".
  if ((s = ReadByte(buf, &pos, '*', "'*' starting a frame", error)) != FrameStatus::kOk) return s;
  if (pos == buf.size()) return FrameStatus::kIncomplete;
  const char n = buf[pos++];
  if (n != '2' && n != '3') {
    *error = "frame must be an array of 2 or 3 elements";
    return FrameStatus::kCorrupt;
  }
  if ((s = ReadByte(buf, &pos, '\r', "CR after the frame header", error)) != FrameStatus::kOk) {
    return s;
  }
  if ((s = ReadByte(buf, &pos, '\n', "LF after the frame header", error)) != FrameStatus::kOk) {
    return s;
  }

  uint64_t offset = 0;
  if ((s = ReadByte(buf, &pos, ':', "':' before the offset", error)) != FrameStatus::kOk) return s;
  if ((s = ReadNumber(buf, &pos, UINT64_MAX, "offset", &offset, error)) != FrameStatus::kOk) {
    return s;
  }

  uint64_t db = 0;
  if (n == '3') {
    if ((s = ReadByte(buf, &pos, ':', "':' before the db", error)) != FrameStatus::kOk) return s;
    if ((s = ReadNumber(buf, &pos, INT_MAX, "db", &db, error)) != FrameStatus::kOk) return s;
    // One encoding per frame: db 0 always uses the two-element form.
    if (db == 0) {
      *error = "db 0 in a three-element frame";
      return FrameStatus::kCorrupt;
    }
  }

  uint64_t argc = 0;
  if ((s = ReadByte(buf, &pos, '*', "'*' before the argv", error)) != FrameStatus::kOk) return s;
  if ((s = ReadNumber(buf, &pos, max_args, "argument count", &argc, error)) != FrameStatus::kOk) {
    return s;
  }
  if (argc == 0) {
    *error = "empty argv";
    return FrameStatus::kCorrupt;
  }

  frame->argv.clear();
  // Each argument takes at least 6 bytes ("$0\r\n\r\n"): never reserve more than the bytes
  // at hand could hold, whatever a corrupt count says.
  frame->argv.reserve(std::min<uint64_t>(argc, (buf.size() - pos) / 6 + 1));
  for (uint64_t i = 0; i < argc; i++) {
    uint64_t len = 0;
    if ((s = ReadByte(buf, &pos, '$', "'$' starting an argument", error)) != FrameStatus::kOk) {
      return s;
    }
    if ((s = ReadNumber(buf, &pos, max_arg_bytes, "argument length", &len, error)) !=
        FrameStatus::kOk) {
      return s;
    }
    if (buf.size() - pos < len) return FrameStatus::kIncomplete;
    frame->argv.emplace_back(buf.data() + pos, len);
    pos += len;
    if ((s = ReadByte(buf, &pos, '\r', "CR after an argument", error)) != FrameStatus::kOk) {
      return s;
    }
    if ((s = ReadByte(buf, &pos, '\n', "LF after an argument", error)) != FrameStatus::kOk) {
      return s;
    }
  }
  frame->offset = offset;
  frame->db = static_cast<int>(db);
  frame->size = pos;
  return FrameStatus::kOk;
}

}  // namespace tidekv::proto
