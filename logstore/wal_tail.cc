#include "logstore/wal_tail.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace tidekv::logstore {

namespace {

constexpr size_t kBlock = 32 * 1024;
constexpr size_t kHeader = 7;
enum : uint8_t { kZero = 0, kFull = 1, kFirst = 2, kMiddle = 3, kLast = 4 };

}  // namespace

WalTail InspectNewestWal(const std::string& dir) {
  WalTail tail;
  std::error_code ec;
  std::filesystem::path newest;
  uint64_t newest_number = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = file.path().filename().string();
    if (name.size() < 5 || name.substr(name.size() - 4) != ".log") continue;
    const std::string digits = name.substr(0, name.size() - 4);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const uint64_t number = std::stoull(digits);
    if (newest.empty() || number > newest_number) {
      newest = file.path();
      newest_number = number;
    }
  }
  if (newest.empty()) return tail;
  std::ifstream in(newest, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
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
