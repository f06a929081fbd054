// Trace file format (DESIGN.md §7, docs/trace.md): what tidekv records when tracing is on,
// and the only code that reads or writes those bytes.
//
// A file is a header, then records, all integers little-endian:
//
//   header:  "TIDETRC1" (8 bytes)  u32 format version  u32 n  <n bytes of body>  u32 crc
//            body = key=value lines ("\n"-terminated): server_version, start_unix_ms,
//            start_mono_ns, empty_at_start (0|1), then "config.<key>=<value>" for every
//            option that changes what commands do (databases, ...). crc = CRC32C(version,
//            n, body).
//   record:  u32 n  u32 crc  <n bytes of payload>            crc = CRC32C(payload)
//            payload = u8 type, u64 id, u64 connection, u64 mono_ns, i64 wall_us, u32 db,
//            then by type:
//              kCommand, kNested:  u32 argc, argc x (u32 len, bytes), u32 reply len, reply bytes
//              other:              u32 len, detail bytes (text: "addr=1.2.3.4:5", "upper=77", ...)
//
// Versions: 1 has record types 1-7; 2 adds kNested (8). Writers write kFormatVersion; this
// build reads kMinFormatVersion..kFormatVersion and refuses any other version, so a reader
// that predates a record type refuses the whole file by its version instead of calling the
// new records damage. A record type that does not exist in the file's version is corruption.
//
// Reading: a wrong magic or an unknown version is refused with a message saying which; a
// record cut short at the end of the file (a torn tail: the writer died mid-record) ends
// the read cleanly, and Reader says how many records it read and that the tail was torn; a
// record whose checksum or layout is wrong anywhere is Corruption naming its index and byte
// offset. Limits keep a damaged length from allocating without bound.
//
// Encoding is canonical: a record that decodes re-encodes to exactly the bytes it came from
// (unused fields are empty: argv/reply for lifecycle records, detail for commands), and any
// prefix of a valid record is kIncomplete, never kCorrupt, which is what lets a torn tail
// be told apart from damage. Record types this build does not know are corruption, not
// skipped: a reader that skipped them would replay a different history.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace tidekv::trace {

inline constexpr std::string_view kMagic{"TIDETRC1", 8};
inline constexpr uint32_t kFormatVersion = 2;          // what this build writes
inline constexpr uint32_t kMinFormatVersion = 1;       // the oldest version it reads
inline constexpr uint32_t kMaxRecordBytes = 1u << 30;  // larger lengths are corruption

enum class RecordType : uint8_t {
  kCommand = 1,     // argv + reply of one executed command
  kConnect = 2,     // detail: "addr=<ip:port>"
  kDisconnect = 3,  // detail: "reason=<text>"
  kSeal = 4,        // detail: "lower=<n> upper=<n> keys=<n>"
  kMerge = 5,       // detail: "lower=<n> upper=<n> level=<n>"
  kRoleChange = 6,  // detail: "role=primary|replica primary=<host:port> replid=<id>"
  kReplicated = 7,  // frames applied from a primary: detail "from=<offset> to=<offset>"
  // (version 2) argv + reply of a command that EXEC or a script (EVAL, EVALSHA, FCALL...)
  // ran for a client: written as it completes, so a group's nested records come before the
  // record of the command that ran them.
  kNested = 8,
};

// Whether records of this type carry argv and reply (kCommand, kNested) rather than detail.
inline bool CarriesCommand(RecordType type) {
  return type == RecordType::kCommand || type == RecordType::kNested;
}

// Name for --dump output ("command", "nested", "connect", ...); "unknown" for other values.
std::string_view RecordTypeName(RecordType type);

struct Header {
  uint32_t version = kFormatVersion;
  std::string server_version;
  int64_t start_unix_ms = 0;
  int64_t start_mono_ns = 0;
  bool empty_at_start = true;  // the server held no keys when tracing began
  std::vector<std::pair<std::string, std::string>> config;  // semantic options, in order
  bool operator==(const Header&) const = default;
};

struct Record {
  RecordType type = RecordType::kCommand;
  uint64_t id = 0;          // increasing within a file
  uint64_t connection = 0;  // client id (0: the server itself)
  uint64_t mono_ns = 0;     // monotonic clock at start
  int64_t wall_us = 0;      // wall clock (Unix us) at start: the engine's "now"
  uint32_t db = 0;
  std::vector<std::string> argv;  // kCommand, kNested
  std::string reply;              // kCommand, kNested: the reply bytes as sent (RESP)
  std::string detail;             // other types
  bool operator==(const Record&) const = default;
};

// Writes header.version as given (readers refuse versions they do not read). Keys and
// values must not contain '\n', config keys not '=' either (CHECKed: options are names and
// numbers).
std::string EncodeHeader(const Header& header);
// Appends one record's bytes to *out. `argv` views let the recorder encode without first
// building a Record (the loop only copies bytes); both give identical bytes. `type` must
// carry a command (CarriesCommand, CHECKed). The payload must fit in kMaxRecordBytes
// (CHECKed): the recorder leaves out, or cuts, larger commands.
void EncodeRecord(const Record& record, std::string* out);
void EncodeCommandRecord(RecordType type, uint64_t id, uint64_t connection, uint64_t mono_ns,
                         int64_t wall_us, uint32_t db, const std::vector<std::string_view>& argv,
                         std::string_view reply, std::string* out, bool with_crc = true);
// Fills in the CRC of every whole record in buf, which must hold whole records encoded with
// with_crc = false: the recorder leaves checksums to its writer thread.
void SealRecords(std::string* buf);

enum class DecodeStatus { kOk, kIncomplete, kCorrupt };

// Decodes the header at the start of bytes. kIncomplete when bytes end inside it.
// kCorrupt (with *error) for a wrong magic ("not a tidekv trace file ..."), an unknown
// version ("trace format version N is not supported; this build reads 1 to 2"), a bad checksum,
// a body length over 1 MiB or a malformed body. *header and *consumed are set only on kOk.
DecodeStatus DecodeHeader(std::string_view bytes, Header* header, size_t* consumed,
                          std::string* error);
// Decodes one record at the start of bytes, of a file of format `version`; *consumed is
// its size. A length field above kMaxRecordBytes is kCorrupt at once (not waited for), and
// so is a type the version does not have. On kIncomplete or kCorrupt, *record may be partly
// overwritten; *consumed is set only on kOk.
DecodeStatus DecodeRecord(std::string_view bytes, Record* record, size_t* consumed,
                          std::string* error, uint32_t version = kFormatVersion);

// Streams a trace file, reading it in blocks (files may be larger than memory): it holds
// at most one block plus the record being decoded. One thread at a time.
class Reader {
 public:
  // Opens and reads the header. Errors name the file and say what is wrong: IOError when it
  // cannot be read, InvalidArgument when it is not a trace file or a version this build does
  // not read, Corruption for an empty, truncated or damaged header.
  static Result<std::unique_ptr<Reader>> Open(const std::string& path);
  ~Reader();

  const Header& header() const { return header_; }
  // Next record: true with *record filled, false at the end (clean, or a torn tail).
  // Corruption (bad CRC, impossible lengths) is an error naming the record index (0-based,
  // = records_read()) and byte offset: "<path>: record 3 at byte 1234: checksum mismatch".
  // It is sticky: later calls return it again.
  Result<bool> Next(Record* record);
  uint64_t records_read() const { return records_read_; }
  bool torn_tail() const { return torn_tail_; }
  uint64_t torn_bytes() const { return torn_bytes_; }  // bytes ignored at the end

 private:
  Reader() = default;
  Status ReadBlock();  // appends up to one block to buffer_, dropping decoded bytes first
  struct File;
  std::unique_ptr<File> file_;
  std::string path_;
  Header header_;
  std::string buffer_;
  size_t pos_ = 0;
  uint64_t offset_ = 0;  // file offset of buffer_[0]
  bool eof_ = false;
  uint64_t records_read_ = 0;
  bool torn_tail_ = false;
  uint64_t torn_bytes_ = 0;
  Status error_;  // the first corruption Next reported
};

// Appends to a trace file (the collector thread's side; one thread at a time). Unbuffered:
// each Append is written with write(2) before it returns. After a failed write the file
// may end inside a record, so every later Append and Flush returns that first error
// instead of writing after it. Errors name the path and the errno text.
// Whether a trace may be written at path (a new trace, or a rotation onto it): it does not
// exist, or it is an empty regular file or a trace file, and it is not a symbolic link.
// Anything else was not created by tidekv and is never overwritten (InvalidArgument).
Status CheckReplaceable(const std::string& path);

class Writer {
 public:
  // Creates (truncates) path and writes the header.
  static Result<std::unique_ptr<Writer>> Create(const std::string& path, const Header& header);
  ~Writer();
  // Appends already-encoded records.
  Status Append(std::string_view records);
  // Appends hold nothing back, so this only reports an earlier write error; no fdatasync
  // (the file survives the process dying, not the machine).
  Status Flush();
  uint64_t bytes() const { return bytes_; }  // written so far, header included

 private:
  Writer() = default;
  int fd_ = -1;
  std::string path_;
  uint64_t bytes_ = 0;
  Status error_;  // the first write error; sticky
};

}  // namespace tidekv::trace
