// WalTail: tells whether RocksDB's newest write-ahead log file ends in a torn record, before
// RocksDB opens it. With kTolerateCorruptedTailRecords RocksDB drops such a record silently
// (it is what a crash mid-write leaves), but the drop must be reported (DESIGN.md §6).
//
// RocksDB's log format: 32 KiB blocks; each physical record has a 7-byte header (crc32c u32,
// length u16, type u8) and never crosses a block; a block's last < 7 bytes are zero padding;
// a logical record is kFullType, or kFirstType [kMiddleType...] kLastType. A torn tail is a
// header cut short, a payload running past the end of the file, or a kFirst/kMiddle
// sequence that the file ends inside. Recyclable records (11-byte headers) are not used by
// the log store and are reported as "unknown" rather than guessed at.
#pragma once

#include <cstdint>
#include <string>

namespace tidekv::logstore {

struct WalTail {
  bool torn = false;
  uint64_t torn_bytes = 0;  // bytes of the incomplete record at the end
  std::string detail;       // for the log
};

// Examines the newest *.log file in dir (a RocksDB directory). No file: not torn.
WalTail InspectNewestWal(const std::string& dir);

}  // namespace tidekv::logstore
