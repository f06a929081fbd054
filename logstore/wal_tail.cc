#include "logstore/wal_tail.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

namespace tidekv::logstore {

namespace {

constexpr size_t kBlock = 32 * 1024;
constexpr size_t kHeader = 7;
enum : uint8_t { kZero = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

// The WAL files of dir, by number.
std::vector<std::pair<uint64_t, std::filesystem::path>> WalFiles(const std::string& dir) {
  std::vector<std::pair<uint64_t, std::filesystem::path>> files;
  std::error_code ec;
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = file.path().filename().string();
    if (name.size() < 5 || name.substr(name.size() - 4) != ".log") continue;
    const std::string digits = name.substr(0, name.size() - 4);
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    files.emplace_back(std::stoull(digits), file.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<char> ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Calls fn(payload) for each whole logical record of a WAL file's bytes; stops at the first
// thing that is not one (a torn or damaged tail, an unknown record type).
template <typename Fn>
void EachLogicalRecord(const std::vector<char>& bytes, Fn&& fn) {
  std::string assembling;
  bool in_fragmented = false;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t left_in_block = kBlock - pos % kBlock;
    if (left_in_block < kHeader) {
      pos += left_in_block;
      continue;
    }
    if (bytes.size() - pos < kHeader) return;
    const auto length = static_cast<size_t>(static_cast<uint8_t>(bytes[pos + 4]) |
                                            (static_cast<uint8_t>(bytes[pos + 5]) << 8));
    const auto type = static_cast<uint8_t>(bytes[pos + 6]);
    if (type == kZero && length == 0) {
      pos += left_in_block;
      continue;
    }
    if (type > kLast || pos + kHeader + length > bytes.size()) return;
    const std::string_view payload(bytes.data() + pos + kHeader, length);
    pos += kHeader + length;
    if (type == kFull) {
      if (in_fragmented) return;
      fn(payload);
    } else if (type == kFirst) {
      if (in_fragmented) return;
      assembling.assign(payload);
      in_fragmented = true;
    } else {
      if (!in_fragmented) return;
      assembling.append(payload);
      if (type == kLast) {
        in_fragmented = false;
        fn(std::string_view(assembling));
      }
    }
  }
}

bool GetVarint32(std::string_view* in, uint32_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    const auto b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

bool GetSlice(std::string_view* in, std::string_view* out) {
  uint32_t n = 0;
  if (!GetVarint32(in, &n) || n > in->size()) return false;
  *out = in->substr(0, n);
  in->remove_prefix(n);
  return true;
}

// The value of the last put of `key` in a WriteBatch (12-byte header: sequence, count; then
// tagged records), if it has one. Stops at a record type the log store never writes.
void LastPutInBatch(std::string_view batch, std::string_view key, std::optional<std::string>* out) {
  if (batch.size() < 12) return;
  batch.remove_prefix(12);
  enum : uint8_t {
    kDeletion = 0x0,
    kValue = 0x1,
    kLogData = 0x3,
    kCfDeletion = 0x4,
    kCfValue = 0x5,
    kSingleDeletion = 0x7,
    kCfSingleDeletion = 0x8,
    kNoop = 0xd,
    kCfRangeDeletion = 0xe,
    kRangeDeletion = 0xf,
  };
  while (!batch.empty()) {
    const auto tag = static_cast<uint8_t>(batch.front());
    batch.remove_prefix(1);
    uint32_t cf = 0;
    std::string_view k, v;
    switch (tag) {
      case kCfValue:
        if (!GetVarint32(&batch, &cf)) return;
        [[fallthrough]];
      case kValue:
        if (!GetSlice(&batch, &k) || !GetSlice(&batch, &v)) return;
        if (k == key) *out = std::string(v);
        break;
      case kCfDeletion:
      case kCfSingleDeletion:
        if (!GetVarint32(&batch, &cf)) return;
        [[fallthrough]];
      case kDeletion:
      case kSingleDeletion:
      case kLogData:
        if (!GetSlice(&batch, &k)) return;
        break;
      case kCfRangeDeletion:
        if (!GetVarint32(&batch, &cf)) return;
        [[fallthrough]];
      case kRangeDeletion:
        if (!GetSlice(&batch, &k) || !GetSlice(&batch, &v)) return;
        break;
      case kNoop:
        break;
      default:
        return;
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LastValuesInWals(const std::string& dir,
                                                                  std::string_view key) {
  std::vector<std::pair<std::string, std::string>> found;
  for (const auto& [number, path] : WalFiles(dir)) {
    std::optional<std::string> value;
    EachLogicalRecord(ReadAll(path),
                      [&](std::string_view batch) { LastPutInBatch(batch, key, &value); });
    if (value) found.emplace_back(path.string(), std::move(*value));
  }
  return found;
}

WalTail InspectNewestWal(const std::string& dir) {
  WalTail tail;
  const auto files = WalFiles(dir);
  if (files.empty()) return tail;
  const std::filesystem::path& newest = files.back().second;
  const std::vector<char> bytes = ReadAll(newest);
  size_t pos = 0;
  size_t record_start = 0;  // start of the logical record being assembled
  bool in_fragmented = false;
  while (pos < bytes.size()) {
    const size_t left_in_block = kBlock - pos % kBlock;
    if (left_in_block < kHeader) {
      pos += left_in_block;  // trailer padding
      continue;
    }
    if (bytes.size() - pos < kHeader) {
      // A header cut short, unless it is only zeros (preallocated, never written).
      bool zeros = true;
      for (size_t i = pos; i < bytes.size(); i++) zeros = zeros && bytes[i] == 0;
      if (!zeros) {
        tail.torn = true;
        tail.torn_bytes = bytes.size() - (in_fragmented ? record_start : pos);
        tail.detail = "a record header is cut short";
      }
      break;
    }
    const auto length = static_cast<size_t>(static_cast<uint8_t>(bytes[pos + 4]) |
                                            (static_cast<uint8_t>(bytes[pos + 5]) << 8));
    const auto type = static_cast<uint8_t>(bytes[pos + 6]);
    if (type == kZero && length == 0) {
      pos += left_in_block;  // rest of a preallocated or padded block
      continue;
    }
    if (type > kLast) {
      tail.detail = "unknown record type";  // not something this check understands
      break;
    }
    if (pos + kHeader + length > bytes.size()) {
      tail.torn = true;
      tail.torn_bytes = bytes.size() - (in_fragmented ? record_start : pos);
      tail.detail = "the last record runs past the end of the file";
      break;
    }
    if (type == kFull || type == kFirst) record_start = pos;
    in_fragmented = type == kFirst || type == kMiddle;
    pos += kHeader + length;
  }
  if (!tail.torn && in_fragmented) {
    tail.torn = true;
    tail.torn_bytes = bytes.size() - record_start;
    tail.detail = "the file ends inside a record split across blocks";
  }
  if (tail.torn) {
    tail.detail = newest.string() + ": " + tail.detail + " (" + std::to_string(tail.torn_bytes) +
                  " bytes: an incomplete write from a crash; recovery drops it)";
  }
  return tail;
}

}  // namespace tidekv::logstore
