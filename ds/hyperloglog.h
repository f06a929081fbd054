// HyperLogLog: Redis's probabilistic cardinality sketch, kept in Redis's own string
// representation so that PFADD / PFCOUNT / PFMERGE values are byte for byte what Redis 7
// stores (GET, DUMP, replication to and from Redis tools all see the same bytes).
//
// Format (all of it lives in one string value):
//   header, 16 bytes: "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, then the cached
//     cardinality as 8 bytes little-endian; the high bit of the last byte set means "cache
//     invalid" (only that bit is set on invalidation: the old count stays in the low bits).
//   dense: 16384 registers of 6 bits, register i at bit i*6 counting from the low bit of the
//     first register byte (12288 bytes, so a dense value is exactly 12304 bytes).
//   sparse: run-length opcodes covering exactly 16384 registers:
//     ZERO  00xxxxxx          xxxxxx+1 (1..64) registers at 0
//     XZERO 01xxxxxx yyyyyyyy the 14-bit x..y +1 (1..16384) registers at 0
//     VAL   1vvvvvxx          xx+1 (1..4) registers at vvvvv+1 (1..32)
// An element hashes with MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the
// register, and the register takes 1 + the number of trailing zeros of the other 50 bits
// (so 1..51). Registers only grow.
//
// Edits of a sparse value are made in place the way Redis makes them (the covering opcode
// is split, then up to five opcodes from the one before it are scanned to join equal VAL
// runs), because the bytes depend on that history, not only on the registers. A sparse
// value becomes dense when a register needs a value above 32 or when a split would make it
// longer than sparse_max_bytes (Redis's hll-sparse-max-bytes, header included).
//
// Counting uses Otmar Ertl's improved estimator ("New cardinality estimation algorithms for
// HyperLogLog sketches", 2017), as Redis 5+ does, with the same floating point steps.
//
// Values come from clients (SETRANGE, APPEND, RESTORE can make any bytes): HeaderValid
// checks what Redis checks before any use, and every walk of a sparse payload is bounded
// by the string, reporting damage (kCorrupt / nullopt) instead of reading past it. An
// XZERO cut off by the end reads its missing byte as 0, which is what Redis reads there
// (the NUL after every sds string). Pure: no tidekv dependency, not thread-safe per value.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tidekv::ds::hll {

inline constexpr int kPrecision = 14;
inline constexpr size_t kRegisters = size_t{1} << kPrecision;  // 16384
inline constexpr size_t kHeaderBytes = 16;
inline constexpr size_t kCacheOffset = 8;  // the cached count's 8 bytes in the header
inline constexpr size_t kDenseBytes = kHeaderBytes + (kRegisters * 6 + 7) / 8;  // 12304
inline constexpr int kMaxRegister = 64 - kPrecision + 1;                        // 51
inline constexpr int kSparseMaxValue = 32;
inline constexpr uint64_t kHashSeed = 0xadc83b19ULL;

enum class Encoding : uint8_t { kDense = 0, kSparse = 1 };
enum class Edit : uint8_t { kUnchanged, kChanged, kCorrupt };

// One byte per register (the union of several sketches, PFCOUNT of many keys).
using Registers = std::array<uint8_t, kRegisters>;

uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

// The register an element lands in and the value it proposes for it (1..51).
struct Pattern {
  uint32_t index;
  uint8_t count;
};
Pattern PatternOf(std::string_view element);

// What Redis's isHLLObjectOrReply checks: the magic, a known encoding, and the exact length
// of a dense value. The payload of a sparse value is checked by the operations that walk it.
bool HeaderValid(std::string_view value);
// Precondition for the rest: HeaderValid(value).
Encoding EncodingOf(std::string_view value);
// A sparse payload that parses to the end and covers exactly kRegisters registers.
bool SparseValid(std::string_view value);

// The value PFADD creates: sparse, all registers 0, cached count 0 marked invalid (as Redis
// leaves a new key: its PFADD counts as an update).
std::string MakeEmpty();

// The cached count, when the cache is valid.
std::optional<uint64_t> CachedCount(std::string_view value);
void StoreCachedCount(std::string& value, uint64_t count);
void InvalidateCache(std::string& value);

// Raises register index to count when count is higher (dense or sparse, promoting sparse to
// dense as described above). kChanged invalidates the cache. A damaged sparse payload is
// edited as Redis edits it when the register is found before the damage; kCorrupt (value
// unchanged) when it is not, or when the edit needs a dense conversion, which fails. Never
// kCorrupt when SparseValid(value).
Edit SetRegister(std::string& value, uint32_t index, uint8_t count, size_t sparse_max_bytes);
Edit Add(std::string& value, std::string_view element, size_t sparse_max_bytes);

// Rewrites a sparse value as dense (the header, cache included, is kept); a dense one is
// left alone. False, leaving value unchanged, when the sparse payload is damaged.
bool ToDense(std::string& value);

// PFMERGE's write: raises dest's registers to `registers`, register by register in index
// order, after making dest dense when to_dense (Redis does when any source is dense), and
// invalidates the cache. False when dest's sparse payload is damaged.
bool StoreUnion(std::string& dest, const Registers& registers, bool to_dense,
                size_t sparse_max_bytes);

// max(into[i], register i) for every register. False when the sparse payload is damaged.
bool MergeInto(std::string_view value, Registers* into);
// Every register of the value, or nullopt when its sparse payload is damaged.
std::optional<Registers> RegistersOf(std::string_view value);

// The estimate from the registers (ignores the cache). nullopt when damaged.
std::optional<uint64_t> Count(std::string_view value);
uint64_t Count(const Registers& registers);

// PFDEBUG DECODE: the sparse opcodes as "z:<len>", "Z:<len>", "v:<value>,<len>" separated
// by spaces.
std::string DescribeSparse(std::string_view value);

// PFSELFTEST: dense register access with random values, then the estimate of a dense and a
// sparse sketch fed the same elements checked against each other and against the true
// count up to 10^max_power. Empty on success, else the failure ("TESTFAILED ...").
std::string SelfTest(uint64_t seed, size_t sparse_max_bytes, int max_power = 7);

}  // namespace tidekv::ds::hll
