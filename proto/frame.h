// Replication frames: how one applied write's effect is encoded, in the log store, in the
// replication stream and (later) in the memory backlog.
//
// A frame is one RESP value, so a replica decodes it with ordinary RESP tools:
//
//   *2\r\n:<offset>\r\n<argv>              the write ran in database 0
//   *3\r\n:<offset>\r\n:<db>\r\n<argv>     the write ran in database <db> (1..)
//
// where <argv> is a RESP array of bulk strings (the effect, e.g. SET k v PXAT 1700000000000)
// and <offset> is the write's position in the node's history (u64, one per frame). The
// database is part of every frame (not a separate SELECT frame) so a reader can start at
// any offset without knowing what came before.
//
// Decoding distinguishes a frame cut short (kIncomplete: read more) from bytes that can
// never become a frame (kCorrupt: drop the link, or stop recovery naming the file).
// The split is exact: kIncomplete means some continuation of buf is a valid frame, and
// every byte that rules that out is reported as kCorrupt as soon as it is seen.
//
// Only the canonical encoding decodes, so a frame has exactly one byte form and re-encoding
// a decoded frame gives back the same bytes: numbers are plain decimal (no sign, no '+', no
// leading zeros), db 0 always uses the two-element form, argv has at least one element.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::proto {

// Appends the frame for (offset, db, argv) to out. argv must not be empty and db must be
// >= 0 (checked: anything else is a bug in the caller). Cost: a few appends, no allocation
// beyond out's own growth.
void EncodeFrame(uint64_t offset, int db, std::span<const std::string_view> argv, std::string* out);

struct Frame {
  uint64_t offset = 0;
  int db = 0;
  std::vector<std::string_view> argv;  // views into the decoded buffer
  size_t size = 0;                     // bytes the frame occupies
};

enum class FrameStatus { kOk, kIncomplete, kCorrupt };

// Decodes the frame at the start of buf (bytes after the frame are ignored). kOk fills
// *frame (argv views into buf; the vector's capacity is reused across calls). kCorrupt
// sets *error to what is wrong. After kIncomplete or kCorrupt *frame is unspecified.
// Limits: at most max_args arguments, each at most max_arg_bytes (frames come from our own
// disk or a trusted primary, but a torn or corrupt file must not make us allocate without
// bound); a count or length above its limit is kCorrupt. Never reads outside buf.
FrameStatus DecodeFrame(std::string_view buf, Frame* frame, std::string* error,
                        size_t max_args = 1u << 24, size_t max_arg_bytes = 1ull << 32);

}  // namespace tidekv::proto
