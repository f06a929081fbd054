// libFuzzer target for trace::DecodeHeader / DecodeRecord (and their encoders).
//
// `tidekv-replay` reads whatever is in a trace file: a torn write, a damaged disk, a file
// that is not a trace at all. The input is read as a trace (a header, then records; or
// records from the first byte when the header does not decode), once as given and once
// with every checksum patched to match, so that the fuzzer reaches the layout checks
// behind the CRCs. Checks per decode:
//  1. Safety: every decode gets a heap copy of exactly its bytes, so ASan sees any read
//     past the end; kOk consumes no more than it was given.
//  2. Canonical form: a decoded record re-encodes to exactly the bytes it was read from; a
//     decoded header re-encodes to a header that decodes to the same Header.
//  3. Prefixes: the result depends on the bytes it covers only. A shorter prefix of a
//     record or header is kIncomplete (what makes a torn tail a torn tail, not damage);
//     a prefix of corrupt bytes is kIncomplete up to some length and then the same
//     corruption, never kOk.
// Then a record and a header built from the input's bytes must decode back to themselves,
// EncodeCommandRecord matching EncodeRecord. Any violation traps.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/crc32c.h"
#include "trace/format.h"

namespace {

using tidekv::Crc32c;
using tidekv::trace::DecodeHeader;
using tidekv::trace::DecodeRecord;
using tidekv::trace::DecodeStatus;
using tidekv::trace::EncodeCommandRecord;
using tidekv::trace::EncodeHeader;
using tidekv::trace::EncodeRecord;
using tidekv::trace::Header;
using tidekv::trace::kMagic;
using tidekv::trace::kMaxRecordBytes;
using tidekv::trace::Record;
using tidekv::trace::RecordType;

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "trace_fuzz: %s\n", what);
    __builtin_trap();
  }
}

uint32_t Load32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

void Store32(char* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

// The outcome of one decode, kept independent of the buffer it came from.
struct Outcome {
  DecodeStatus status = DecodeStatus::kIncomplete;
  size_t consumed = 0;
  std::string error;
};

// Decodes a heap copy of exactly bytes (ASan catches reads past its end) with one of the
// two decoders; Decoded is Header or Record.
template <typename Decoded>
Outcome DecodeCopy(std::string_view bytes, Decoded* decoded) {
  char* copy = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (!bytes.empty()) std::memcpy(copy, bytes.data(), bytes.size());
  const std::string_view view(copy, bytes.size());
  Outcome out;
  if constexpr (std::is_same_v<Decoded, Header>) {
    out.status = DecodeHeader(view, decoded, &out.consumed, &out.error);
  } else {
    out.status = DecodeRecord(view, decoded, &out.consumed, &out.error);
  }
  std::free(copy);
  if (out.status == DecodeStatus::kOk) {
    Check(out.consumed > 0 && out.consumed <= bytes.size(), "consumed outside the buffer");
  } else {
    out.consumed = 0;
  }
  if (out.status == DecodeStatus::kCorrupt) Check(!out.error.empty(), "corrupt, no message");
  return out;
}

// Property 3 for the decode at the start of bytes, whose whole result is given. Every
// prefix for short inputs, a spread for longer ones (each check copies the prefix); past a
// valid one only the next prefix, so that a stream of records stays linear.
template <typename Decoded>
void CheckPrefixes(std::string_view bytes, const Outcome& whole) {
  const size_t limit =
      whole.status == DecodeStatus::kOk ? std::min(bytes.size(), whole.consumed + 1) : bytes.size();
  const size_t step = limit <= 256 ? 1 : limit / 61;
  bool seen_corrupt = false;
  for (size_t n = 0; n < limit; n += step) {
    Decoded decoded;
    const Outcome part = DecodeCopy(bytes.substr(0, n), &decoded);
    switch (whole.status) {
      case DecodeStatus::kIncomplete:
        Check(part.status == DecodeStatus::kIncomplete, "prefix of incomplete is not");
        break;
      case DecodeStatus::kOk:
        if (n < whole.consumed) {
          Check(part.status == DecodeStatus::kIncomplete,
                "prefix of a valid one is not incomplete");
        } else {
          Check(part.status == DecodeStatus::kOk && part.consumed == whole.consumed,
                "prefix holding a valid one decodes differently");
        }
        break;
      case DecodeStatus::kCorrupt:
        Check(part.status != DecodeStatus::kOk, "prefix of corrupt bytes decodes");
        if (part.status == DecodeStatus::kCorrupt) {
          Check(part.error == whole.error, "prefix reports a different corruption");
          seen_corrupt = true;
        } else {
          Check(!seen_corrupt, "corruption went away with more bytes");
        }
        break;
    }
  }
}

void CheckHeader(const Header& header) {
  const std::string encoded = EncodeHeader(header);
  Header again;
  const Outcome out = DecodeCopy(encoded, &again);
  Check(out.status == DecodeStatus::kOk && out.consumed == encoded.size(),
        "re-encoded header does not decode");
  Check(again == header, "re-encoded header decodes differently");
}

void CheckRecord(const Record& record, std::string_view bytes) {
  std::string encoded;
  EncodeRecord(record, &encoded);
  Check(encoded == bytes, "re-encoding a record changed its bytes");
  if (tidekv::trace::CarriesCommand(record.type)) {
    const std::vector<std::string_view> argv(record.argv.begin(), record.argv.end());
    std::string views;
    EncodeCommandRecord(record.type, record.id, record.connection, record.mono_ns, record.wall_us,
                        record.db, argv, record.reply, &views);
    Check(views == encoded, "EncodeCommandRecord differs from EncodeRecord");
  }
}

// Reads bytes as a trace file would be read.
void ReadTrace(std::string_view bytes) {
  size_t pos = 0;
  {
    Header header;
    const Outcome out = DecodeCopy(bytes, &header);
    CheckPrefixes<Header>(bytes, out);
    if (out.status == DecodeStatus::kOk) {
      CheckHeader(header);
      pos = out.consumed;
    }
  }
  while (pos < bytes.size()) {
    const std::string_view rest = bytes.substr(pos);
    Record record;
    const Outcome out = DecodeCopy(rest, &record);
    CheckPrefixes<Record>(rest, out);
    if (out.status != DecodeStatus::kOk) return;
    CheckRecord(record, rest.substr(0, out.consumed));
    pos += out.consumed;
  }
}

// A copy of bytes whose header and record checksums are made to match, walking the same
// lengths the decoders will.
std::string PatchChecksums(std::string_view input) {
  std::string bytes(input);
  size_t pos = 0;
  if (bytes.size() >= 16 && std::string_view(bytes).substr(0, 8) == kMagic) {
    const size_t body = Load32(bytes.data() + 12);
    if (body <= bytes.size() && 16 + body + 4 <= bytes.size()) {
      Store32(bytes.data() + 16 + body, Crc32c(std::string_view(bytes).substr(8, 8 + body)));
      pos = 16 + body + 4;
    }
  }
  while (bytes.size() - pos >= 8) {
    const size_t n = Load32(bytes.data() + pos);
    if (n > kMaxRecordBytes || n > bytes.size() - pos - 8) break;
    Store32(bytes.data() + pos + 4, Crc32c(std::string_view(bytes).substr(pos + 8, n)));
    pos += 8 + n;
  }
  return bytes;
}

uint64_t Take64(std::string_view* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8 && !in->empty(); i++) {
    v |= uint64_t{static_cast<uint8_t>(in->front())} << (8 * i);
    in->remove_prefix(1);
  }
  return v;
}

// Splits text at a separator byte.
std::vector<std::string> Split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); i++) {
    if (i == text.size() || text[i] == sep) {
      parts.emplace_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Builds a record and a header from the input's bytes; both must survive a round trip.
void CheckBuilt(std::string_view input) {
  std::string_view in = input;
  const uint64_t shape = Take64(&in);
  Record record;
  record.type = static_cast<RecordType>(1 + shape % 8);
  record.id = Take64(&in);
  record.connection = shape >> 8;
  record.mono_ns = Take64(&in);
  record.wall_us = static_cast<int64_t>(Take64(&in));
  record.db = static_cast<uint32_t>(shape >> 16);
  if (tidekv::trace::CarriesCommand(record.type)) {
    record.argv = Split(in, static_cast<char>(shape >> 24));
    record.reply = record.argv.back();
    record.argv.pop_back();
  } else {
    record.detail = in;
  }
  std::string bytes;
  EncodeRecord(record, &bytes);
  Record decoded;
  const Outcome out = DecodeCopy(bytes, &decoded);
  Check(out.status == DecodeStatus::kOk && out.consumed == bytes.size(), "built record");
  Check(decoded == record, "built record decodes differently");
  CheckRecord(decoded, bytes);

  // Header strings cannot hold '\n' (nor '=' in config keys): use them as separators.
  if (in.size() > (1u << 19)) return;  // the header body has a 1 MiB limit
  Header header;
  const std::vector<std::string> lines = Split(in, '\n');
  header.server_version = lines[0];
  header.start_unix_ms = static_cast<int64_t>(shape);
  header.start_mono_ns = static_cast<int64_t>(record.mono_ns);
  header.empty_at_start = (shape >> 32) & 1;
  for (size_t i = 1; i < lines.size(); i++) {
    const size_t eq = lines[i].find('=');
    if (eq == std::string::npos) {
      header.config.emplace_back(lines[i], "");
    } else {
      header.config.emplace_back(lines[i].substr(0, eq), lines[i].substr(eq + 1));
    }
  }
  CheckHeader(header);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  ReadTrace(input);
  const std::string patched = PatchChecksums(input);
  if (patched != input) ReadTrace(patched);
  CheckBuilt(input);
  return 0;
}
