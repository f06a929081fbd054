#include "trace/format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "common/check.h"
#include "common/coding.h"
#include "common/crc32c.h"
#include "common/strings.h"

namespace tidekv::trace {
namespace {

// Reader block size: large enough that a read(2) per block is cheap, small enough that a
// file larger than memory streams.
constexpr size_t kBlockBytes = size_t{1} << 20;
// A header body lists a handful of options; a larger length is damage, not a header, and
// must not make the reader buffer the whole file looking for its end.
constexpr uint32_t kMaxHeaderBodyBytes = 1u << 20;
// magic, version, body length; the body and a u32 crc follow.
constexpr size_t kHeaderPrefixBytes = 8 + 4 + 4;
// u32 length, u32 crc; the payload follows.
constexpr size_t kRecordPrefixBytes = 4 + 4;
// type, id, connection, mono_ns, wall_us, db.
constexpr size_t kPayloadFixedBytes = 1 + 8 + 8 + 8 + 8 + 4;

constexpr std::string_view kConfigPrefix = "config.";

// Reads little-endian fields front to back from a payload whose CRC already matched. Each
// Take* returns false, taking nothing, when the payload does not hold what it asks for.
class PayloadReader {
 public:
  explicit PayloadReader(std::string_view bytes) : rest_(bytes) {}

  bool TakeU8(uint8_t* v) {
    if (rest_.empty()) return false;
    *v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return true;
  }
  bool TakeU32(uint32_t* v) {
    if (rest_.size() < 4) return false;
    *v = DecodeFixed32(rest_.data());
    rest_.remove_prefix(4);
    return true;
  }
  bool TakeU64(uint64_t* v) {
    if (rest_.size() < 8) return false;
    *v = DecodeFixed64(rest_.data());
    rest_.remove_prefix(8);
    return true;
  }
  // A u32 length, then that many bytes.
  bool TakeBytes(std::string* v) {
    uint32_t n = 0;
    if (!TakeU32(&n) || rest_.size() < n) return false;
    v->assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return true;
  }
  size_t remaining() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

// Why a header did not decode, so that Reader can pick a status code while DecodeHeader
// only reports text.
enum class HeaderProblem { kNone, kIncomplete, kNotTrace, kVersion, kDamaged };

HeaderProblem ParseHeaderBody(std::string_view body, Header* header, std::string* error) {
  bool have_server_version = false;
  bool have_unix_ms = false;
  bool have_mono_ns = false;
  bool have_empty = false;
  auto fail = [&](std::string why) {
    *error = "malformed trace header: " + std::move(why);
    return HeaderProblem::kDamaged;
  };
  size_t line_number = 0;
  while (!body.empty()) {
    line_number++;
    const size_t end = body.find('\n');
    if (end == std::string_view::npos) {
      return fail("line " + std::to_string(line_number) + " is not newline-terminated");
    }
    const std::string_view line = body.substr(0, end);
    body.remove_prefix(end + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return fail("line " + std::to_string(line_number) + " is not key=value");
    }
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key.starts_with(kConfigPrefix)) {
      header->config.emplace_back(key.substr(kConfigPrefix.size()), value);
      continue;
    }
    bool* seen = nullptr;
    if (key == "server_version") {
      seen = &have_server_version;
      header->server_version = value;
    } else if (key == "start_unix_ms" || key == "start_mono_ns") {
      seen = key == "start_unix_ms" ? &have_unix_ms : &have_mono_ns;
      const std::optional<int64_t> n = ParseInt64(value);
      if (!n) return fail(std::string(key) + " is not an integer: '" + std::string(value) + "'");
      (key == "start_unix_ms" ? header->start_unix_ms : header->start_mono_ns) = *n;
    } else if (key == "empty_at_start") {
      seen = &have_empty;
      if (value != "0" && value != "1") {
        return fail("empty_at_start must be 0 or 1, not '" + std::string(value) + "'");
      }
      header->empty_at_start = value == "1";
    } else {
      continue;  // a key from a later writer of this version: not needed to replay
    }
    if (*seen) return fail(std::string(key) + " appears twice");
    *seen = true;
  }
  for (auto [seen, key] :
       {std::pair{have_server_version, "server_version"}, std::pair{have_unix_ms, "start_unix_ms"},
        std::pair{have_mono_ns, "start_mono_ns"}, std::pair{have_empty, "empty_at_start"}}) {
    if (!seen) return fail(std::string("missing ") + key);
  }
  return HeaderProblem::kNone;
}

HeaderProblem DecodeHeaderImpl(std::string_view bytes, Header* header, size_t* consumed,
                               std::string* error) {
  // The magic is checked on whatever prefix is there, so a file that is not a trace is
  // refused as such even when it is shorter than a header.
  const size_t magic_bytes = std::min(bytes.size(), kMagic.size());
  if (bytes.substr(0, magic_bytes) != kMagic.substr(0, magic_bytes)) {
    *error = "not a tidekv trace file (bad magic)";
    return HeaderProblem::kNotTrace;
  }
  if (bytes.size() < kMagic.size() + 4) return HeaderProblem::kIncomplete;
  const uint32_t version = DecodeFixed32(bytes.data() + kMagic.size());
  if (version < kMinFormatVersion || version > kFormatVersion) {
    *error = "trace format version " + std::to_string(version) +
             " is not supported; this build reads " + std::to_string(kMinFormatVersion) + " to " +
             std::to_string(kFormatVersion);
    return HeaderProblem::kVersion;
  }
  if (bytes.size() < kHeaderPrefixBytes) return HeaderProblem::kIncomplete;
  const uint32_t body_bytes = DecodeFixed32(bytes.data() + kMagic.size() + 4);
  if (body_bytes > kMaxHeaderBodyBytes) {
    *error = "malformed trace header: body of " + std::to_string(body_bytes) +
             " bytes exceeds the limit of " + std::to_string(kMaxHeaderBodyBytes);
    return HeaderProblem::kDamaged;
  }
  const size_t total = kHeaderPrefixBytes + body_bytes + 4;
  if (bytes.size() < total) return HeaderProblem::kIncomplete;
  // The CRC covers version, length and body: everything after the magic.
  const std::string_view covered = bytes.substr(kMagic.size(), 8 + body_bytes);
  if (Crc32c(covered) != DecodeFixed32(bytes.data() + kHeaderPrefixBytes + body_bytes)) {
    *error = "header checksum mismatch";
    return HeaderProblem::kDamaged;
  }
  Header decoded;
  decoded.version = version;
  const HeaderProblem problem =
      ParseHeaderBody(bytes.substr(kHeaderPrefixBytes, body_bytes), &decoded, error);
  if (problem != HeaderProblem::kNone) return problem;
  *header = std::move(decoded);
  *consumed = total;
  return HeaderProblem::kNone;
}

// Shared by EncodeRecord and EncodeCommandRecord, which must agree byte for byte.
template <typename Argv>
size_t CommandPayloadBytes(const Argv& argv, std::string_view reply) {
  size_t n = kPayloadFixedBytes + 4;
  for (const auto& arg : argv) n += 4 + arg.size();
  return n + 4 + reply.size();
}

size_t BeginRecord(RecordType type, uint64_t id, uint64_t connection, uint64_t mono_ns,
                   int64_t wall_us, uint32_t db, size_t payload_bytes, std::string* out) {
  // A record the reader would refuse is a bug in the caller (who must leave out, or cut,
  // such a command), not something to write and discover at replay time.
  TIDEKV_CHECK(payload_bytes <= kMaxRecordBytes);
  const size_t start = out->size();
  out->reserve(start + kRecordPrefixBytes + payload_bytes);
  PutFixed32(out, static_cast<uint32_t>(payload_bytes));
  PutFixed32(out, 0);  // crc, filled in by FinishRecord
  out->push_back(static_cast<char>(type));
  PutFixed64(out, id);
  PutFixed64(out, connection);
  PutFixed64(out, mono_ns);
  PutFixed64(out, static_cast<uint64_t>(wall_us));
  PutFixed32(out, db);
  return start;
}

void FinishRecord(size_t start, std::string* out, size_t payload_bytes = std::string::npos) {
  const std::string_view payload =
      std::string_view(*out).substr(start + kRecordPrefixBytes, payload_bytes);
  const uint32_t crc = Crc32c(payload);
  for (int i = 0; i < 4; i++) (*out)[start + 4 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
}

template <typename Argv>
void AppendCommandBody(const Argv& argv, std::string_view reply, std::string* out) {
  PutFixed32(out, static_cast<uint32_t>(argv.size()));
  for (const auto& arg : argv) {
    PutFixed32(out, static_cast<uint32_t>(arg.size()));
    out->append(arg.data(), arg.size());
  }
  PutFixed32(out, static_cast<uint32_t>(reply.size()));
  out->append(reply);
}

// The record types each format version has: 1 to 7 in version 1, kNested from version 2.
bool KnownType(uint8_t type, uint32_t version) {
  const RecordType last = version >= 2 ? RecordType::kNested : RecordType::kReplicated;
  return type >= static_cast<uint8_t>(RecordType::kCommand) && type <= static_cast<uint8_t>(last);
}

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

std::string_view RecordTypeName(RecordType type) {
  switch (type) {
    case RecordType::kCommand:
      return "command";
    case RecordType::kConnect:
      return "connect";
    case RecordType::kDisconnect:
      return "disconnect";
    case RecordType::kSeal:
      return "seal";
    case RecordType::kMerge:
      return "merge";
    case RecordType::kRoleChange:
      return "role_change";
    case RecordType::kReplicated:
      return "replicated";
    case RecordType::kNested:
      return "nested";
  }
  return "unknown";
}

std::string EncodeHeader(const Header& header) {
  auto plain = [](std::string_view s) { return s.find('\n') == std::string_view::npos; };
  TIDEKV_CHECK(plain(header.server_version));
  std::string body;
  body += "server_version=" + header.server_version + "\n";
  body += "start_unix_ms=" + std::to_string(header.start_unix_ms) + "\n";
  body += "start_mono_ns=" + std::to_string(header.start_mono_ns) + "\n";
  body += header.empty_at_start ? "empty_at_start=1\n" : "empty_at_start=0\n";
  for (const auto& [key, value] : header.config) {
    TIDEKV_CHECK(plain(key) && key.find('=') == std::string::npos && plain(value));
    body.append(kConfigPrefix).append(key).append("=").append(value).append("\n");
  }
  TIDEKV_CHECK(body.size() <= kMaxHeaderBodyBytes);

  std::string out(kMagic);
  PutFixed32(&out, header.version);
  PutFixed32(&out, static_cast<uint32_t>(body.size()));
  out += body;
  PutFixed32(&out, Crc32c(std::string_view(out).substr(kMagic.size())));
  return out;
}

void EncodeRecord(const Record& record, std::string* out) {
  if (CarriesCommand(record.type)) {
    const size_t start =
        BeginRecord(record.type, record.id, record.connection, record.mono_ns, record.wall_us,
                    record.db, CommandPayloadBytes(record.argv, record.reply), out);
    AppendCommandBody(record.argv, record.reply, out);
    FinishRecord(start, out);
    return;
  }
  const size_t start =
      BeginRecord(record.type, record.id, record.connection, record.mono_ns, record.wall_us,
                  record.db, kPayloadFixedBytes + 4 + record.detail.size(), out);
  PutFixed32(out, static_cast<uint32_t>(record.detail.size()));
  out->append(record.detail);
  FinishRecord(start, out);
}

void EncodeCommandRecord(RecordType type, uint64_t id, uint64_t connection, uint64_t mono_ns,
                         int64_t wall_us, uint32_t db, const std::vector<std::string_view>& argv,
                         std::string_view reply, std::string* out, bool with_crc) {
  TIDEKV_CHECK(CarriesCommand(type));
  const size_t start = BeginRecord(type, id, connection, mono_ns, wall_us, db,
                                   CommandPayloadBytes(argv, reply), out);
  AppendCommandBody(argv, reply, out);
  if (with_crc) FinishRecord(start, out);
}

void SealRecords(std::string* buf) {
  size_t pos = 0;
  while (pos + kRecordPrefixBytes <= buf->size()) {
    const uint32_t n = DecodeFixed32(buf->data() + pos);
    TIDEKV_CHECK(pos + kRecordPrefixBytes + n <= buf->size());
    FinishRecord(pos, buf, n);
    pos += kRecordPrefixBytes + n;
  }
}

DecodeStatus DecodeHeader(std::string_view bytes, Header* header, size_t* consumed,
                          std::string* error) {
  switch (DecodeHeaderImpl(bytes, header, consumed, error)) {
    case HeaderProblem::kNone:
      return DecodeStatus::kOk;
    case HeaderProblem::kIncomplete:
      return DecodeStatus::kIncomplete;
    case HeaderProblem::kNotTrace:
    case HeaderProblem::kVersion:
    case HeaderProblem::kDamaged:
      break;
  }
  return DecodeStatus::kCorrupt;
}

DecodeStatus DecodeRecord(std::string_view bytes, Record* record, size_t* consumed,
                          std::string* error, uint32_t version) {
  if (bytes.size() < 4) return DecodeStatus::kIncomplete;
  const uint32_t n = DecodeFixed32(bytes.data());
  // Before kIncomplete: a damaged length must be reported, not waited for.
  if (n > kMaxRecordBytes) {
    *error = "length " + std::to_string(n) + " exceeds the limit of " +
             std::to_string(kMaxRecordBytes) + " bytes";
    return DecodeStatus::kCorrupt;
  }
  if (bytes.size() < kRecordPrefixBytes + n) return DecodeStatus::kIncomplete;
  const std::string_view payload = bytes.substr(kRecordPrefixBytes, n);
  const uint32_t stored_crc = DecodeFixed32(bytes.data() + 4);
  if (Crc32c(payload) != stored_crc) {
    *error = "checksum mismatch";
    return DecodeStatus::kCorrupt;
  }
  if (n < kPayloadFixedBytes) {
    *error = "payload of " + std::to_string(n) + " bytes is shorter than the " +
             std::to_string(kPayloadFixedBytes) + "-byte fixed part";
    return DecodeStatus::kCorrupt;
  }

  PayloadReader in(payload);
  uint8_t type = 0;
  uint64_t wall_us = 0;
  const bool fixed = in.TakeU8(&type) && in.TakeU64(&record->id) &&
                     in.TakeU64(&record->connection) && in.TakeU64(&record->mono_ns) &&
                     in.TakeU64(&wall_us) && in.TakeU32(&record->db);
  TIDEKV_CHECK(fixed);  // n >= kPayloadFixedBytes was checked above
  if (!KnownType(type, version)) {
    *error = KnownType(type, kFormatVersion)
                 ? "record type " + std::to_string(type) + " (" +
                       std::string(RecordTypeName(static_cast<RecordType>(type))) +
                       ") does not exist in format version " + std::to_string(version)
                 : "unknown record type " + std::to_string(type);
    return DecodeStatus::kCorrupt;
  }
  record->type = static_cast<RecordType>(type);
  record->wall_us = static_cast<int64_t>(wall_us);

  if (CarriesCommand(record->type)) {
    record->detail.clear();
    uint32_t argc = 0;
    // Every argument takes at least its 4-byte length, so a count past that is damage
    // (checked before sizing argv from it).
    if (!in.TakeU32(&argc) || argc > in.remaining() / 4) {
      *error = "argument count does not fit in the payload";
      return DecodeStatus::kCorrupt;
    }
    record->argv.resize(argc);
    for (uint32_t i = 0; i < argc; i++) {
      if (!in.TakeBytes(&record->argv[i])) {
        *error = "argument " + std::to_string(i) + " runs past the end of the payload";
        return DecodeStatus::kCorrupt;
      }
    }
    if (!in.TakeBytes(&record->reply)) {
      *error = "reply runs past the end of the payload";
      return DecodeStatus::kCorrupt;
    }
  } else {
    record->argv.clear();
    record->reply.clear();
    if (!in.TakeBytes(&record->detail)) {
      *error = "detail runs past the end of the payload";
      return DecodeStatus::kCorrupt;
    }
  }
  if (in.remaining() != 0) {
    *error = "payload has " + std::to_string(in.remaining()) + " trailing bytes";
    return DecodeStatus::kCorrupt;
  }
  *consumed = kRecordPrefixBytes + n;
  return DecodeStatus::kOk;
}

// ---- Reader ----

struct Reader::File {
  int fd = -1;
  ~File() {
    if (fd >= 0) ::close(fd);
  }
};

Reader::~Reader() = default;

Result<std::unique_ptr<Reader>> Reader::Open(const std::string& path) {
  std::unique_ptr<Reader> reader(new Reader());
  reader->path_ = path;
  reader->file_ = std::make_unique<File>();
  reader->file_->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (reader->file_->fd < 0) {
    return Status::IOError(path + ": cannot open trace file: " + ErrnoText());
  }
  while (true) {
    size_t consumed = 0;
    std::string error;
    switch (DecodeHeaderImpl(reader->buffer_, &reader->header_, &consumed, &error)) {
      case HeaderProblem::kNone:
        reader->pos_ = consumed;
        return reader;
      case HeaderProblem::kNotTrace:
      case HeaderProblem::kVersion:
        return Status::InvalidArgument(path + ": " + error);
      case HeaderProblem::kDamaged:
        return Status::Corruption(path + ": " + error);
      case HeaderProblem::kIncomplete:
        break;
    }
    if (reader->eof_) return Status::Corruption(path + ": empty or truncated trace header");
    if (Status s = reader->ReadBlock(); !s.ok()) return s;
  }
}

Status Reader::ReadBlock() {
  // Drop what has been decoded so the buffer holds at most one record plus a block.
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    offset_ += pos_;
    pos_ = 0;
  }
  const size_t old_size = buffer_.size();
  buffer_.resize(old_size + kBlockBytes);
  ssize_t got;
  do {
    got = ::read(file_->fd, buffer_.data() + old_size, kBlockBytes);
  } while (got < 0 && errno == EINTR);
  if (got < 0) {
    const std::string why = ErrnoText();
    buffer_.resize(old_size);
    return Status::IOError(path_ + ": cannot read trace file at byte " +
                           std::to_string(offset_ + old_size) + ": " + why);
  }
  buffer_.resize(old_size + static_cast<size_t>(got));
  if (got == 0) eof_ = true;
  return Status::Ok();
}

Result<bool> Reader::Next(Record* record) {
  if (!error_.ok()) return error_;
  while (true) {
    size_t consumed = 0;
    std::string why;
    const std::string_view rest = std::string_view(buffer_).substr(pos_);
    switch (DecodeRecord(rest, record, &consumed, &why, header_.version)) {
      case DecodeStatus::kOk:
        pos_ += consumed;
        records_read_++;
        return true;
      case DecodeStatus::kCorrupt:
        error_ = Status::Corruption(path_ + ": record " + std::to_string(records_read_) +
                                    " at byte " + std::to_string(offset_ + pos_) + ": " + why);
        return error_;
      case DecodeStatus::kIncomplete:
        break;
    }
    if (eof_) {
      // Whatever is left is the start of a record the writer never finished.
      torn_bytes_ = rest.size();
      torn_tail_ = torn_bytes_ > 0;
      return false;
    }
    if (Status s = ReadBlock(); !s.ok()) return s;
  }
}

// ---- Writer ----

Writer::~Writer() {
  if (fd_ >= 0) ::close(fd_);
}

Status CheckReplaceable(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    if (errno == ELOOP) {
      return Status::InvalidArgument(path +
                                     " is a symbolic link: a trace is never written "
                                     "through one");
    }
    return Status::IOError(path + ": cannot open: " + ErrnoText());
  }
  struct stat st {};
  char magic[8] = {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const ssize_t n = regular ? ::pread(fd, magic, sizeof magic, 0) : -1;
  ::close(fd);
  const bool trace = n == 0 || (n == static_cast<ssize_t>(sizeof magic) &&
                                std::string_view(magic, sizeof magic) == kMagic);
  if (!regular || !trace) {
    return Status::InvalidArgument(path +
                                   " exists and is not a trace file: tidekv does not overwrite it");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Writer>> Writer::Create(const std::string& path, const Header& header) {
  std::unique_ptr<Writer> writer(new Writer());
  writer->path_ = path;
  if (Status s = CheckReplaceable(path); !s.ok()) return s;
  // Owner-only: a trace holds every argument clients sent, passwords (AUTH) included. Never
  // through a symbolic link, which could point anywhere.
  writer->fd_ = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (writer->fd_ < 0) {
    return Status::IOError(path + ": cannot create trace file: " + ErrnoText());
  }
  if (Status s = writer->Append(EncodeHeader(header)); !s.ok()) return s;
  return writer;
}

Status Writer::Append(std::string_view records) {
  if (!error_.ok()) return error_;
  while (!records.empty()) {
    const ssize_t n = ::write(fd_, records.data(), records.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // write(2) returning 0 for a non-empty regular-file write means no space was made.
      const std::string why = n < 0 ? ErrnoText() : "no bytes written";
      // The file now ends inside a record: later appends would land after a torn record
      // in the middle of the file, which readers must call corruption. Refuse them.
      error_ = Status::IOError(path_ + ": cannot write trace file at byte " +
                               std::to_string(bytes_) + ": " + why);
      return error_;
    }
    records.remove_prefix(static_cast<size_t>(n));
    bytes_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status Writer::Flush() {
  // Append hands every byte to the kernel before it returns, so there is nothing to push
  // out; the file survives a crash of the process (not of the machine: no fdatasync).
  return error_;
}

}  // namespace tidekv::trace
