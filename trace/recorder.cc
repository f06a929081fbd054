#include "trace/recorder.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/strings.h"

namespace tidekv::trace {

namespace fs = std::filesystem;

namespace {

constexpr size_t kHandOffBytes = 256 * 1024;  // the loop hands records over in pieces this big
constexpr auto kPollInterval = std::chrono::milliseconds(100);

}  // namespace

Result<Sample> Sample::Parse(std::string_view text) {
  Sample sample;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find(' ', pos), text.size());
    const std::string_view term = text.substr(pos, end - pos);
    pos = end + 1;
    if (term.empty()) continue;
    const size_t eq = term.find('=');
    const std::string_view kind = term.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : term.substr(eq + 1);
    if (value.empty()) return Status::InvalidArgument(fmt::format("bad filter '{}'", term));
    if (kind == "group") {
      sample.groups_.emplace_back(value);
    } else if (kind == "prefix") {
      sample.prefixes_.emplace_back(value);
    } else if (kind == "db") {
      const auto db = ParseUint64(value);
      if (!db || *db > UINT32_MAX)
        return Status::InvalidArgument(fmt::format("bad db '{}'", value));
      sample.dbs_.push_back(static_cast<uint32_t>(*db));
    } else {
      return Status::InvalidArgument(fmt::format("unknown filter '{}'", kind));
    }
  }
  return sample;
}

bool Sample::Matches(std::string_view group, uint32_t db, std::string_view key) const {
  auto any = [](const auto& values, auto&& match) {
    if (values.empty()) return true;
    for (const auto& v : values) {
      if (match(v)) return true;
    }
    return false;
  };
  return any(groups_, [&](const std::string& g) { return g == group; }) &&
         any(dbs_, [&](uint32_t d) { return d == db; }) &&
         any(prefixes_, [&](const std::string& p) { return key.substr(0, p.size()) == p; });
}

Result<std::unique_ptr<Recorder>> Recorder::Start(const RecorderOptions& options, Header header) {
  std::unique_ptr<Recorder> recorder(new Recorder(options));
  auto writer = Writer::Create(options.path, header);
  if (!writer.ok()) return writer.status();
  recorder->writer_ = std::move(writer).value();
  recorder->header_ = std::move(header);
  recorder->bytes_ = recorder->writer_->bytes();
  recorder->thread_ = std::thread([r = recorder.get()] { r->Run(); });
  return recorder;
}

Recorder::~Recorder() {
  Flush();
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Recorder::CommandRecord(RecordType type, uint64_t connection, uint32_t db, uint64_t mono_ns,
                             int64_t wall_us, const std::vector<std::string_view>& argv,
                             std::string_view reply) {
  if (stopped()) return;
  uint64_t size = 64 + reply.size();
  for (std::string_view a : argv) size += 4 + a.size();
  if (size > kMaxRecordBytes) {
    // Too large for one record (a format limit): counted as dropped.
    std::lock_guard<std::mutex> lock(mu_);
    dropped_++;
    return;
  }
  EncodeCommandRecord(type, next_id_++, connection, mono_ns, wall_us, db, argv, reply, &local_,
                      /*with_crc=*/false);
  AfterRecord();
}

void Recorder::Event(RecordType type, uint64_t connection, uint32_t db, uint64_t mono_ns,
                     int64_t wall_us, std::string_view detail) {
  if (stopped()) return;
  Record record;
  record.type = type;
  record.id = next_id_++;
  record.connection = connection;
  record.mono_ns = mono_ns;
  record.wall_us = wall_us;
  record.db = db;
  record.detail = std::string(detail);
  EncodeRecord(record, &local_);  // rare: its CRC is computed again by SealRecords, harmlessly
  AfterRecord();
}

void Recorder::AfterRecord() {
  local_records_++;
  if (local_.size() >= kHandOffBytes) Flush();
}

void Recorder::Flush() {
  if (local_.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() + local_.size() > options_.queue_bytes) {
      dropped_ += local_records_;  // the writer is behind: drop rather than wait
    } else if (queue_.empty()) {
      queue_.swap(local_);
    } else {
      queue_.append(local_);
    }
  }
  wake_.notify_one();
  local_.clear();
  local_records_ = 0;
}

RecorderStats Recorder::stats() const {
  RecorderStats s;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s.dropped = dropped_;
  }
  s.records = records_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.rotations = rotations_.load(std::memory_order_relaxed);
  s.stopped = stopped();
  if (s.stopped) s.error = error_;
  return s;
}

Status Recorder::Rotate() {
  writer_.reset();
  // The rename replaces <path>.1: only when that is an earlier trace, never another file.
  if (Status s = CheckReplaceable(options_.path + ".1"); !s.ok()) return s;
  std::error_code ec;
  fs::rename(options_.path, options_.path + ".1", ec);
  if (ec) return Status::IOError(fmt::format("rotate {}: {}", options_.path, ec.message()));
  Header next = header_;
  next.empty_at_start = false;  // the rotated file continues a running server's traffic
  auto writer = Writer::Create(options_.path, next);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(writer).value();
  rotations_++;
  return Status::Ok();
}

void Recorder::Run() {
  std::string batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, kPollInterval, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty() && !closing_) continue;
      if (queue_.empty() && closing_) break;
      batch.swap(queue_);
      queue_.clear();
    }
    if (stopped()) continue;  // keep draining so the loop never blocks
    SealRecords(&batch);
    // Count and write whole records, rotating between them at max_bytes.
    size_t pos = 0;
    while (pos < batch.size()) {
      size_t end = pos;
      uint64_t count = 0;
      while (end < batch.size()) {
        uint32_t n = 0;
        std::memcpy(&n, batch.data() + end, 4);  // little-endian hosts only (x86-64, arm64)
        const size_t size = 8 + static_cast<size_t>(n);
        if (writer_->bytes() + (end - pos) + size > options_.max_bytes && count > 0) break;
        end += size;
        count++;
      }
      Status s = writer_->Append(std::string_view(batch).substr(pos, end - pos));
      if (!s.ok()) {
        error_ = s.message();
        stopped_ = true;
        break;
      }
      records_ += count;
      pos = end;
      if (pos < batch.size() || writer_->bytes() >= options_.max_bytes) {
        if (!options_.rotate) {
          error_ = fmt::format("{} reached trace.max_bytes ({} bytes)", options_.path,
                               options_.max_bytes);
          stopped_ = true;
          break;
        }
        if (Status r = Rotate(); !r.ok()) {
          error_ = r.message();
          stopped_ = true;
          break;
        }
      }
      bytes_ = writer_->bytes();
    }
    bytes_ = writer_ != nullptr ? writer_->bytes() : 0;
    batch.clear();
    if (batch.capacity() > (16u << 20)) std::string().swap(batch);
  }
  if (writer_ != nullptr) (void)writer_->Flush();
}

}  // namespace tidekv::trace
