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
#include <string_view>
#include <utility>
#include <vector>

namespace tidekv::logstore {

struct WalTail {
  bool torn = false;
  uint64_t torn_bytes = 0;  // bytes of the incomplete record at the end
  std::string detail;       // for the log
};

// Examines the newest *.log file in dir (a RocksDB directory). No file: not torn.
WalTail InspectNewestWal(const std::string& dir);

// The last value each *.log file in dir puts under `key` (in any column family), as
// {file path, value}; files that put none are left out, and so is whatever this reader does
// not understand (a batch with a record type the log store never writes, a damaged record:
// RocksDB's own open judges those). Every WAL file the log store writes carries the meta
// values (log_store.h, "Identity"), so persistence reads the directory id of each file here,
// before RocksDB replays any of them: a file from another directory is refused by name
// (RocksDB may not survive replaying it: its sequence numbers belong to another database).
std::vector<std::pair<std::string, std::string>> LastValuesInWals(const std::string& dir,
                                                                  std::string_view key);

}  // namespace tidekv::logstore
