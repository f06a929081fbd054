#include "server/replica_link.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "common/crc32c.h"
#include "common/logging.h"
#include "common/strings.h"
#include "persistence/persistence.h"
#include "proto/frame.h"
#include "server/replication.h"
#include "server/server.h"
#include "trace/format.h"

namespace tidekv::server {

using engine::CommandFlag;
using engine::CommandSpec;
using engine::HasFlag;
using persistence::StagedBatch;

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxLine = 64 * 1024;
constexpr size_t kMaxShipChunk = 64 * 1024;
constexpr size_t kReadSize = 64 * 1024;
constexpr int64_t kMaxBackoffMs = 5000;
// How often a link whose frames are held (CLIENT PAUSE, a busy script) looks again.
constexpr std::chrono::milliseconds kHoldPoll{10};

// Offsets count frames: no real history comes near 2^62, and staying far below 2^64 keeps
// every offset + count computation from wrapping, whatever a primary claims.
constexpr uint64_t kMaxOffset = uint64_t{1} << 62;

// A history id is 40 hex characters (docs/replication.md): anything else is refused before
// it could be stored.
bool ValidReplid(std::string_view id) {
  return id.size() == 40 && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c)) != 0;
         });
}

// A shipped batch is named like the primary's own files: letters, digits, '-', '_', '.',
// never a path (no '/', no "..").
bool ValidBatchName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' ||
                  c == '.';
         });
}

// Bytes free for an unprivileged writer on the filesystem holding dir (0 when unknown).
uint64_t FreeBytes(const std::string& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < line.size()) {
    const size_t end = std::min(line.find(' ', pos), line.size());
    if (end > pos) words.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return words;
}

}  // namespace

ReplicaLink::ReplicaLink(Replication& replication, std::string host, int64_t port)
    : replication_(replication),
      host_(std::move(host)),
      port_(port),
      socket_(replication.server().io()),
      backoff_(replication.server().io()),
      watchdog_(replication.server().io()),
      hold_timer_(replication.server().io()),
      applier_(replication.server().engine(), "replication") {
  applier_.session().name = "primary-link";
}

ReplicaLink::~ReplicaLink() = default;

void ReplicaLink::Start() {
  asio::co_spawn(replication_.server().io(), Run(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      ModuleLogger("replication")->error("replica link failed: {}", ex.what());
    }
  });
}

void ReplicaLink::Stop() {
  stopped_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
  backoff_.cancel();
  watchdog_.cancel();
  hold_timer_.cancel();
}

asio::awaitable<void> ReplicaLink::Run() {
  auto self = shared_from_this();
  auto log = ModuleLogger("replication");
  int64_t delay_ms = 100;
  while (!stopped_) {
    std::string why;
    co_await Connect(&why);
    const bool was_synced = std::string_view(state_) == "connected";
    boost::system::error_code ec;
    socket_.close(ec);
    watchdog_.cancel();
    syncing_ = false;
    replication_.set_link_up(false);
    state_ = "connect";
    if (stopped_) break;
    if (was_synced) delay_ms = 100;
    log->warn("link to primary {}:{} down: {}; retrying in {} ms", host_, port_, why, delay_ms);
    backoff_.expires_after(std::chrono::milliseconds(delay_ms));
    co_await backoff_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    delay_ms = std::min(delay_ms * 2, kMaxBackoffMs);
  }
}

asio::awaitable<void> ReplicaLink::Watchdog() {
  auto self = shared_from_this();
  const config::Config& config = replication_.server().config();
  const Clock& clock = replication_.server().engine().clock();
  while (!stopped_ && socket_.is_open()) {
    watchdog_.expires_after(std::chrono::milliseconds(250));
    boost::system::error_code ec;
    co_await watchdog_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec || stopped_) break;
    const int64_t timeout = std::max<int64_t>(5000, 10 * config.heartbeat_ms);
    if (clock.NowMs() - last_io_ms_ > timeout) {
      ModuleLogger("replication")
          ->warn("no data from primary {}:{} for {} ms: closing the link", host_, port_, timeout);
      socket_.close(ec);
      break;
    }
  }
}

asio::awaitable<bool> ReplicaLink::Fill() {
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > 0 && in_pos_ >= in_.size() / 2) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
  const size_t old = in_.size();
  in_.resize(old + kReadSize);
  boost::system::error_code ec;
  const size_t n = co_await socket_.async_read_some(asio::buffer(in_.data() + old, kReadSize),
                                                    asio::redirect_error(asio::use_awaitable, ec));
  in_.resize(old + (ec ? 0 : n));
  if (ec || n == 0) co_return false;
  last_io_ms_ = replication_.server().engine().clock().NowMs();
  replication_.server().net_stats().input_bytes += n;
  co_return true;
}

asio::awaitable<bool> ReplicaLink::ReadLine(std::string* line) {
  for (;;) {
    const size_t end = in_.find("\r\n", in_pos_);
    if (end != std::string::npos) {
      line->assign(in_, in_pos_, end - in_pos_);
      in_pos_ = end + 2;
      co_return true;
    }
    if (in_.size() - in_pos_ > kMaxLine) co_return false;
    if (!co_await Fill()) co_return false;
  }
}

// Commands are encoded outside the coroutines: GCC 12 miscompiles braced lists whose
// lifetime spans a co_await ("array used as initializer").
std::string ReplicaLink::Encode(std::initializer_list<std::string_view> argv) {
  std::string out = fmt::format("*{}\r\n", argv.size());
  for (std::string_view a : argv) {
    out += fmt::format("${}\r\n", a.size());
    out.append(a);
    out += "\r\n";
  }
  return out;
}

asio::awaitable<bool> ReplicaLink::Send(std::string out) {
  boost::system::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(out),
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

asio::awaitable<bool> ReplicaLink::Command(std::string command, std::string* reply) {
  if (!co_await Send(std::move(command))) co_return false;
  const bool ok = co_await ReadLine(reply);
  co_return ok;
}

asio::awaitable<void> ReplicaLink::Connect(std::string* why) {
  auto log = ModuleLogger("replication");
  Replication& repl = replication_;
  const config::Config& config = repl.server().config();
  state_ = "connecting";
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(repl.server().io());
  auto endpoints = co_await resolver.async_resolve(host_, std::to_string(port_),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    *why = fmt::format("cannot resolve {}: {}", host_, ec.message());
    co_return;
  }
  socket_ = asio::ip::tcp::socket(repl.server().io());
  co_await asio::async_connect(socket_, endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec || stopped_) {
    *why = fmt::format("cannot connect: {}", ec.message());
    co_return;
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  in_.clear();
  in_pos_ = 0;
  last_io_ms_ = repl.server().engine().clock().NowMs();
  asio::co_spawn(repl.server().io(), Watchdog(), asio::detached);
  state_ = "handshake";
  log->info("connected to primary {}:{}, handshaking", host_, port_);

  std::string reply;
  if (!config.primary_auth.empty()) {
    std::string cmd = Encode({"AUTH", config.primary_auth});
    if (!co_await Command(std::move(cmd), &reply)) {
      *why = "connection lost during AUTH";
      co_return;
    }
    if (reply != "+OK") {
      *why = fmt::format("AUTH refused by the primary: {} (check replication.primary_auth)",
                         reply.substr(std::min<size_t>(1, reply.size())));
      co_return;
    }
  }
  std::string cmd = Encode({"PING"});
  if (!co_await Command(std::move(cmd), &reply)) {
    *why = "connection lost during PING";
    co_return;
  }
  if (reply.rfind("-NOAUTH", 0) == 0) {
    *why = "the primary requires a password: set replication.primary_auth";
    co_return;
  }
  if (!reply.empty() && reply[0] == '-') {
    *why = fmt::format("PING refused: {}", reply.substr(1));
    co_return;
  }
  const std::string my_port = std::to_string(repl.server().port());
  cmd = Encode({"REPLCONF", "listening-port", my_port});
  if (!co_await Command(std::move(cmd), &reply) || reply != "+OK") {
    *why = fmt::format("REPLCONF listening-port refused: {}", reply);
    co_return;
  }
  cmd = Encode({"REPLCONF", "capa", "psync2"});
  if (!co_await Command(std::move(cmd), &reply)) {
    *why = "connection lost during REPLCONF capa";
    co_return;
  }
  const ReplicationIdentity& id = repl.persistence().identity();
  const std::string offset = std::to_string(repl.persistence().next_offset());
  const bool fresh = id.replid.empty();
  log->info("asking primary {}:{} to continue history {} at offset {}", host_, port_,
            fresh ? "?" : id.replid, fresh ? "-1" : offset);
  cmd = Encode({"PSYNC", fresh ? std::string_view("?") : std::string_view(id.replid),
                fresh ? std::string_view("-1") : std::string_view(offset)});
  if (!co_await Send(std::move(cmd))) {
    *why = "connection lost during PSYNC";
    co_return;
  }
  do {
    if (!co_await ReadLine(&reply)) {
      *why = "connection lost waiting for the PSYNC reply";
      co_return;
    }
  } while (reply == "+PING");
  if (reply.rfind("+CONTINUE", 0) == 0) {
    const auto words = Words(reply);
    if (words.size() > 2 || (words.size() == 2 && !ValidReplid(words[1]))) {
      *why = fmt::format("malformed reply: {}", reply.substr(0, 128));
      co_return;
    }
    if (words.size() == 2 && words[1] != id.replid) {
      // The primary continues our history under a new id (it was promoted): adopt it,
      // keeping ours as the previous one for our own replicas.
      repl.AdoptReplid(std::string(words[1]), /*keep_previous=*/true);
    }
    log->info("primary {}:{} continues from offset {} (partial resync)", host_, port_, offset);
  } else if (reply.rfind("+FULLRESYNC", 0) == 0) {
    state_ = "sync";
    if (!co_await ReceiveSnapshot(reply, why)) co_return;
  } else {
    *why = fmt::format("PSYNC refused: {}", reply);
    co_return;
  }
  state_ = "connected";
  repl.set_link_up(true);
  co_await Stream(why);
}

asio::awaitable<bool> ReplicaLink::ReceiveSnapshot(std::string_view header, std::string* why) {
  auto log = ModuleLogger("replication");
  Persistence& persistence = replication_.persistence();
  const auto words = Words(header);
  const auto offset = words.size() == 3 ? ParseUint64(words[2]) : std::nullopt;
  if (!offset || *offset > kMaxOffset || !ValidReplid(words[1])) {
    *why = fmt::format("malformed reply: {}", header.substr(0, 128));
    co_return false;
  }
  const std::string replid(words[1]);
  log->info("full sync from {}:{}: history {} at offset {}", host_, port_, replid, *offset);
  const std::string staging = persistence.staging_dir();
  std::error_code fs_ec;
  fs::remove_all(staging, fs_ec);
  fs::create_directories(staging, fs_ec);
  if (fs_ec) {
    *why = fmt::format("cannot create {}: {}", staging, fs_ec.message());
    co_return false;
  }
  // A full sync that does not complete leaves nothing behind: what was received is not
  // this node's data until InstallSnapshot commits it.
  struct StagingCleanup {
    std::string dir;
    bool keep = false;
    ~StagingCleanup() {
      std::error_code ec;
      if (!keep) fs::remove_all(dir, ec);
    }
  } cleanup{staging};
  syncing_ = true;
  sync_total_bytes_ = 0;
  sync_read_bytes_ = 0;
  const int64_t start_ms = replication_.server().engine().clock().NowMs();
  std::vector<StagedBatch> staged;
  std::string line;
  for (;;) {
    if (!co_await ReadLine(&line)) {
      *why = "connection lost during the full sync";
      co_return false;
    }
    if (line == "+PING") continue;
    const auto w = Words(line);
    if (!w.empty() && w[0] == "+SNAPSHOT_END") {
      if (w.size() != 2 || ParseUint64(w[1]) != offset) {
        *why = fmt::format("snapshot ended at the wrong offset: {}", line);
        co_return false;
      }
      break;
    }
    if (w.size() != 6 || w[0] != "+BATCH") {
      *why = fmt::format("unexpected line in the full sync: {}", line.substr(0, 128));
      co_return false;
    }
    StagedBatch batch;
    // The name is copied: `line` (which w points into) is reused by every ReadLine below.
    const std::string name(w[1]);
    const auto bytes = ParseUint64(w[2]);
    const auto lower = ParseUint64(w[3]);
    const auto upper = ParseUint64(w[4]);
    const auto level = ParseUint64(w[5]);
    if (!bytes || !lower || !upper || !level || *lower > *upper || *upper > *offset ||
        *level > 64 || !ValidBatchName(name) ||
        (!staged.empty() && staged.back().meta.upper != *lower)) {
      *why = fmt::format("malformed batch header: {}", line.substr(0, 128));
      co_return false;
    }
    // Declared sizes are claims: refuse one the disk cannot hold before writing any of it.
    const uint64_t free_bytes = FreeBytes(staging);
    if (*bytes > free_bytes) {
      *why = fmt::format("batch {} of {} bytes does not fit the {} bytes free in {}", name, *bytes,
                         free_bytes, staging);
      co_return false;
    }
    batch.meta.lower = *lower;
    batch.meta.upper = *upper;
    batch.meta.level = static_cast<uint32_t>(*level);
    batch.meta.bytes = *bytes;
    batch.path = fmt::format("{}/{}", staging, name);
    sync_total_bytes_ += *bytes;
    const int fd =
        ::open(batch.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      *why = fmt::format("cannot create {}: {}", batch.path, std::strerror(errno));
      co_return false;
    }
    uint64_t remaining = *bytes;
    uint32_t crc = 0;
    bool ok = true;
    while (ok && remaining > 0) {
      std::string chunk_header;
      ok = co_await ReadLine(&chunk_header);
      const auto n = ok && !chunk_header.empty() && chunk_header[0] == '$'
                         ? ParseUint64(std::string_view(chunk_header).substr(1))
                         : std::nullopt;
      if (!n || *n == 0 || *n > kMaxShipChunk || *n > remaining) {
        *why = fmt::format("bad chunk header in {}: {}", name, chunk_header.substr(0, 64));
        ok = false;
        break;
      }
      while (ok && in_.size() - in_pos_ < *n + 2) ok = co_await Fill();
      if (!ok) {
        *why = "connection lost during the full sync";
        break;
      }
      const std::string_view data(in_.data() + in_pos_, *n);
      if (in_.compare(in_pos_ + *n, 2, "\r\n") != 0) {
        *why = fmt::format("chunk of {} not followed by CRLF", name);
        ok = false;
        break;
      }
      if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
        *why = fmt::format("cannot write {}: {}", batch.path, std::strerror(errno));
        ok = false;
        break;
      }
      crc = Crc32c(data, crc);
      in_pos_ += *n + 2;
      remaining -= *n;
      sync_read_bytes_ += *n;
    }
    if (ok && !co_await ReadLine(&line)) {
      *why = "connection lost during the full sync";
      ok = false;
    }
    if (ok && line != fmt::format("+CRC32C {}", crc)) {
      *why = fmt::format("checksum mismatch for {}: got {}, primary said {}", name, crc,
                         line.substr(0, 64));
      ok = false;
    }
    if (ok && ::fsync(fd) != 0) {
      *why = fmt::format("cannot sync {}: {}", batch.path, std::strerror(errno));
      ok = false;
    }
    ::close(fd);
    if (!ok) co_return false;
    staged.push_back(std::move(batch));
  }
  if (!staged.empty() && staged.back().meta.upper != *offset) {
    *why = fmt::format("the batches end at {} but the snapshot offset is {}",
                       staged.back().meta.upper, *offset);
    co_return false;
  }
  log->info("full sync received: {} batches, {} bytes in {} ms; installing", staged.size(),
            sync_read_bytes_, replication_.server().engine().clock().NowMs() - start_ms);

  // Install (may wait for a running seal of ours) and load.
  auto done = std::make_shared<std::optional<Status>>();
  auto wake = std::make_shared<asio::steady_timer>(replication_.server().io(),
                                                   asio::steady_timer::time_point::max());
  persistence.InstallSnapshot(std::move(staged), *offset, [done, wake](const Status& s) {
    *done = s;
    wake->cancel();
  });
  while (!done->has_value()) {
    boost::system::error_code ec;
    co_await wake->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  syncing_ = false;
  if (!(*done)->ok()) {
    *why = fmt::format("installing the full sync failed: {}", (*done)->message());
    co_return false;
  }
  cleanup.keep = true;  // InstallSnapshot moved the files out already
  replication_.AdoptReplid(replid, /*keep_previous=*/false);
  last_io_ms_ = replication_.server().engine().clock().NowMs();
  co_return true;
}

bool ReplicaLink::ApplyBuffered(std::string* why, bool* progressed) {
  Persistence& persistence = replication_.persistence();
  proto::Frame frame;
  std::string error;
  while (in_pos_ < in_.size()) {
    const char c = in_[in_pos_];
    if (c == '+' || c == '-') {
      const size_t end = in_.find("\r\n", in_pos_);
      if (end == std::string::npos) break;
      const std::string_view line(in_.data() + in_pos_, end - in_pos_);
      if (c == '-') {
        *why = fmt::format("the primary reported: {}", line.substr(1, 256));
        return false;
      }
      in_pos_ = end + 2;
      *progressed = true;  // +PING: a heartbeat to acknowledge
      continue;
    }
    const std::string_view rest(in_.data() + in_pos_, in_.size() - in_pos_);
    // The limits clients get: a primary that declares a larger argument is refused at its
    // header, before its bytes are buffered.
    const config::Config& config = replication_.server().config();
    const proto::FrameStatus status =
        proto::DecodeFrame(rest, &frame, &error, static_cast<size_t>(config.max_multibulk_len),
                           static_cast<size_t>(config.max_bulk_bytes));
    if (status == proto::FrameStatus::kIncomplete) break;
    if (status == proto::FrameStatus::kCorrupt) {
      *why = fmt::format("corrupt frame at offset {}: {}", persistence.next_offset(), error);
      return false;
    }
    // A busy script on this replica serves events from inside itself: the primary's frames
    // wait until it ends (they must not interleave with its reads). CLIENT PAUSE (WRITE or
    // ALL) on this replica holds the primary's writes too, as Redis holds its master client.
    // Stream() reads no further while held and applies them within kHoldPoll of the end.
    const Engine& engine = replication_.server().engine();
    if (engine.script_running() || engine.pause().active()) {
      held_ = true;
      break;
    }
    // Only writes are replicated: a frame carrying anything else (SHUTDOWN, CONFIG SET,
    // DEBUG, REPLICAOF...) is not run and not logged, so no restart can replay it.
    const persistence::FrameVerdict verdict = applier_.Apply(frame, persistence.next_offset());
    if (verdict != persistence::FrameVerdict::kApplied) {
      *why = persistence::FrameApplier::Describe(verdict, frame, persistence.next_offset()) +
             (verdict == persistence::FrameVerdict::kNotWrite ? ": refused" : "");
      return false;
    }
    persistence.AppendReplicated(frame.offset, rest.substr(0, frame.size));
    in_pos_ += frame.size;
    *progressed = true;
  }
  return true;
}

asio::awaitable<bool> ReplicaLink::Stream(std::string* why) {
  Persistence& persistence = replication_.persistence();
  int64_t last_ack_ms = 0;
  held_ = false;
  for (;;) {
    bool progressed = false;
    const uint64_t from = persistence.next_offset();
    const bool ok = ApplyBuffered(why, &progressed);
    Engine& engine = replication_.server().engine();
    // Held by CLIENT PAUSE, the frames (and the heartbeats behind them) wait; the primary
    // still hears the unchanged offset once per heartbeat, as Redis's replica keeps acking,
    // so its min-replicas check and lag stay right.
    const bool ack_held =
        engine.pause().active() &&
        engine.clock().NowMs() - last_ack_ms >= replication_.server().config().heartbeat_ms;
    if (engine.recorder() != nullptr && persistence.next_offset() > from) {
      engine.TraceEvent(trace::RecordType::kReplicated, 0,
                        fmt::format("from={} to={}", from, persistence.next_offset()));
    }
    if (!ok) co_return false;
    if (progressed || ack_held) {
      // Applied (for WAIT) and on disk (the primary keeps its log from there for us).
      const std::string next = std::to_string(persistence.next_offset());
      const std::string durable = std::to_string(
          persistence.spill() ? persistence.next_offset() : persistence.durable_offset());
      std::string ack = Encode({"REPLCONF", "ACK", next, "FACK", durable});
      last_ack_ms = engine.clock().NowMs();
      if (!co_await Send(std::move(ack))) {
        *why = "connection lost sending an ack";
        co_return false;
      }
    }
    if (stopped_) co_return false;
    if (held_) {
      // Held frames: read nothing more until they can apply. What the primary sends
      // meanwhile waits in the socket and then in the primary's queue for this replica (past
      // its limit the primary stops queueing and this replica reads on from the primary's
      // backlog and log), so a long pause costs no memory here.
      held_ = false;
      hold_timer_.expires_after(kHoldPoll);
      boost::system::error_code ec;
      co_await hold_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopped_ || !socket_.is_open()) co_return false;
      // Not reading is this side's choice, so the watchdog is told the link is alive, as
      // long as the primary has not hung up or failed meanwhile (poll, without reading).
      pollfd peer{.fd = socket_.native_handle(), .events = POLLRDHUP, .revents = 0};
      if (poll(&peer, 1, 0) > 0 && (peer.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
        *why = "connection closed by the primary (while its frames were held)";
        co_return false;
      }
      last_io_ms_ = engine.clock().NowMs();
      continue;
    }
    if (!co_await Fill()) {
      *why = "connection closed by the primary";
      co_return false;
    }
  }
}

}  // namespace tidekv::server
