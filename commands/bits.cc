// Bit commands (Redis's "bitmap" group): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD
// and BITFIELD_RO, over string values.
//
// Bit 0 is the most significant bit of the first byte, as in Redis. Strings grow with zero
// bytes when a write goes past their end, and reads past the end see zeros. Replies and
// error texts follow Redis 7.2 (arguments are validated before the key is looked up).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "common/strings.h"
#include "engine/command_context.h"
#include "engine/command_table.h"
#include "engine/engine.h"
#include "engine/errors.h"

namespace tidekv::commands {

namespace {

constexpr std::string_view kBitArgument = "ERR The bit argument must be 1 or 0.";
constexpr std::string_view kBitopNotArity =
    "ERR BITOP NOT must be called with a single source key.";
constexpr std::string_view kBitfieldType =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";
constexpr std::string_view kOverflowType = "ERR Invalid OVERFLOW type specified";
constexpr std::string_view kBitfieldReadOnly = "ERR BITFIELD_RO only supports the GET subcommand";

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

// getBitOffsetFromArgument: a non-negative bit offset whose byte lies within the maximum
// string size. With bits_per_hash > 0 (BITFIELD), "#n" means n * bits_per_hash.
std::optional<uint64_t> BitOffsetArg(CommandContext& ctx, size_t i, int bits_per_hash = 0) {
  std::string_view s = ctx.arg(i);
  const bool hash = bits_per_hash > 0 && !s.empty() && s[0] == '#';
  if (hash) s.remove_prefix(1);
  std::optional<int64_t> v = ParseInt64(s);
  int64_t offset = v.value_or(-1);
  if (v && hash && __builtin_mul_overflow(*v, int64_t{bits_per_hash}, &offset)) offset = -1;
  if (offset < 0 || (offset >> 3) >= ctx.engine.config().max_bulk_bytes) {
    ctx.Error(err::kBitOffset);
    return std::nullopt;
  }
  return static_cast<uint64_t>(offset);
}

// lookupStringForBitCommand: the key's string, created or zero-padded so that max_bit is
// addressable. *grew says whether the key was created or lengthened (a change even if no
// bit flips). Replies WRONGTYPE and returns nullptr for another type.
Entry* StringForBitWrite(CommandContext& ctx, uint64_t max_bit, bool* grew) {
  const std::string_view key = ctx.arg(1);
  auto found = ctx.Write<StringValue>(key);
  if (!found.ok) return nullptr;
  Entry* e = found.entry;
  *grew = false;
  if (e == nullptr) {
    e = ctx.db.Insert(key, ctx.now_ms);
    *grew = true;
  }
  const size_t needed = static_cast<size_t>(max_bit >> 3) + 1;
  std::string& s = e->mutable_str();
  if (s.size() < needed) {
    s.resize(needed, '\0');
    *grew = true;
  }
  e->MarkRaw();  // edited in place, as Redis's dbUnshareStringValue
  return e;
}

// Resolves a BITCOUNT/BITPOS [start, end] (bytes, or bits when in_bits; negative counts from
// the end; clamped to the string) to the inclusive bit range [*lo, *hi] of a string of len
// bytes. False when the range is empty.
bool ResolveBitRange(int64_t start, int64_t end, bool in_bits, uint64_t len, uint64_t* lo,
                     uint64_t* hi) {
  const int64_t total = static_cast<int64_t>(in_bits ? len * 8 : len);
  if (start < 0) start += total;
  if (end < 0) end += total;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= total) end = total - 1;
  if (start > end) return false;
  if (in_bits) {
    *lo = static_cast<uint64_t>(start);
    *hi = static_cast<uint64_t>(end);
  } else {
    *lo = static_cast<uint64_t>(start) * 8;
    *hi = static_cast<uint64_t>(end) * 8 + 7;
  }
  return true;
}

uint64_t Popcount(const uint8_t* p, uint64_t n) {
  uint64_t count = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    count += static_cast<uint64_t>(__builtin_popcountll(word));
  }
  for (; n > 0; p++, n--) count += static_cast<uint64_t>(__builtin_popcount(*p));
  return count;
}

// Set bits in the inclusive bit range [lo, hi] of p.
uint64_t CountBits(const uint8_t* p, uint64_t lo, uint64_t hi) {
  const uint64_t first = lo >> 3, last = hi >> 3;
  uint64_t count = Popcount(p + first, last - first + 1);
  // Take back the bits of the edge bytes that lie outside the range.
  count -= static_cast<uint64_t>(__builtin_popcount(p[first] & ~(0xFFu >> (lo & 7)) & 0xFFu));
  count -= static_cast<uint64_t>(__builtin_popcount(p[last] & (0xFFu >> ((hi & 7) + 1))));
  return count;
}

// Position of the first bit equal to `bit` in the inclusive bit range [lo, hi] of p, or -1.
int64_t FindBit(const uint8_t* p, uint64_t lo, uint64_t hi, int bit) {
  const uint64_t first = lo >> 3, last = hi >> 3;
  const uint64_t skip_word = bit ? 0 : ~uint64_t{0};
  for (uint64_t byte = first; byte <= last; byte++) {
    // Whole words that cannot contain the bit are skipped eight bytes at a time.
    while (byte > first && byte + 8 <= last) {
      uint64_t word;
      std::memcpy(&word, p + byte, 8);
      if (word != skip_word) break;
      byte += 8;
    }
    unsigned v = bit ? p[byte] : (~p[byte] & 0xFFu);
    if (byte == first) v &= 0xFFu >> (lo & 7);
    if (byte == last) v &= ~(0xFFu >> ((hi & 7) + 1)) & 0xFFu;
    if (v != 0) return static_cast<int64_t>(byte * 8) + (__builtin_clz(v) - 24);
  }
  return -1;
}

// ---- SETBIT / GETBIT ----------------------------------------------------------------------

void SetBit(CommandContext& ctx) {
  std::optional<uint64_t> offset = BitOffsetArg(ctx, 2);
  if (!offset) return;
  std::optional<int64_t> on = ParseInt64(ctx.arg(3));
  if (!on || (*on & ~int64_t{1}) != 0) {
    ctx.Error(err::kBitValue);
    return;
  }
  bool grew;
  Entry* e = StringForBitWrite(ctx, *offset, &grew);
  if (e == nullptr) return;
  char& byte = e->mutable_str()[static_cast<size_t>(*offset >> 3)];
  const uint8_t mask = static_cast<uint8_t>(0x80u >> (*offset & 7));
  const bool old = (static_cast<uint8_t>(byte) & mask) != 0;
  if (grew || old != (*on == 1)) {
    byte = static_cast<char>(*on ? (static_cast<uint8_t>(byte) | mask)
                                 : (static_cast<uint8_t>(byte) & ~mask));
    ctx.Changed();
  }
  ctx.reply.Integer(old ? 1 : 0);
}

void GetBit(CommandContext& ctx) {
  std::optional<uint64_t> offset = BitOffsetArg(ctx, 2);
  if (!offset) return;
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  const uint64_t byte = *offset >> 3;
  int bit = 0;
  if (e != nullptr && byte < e->str().size()) {
    bit = (Bytes(e->str())[byte] >> (7 - (*offset & 7))) & 1;
  }
  ctx.reply.Integer(bit);
}

// ---- BITCOUNT / BITPOS --------------------------------------------------------------------

// Parses an optional BYTE | BIT unit at argv[i]. Replies "syntax error" for anything else.
bool UnitArg(CommandContext& ctx, size_t i, bool* in_bits) {
  if (ctx.ArgIs(i, "bit")) {
    *in_bits = true;
  } else if (ctx.ArgIs(i, "byte")) {
    *in_bits = false;
  } else {
    ctx.SyntaxError();
    return false;
  }
  return true;
}

void BitCount(CommandContext& ctx) {
  int64_t start = 0, end = -1;
  bool in_bits = false;
  const bool ranged = ctx.argc() == 4 || ctx.argc() == 5;
  if (ranged) {
    std::optional<int64_t> s = ctx.IntArg(2);
    if (!s) return;
    std::optional<int64_t> e = ctx.IntArg(3);
    if (!e) return;
    if (ctx.argc() == 5 && !UnitArg(ctx, 4, &in_bits)) return;
    start = *s;
    end = *e;
  } else if (ctx.argc() != 2) {
    ctx.SyntaxError();
    return;
  }
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  // Both negative and reversed is empty, even when clamping to 0 would make them meet.
  if (e == nullptr || (ranged && start < 0 && end < 0 && start > end)) {
    ctx.reply.Integer(0);
    return;
  }
  uint64_t lo, hi;
  if (!ResolveBitRange(start, end, in_bits, e->str().size(), &lo, &hi)) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(CountBits(Bytes(e->str()), lo, hi)));
}

void BitPos(CommandContext& ctx) {
  std::optional<int64_t> bit = ctx.IntArg(2);
  if (!bit) return;
  if (*bit != 0 && *bit != 1) {
    ctx.Error(kBitArgument);
    return;
  }
  int64_t start = 0, end = -1;
  bool in_bits = false, end_given = false;
  if (ctx.argc() >= 4 && ctx.argc() <= 6) {
    std::optional<int64_t> s = ctx.IntArg(3);
    if (!s) return;
    start = *s;
    if (ctx.argc() == 6 && !UnitArg(ctx, 5, &in_bits)) return;
    if (ctx.argc() >= 5) {
      std::optional<int64_t> e = ctx.IntArg(4);
      if (!e) return;
      end = *e;
      end_given = true;
    }
  } else if (ctx.argc() != 3) {
    ctx.SyntaxError();
    return;
  }
  auto found = ctx.Read<StringValue>(ctx.arg(1));
  if (!found.ok) return;
  Entry* e = found.entry;
  // A missing key is an endless run of zeros.
  if (e == nullptr) {
    ctx.reply.Integer(*bit ? -1 : 0);
    return;
  }
  uint64_t lo, hi;
  if (!ResolveBitRange(start, end, in_bits, e->str().size(), &lo, &hi)) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t pos = FindBit(Bytes(e->str()), lo, hi, static_cast<int>(*bit));
  // Without an explicit end the string counts as padded with zeros on the right, so the
  // first clear bit of an all-ones string is the one just past its end.
  if (pos == -1 && *bit == 0 && !end_given) pos = static_cast<int64_t>(hi) + 1;
  ctx.reply.Integer(pos);
}

// ---- BITOP --------------------------------------------------------------------------------

enum class BitOp { kAnd, kOr, kXor, kNot };

void BitOpCommand(CommandContext& ctx) {
  BitOp op;
  if (ctx.ArgIs(1, "and")) {
    op = BitOp::kAnd;
  } else if (ctx.ArgIs(1, "or")) {
    op = BitOp::kOr;
  } else if (ctx.ArgIs(1, "xor")) {
    op = BitOp::kXor;
  } else if (ctx.ArgIs(1, "not")) {
    op = BitOp::kNot;
  } else {
    ctx.SyntaxError();
    return;
  }
  if (op == BitOp::kNot && ctx.argc() != 4) {
    ctx.Error(kBitopNotArity);
    return;
  }

  // A later lookup can only delete an expired key, never an entry already collected here.
  std::vector<std::string_view> sources;
  sources.reserve(ctx.argc() - 3);
  size_t max_len = 0;
  for (size_t i = 3; i < ctx.argc(); i++) {
    auto found = ctx.Read<StringValue>(ctx.arg(i));
    if (!found.ok) return;
    Entry* e = found.entry;
    sources.push_back(e != nullptr ? std::string_view(e->str()) : std::string_view());
    max_len = std::max(max_len, sources.back().size());
  }

  // Shorter sources count as zero-padded to the longest.
  std::string result(max_len, '\0');
  if (max_len > 0) {
    // A missing first source has no data pointer at all; memcpy must not see it.
    if (!sources[0].empty()) std::memcpy(result.data(), sources[0].data(), sources[0].size());
    if (op == BitOp::kNot) {
      for (char& c : result) c = static_cast<char>(~c);
    }
    for (size_t k = 1; k < sources.size(); k++) {
      const std::string_view src = sources[k];
      switch (op) {
        case BitOp::kAnd:
          for (size_t j = 0; j < src.size(); j++) result[j] &= src[j];
          std::fill(result.begin() + static_cast<ptrdiff_t>(src.size()), result.end(), '\0');
          break;
        case BitOp::kOr:
          for (size_t j = 0; j < src.size(); j++) result[j] |= src[j];
          break;
        case BitOp::kXor:
          for (size_t j = 0; j < src.size(); j++) result[j] ^= src[j];
          break;
        case BitOp::kNot:
          break;
      }
    }
  }

  const std::string_view dest = ctx.arg(2);
  Entry* e = ctx.LookupWrite(dest);
  if (max_len > 0) {
    // The result replaces the destination whatever it held, TTL included (Redis's setKey).
    if (e != nullptr) ctx.db.Erase(e);
    e = ctx.db.Insert(dest, ctx.now_ms);
    e->SetString(std::move(result));
    e->MarkRaw();
    ctx.Changed();
  } else if (e != nullptr) {
    ctx.db.Erase(e);
    ctx.Changed();
  }
  ctx.reply.Integer(static_cast<int64_t>(max_len));
}

// ---- BITFIELD -----------------------------------------------------------------------------

enum class FieldOp { kGet, kSet, kIncrBy };
enum class Overflow { kWrap, kSat, kFail };

struct FieldStep {
  FieldOp op;
  Overflow overflow;
  bool is_signed;
  int bits;
  uint64_t offset;
  int64_t value;  // SET's value or INCRBY's increment
};

// The `bits` bits at bit offset of s, as an unsigned number; bits past the end read as 0.
uint64_t ReadField(std::string_view s, uint64_t offset, int bits) {
  uint64_t v = 0;
  for (int k = 0; k < bits; k++, offset++) {
    const uint64_t byte = offset >> 3;
    unsigned bit = 0;
    if (byte < s.size()) bit = (static_cast<uint8_t>(s[byte]) >> (7 - (offset & 7))) & 1u;
    v = (v << 1) | bit;
  }
  return v;
}

// Writes the low `bits` bits of v at bit offset of s (which is long enough).
void WriteField(std::string& s, uint64_t offset, int bits, uint64_t v) {
  for (int k = 0; k < bits; k++, offset++) {
    const uint8_t mask = static_cast<uint8_t>(0x80u >> (offset & 7));
    uint8_t byte = static_cast<uint8_t>(s[offset >> 3]);
    if ((v >> (bits - 1 - k)) & 1) {
      byte |= mask;
    } else {
      byte &= static_cast<uint8_t>(~mask);
    }
    s[offset >> 3] = static_cast<char>(byte);
  }
}

int64_t SignExtend(uint64_t v, int bits) {
  if (bits < 64 && ((v >> (bits - 1)) & 1)) v |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(v);
}

// value + incr stored in a signed field of `bits` bits. Returns false on overflow under FAIL;
// otherwise *out is what to store (wrapped or saturated when out of range).
bool SignedFieldResult(int64_t value, int64_t incr, int bits, Overflow overflow, int64_t* out) {
  const int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  const __int128 sum = static_cast<__int128>(value) + incr;
  if (sum >= min && sum <= max) {
    *out = static_cast<int64_t>(sum);
    return true;
  }
  switch (overflow) {
    case Overflow::kFail:
      return false;
    case Overflow::kSat:
      *out = sum > max ? max : min;
      return true;
    case Overflow::kWrap:
      break;
  }
  uint64_t wrapped = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
  if (bits < 64) wrapped &= (uint64_t{1} << bits) - 1;
  *out = SignExtend(wrapped, bits);
  return true;
}

// The unsigned counterpart (bits <= 63). A SET of a negative value arrives as its two's
// complement, i.e. a huge value, and so overflows upwards, as in Redis.
bool UnsignedFieldResult(uint64_t value, int64_t incr, int bits, Overflow overflow, uint64_t* out) {
  const uint64_t max = (uint64_t{1} << bits) - 1;
  const __int128 sum = static_cast<__int128>(value) + incr;
  if (sum >= 0 && sum <= static_cast<__int128>(max)) {
    *out = static_cast<uint64_t>(sum);
    return true;
  }
  switch (overflow) {
    case Overflow::kFail:
      return false;
    case Overflow::kSat:
      *out = sum > 0 ? max : 0;
      return true;
    case Overflow::kWrap:
      break;
  }
  *out = (value + static_cast<uint64_t>(incr)) & max;
  return true;
}

// "i<1..64>" or "u<1..63>" (u64 cannot be replied as a RESP integer).
bool FieldTypeArg(CommandContext& ctx, size_t i, bool* is_signed, int* bits) {
  const std::string_view s = ctx.arg(i);
  std::optional<int64_t> n;
  if (!s.empty() && (s[0] == 'i' || s[0] == 'u')) n = ParseInt64(s.substr(1));
  *is_signed = !s.empty() && s[0] == 'i';
  if (!n || *n < 1 || *n > (*is_signed ? 64 : 63)) {
    ctx.Error(kBitfieldType);
    return false;
  }
  *bits = static_cast<int>(*n);
  return true;
}

void BitFieldGeneric(CommandContext& ctx, bool read_only_command) {
  std::vector<FieldStep> steps;
  Overflow overflow = Overflow::kWrap;
  bool writes = false;
  uint64_t highest_bit = 0;
  for (size_t i = 2; i < ctx.argc(); i++) {
    const size_t remaining = ctx.argc() - i - 1;
    FieldOp op;
    if (ctx.ArgIs(i, "get") && remaining >= 2) {
      op = FieldOp::kGet;
    } else if (ctx.ArgIs(i, "set") && remaining >= 3) {
      op = FieldOp::kSet;
    } else if (ctx.ArgIs(i, "incrby") && remaining >= 3) {
      op = FieldOp::kIncrBy;
    } else if (ctx.ArgIs(i, "overflow") && remaining >= 1) {
      i++;
      if (ctx.ArgIs(i, "wrap")) {
        overflow = Overflow::kWrap;
      } else if (ctx.ArgIs(i, "sat")) {
        overflow = Overflow::kSat;
      } else if (ctx.ArgIs(i, "fail")) {
        overflow = Overflow::kFail;
      } else {
        ctx.Error(kOverflowType);
        return;
      }
      continue;
    } else {
      ctx.SyntaxError();
      return;
    }
    FieldStep step{
        .op = op, .overflow = overflow, .is_signed = false, .bits = 0, .offset = 0, .value = 0};
    if (!FieldTypeArg(ctx, i + 1, &step.is_signed, &step.bits)) return;
    std::optional<uint64_t> offset = BitOffsetArg(ctx, i + 2, step.bits);
    if (!offset) return;
    step.offset = *offset;
    if (op != FieldOp::kGet) {
      writes = true;
      highest_bit = std::max(highest_bit, step.offset + static_cast<uint64_t>(step.bits) - 1);
      std::optional<int64_t> v = ctx.IntArg(i + 3);
      if (!v) return;
      step.value = *v;
    }
    steps.push_back(step);
    i += op == FieldOp::kGet ? 2 : 3;
  }

  Entry* e;
  bool grew = false;
  if (!writes) {
    auto found = ctx.Read<StringValue>(ctx.arg(1));
    if (!found.ok) return;
    e = found.entry;
  } else {
    if (read_only_command) {
      ctx.Error(kBitfieldReadOnly);
      return;
    }
    e = StringForBitWrite(ctx, highest_bit, &grew);
    if (e == nullptr) return;
  }

  uint64_t changes = 0;
  ctx.reply.Array(steps.size());
  for (const FieldStep& step : steps) {
    const std::string_view s = e != nullptr ? std::string_view(e->str()) : std::string_view();
    const uint64_t raw = ReadField(s, step.offset, step.bits);
    if (step.op == FieldOp::kGet) {
      ctx.reply.Integer(step.is_signed ? SignExtend(raw, step.bits) : static_cast<int64_t>(raw));
      continue;
    }
    const bool incr = step.op == FieldOp::kIncrBy;
    bool ok;
    uint64_t stored;
    int64_t reply_value;
    if (step.is_signed) {
      const int64_t old = SignExtend(raw, step.bits);
      int64_t next = 0;
      ok = incr ? SignedFieldResult(old, step.value, step.bits, step.overflow, &next)
                : SignedFieldResult(step.value, 0, step.bits, step.overflow, &next);
      stored = static_cast<uint64_t>(next);
      reply_value = incr ? next : old;
    } else {
      uint64_t next = 0;
      ok = incr ? UnsignedFieldResult(raw, step.value, step.bits, step.overflow, &next)
                : UnsignedFieldResult(static_cast<uint64_t>(step.value), 0, step.bits,
                                      step.overflow, &next);
      stored = next;
      reply_value = static_cast<int64_t>(incr ? next : raw);
    }
    if (!ok) {  // OVERFLOW FAIL: nothing written, nil reply
      ctx.reply.Null();
      continue;
    }
    ctx.reply.Integer(reply_value);
    WriteField(e->mutable_str(), step.offset, step.bits, stored);
    if (grew || ReadField(e->str(), step.offset, step.bits) != raw) changes++;
  }
  ctx.Changed(changes);
}

void BitField(CommandContext& ctx) { BitFieldGeneric(ctx, false); }
void BitFieldRo(CommandContext& ctx) { BitFieldGeneric(ctx, true); }

}  // namespace

// GCC before 14 warns about members left out of a designated initializer (subcommands,
// stats), which is the point of designated initializers here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
namespace {

// BITFIELD's key: read only when every operation is a GET (as Redis reports it).
uint32_t BitFieldKeyFlags(std::span<const std::string_view> argv, size_t /*position*/) {
  size_t i = 2;
  while (i < argv.size()) {
    if (EqualsIgnoreCase(argv[i], "GET")) {
      i += 3;
    } else if (EqualsIgnoreCase(argv[i], "OVERFLOW")) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "SET") || EqualsIgnoreCase(argv[i], "INCRBY")) {
      return key_flag::kRW | key_flag::kAccess | key_flag::kUpdate;
    } else {
      break;
    }
  }
  return key_flag::kRO | key_flag::kAccess;
}

}  // namespace

void RegisterBitCommands(CommandTable& table) {
  using enum CommandFlag;
  constexpr std::string_view kBitfieldComplexity = "O(1) for each subcommand specified";

  // One key at position 1.
  auto row = [&table](CommandSpec spec) {
    spec.first_key = 1;
    spec.last_key = 1;
    spec.key_step = 1;
    spec.group = "bitmap";
    table.Add(std::move(spec));
  };

  row({.name = "setbit",
       .arity = 4,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW access update",
       .handler = SetBit,
       .since = "2.2.0",
       .summary = "Sets or clears the bit at offset of the string value. Creates the key if it "
                  "doesn't exist.",
       .complexity = "O(1)",
       .syntax = "key offset value"});
  row({.name = "getbit",
       .arity = 3,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = GetBit,
       .since = "2.2.0",
       .summary = "Returns a bit value by offset.",
       .complexity = "O(1)",
       .syntax = "key offset"});
  row({.name = "bitcount",
       .arity = -2,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = BitCount,
       .since = "2.6.0",
       .summary = "Counts the number of set bits (population counting) in a string.",
       .complexity = "O(N)",
       .syntax = "key [start end [BYTE | BIT]]"});
  row({.name = "bitpos",
       .arity = -3,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = BitPos,
       .since = "2.8.7",
       .summary = "Finds the first set (1) or clear (0) bit in a string.",
       .complexity = "O(N)",
       .syntax = "key bit [start [end [BYTE | BIT]]]"});
  table.Add({.name = "bitop",
             .arity = -4,
             .flags = kWrite | kDenyOom,
             .first_key = 2,
             .last_key = -1,
             .key_step = 1,
             .key_flags = "OW update; RO access",
             .handler = BitOpCommand,
             .group = "bitmap",
             .since = "2.6.0",
             .summary = "Performs bitwise operations on multiple strings, and stores the result.",
             .complexity = "O(N)",
             .syntax = "<AND | OR | XOR | NOT> destkey key [key ...]"});
  row({.name = "bitfield",
       .arity = -2,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW access update variable_flags",
       .handler = BitField,
       .since = "3.2.0",
       .summary = "Performs arbitrary bitfield integer operations on strings.",
       .complexity = kBitfieldComplexity,
       .syntax = "key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] "
                 "<SET encoding offset value | INCRBY encoding offset increment> "
                 "[GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] "
                 "<SET encoding offset value | INCRBY encoding offset increment> ...]]",
       .flags_for_args = BitFieldKeyFlags});
  row({.name = "bitfield_ro",
       .arity = -2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO access",
       .handler = BitFieldRo,
       .since = "6.0.0",
       .summary = "Performs arbitrary read-only bitfield integer operations on strings.",
       .complexity = kBitfieldComplexity,
       .syntax = "key [GET encoding offset [GET encoding offset ...]]"});
}
#pragma GCC diagnostic pop

}  // namespace tidekv::commands
