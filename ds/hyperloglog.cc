#include "ds/hyperloglog.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace tidekv::ds::hll {

namespace {

constexpr size_t kEncodingByte = 4;
constexpr uint8_t kCacheInvalid = 0x80;
constexpr uint32_t kZeroMaxRun = 64;
constexpr uint32_t kValMaxRun = 4;
// 1 / (2 ln 2): the estimator's constant for m -> infinity.
constexpr double kAlphaInf = 0.721347520444481703680;

const uint8_t* Bytes(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
uint8_t* Bytes(std::string& s) { return reinterpret_cast<uint8_t*>(s.data()); }

// ---- dense registers ----------------------------------------------------------------------

// Register i's 6 bits start at bit (i * 6) % 8 of byte (i * 6) / 8; when they start past
// bit 2 they run into the next byte.
uint8_t DenseGet(const uint8_t* regs, size_t i) {
  const size_t bit = i * 6;
  const size_t byte = bit / 8;
  const unsigned shift = bit % 8;
  unsigned v = regs[byte] >> shift;
  if (shift > 2) v |= static_cast<unsigned>(regs[byte + 1]) << (8 - shift);
  return static_cast<uint8_t>(v & 63u);
}

void DenseSet(uint8_t* regs, size_t i, uint8_t value) {
  const size_t bit = i * 6;
  const size_t byte = bit / 8;
  const unsigned shift = bit % 8;
  const unsigned v = value & 63u;
  regs[byte] = static_cast<uint8_t>((regs[byte] & ~(63u << shift)) | (v << shift));
  if (shift > 2) {
    const unsigned spill = 8 - shift;  // bits of the register held by this byte
    regs[byte + 1] = static_cast<uint8_t>((regs[byte + 1] & ~(63u >> spill)) | (v >> spill));
  }
}

uint8_t* DenseRegs(std::string& value) { return Bytes(value) + kHeaderBytes; }
const uint8_t* DenseRegs(std::string_view value) { return Bytes(value) + kHeaderBytes; }

// ---- sparse opcodes -----------------------------------------------------------------------

bool IsXZero(uint8_t b) { return (b & 0xc0) == 0x40; }
bool IsZero(uint8_t b) { return (b & 0xc0) == 0x00; }
bool IsVal(uint8_t b) { return (b & 0x80) != 0; }
uint8_t ValValue(uint8_t b) { return static_cast<uint8_t>(((b >> 2) & 0x1f) + 1); }
uint32_t ValRun(uint8_t b) { return (b & 3u) + 1; }
uint8_t ValOp(uint8_t value, uint32_t run) {
  return static_cast<uint8_t>(0x80u | ((value - 1u) << 2) | (run - 1u));
}

// One opcode: how many registers it covers, their value (0 for the zero runs), its bytes.
struct Op {
  uint32_t run;
  uint8_t value;
  uint8_t size;
};

// The opcode at pos (< s.size()). An XZERO cut off by the end of the value reads its
// second byte as 0, as Redis does (it reads the NUL that ends every sds string), so such a
// value counts, decodes and fails exactly as in Redis; its size is still 2, so a walk ends
// past it.
Op ReadOp(std::string_view s, size_t pos) {
  const uint8_t b = static_cast<uint8_t>(s[pos]);
  if (IsVal(b)) return {ValRun(b), ValValue(b), 1};
  if (IsZero(b)) return {(b & 0x3fu) + 1, 0, 1};
  const uint8_t low = pos + 1 < s.size() ? static_cast<uint8_t>(s[pos + 1]) : 0;
  return {(((b & 0x3fu) << 8) | low) + 1, 0, 2};
}

// Writes the opcode for `run` (1..16384) zero registers at out: ZERO up to 64, else XZERO.
size_t ZeroRun(uint32_t run, uint8_t* out) {
  if (run <= kZeroMaxRun) {
    out[0] = static_cast<uint8_t>(run - 1);
    return 1;
  }
  const uint32_t n = run - 1;
  out[0] = static_cast<uint8_t>(0x40u | (n >> 8));
  out[1] = static_cast<uint8_t>(n & 0xffu);
  return 2;
}

// Calls f(first_register, run, value) for each opcode of a sparse payload. False when the
// runs pass kRegisters (checked before f sees the run, so f may index arrays with it) or
// end short of it.
template <typename F>
bool WalkSparse(std::string_view s, F&& f) {
  size_t pos = kHeaderBytes;
  uint32_t covered = 0;
  while (pos < s.size()) {
    const Op op = ReadOp(s, pos);
    if (op.run > kRegisters - covered) return false;
    f(covered, op.run, op.value);
    covered += op.run;
    pos += op.size;
  }
  return covered == kRegisters;
}

// After an edit, equal VAL runs next to each other are joined when the sum fits one opcode.
// Like Redis this looks at five opcodes at most, starting at `from` (the opcode before the
// edited one), and a join does not advance, so the joined run may join the next one.
void JoinValRuns(std::string& s, size_t from) {
  size_t pos = from;
  int budget = 5;
  while (pos < s.size() && budget-- > 0) {
    const uint8_t b = static_cast<uint8_t>(s[pos]);
    if (IsXZero(b)) {
      pos += 2;
      continue;
    }
    if (IsZero(b)) {
      pos++;
      continue;
    }
    if (pos + 1 < s.size()) {
      const uint8_t next = static_cast<uint8_t>(s[pos + 1]);
      if (IsVal(next) && ValValue(b) == ValValue(next)) {
        const uint32_t run = ValRun(b) + ValRun(next);
        if (run <= kValMaxRun) {
          s[pos + 1] = static_cast<char>(ValOp(ValValue(b), run));
          s.erase(pos, 1);
          continue;
        }
      }
    }
    pos++;
  }
}

Edit DenseSetMax(std::string& value, uint32_t index, uint8_t count) {
  uint8_t* regs = DenseRegs(value);
  if (DenseGet(regs, index) >= count) return Edit::kUnchanged;
  DenseSet(regs, index, count);
  InvalidateCache(value);
  return Edit::kChanged;
}

Edit Promote(std::string& value, uint32_t index, uint8_t count) {
  if (!ToDense(value)) return Edit::kCorrupt;
  // A promotion happens only for a register that needs raising, so this changes it.
  DenseSetMax(value, index, count);
  InvalidateCache(value);
  return Edit::kChanged;
}

Edit SparseSetMax(std::string& s, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (count > kSparseMaxValue) return Promote(s, index, count);

  // The opcode covering the register, and the one before it.
  constexpr size_t kNone = std::numeric_limits<size_t>::max();
  size_t pos = kHeaderBytes;
  size_t prev = kNone;
  uint32_t first = 0;
  Op op{0, 0, 0};
  bool found = false;
  while (pos < s.size()) {
    op = ReadOp(s, pos);
    if (index < first + op.run) {
      found = true;
      break;
    }
    prev = pos;
    pos += op.size;
    first += op.run;
  }
  if (!found) return Edit::kCorrupt;

  const uint8_t b = static_cast<uint8_t>(s[pos]);
  if (IsVal(b) && op.value >= count) return Edit::kUnchanged;
  if (op.run == 1 && !IsXZero(b)) {
    // A run of one register (VAL or ZERO) just becomes the new VAL.
    s[pos] = static_cast<char>(ValOp(count, 1));
  } else {
    // Split the run: what comes before the register, the register, what comes after.
    uint8_t seq[5];
    size_t n = 0;
    const uint32_t last = first + op.run - 1;
    if (IsVal(b)) {
      if (index != first) seq[n++] = ValOp(op.value, index - first);
      seq[n++] = ValOp(count, 1);
      if (index != last) seq[n++] = ValOp(op.value, last - index);
    } else {
      if (index != first) n += ZeroRun(index - first, seq + n);
      seq[n++] = ValOp(count, 1);
      if (index != last) n += ZeroRun(last - index, seq + n);
    }
    if (n > op.size && s.size() + (n - op.size) > sparse_max_bytes) {
      return Promote(s, index, count);
    }
    // A cut XZERO (see ReadOp) has one byte to replace, and Redis grows the string by
    // n - 2 all the same: its last byte of the new runs lands past the end, lost.
    const bool cut = pos + op.size > s.size();
    s.replace(pos, op.size, reinterpret_cast<const char*>(seq), n);
    if (cut) s.pop_back();
  }
  JoinValRuns(s, prev == kNone ? kHeaderBytes : prev);
  InvalidateCache(s);
  return Edit::kChanged;
}

// ---- estimator ----------------------------------------------------------------------------

using Histogram = std::array<int, 64>;

// Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), summed until it stops changing.
double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double before;
  do {
    x *= x;
    before = z;
    z += x * y;
    y += y;
  } while (before != z);
  return z;
}

// Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3.
double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0;
  double z = 1 - x;
  double before;
  do {
    x = std::sqrt(x);
    before = z;
    y *= 0.5;
    const double d = 1 - x;
    z -= d * d * y;
  } while (before != z);
  return z / 3;
}

uint64_t Estimate(const Histogram& h) {
  const double m = static_cast<double>(kRegisters);
  double z = m * Tau((m - h[kMaxRegister]) / m);
  for (int j = kMaxRegister - 1; j >= 1; --j) {
    z += h[static_cast<size_t>(j)];
    z *= 0.5;
  }
  z += m * Sigma(h[0] / m);
  const double e = kAlphaInf * m * m / z;
  // Only damaged registers (all at the maximum) get here; x86's llround answer.
  if (!(e < 9.2e18)) return uint64_t{1} << 63;
  return static_cast<uint64_t>(std::llround(e));
}

std::optional<Histogram> HistogramOf(std::string_view value) {
  Histogram h{};
  if (EncodingOf(value) == Encoding::kDense) {
    const uint8_t* regs = DenseRegs(value);
    for (size_t i = 0; i < kRegisters; i++) h[DenseGet(regs, i)]++;
    return h;
  }
  const bool ok =
      WalkSparse(value, [&h](uint32_t, uint32_t run, uint8_t v) { h[v] += static_cast<int>(run); });
  if (!ok) return std::nullopt;
  return h;
}

}  // namespace

// ---- hashing ------------------------------------------------------------------------------

uint64_t MurmurHash64A(std::string_view data, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const uint8_t* p = Bytes(data);
  const size_t len = data.size();
  uint64_t h = seed ^ (len * m);
  for (size_t blocks = len / 8; blocks > 0; blocks--, p += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; i--) k = (k << 8) | p[i];  // little-endian, whatever the host
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const size_t tail = len & 7;
  if (tail > 0) {
    for (size_t i = tail; i > 0; i--) h ^= static_cast<uint64_t>(p[i - 1]) << (8 * (i - 1));
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

Pattern PatternOf(std::string_view element) {
  uint64_t hash = MurmurHash64A(element, kHashSeed);
  const auto index = static_cast<uint32_t>(hash & (kRegisters - 1));
  hash >>= kPrecision;
  hash |= uint64_t{1} << (64 - kPrecision);  // a stop bit: at most 50 zeros are counted
  return {index, static_cast<uint8_t>(__builtin_ctzll(hash) + 1)};
}

// ---- header and cache ---------------------------------------------------------------------

bool HeaderValid(std::string_view value) {
  if (value.size() < kHeaderBytes || value.substr(0, 4) != "HYLL") return false;
  const auto encoding = static_cast<uint8_t>(value[kEncodingByte]);
  if (encoding > static_cast<uint8_t>(Encoding::kSparse)) return false;
  return encoding != static_cast<uint8_t>(Encoding::kDense) || value.size() == kDenseBytes;
}

Encoding EncodingOf(std::string_view value) {
  return static_cast<Encoding>(static_cast<uint8_t>(value[kEncodingByte]));
}

bool SparseValid(std::string_view value) {
  return WalkSparse(value, [](uint32_t, uint32_t, uint8_t) {});
}

std::string MakeEmpty() {
  std::string value(kHeaderBytes, '\0');
  std::memcpy(value.data(), "HYLL", 4);
  value[kEncodingByte] = static_cast<char>(Encoding::kSparse);
  uint8_t ops[2];
  ZeroRun(kRegisters, ops);
  value.append(reinterpret_cast<const char*>(ops), 2);
  InvalidateCache(value);
  return value;
}

std::optional<uint64_t> CachedCount(std::string_view value) {
  const uint8_t* card = Bytes(value) + kCacheOffset;
  if ((card[7] & kCacheInvalid) != 0) return std::nullopt;
  uint64_t count = 0;
  for (int i = 7; i >= 0; i--) count = (count << 8) | card[i];
  return count;
}

void StoreCachedCount(std::string& value, uint64_t count) {
  uint8_t* card = Bytes(value) + kCacheOffset;
  for (int i = 0; i < 8; i++) card[i] = static_cast<uint8_t>(count >> (8 * i));
}

void InvalidateCache(std::string& value) { Bytes(value)[kCacheOffset + 7] |= kCacheInvalid; }

// ---- edits --------------------------------------------------------------------------------

Edit SetRegister(std::string& value, uint32_t index, uint8_t count, size_t sparse_max_bytes) {
  if (EncodingOf(value) == Encoding::kDense) return DenseSetMax(value, index, count);
  return SparseSetMax(value, index, count, sparse_max_bytes);
}

Edit Add(std::string& value, std::string_view element, size_t sparse_max_bytes) {
  const Pattern p = PatternOf(element);
  return SetRegister(value, p.index, p.count, sparse_max_bytes);
}

bool ToDense(std::string& value) {
  if (EncodingOf(value) == Encoding::kDense) return true;
  std::string dense(kDenseBytes, '\0');
  std::memcpy(dense.data(), value.data(), kHeaderBytes);  // magic, unused bytes and cache
  dense[kEncodingByte] = static_cast<char>(Encoding::kDense);
  uint8_t* regs = DenseRegs(dense);
  const bool ok = WalkSparse(value, [regs](uint32_t first, uint32_t run, uint8_t v) {
    if (v == 0) return;
    for (uint32_t i = first; i < first + run; i++) DenseSet(regs, i, v);
  });
  if (!ok) return false;
  value = std::move(dense);
  return true;
}

bool StoreUnion(std::string& dest, const Registers& registers, bool to_dense,
                size_t sparse_max_bytes) {
  if (to_dense && !ToDense(dest)) return false;
  for (size_t i = 0; i < kRegisters; i++) {
    if (registers[i] == 0) continue;
    const Edit e = SetRegister(dest, static_cast<uint32_t>(i), registers[i], sparse_max_bytes);
    if (e == Edit::kCorrupt) return false;
  }
  InvalidateCache(dest);
  return true;
}

bool MergeInto(std::string_view value, Registers* into) {
  Registers& max = *into;
  if (EncodingOf(value) == Encoding::kDense) {
    const uint8_t* regs = DenseRegs(value);
    for (size_t i = 0; i < kRegisters; i++) max[i] = std::max(max[i], DenseGet(regs, i));
    return true;
  }
  return WalkSparse(value, [&max](uint32_t first, uint32_t run, uint8_t v) {
    for (uint32_t i = first; i < first + run; i++) max[i] = std::max(max[i], v);
  });
}

std::optional<Registers> RegistersOf(std::string_view value) {
  Registers regs{};
  if (!MergeInto(value, &regs)) return std::nullopt;
  return regs;
}

// ---- counting -----------------------------------------------------------------------------

std::optional<uint64_t> Count(std::string_view value) {
  std::optional<Histogram> h = HistogramOf(value);
  if (!h) return std::nullopt;
  return Estimate(*h);
}

uint64_t Count(const Registers& registers) {
  Histogram h{};
  for (uint8_t v : registers) h[v & 63u]++;
  return Estimate(h);
}

std::string DescribeSparse(std::string_view value) {
  std::string out;
  size_t pos = kHeaderBytes;
  while (pos < value.size()) {
    const Op op = ReadOp(value, pos);
    if (!out.empty()) out += ' ';
    const uint8_t b = static_cast<uint8_t>(value[pos]);
    if (IsVal(b)) {
      out += "v:" + std::to_string(op.value) + "," + std::to_string(op.run);
    } else {
      out += (IsZero(b) ? "z:" : "Z:") + std::to_string(op.run);
    }
    pos += op.size;
  }
  return out;
}

// ---- self test ----------------------------------------------------------------------------

std::string SelfTest(uint64_t seed, size_t sparse_max_bytes, int max_power) {
  std::mt19937_64 rng(seed);

  // 1. Every register keeps what was written to it, whatever its neighbours hold.
  std::string dense = MakeEmpty();
  ToDense(dense);
  std::vector<uint8_t> expected(kRegisters);
  for (int cycle = 0; cycle < 64; cycle++) {
    for (size_t i = 0; i < kRegisters; i++) {
      expected[i] = static_cast<uint8_t>(rng() & 63u);
      DenseSet(DenseRegs(dense), i, expected[i]);
    }
    for (size_t i = 0; i < kRegisters; i++) {
      const uint8_t got = DenseGet(DenseRegs(dense), i);
      if (got != expected[i]) {
        return "TESTFAILED Register " + std::to_string(i) + " should be " +
               std::to_string(expected[i]) + " but is " + std::to_string(got);
      }
    }
  }

  // 2. A dense and a sparse sketch fed the same elements agree, and stay within six standard
  // errors of the truth at every power of ten.
  dense = MakeEmpty();
  ToDense(dense);
  std::string sparse = MakeEmpty();
  const double relative_error = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  const uint64_t salt = rng();
  uint64_t checkpoint = 1;
  uint64_t limit = 1;
  for (int i = 0; i < max_power; i++) limit *= 10;
  for (uint64_t j = 1; j <= limit; j++) {
    const uint64_t element = j ^ salt;
    char bytes[8];
    for (int b = 0; b < 8; b++) bytes[b] = static_cast<char>(element >> (8 * b));
    Add(dense, std::string_view(bytes, 8), sparse_max_bytes);
    Add(sparse, std::string_view(bytes, 8), sparse_max_bytes);
    if (j != checkpoint) continue;
    if (j < sparse_max_bytes / 2 && EncodingOf(sparse) != Encoding::kSparse) {
      return "TESTFAILED sparse encoding not used";
    }
    const uint64_t estimate = *Count(dense);
    if (estimate != *Count(sparse)) return "TESTFAILED dense/sparse disagree";
    const uint64_t error = estimate > j ? estimate - j : j - estimate;
    // At 10 a collision of two elements is likely enough to allow one off.
    const auto max_error =
        j == 10 ? 1 : static_cast<uint64_t>(std::ceil(relative_error * 6 * static_cast<double>(j)));
    if (error > max_error) {
      return "TESTFAILED Too big error. card:" + std::to_string(j) +
             " abserr:" + std::to_string(error);
    }
    checkpoint *= 10;
  }
  return {};
}

}  // namespace tidekv::ds::hll
