#include "server/replication.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "common/crc32c.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/strings.h"
#include "persistence/persistence.h"
#include "proto/resp.h"
#include "server/connection.h"
#include "server/replica_link.h"
#include "server/server.h"
#include "server/signal.h"
#include "trace/format.h"

namespace tidekv::server {

namespace fs = std::filesystem;

namespace {

constexpr size_t kShipChunk = 64 * 1024;      // bulk chunk of a shipped batch file
constexpr size_t kShipRead = 4 * kShipChunk;  // bytes read from a batch file per write
constexpr size_t kStreamPiece = 256 * 1024;   // frames handed to a replica's socket at once

std::string HostOf(std::string_view addr) {
  const size_t colon = addr.rfind(':');
  return std::string(colon == std::string_view::npos ? addr : addr.substr(0, colon));
}

}  // namespace

struct Replication::Stream {
  Stream(std::shared_ptr<Connection> c, const asio::any_io_executor& executor)
      : connection(std::move(c)), wake(executor) {}
  std::shared_ptr<Connection> connection;
  std::string slot_id;
  std::string addr;
  uint64_t cursor = 0;
  bool closed = false;
  bool ship_pinned = false;
  Signal wake;
};

Replication::Replication(Server& server, Persistence& persistence)
    : server_(server),
      engine_(server.engine()),
      persistence_(persistence),
      backlog_(static_cast<uint64_t>(server.config().backlog_bytes)) {}

Replication::~Replication() {
  *alive_ = false;
  Stop();
}

const std::string& Replication::replid() const { return persistence_.identity().replid; }

Status Replication::NewReplid(bool keep_previous) {
  ReplicationIdentity id = persistence_.identity();
  if (keep_previous && !id.replid.empty()) {
    id.replid2 = id.replid;
    id.second_offset = persistence_.next_offset();
  } else {
    id.replid2.clear();
    id.second_offset = 0;
  }
  id.replid = RandomHex(20);
  return persistence_.SaveIdentity(id);
}

void Replication::Start() {
  auto log = ModuleLogger("replication");
  const config::Config& config = server_.config();
  const ReplicationIdentity& id = persistence_.identity();
  if (config.replicaof.empty()) {
    // The replicas of the last run get their slots back (and so the log they need) for the
    // reconnect window: a restart of the primary resumes them partially.
    slots_.Restore(persistence_.restored_replica_slots(), engine_.clock().NowMs());
    persistence_.set_retain_from(slots_.Watermark(UINT64_MAX));
    // A primary whose last run did not stop cleanly (or that keeps no log) may have lost
    // the tail of its history: continuing it under the same id could hand replicas that
    // saw the lost frames different frames at the same offsets. A new id, with the old one
    // valid up to what survived, keeps partial resyncs for every replica that is not ahead.
    const bool fresh = id.replid.empty();
    if (fresh || !id.clean_stop || persistence_.spill()) {
      if (Status s = NewReplid(!fresh); !s.ok()) {
        log->error("cannot store the replication id: {}", s.message());
      }
      if (!fresh) {
        log->info("new replication id {} (previous {} valid up to offset {}): {}", replid(),
                  persistence_.identity().replid2, persistence_.identity().second_offset,
                  persistence_.spill() ? "spill mode keeps no log" : "the last stop was unclean");
      }
    }
  } else {
    const size_t colon = config.replicaof.rfind(':');
    const auto port = ParseInt64(std::string_view(config.replicaof).substr(colon + 1));
    if (Status s = ReplicaOf(config.replicaof.substr(0, colon), port.value_or(0)); !s.ok()) {
      log->error("replicaof {}: {}", config.replicaof, s.message());
    }
  }
}

void Replication::Stop() {
  stopped_ = true;
  // The clean stop commits the slots as they are now, not as the last cron tick saw them.
  if (!is_replica()) persistence_.set_replica_slots(slots_.Encode(), false);
  if (link_ != nullptr) {
    link_->Stop();
    link_.reset();
  }
  CloseStreams("server stopping");
  CheckWaiters(engine_.clock().NowMs());  // stopped_: releases every WAIT
}

void Replication::CloseStreams(std::string_view reason) {
  auto streams = streams_;
  for (auto& stream : streams) {
    stream->closed = true;
    stream->connection->Close(reason);
    stream->wake.Notify();
  }
}

void Replication::SetRole(bool replica) {
  engine_.keyspace().set_replica_mode(replica);
  persistence_.set_replica(replica);
  if (engine_.recorder() != nullptr) {
    engine_.TraceEvent(trace::RecordType::kRoleChange, 0,
                       replica ? fmt::format("role=replica primary={}:{} replid={}", primary_host_,
                                             primary_port_, replid())
                               : fmt::format("role=primary replid={}", replid()));
  }
}

Status Replication::ReplicaOf(const std::string& host, int64_t port) {
  if (host.empty() || port <= 0 || port > 65535) {
    return Status::InvalidArgument("invalid primary address");
  }
  auto log = ModuleLogger("replication");
  if (link_ != nullptr) {
    link_->Stop();
    link_.reset();
  }
  const bool was_primary = !is_replica();
  primary_host_ = host;
  primary_port_ = port;
  server_.config().replicaof = fmt::format("{}:{}", host, port);
  SetRole(true);
  set_link_up(false);
  // Replicas of this node follow it through the change of primary: they reconnect and
  // resume against whatever history this node ends up with.
  CloseStreams("the node became a replica");
  log->info("{} replica of {}:{}", was_primary ? "becoming a" : "re-pointing this", host, port);
  link_ = std::make_shared<ReplicaLink>(*this, host, port);
  link_->Start();
  return Status::Ok();
}

Status Replication::Promote() {
  auto log = ModuleLogger("replication");
  if (!is_replica()) return Status::Ok();
  if (link_ != nullptr) {
    link_->Stop();
    link_.reset();
  }
  primary_host_.clear();
  primary_port_ = 0;
  server_.config().replicaof.clear();
  SetRole(false);
  set_link_up(false);
  Status s = NewReplid(/*keep_previous=*/true);
  // The old primary and the other replicas continue the old history from about here: keep
  // the log this node has for them for the reconnect window (retention_bytes still bounds it).
  if (logstore::LogStore* store = persistence_.store()) {
    persistence_.HoldLogFrom(store->FirstOffset(),
                             engine_.clock().NowMs() + server_.config().reconnect_window_ms);
  }
  log->info("promoted to primary: replication id {} (previous {} valid up to offset {})", replid(),
            persistence_.identity().replid2, persistence_.identity().second_offset);
  CloseStreams("the node was promoted");
  return s;
}

void Replication::AdoptReplid(const std::string& id, bool keep_previous) {
  ReplicationIdentity identity = persistence_.identity();
  if (identity.replid == id) return;
  if (keep_previous && !identity.replid.empty()) {
    identity.replid2 = identity.replid;
    identity.second_offset = persistence_.next_offset();
  } else {
    identity.replid2.clear();
    identity.second_offset = 0;
  }
  identity.replid = id;
  if (Status s = persistence_.SaveIdentity(identity); !s.ok()) {
    ModuleLogger("replication")->error("cannot store the replication id: {}", s.message());
  }
  // Replicas of this replica must learn the new id: they reconnect.
  CloseStreams("the replication id changed");
}

void Replication::set_link_up(bool up) {
  if (link_up_ && !up) link_down_since_ms_ = engine_.clock().NowMs();
  link_up_ = up;
}

bool Replication::AllowWrite(const Session& session, std::string* why) const {
  const config::Config& config = server_.config();
  if (is_replica()) {
    if (config.replica_read_only) {
      *why = "READONLY You can't write against a read only replica.";
      return false;
    }
    return true;
  }
  if (config.min_replicas_to_write > 0 &&
      slots_.Healthy(engine_.clock().NowMs(), config.min_replicas_max_lag_ms) <
          static_cast<size_t>(config.min_replicas_to_write)) {
    *why = "NOREPLICAS Not enough good replicas to write.";
    return false;
  }
  return true;
}

bool Replication::AllowStale(std::string* why) const {
  if (!is_replica() || link_up_ || server_.config().serve_stale_data) return true;
  if (link_ != nullptr && link_->syncing()) {
    *why = "LOADING this replica is receiving a full sync from its primary";
  } else {
    *why = "MASTERDOWN Link with MASTER is down and replication.serve_stale_data is set to 'no'.";
  }
  return false;
}

// ---- primary side ---------------------------------------------------------------------------

void Replication::ActivateBacklog() {
  if (backlog_active_) return;
  backlog_active_ = true;
  backlog_.SetBudget(static_cast<uint64_t>(server_.config().backlog_bytes));
  persistence_.set_backlog(&backlog_, [this] { OnFramesPushed(); });
}

void Replication::OnFramesPushed() {
  if (wake_posted_ || streams_.empty()) return;
  wake_posted_ = true;
  // One wake-up per loop iteration, after the handlers that produced the frames.
  std::weak_ptr<bool> alive = alive_;
  asio::post(server_.io(), [this, alive] {
    if (!alive.lock() || !*alive.lock()) return;
    wake_posted_ = false;
    for (auto& stream : streams_) stream->wake.Notify();
  });
}

asio::awaitable<void> Replication::ServeReplica(std::shared_ptr<Connection> connection) {
  auto log = ModuleLogger("replication");
  Session& session = connection->session();
  const std::string wanted_id = session.psync_replid;
  const int64_t wanted = session.psync_offset;
  const ReplicationIdentity& id = persistence_.identity();
  const uint64_t next = persistence_.next_offset();
  auto& socket = connection->socket();
  boost::system::error_code ec;

  const bool same_history = wanted >= 0 && ((wanted_id == id.replid) ||
                                            (!id.replid2.empty() && wanted_id == id.replid2 &&
                                             static_cast<uint64_t>(wanted) <= id.second_offset));
  if (same_history && static_cast<uint64_t>(wanted) > next) {
    stats_.sync_partial_err++;
    log->warn(
        "replica {} asked for offset {} of history {}, but this node is only at {}: "
        "closing the link",
        session.addr, wanted, wanted_id, next);
    const std::string reply =
        fmt::format("-ERR offset {} is in the future of this node's history (next offset {})\r\n",
                    wanted, next);
    co_await asio::async_write(socket, asio::buffer(reply),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  ActivateBacklog();
  bool partial = false;
  bool from_disk = false;
  if (same_history) {
    const auto offset = static_cast<uint64_t>(wanted);
    logstore::LogStore* store = persistence_.store();
    if (offset >= backlog_.first_offset()) {
      partial = true;
    } else if (!persistence_.spill() && store != nullptr && offset >= store->FirstOffset()) {
      partial = true;
      from_disk = true;
    }
  }
  if (!partial && wanted_id != "?") stats_.sync_partial_err++;

  auto stream = std::make_shared<Stream>(connection, socket.get_executor());
  stream->addr = session.addr;
  stream->slot_id = fmt::format("{}:{}", HostOf(session.addr), session.replica_listening_port);
  const int64_t now = engine_.clock().NowMs();
  streams_.push_back(stream);
  auto forget = [this, stream] {
    streams_.erase(std::remove(streams_.begin(), streams_.end(), stream), streams_.end());
  };
  uint64_t start = next;
  if (partial) {
    start = static_cast<uint64_t>(wanted);
    stats_.sync_partial_ok++;
    if (from_disk) stats_.sync_partial_from_disk++;
    slots_.Attach(stream->slot_id, session.addr, session.replica_listening_port, start, now);
    log->info("replica {} resumes at offset {} ({}; {} frames behind)", stream->slot_id, start,
              from_disk ? "from the log store" : "from the memory backlog", next - start);
    const std::string reply = fmt::format("+CONTINUE {}\r\n", id.replid);
    co_await asio::async_write(socket, asio::buffer(reply),
                               asio::redirect_error(asio::use_awaitable, ec));
  } else {
    stats_.sync_full++;
    // Hold the log from here on for this replica while the snapshot ships.
    slots_.Attach(stream->slot_id, session.addr, session.replica_listening_port, next, now);
    persistence_.set_retain_from(slots_.Watermark(UINT64_MAX));
    log->info("replica {} needs a full sync (asked for {} {})", stream->slot_id, wanted_id, wanted);
  }
  // Acks (and the end of the connection) are read beside the stream.
  asio::co_spawn(server_.io(), ReadAcks(stream), asio::detached);
  bool ok = !ec;
  if (ok && !partial) ok = co_await ShipSnapshot(stream, &start);
  if (ok) {
    stream->cursor = start;
    if (replication::Slot* slot = slots_.Find(stream->slot_id)) slot->sent = start;
    co_await StreamFrames(stream);
  }
  if (stream->ship_pinned) {
    stream->ship_pinned = false;
    persistence_.EndShip();
  }
  stream->closed = true;
  connection->Close("replica stream ended");
  slots_.Detach(stream->slot_id, engine_.clock().NowMs());
  forget();
  log->info("replica {} disconnected (sent up to offset {})", stream->slot_id, stream->cursor);
}

asio::awaitable<void> Replication::ReadAcks(std::shared_ptr<Stream> stream) {
  auto& socket = stream->connection->socket();
  proto::RequestParser parser(proto::ParserLimits{});
  std::string in;
  std::vector<std::string_view> argv;
  char buf[4096];
  while (!stream->closed) {
    boost::system::error_code ec;
    size_t n = co_await socket.async_read_some(asio::buffer(buf),
                                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec || n == 0) break;
    in.append(buf, n);
    size_t pos = 0;
    bool acked = false;
    for (;;) {
      size_t consumed = 0;
      auto status = parser.Parse(std::string_view(in).substr(pos), &argv, &consumed);
      pos += consumed;
      if (status == proto::ParseStatus::kError) {
        stream->closed = true;
        break;
      }
      if (status != proto::ParseStatus::kComplete) break;
      // REPLCONF ACK <applied> [FACK <durable>]
      if ((argv.size() == 3 || argv.size() == 5) && EqualsIgnoreCase(argv[0], "REPLCONF") &&
          EqualsIgnoreCase(argv[1], "ACK")) {
        const auto offset = ParseUint64(argv[2]);
        const auto durable = argv.size() == 5 && EqualsIgnoreCase(argv[3], "FACK")
                                 ? ParseUint64(argv[4])
                                 : std::optional<uint64_t>();
        // A replica acknowledges frames it received from us: an offset past our own history,
        // or a durable offset past the applied one, is a lie (or a bug) and must not satisfy
        // WAIT, min_replicas_to_write or log retention.
        const uint64_t ours = persistence_.next_offset();
        if (!offset || *offset > ours || (durable && *durable > *offset)) {
          ModuleLogger("replication")
              ->warn(
                  "replica {} sent an impossible ack ({}; this node's history ends at {}): "
                  "closing its stream",
                  stream->slot_id, fmt::format("{}", fmt::join(argv, " ")).substr(0, 128), ours);
          stream->closed = true;
          break;
        }
        slots_.Ack(stream->slot_id, *offset, engine_.clock().NowMs(), durable.value_or(*offset));
        acked = true;
      }
    }
    if (stream->closed) {
      stream->connection->Close("impossible ack");
      break;
    }
    in.erase(0, pos);
    stream->connection->session().last_interaction_ms = engine_.clock().NowMs();
    if (acked) CheckWaiters(engine_.clock().NowMs());
  }
  stream->closed = true;
  stream->wake.Notify();
}

asio::awaitable<bool> Replication::ShipSnapshot(std::shared_ptr<Stream> stream, uint64_t* offset) {
  auto log = ModuleLogger("replication");
  auto& socket = stream->connection->socket();
  boost::system::error_code ec;
  const auto heartbeat = std::chrono::milliseconds(server_.config().heartbeat_ms);

  // Seal first (writes keep going meanwhile); the replica hears a PING each heartbeat.
  struct Ready {
    bool done = false;
    Status status;
    std::vector<compaction::BatchMeta> batches;
    uint64_t upper = 0;
  };
  auto ready = std::make_shared<Ready>();
  std::weak_ptr<bool> alive = alive_;
  persistence_.BeginShip([ready, stream, alive](const Status& status,
                                                std::vector<compaction::BatchMeta> batches,
                                                uint64_t upper) {
    ready->done = true;
    ready->status = status;
    ready->batches = std::move(batches);
    ready->upper = upper;
    if (alive.lock() && *alive.lock()) stream->wake.Notify();
  });
  while (!ready->done) {
    const bool woke = co_await stream->wake.Wait(heartbeat);
    if (stream->closed) break;
    if (!woke && !ready->done) {
      co_await asio::async_write(socket, asio::buffer(std::string_view("+PING\r\n")),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
  }
  if (!ready->done) {
    // The replica left before the seal finished; the pin comes with the callback.
    co_return false;
  }
  if (ready->status.ok()) stream->ship_pinned = true;
  if (!ready->status.ok() || stream->closed || ec) {
    if (!ready->status.ok()) log->error("full sync: seal failed: {}", ready->status.message());
    co_return false;
  }
  const uint64_t upper = ready->upper;
  slots_.Attach(stream->slot_id, stream->addr, stream->connection->session().replica_listening_port,
                upper, engine_.clock().NowMs());
  persistence_.set_retain_from(slots_.Watermark(UINT64_MAX));
  uint64_t total = 0;
  for (const auto& b : ready->batches) total += b.bytes;
  log->info("full sync to {}: {} batches, {} bytes, snapshot offset {}", stream->slot_id,
            ready->batches.size(), total, upper);
  std::string out = fmt::format("+FULLRESYNC {} {}\r\n", replid(), upper);
  co_await asio::async_write(socket, asio::buffer(out),
                             asio::redirect_error(asio::use_awaitable, ec));
  std::string chunk(kShipRead, '\0');
  for (const compaction::BatchMeta& meta : ready->batches) {
    if (ec || stream->closed) co_return false;
    const std::string path = persistence_.BatchFilePath(meta);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      log->error("full sync: cannot open {}: {}", path, std::strerror(errno));
      co_return false;
    }
    std::error_code size_ec;
    const uint64_t bytes = fs::file_size(path, size_ec);
    out = fmt::format("+BATCH {} {} {} {} {}\r\n", meta.FileName(), bytes, meta.lower, meta.upper,
                      meta.level);
    uint64_t sent = 0;
    uint32_t crc = 0;
    bool failed = size_ec.operator bool();
    while (!failed && sent < bytes) {
      // The file is read here on the loop, a few 64 KiB pieces per socket write: batch
      // files were just written, so this is a page-cache copy.
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kShipRead, bytes - sent));
      const ssize_t got = ::pread(fd, chunk.data(), want, static_cast<off_t>(sent));
      if (got <= 0) {
        log->error("full sync: cannot read {}: {}", path,
                   got == 0 ? "file shorter than its size" : std::strerror(errno));
        failed = true;
        break;
      }
      const std::string_view piece(chunk.data(), static_cast<size_t>(got));
      crc = Crc32c(piece, crc);
      for (size_t at = 0; at < piece.size(); at += kShipChunk) {
        const std::string_view part = piece.substr(at, kShipChunk);
        out += fmt::format("${}\r\n", part.size());
        out.append(part);
        out += "\r\n";
      }
      sent += static_cast<uint64_t>(got);
      co_await asio::async_write(socket, asio::buffer(out),
                                 asio::redirect_error(asio::use_awaitable, ec));
      out.clear();
      if (ec || stream->closed) {
        failed = true;
        break;
      }
    }
    if (!failed) {
      // (For an empty file this also carries the +BATCH line.)
      out += fmt::format("+CRC32C {}\r\n", crc);
      co_await asio::async_write(socket, asio::buffer(out),
                                 asio::redirect_error(asio::use_awaitable, ec));
      out.clear();
    }
    ::close(fd);
    if (failed || ec) co_return false;
  }
  out = fmt::format("+SNAPSHOT_END {}\r\n", upper);
  co_await asio::async_write(socket, asio::buffer(out),
                             asio::redirect_error(asio::use_awaitable, ec));
  stream->ship_pinned = false;
  persistence_.EndShip();
  *offset = upper;
  co_return !ec;
}

asio::awaitable<bool> Replication::StreamFrames(std::shared_ptr<Stream> stream) {
  auto log = ModuleLogger("replication");
  auto& socket = stream->connection->socket();
  std::string out;
  while (!stream->closed && !stopped_) {
    const config::Config& config = server_.config();
    const size_t piece =
        std::min<size_t>(kStreamPiece, static_cast<size_t>(config.replica_output_limit));
    out.clear();
    uint64_t next = stream->cursor;
    logstore::LogStore* store = persistence_.store();
    if (stream->cursor >= backlog_.first_offset()) {
      if (backlog_.FramesFrom(stream->cursor, piece, &out, &next) ==
          replication::Source::Read::kFuture) {
        log->error("replica {} is at offset {} past this node's history ({}): closing",
                   stream->slot_id, stream->cursor, backlog_.next_offset());
        co_return false;
      }
    } else {
      // Older than the memory backlog: read the log store, a piece at a time.
      if (persistence_.spill() || store == nullptr || store->FirstOffset() > stream->cursor) {
        log->warn(
            "replica {} at offset {} is behind what this node keeps (log from {}): it "
            "must resync",
            stream->slot_id, stream->cursor, store ? store->FirstOffset() : 0);
        co_return false;
      }
      auto reader = store->ReadFrom(stream->cursor);
      if (!reader.ok()) {
        log->warn("replica {}: reading the log at {} failed: {}", stream->slot_id, stream->cursor,
                  reader.status().message());
        co_return false;
      }
      while (out.size() < piece && next < backlog_.first_offset()) {
        auto frame = reader.value()->Next();
        if (!frame.ok()) {
          log->error("replica {}: {}", stream->slot_id, frame.status().message());
          co_return false;
        }
        if (!frame->has_value()) break;
        out.append(**frame);
        next++;
      }
      stats_.frames_sent_from_disk += next - stream->cursor;
    }
    boost::system::error_code ec;
    if (out.empty()) {
      // Caught up: wait for new frames, or say we are alive.
      const bool woke = co_await stream->wake.Wait(std::chrono::milliseconds(config.heartbeat_ms));
      if (!woke && !stream->closed) {
        co_await asio::async_write(socket, asio::buffer(std::string_view("+PING\r\n")),
                                   asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return false;
      }
      continue;
    }
    co_await asio::async_write(socket, asio::buffer(out),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    server_.net_stats().output_bytes += out.size();
    stream->cursor = next;
    if (replication::Slot* slot = slots_.Find(stream->slot_id)) slot->sent = next;
  }
  co_return true;
}

// ---- WAIT -----------------------------------------------------------------------------------

void Replication::Wait(Session& session, int64_t numreplicas, int64_t timeout_ms,
                       proto::ReplyBuilder& reply) {
  const uint64_t target = session.write_count > 0 ? session.last_write_offset + 1 : 0;
  const size_t acked = slots_.AckedAtLeast(target);
  if (numreplicas <= 0 || acked >= static_cast<size_t>(numreplicas) || session.deny_blocking) {
    reply.Integer(static_cast<int64_t>(acked));
    return;
  }
  session.blocked = true;
  const int64_t now = engine_.clock().NowMs();
  Waiter waiter{session.id, target, numreplicas, timeout_ms > 0 ? now + timeout_ms : 0, nullptr};
  if (timeout_ms > 0) {
    waiter.timer =
        std::make_shared<asio::steady_timer>(server_.io(), std::chrono::milliseconds(timeout_ms));
    std::weak_ptr<bool> alive = alive_;
    waiter.timer->async_wait([this, alive](const boost::system::error_code& ec) {
      if (!ec && alive.lock() && *alive.lock()) CheckWaiters(engine_.clock().NowMs());
    });
  }
  waiters_.push_back(std::move(waiter));
}

void Replication::CheckWaiters(int64_t now_ms) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    const size_t acked = slots_.AckedAtLeast(it->target);
    const bool expired = it->deadline_ms != 0 && now_ms >= it->deadline_ms;
    const bool gone = server_.FindClient(it->session_id) == nullptr;
    if (gone || acked >= static_cast<size_t>(it->needed) || expired || stopped_) {
      // A pending timer would keep the loop (and so shutdown) waiting for it.
      if (it->timer) it->timer->cancel();
      server_.Unblock(it->session_id, [acked](proto::ReplyBuilder& reply) {
        reply.Integer(static_cast<int64_t>(acked));
      });
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

// ---- cron, ROLE, INFO -------------------------------------------------------------------------

void Replication::Cron(int64_t now_ms) {
  const config::Config& config = server_.config();
  slots_.Expire(now_ms, config.reconnect_window_ms);
  const uint64_t next = persistence_.next_offset();
  if (backlog_active_) {
    backlog_.SetBudget(static_cast<uint64_t>(config.backlog_bytes));
    // Redis's default backlog size: what a replica we do not know yet can resume from.
    backlog_.SetFloor(1 << 20);
    if (!slots_.slots().empty()) backlog_.DropUpTo(slots_.Watermark(next));
  }
  persistence_.set_retain_from(slots_.Watermark(UINT64_MAX));
  if (!is_replica()) {
    std::string ids;
    for (const auto& slot : slots_.slots()) ids += slot.id + " ";
    const bool changed = ids != persisted_slot_ids_;
    persisted_slot_ids_ = std::move(ids);
    persistence_.set_replica_slots(slots_.Encode(), changed);
  }
  if (!waiters_.empty()) CheckWaiters(now_ms);
}

void Replication::WriteRole(proto::ReplyBuilder& reply) const {
  if (!is_replica()) {
    reply.Array(3);
    reply.Bulk("master");
    reply.Integer(static_cast<int64_t>(persistence_.next_offset()));
    size_t connected = slots_.connected();
    reply.Array(connected);
    for (const auto& slot : slots_.slots()) {
      if (!slot.connected) continue;
      reply.Array(3);
      reply.Bulk(HostOf(slot.address));
      reply.Bulk(std::to_string(slot.listening_port));
      reply.Bulk(std::to_string(slot.acked));
    }
    return;
  }
  reply.Array(5);
  reply.Bulk("slave");
  reply.Bulk(primary_host_);
  reply.Integer(primary_port_);
  reply.Bulk(link_ != nullptr ? link_->state() : "connect");
  reply.Integer(static_cast<int64_t>(persistence_.next_offset()));
}

void Replication::AppendInfo(std::string& out) const {
  auto line = [&out](std::string_view key, const auto& value) {
    out += fmt::format("{}:{}\r\n", key, value);
  };
  const int64_t now = engine_.clock().NowMs();
  const uint64_t next = persistence_.next_offset();
  line("role", is_replica() ? "slave" : "master");
  if (is_replica()) {
    line("master_host", primary_host_);
    line("master_port", primary_port_);
    line("master_link_status", link_up_ ? "up" : "down");
    line("master_last_io_seconds_ago",
         link_ != nullptr && link_->last_io_ms() > 0 ? (now - link_->last_io_ms()) / 1000 : -1);
    line("master_sync_in_progress", link_ != nullptr && link_->syncing() ? 1 : 0);
    if (link_ != nullptr && link_->syncing()) {
      line("master_sync_total_bytes", link_->sync_total_bytes());
      line("master_sync_read_bytes", link_->sync_read_bytes());
    }
    line("slave_read_repl_offset", next);
    line("slave_repl_offset", next);
    line("slave_read_only", server_.config().replica_read_only ? 1 : 0);
    line("replica_announced", 1);
    if (!link_up_) line("master_link_down_since_seconds", (now - link_down_since_ms_) / 1000);
    line("link_state", link_ != nullptr ? link_->state() : "connect");
  }
  line("connected_slaves", slots_.connected());
  size_t i = 0;
  for (const auto& slot : slots_.slots()) {
    if (!slot.connected) continue;
    out += fmt::format("slave{}:ip={},port={},state=online,offset={},lag={},lag_frames={}\r\n", i++,
                       HostOf(slot.address), slot.listening_port, slot.acked,
                       (now - slot.ack_ms) / 1000, next > slot.acked ? next - slot.acked : 0);
  }
  const ReplicationIdentity& id = persistence_.identity();
  line("master_failover_state", "no-failover");
  line("master_replid", id.replid);
  line("master_replid2", id.replid2.empty() ? std::string(40, '0') : id.replid2);
  line("master_repl_offset", next);
  line("second_repl_offset", id.replid2.empty() ? -1 : static_cast<int64_t>(id.second_offset));
  line("repl_backlog_active", backlog_active_ ? 1 : 0);
  line("repl_backlog_size", backlog_.budget());
  line("repl_backlog_first_byte_offset", backlog_.first_offset());
  line("repl_backlog_histlen", backlog_.bytes());
  line("backlog_first_offset", backlog_.first_offset());
  line("backlog_frames", backlog_.frames());
  line("backlog_bytes", backlog_.bytes());
  logstore::LogStore* store = persistence_.store();
  line("logstore_first_offset", store != nullptr ? store->FirstOffset() : 0);
  line("logstore_bytes", store != nullptr ? store->Bytes() : 0);
  line("replica_slots", slots_.slots().size());
  line("sync_full", stats_.sync_full);
  line("sync_partial_ok", stats_.sync_partial_ok);
  line("sync_partial_from_disk", stats_.sync_partial_from_disk);
  line("sync_partial_err", stats_.sync_partial_err);
  line("frames_sent_from_disk", stats_.frames_sent_from_disk);
}

}  // namespace tidekv::server
