// libFuzzer target for proto::RequestParser.
//
// Feeds the input the way a connection would (parse until incomplete or error, drop the
// consumed bytes, read more) three ways: whole, split in two at a position derived from the
// data, and in small chunks. All three must yield the same requests and the same error,
// because what a client sent must not depend on how TCP cut it into reads. Along the way it
// checks the Parse contract: consumed never exceeds the buffer, kComplete never has an empty
// argv, errors start with "Protocol error: ", bytes_needed() is a true lower bound, and argv
// views point into the buffer or the parser (ASan reports any stale pointer, since every
// call gets a freshly allocated copy of the buffer).
//
// Each input runs under the default limits and under a small set picked by a hash of the
// input, so that limit errors are reached by short inputs.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/resp.h"

namespace {

using tidekv::proto::ParserLimits;
using tidekv::proto::ParseStatus;
using tidekv::proto::RequestParser;

struct Outcome {
  std::vector<std::vector<std::string>> requests;
  bool failed = false;
  std::string error;
  size_t leftover = 0;

  bool operator==(const Outcome&) const = default;
};

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "resp_parser_fuzz: %s\n", what);
  std::abort();
}

void Check(bool ok, const char* what) {
  if (!ok) Die(what);
}

Outcome Drive(std::string_view input, const std::vector<size_t>& ends, const ParserLimits& limits) {
  RequestParser parser(limits);
  Outcome out;
  std::string buf;
  std::vector<std::string_view> argv;
  size_t fed = 0;
  size_t need = 0;
  for (size_t end : ends) {
    if (end <= fed) continue;
    buf.append(input.substr(fed, end - fed));
    fed = end;
    for (;;) {
      // A new allocation per call: a pointer kept from an earlier call would be a
      // use-after-free.
      const std::string* copy = new std::string(buf);
      size_t consumed = 0;
      const ParseStatus status = parser.Parse(*copy, &argv, &consumed);
      Check(consumed <= copy->size(), "consumed past the end of the buffer");
      if (status == ParseStatus::kError) {
        Check(argv.empty(), "argv set on error");
        Check(parser.error().rfind("Protocol error: ", 0) == 0, "error without prefix");
        out.failed = true;
        out.error = parser.error();
        // Errors are sticky.
        Check(parser.Parse(*copy, &argv, &consumed) == ParseStatus::kError, "error not sticky");
        delete copy;
        return out;
      }
      if (status == ParseStatus::kIncomplete) {
        Check(argv.empty(), "argv set on incomplete");
        if (parser.bytes_needed() != 0) {
          Check(parser.bytes_needed() > copy->size(), "bytes_needed already available");
          need = parser.bytes_needed() - consumed;
        }
        delete copy;
        buf.erase(0, consumed);
        break;
      }
      Check(!argv.empty(), "complete with empty argv");
      Check(consumed > 0, "complete without consuming");
      Check(consumed >= need, "bytes_needed was not a lower bound");
      need = 0;
      std::vector<std::string> request;
      for (std::string_view arg : argv) {
        const bool in_buffer =
            arg.data() >= copy->data() && arg.data() + arg.size() <= copy->data() + consumed;
        Check(in_buffer || arg.size() <= limits.max_inline_bytes, "argv outside the request");
        request.emplace_back(arg);
      }
      out.requests.push_back(std::move(request));
      delete copy;
      buf.erase(0, consumed);
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

// Runs the three feeding patterns under one set of limits and requires them to agree.
void CheckAgreement(std::string_view input, uint64_t h, const ParserLimits& limits) {
  const size_t size = input.size();
  const Outcome whole = Drive(input, {size}, limits);

  const size_t cut = size == 0 ? 0 : h % (size + 1);
  const Outcome split = Drive(input, {cut, size}, limits);
  if (!(split == whole)) Die("whole and split inputs disagree");

  // Tiny chunks for small inputs; bounded call counts for large ones.
  const size_t chunk = 1 + (h >> 32) % (size <= 512 ? 7 : size / 64);
  std::vector<size_t> ends;
  for (size_t at = chunk; at < size; at += chunk) ends.push_back(at);
  ends.push_back(size);
  const Outcome chunked = Drive(input, ends, limits);
  if (!(chunked == whole)) Die("whole and chunked inputs disagree");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const uint64_t h = Hash(data, size);

  // The server's defaults, then small limits (picked by the hash) so that every limit check
  // and the line-length windows are reached by short inputs too.
  CheckAgreement(input, h, ParserLimits{});
  constexpr uint64_t kInline[] = {4, 8, 13, 24};
  constexpr uint64_t kBulk[] = {0, 3, 5, 100};
  constexpr uint64_t kArgs[] = {1, 2, 3, 1000};
  ParserLimits small;
  small.max_inline_bytes = kInline[(h >> 8) & 3];
  small.max_bulk_bytes = kBulk[(h >> 10) & 3];
  small.max_multibulk_len = kArgs[(h >> 12) & 3];
  CheckAgreement(input, h >> 16, small);
  return 0;
}
