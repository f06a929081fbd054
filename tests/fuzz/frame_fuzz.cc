// libFuzzer target for proto::DecodeFrame / EncodeFrame.
//
// Three checks per input:
//  1. Stream consistency: the input is read as a stream of frames (decode, drop the frame,
//     read more) whole, split in two at a position derived from the data, and in small
//     chunks. All three must yield the same frames and the same error: what a replica
//     decodes must not depend on how TCP cut the stream.
//  2. Prefix exactness: for a decode at the start of a buffer, every prefix shorter than a
//     decoded frame is kIncomplete, and for a corrupt buffer the prefixes are kIncomplete
//     up to some length and kCorrupt (with the same error) from there on. kOk never comes
//     from a prefix of something corrupt.
//  3. Canonical form: a decoded frame re-encodes to exactly the bytes it was decoded from,
//     and a frame built from the input's bytes (offset, db, argv) decodes back to itself.
// ASan catches any read outside the buffer: every decode gets an exactly sized copy.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "proto/frame.h"

namespace {

using tidekv::proto::DecodeFrame;
using tidekv::proto::EncodeFrame;
using tidekv::proto::Frame;
using tidekv::proto::FrameStatus;

struct Limits {
  size_t max_args = 1u << 24;
  size_t max_arg_bytes = 1ull << 32;
};

struct Decoded {
  uint64_t offset = 0;
  int db = 0;
  std::vector<std::string> argv;
  bool operator==(const Decoded&) const = default;
};

struct Outcome {
  std::vector<Decoded> frames;
  bool failed = false;
  std::string error;
  size_t leftover = 0;
  bool operator==(const Outcome&) const = default;
};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "frame_fuzz: %s\n", what);
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Die(what);
}

// Decodes a heap copy of exactly buf's bytes, so ASan sees any read past the end. The copy
// is freed on return (frame->argv dangles then): *out gets owned copies of a kOk frame.
FrameStatus DecodeCopy(std::string_view buf, const Limits& limits, Frame* frame, std::string* error,
                       std::string* reencoded, Decoded* out = nullptr) {
  char* copy = static_cast<char*>(std::malloc(buf.size() + 1));
  if (!buf.empty()) std::memcpy(copy, buf.data(), buf.size());
  const std::string_view view(copy, buf.size());
  error->clear();
  const FrameStatus st = DecodeFrame(view, frame, error, limits.max_args, limits.max_arg_bytes);
  if (st == FrameStatus::kOk) {
    Check(frame->size > 0 && frame->size <= view.size(), "frame size outside the buffer");
    Check(!frame->argv.empty(), "ok with empty argv");
    Check(frame->argv.size() <= limits.max_args, "more arguments than allowed");
    Check(frame->db >= 0, "negative db");
    for (std::string_view arg : frame->argv) {
      Check(arg.size() <= limits.max_arg_bytes, "argument longer than allowed");
      Check(arg.data() >= copy && arg.data() + arg.size() <= copy + frame->size,
            "argument outside the frame");
    }
    // Canonical: encoding the decoded frame gives back its bytes.
    reencoded->clear();
    EncodeFrame(frame->offset, frame->db, frame->argv, reencoded);
    Check(*reencoded == view.substr(0, frame->size), "re-encoding differs from the input");
    if (out != nullptr) {
      *out = Decoded{frame->offset, frame->db, {}};
      for (std::string_view arg : frame->argv) out->argv.emplace_back(arg);
    }
  } else if (st == FrameStatus::kCorrupt) {
    Check(!error->empty(), "corrupt without an error message");
  }
  std::free(copy);
  return st;
}

Outcome Drive(std::string_view input, const std::vector<size_t>& ends, const Limits& limits) {
  Outcome out;
  std::string buf;
  Frame frame;
  std::string error;
  std::string scratch;
  size_t fed = 0;
  for (size_t end : ends) {
    if (end <= fed) continue;
    buf.append(input.substr(fed, end - fed));
    fed = end;
    for (;;) {
      Decoded decoded;
      const FrameStatus st = DecodeCopy(buf, limits, &frame, &error, &scratch, &decoded);
      if (st == FrameStatus::kCorrupt) {
        out.failed = true;
        out.error = error;
        return out;  // leftover stays 0: how much was buffered depends on the cuts
      }
      if (st == FrameStatus::kIncomplete) break;
      out.frames.push_back(std::move(decoded));
      buf.erase(0, frame.size);
    }
  }
  out.leftover = buf.size();
  return out;
}

uint64_t Hash(const uint8_t* data, size_t size) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

void CheckStream(std::string_view input, uint64_t h, const Limits& limits) {
  const size_t size = input.size();
  const Outcome whole = Drive(input, {size}, limits);
  const size_t cut = size == 0 ? 0 : h % (size + 1);
  if (!(Drive(input, {cut, size}, limits) == whole)) Die("whole and split streams disagree");
  const size_t chunk = 1 + (h >> 32) % (size <= 512 ? 7 : size / 64);
  std::vector<size_t> ends;
  for (size_t at = chunk; at < size; at += chunk) ends.push_back(at);
  ends.push_back(size);
  if (!(Drive(input, ends, limits) == whole)) Die("whole and chunked streams disagree");
}

// Prefix exactness for the frame (or failure) at the start of buf. All prefixes for small
// inputs, a spread of them for large ones.
void CheckPrefixes(std::string_view buf, const Limits& limits) {
  Frame frame;
  std::string error;
  std::string scratch;
  const FrameStatus whole = DecodeCopy(buf, limits, &frame, &error, &scratch);
  const size_t frame_size = frame.size;
  const std::string whole_error = error;
  const size_t step = buf.size() <= 300 ? 1 : buf.size() / 97;
  bool seen_corrupt = false;
  for (size_t n = 0; n < buf.size(); n += step) {
    const FrameStatus st = DecodeCopy(buf.substr(0, n), limits, &frame, &error, &scratch);
    switch (whole) {
      case FrameStatus::kIncomplete:
        Check(st == FrameStatus::kIncomplete, "prefix of an incomplete buffer is not incomplete");
        break;
      case FrameStatus::kOk:
        if (n < frame_size) {
          Check(st == FrameStatus::kIncomplete, "prefix of a frame is not incomplete");
        } else {
          Check(st == FrameStatus::kOk && frame.size == frame_size, "prefix holding a frame");
        }
        break;
      case FrameStatus::kCorrupt:
        Check(st != FrameStatus::kOk, "prefix of corrupt bytes decodes");
        if (st == FrameStatus::kCorrupt) {
          Check(error == whole_error, "prefix reports a different corruption");
          seen_corrupt = true;
        } else {
          Check(!seen_corrupt, "corruption went away with more bytes");
        }
        break;
    }
  }
}

// Builds a frame from the input's bytes and requires it to decode back to itself.
void CheckRoundTrip(std::string_view input, uint64_t h) {
  uint64_t offset = 0;
  std::memcpy(&offset, &h, sizeof offset);
  if (input.size() >= 8) std::memcpy(&offset, input.data(), 8);
  const int db = (h >> 40) % 4 == 0 ? static_cast<int>((h >> 8) & 0x7fffffff) : (h >> 16) % 16;
  // Arguments: the input split at a separator byte chosen by the hash.
  const char sep = static_cast<char>(h >> 56);
  std::vector<std::string_view> argv;
  size_t start = 0;
  for (size_t i = 0; i <= input.size(); i++) {
    if (i == input.size() || input[i] == sep) {
      argv.push_back(input.substr(start, i - start));
      start = i + 1;
    }
  }
  std::string bytes;
  EncodeFrame(offset, db, argv, &bytes);
  Frame frame;
  std::string error;
  std::string scratch;
  Decoded decoded;
  Check(DecodeCopy(bytes, Limits{}, &frame, &error, &scratch, &decoded) == FrameStatus::kOk,
        "an encoded frame does not decode");
  Check(frame.size == bytes.size(), "decoded size differs");
  Decoded expected{offset, db, {}};
  for (std::string_view arg : argv) expected.argv.emplace_back(arg);
  Check(decoded == expected, "decoded frame differs");
  CheckPrefixes(bytes, Limits{});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint64_t h = Hash(data, size);

  CheckStream(input, h, Limits{});
  CheckPrefixes(input, Limits{});
  // Small limits (picked by the hash) so that the limit checks are reached by short inputs.
  constexpr size_t kArgs[] = {1, 2, 3, 1000};
  constexpr size_t kBytes[] = {0, 3, 5, 100};
  Limits small;
  small.max_args = kArgs[(h >> 8) & 3];
  small.max_arg_bytes = kBytes[(h >> 10) & 3];
  CheckStream(input, h >> 16, small);
  CheckPrefixes(input, small);
  CheckRoundTrip(input, h);
  return 0;
}
