#include "server/server.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <csignal>
#include <random>
#include <sstream>

#include "commands/commands.h"
#include "common/logging.h"
#include "common/version.h"
#include "ds/hash.h"
#include "engine/blocking.h"
#include "persistence/persistence.h"
#include "server/connection.h"
#include "server/replication.h"
#include "trace/recorder.h"
#include "types/value.h"

namespace tidekv::server {

namespace {

// Logs what ended a coroutine with an exception instead of dropping it silently.
auto LogFailure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      ModuleLogger("server")->error("{} failed: {}", what, ex.what());
    }
  };
}

}  // namespace

bool IsLoopback(const asio::ip::address& addr) {
  if (addr.is_loopback()) return true;
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).is_loopback();
  }
  return false;
}

void FitClientsToFileLimit(config::Config* config) {
  constexpr rlim_t kReserved = 64;  // listeners, log files, RocksDB, the trace file...
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(config->max_clients) + kReserved;
  if (limit.rlim_cur >= wanted) return;
  struct rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (raised.rlim_cur > limit.rlim_cur && setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    limit = raised;
  }
  if (limit.rlim_cur >= wanted) return;
  const int64_t fit =
      limit.rlim_cur > kReserved ? static_cast<int64_t>(limit.rlim_cur - kReserved) : 1;
  ModuleLogger("server")->warn(
      "open-file limit is {} (hard {}): limits.max_clients lowered from {} to {}; raise the "
      "limit (ulimit -n) to serve more clients",
      limit.rlim_cur, limit.rlim_max, config->max_clients, fit);
  config->max_clients = fit;
}

Server::Server(config::Config config, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      engine_(config_, clock_, commands::BuildCommandTable()),
      signals_(io_),
      cron_timer_(io_),
      blocked_timer_(io_),
      pause_timer_(io_) {
  engine_.set_hooks(this);
  start_ns_ = clock_.MonotonicNs();
  persistence_ = std::make_unique<Persistence>(engine_, io_, config_);
  engine_.set_effect_sink(persistence_.get());
  replication_ = std::make_unique<Replication>(*this, *persistence_);
  engine_.set_write_gate(replication_.get());
}

Status Server::Recover(bool accept_data_loss) {
  persistence_->set_accept_data_loss(accept_data_loss);
  if (Status s = persistence_->Recover(); !s.ok()) return s;
  persistence_->Start();
  return Status::Ok();
}

void Server::ExpireAfterRecovery() {
  if (!config_.replicaof.empty()) return;  // a replica waits for its primary's DELs instead
  // Recovery replays frames at time 0 (as they happened); keys whose time has passed since
  // go now, as DEL frames like any expiry. After Replication::Start: the history id it
  // settles on covers exactly what was recovered, and these DELs come after it.
  const int64_t now = clock_.NowMs();
  size_t expired = 0;
  for (int i = 0; i < engine_.keyspace().num_databases(); i++) {
    expired += engine_.keyspace().db(i).ExpireAll(now);
  }
  if (expired > 0) {
    ModuleLogger("server")->info("{} keys expired while the server was down were deleted", expired);
  }
}

void Server::Unblock(uint64_t id, const std::function<void(proto::ReplyBuilder&)>& write_reply) {
  if (Connection* c = FindClient(id)) c->Unblock(write_reply);
}

void Server::WakeBlockedAt(int64_t deadline_ms) {
  if (deadline_ms >= blocked_timer_at_) return;
  blocked_timer_at_ = deadline_ms;
  const int64_t wait_ms = std::max<int64_t>(0, deadline_ms - clock_.NowMs());
  // Setting the expiry cancels the pending wait (its handler sees operation_aborted).
  blocked_timer_.expires_after(std::chrono::milliseconds(wait_ms));
  blocked_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    blocked_timer_at_ = INT64_MAX;
    engine::BlockingRegistry& blocking = engine_.blocking();
    blocking.ExpireTimeouts(clock_.NowMs());
    if (const int64_t next = blocking.NextDeadline(); next != INT64_MAX) WakeBlockedAt(next);
  });
}

void Server::EndPauseAt(int64_t end_ms) {
  // A new pause replaces the one in effect: its deadline replaces the timer's.
  pause_timer_.expires_after(
      std::chrono::milliseconds(std::max<int64_t>(0, end_ms - clock_.NowMs())));
  pause_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    engine::ClientPause& pause = engine_.pause();
    pause.EndIfDue(clock_.NowMs());
    // The wall clock may lag the steady timer a little: look again shortly.
    if (pause.active()) EndPauseAt(pause.end_ms());
  });
}

void Server::ResumePaused(uint64_t id) {
  if (Connection* c = FindClient(id)) c->ResumeAfterPause();
}

Server::~Server() {
  // Connections reference the server; make sure none outlives it.
  for (auto& [id, c] : connections_) c->Close("server destroyed");
  connections_.clear();
  engine_.set_write_gate(nullptr);
  replication_.reset();
  engine_.set_effect_sink(nullptr);
  persistence_.reset();
}

Result<Server::Acceptors> Server::OpenListeners(const std::string& bind, uint16_t port,
                                                uint16_t* bound_port) {
  std::istringstream addresses(bind);
  std::string text;
  Acceptors acceptors;
  while (addresses >> text) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(text, ec);
    if (ec)
      return Status::InvalidArgument(fmt::format("server.bind: '{}' is not an IP address", text));
    auto acceptor = std::make_shared<asio::ip::tcp::acceptor>(io_);
    asio::ip::tcp::endpoint endpoint(address, port);
    acceptor->open(endpoint.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && address.is_v6()) acceptor->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acceptor->bind(endpoint, ec);
    if (!ec) acceptor->listen(static_cast<int>(config_.tcp_backlog), ec);
    if (ec) {
      return Status::IOError(fmt::format("cannot listen on {}:{}: {}", text, port, ec.message()));
    }
    // With port 0 the first listener picks the port and the others use the same one.
    port = acceptor->local_endpoint().port();
    acceptors.push_back(std::move(acceptor));
  }
  if (acceptors.empty()) return Status::InvalidArgument("server.bind: no address to listen on");
  *bound_port = port;
  return acceptors;
}

Status Server::Listen() {
  uint16_t port = 0;
  Result<Acceptors> acceptors =
      OpenListeners(config_.bind, static_cast<uint16_t>(config_.port), &port);
  if (!acceptors.ok()) return acceptors.status();
  acceptors_ = std::move(acceptors).value();
  port_ = port;
  // The effective value: CONFIG GET port and INFO report the port actually bound.
  config_.port = port;
  return Status::Ok();
}

Status Server::Relisten(const std::string& old_bind) {
  // A new port is opened before the old listeners close, so a port already taken leaves
  // them serving. The same port on other addresses may overlap the old ones (0.0.0.0 and
  // 127.0.0.1): those close first and come back when the new addresses fail.
  const bool same_port = static_cast<uint16_t>(config_.port) == port_;
  boost::system::error_code ec;
  if (same_port) {
    for (auto& acceptor : acceptors_) acceptor->close(ec);  // their accept loops end
    acceptors_.clear();
  }
  uint16_t port = 0;
  Result<Acceptors> opened =
      OpenListeners(config_.bind, static_cast<uint16_t>(config_.port), &port);
  if (!opened.ok()) {
    if (same_port) {
      uint16_t again = 0;
      Result<Acceptors> old = OpenListeners(old_bind, port_, &again);
      if (old.ok()) {
        acceptors_ = std::move(old).value();
        for (auto& acceptor : acceptors_) {
          asio::co_spawn(io_, Accept(acceptor), LogFailure("accept loop"));
        }
      } else {
        ModuleLogger("net")->error("cannot listen on {} port {} again: {}", old_bind, port_,
                                   old.status().message());
      }
    }
    return opened.status();
  }
  for (auto& acceptor : acceptors_) acceptor->close(ec);
  acceptors_ = std::move(opened).value();
  for (auto& acceptor : acceptors_) {
    asio::co_spawn(io_, Accept(acceptor), LogFailure("accept loop"));
  }
  ModuleLogger("net")->info("listening on {} port {} (CONFIG SET)", config_.bind, port);
  port_ = port;
  config_.port = port;
  return Status::Ok();
}

int Server::Run() {
  for (auto& acceptor : acceptors_) {
    asio::co_spawn(io_, Accept(acceptor), LogFailure("accept loop"));
  }
  asio::co_spawn(io_, Cron(), LogFailure("cron"));
  replication_->Start();
  ExpireAfterRecovery();
  UpdateTracing();
  signals_.Start([this](int signo) { Shutdown(signo == SIGINT ? "SIGINT" : "SIGTERM"); });
  RunEventLoop(io_, config_.busy_poll_us, &loop_stats_, [this] { FlushPendingSends(); });
  signals_.Stop();
  // Every client is gone: write out the last chunk and wait for the log writer.
  persistence_->Stop();
  ModuleLogger("server")->info("tidekv is now ready to exit, bye bye");
  return 0;
}

void Server::Shutdown(std::string_view reason, ShutdownSave save) {
  if (stopping_) return;
  stopping_ = true;
  ModuleLogger("server")->info("shutting down ({}), closing {} client(s)", reason,
                               connections_.size());
  persistence_->BeginStop();
  const bool seal =
      (save == ShutdownSave::kSave || (save == ShutdownSave::kDefault && !persistence_->spill())) &&
      persistence_->HasUnsealed();
  if (seal || persistence_->Busy()) SealBeforeExit(seal);
  boost::system::error_code ec;
  for (auto& acceptor : acceptors_) acceptor->close(ec);
  cron_timer_.cancel();
  blocked_timer_.cancel();
  pause_timer_.cancel();
  replication_->Stop();
  // Copy first: closing a connection can remove it from the map.
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [id, c] : connections_) all.push_back(c);
  for (auto& c : all) c->Close("server shutdown");
}

void Server::SealBeforeExit(bool seal) {
  // The loop runs (the work guard) until this seal and any running merge are committed, or
  // at most kWait: in wal mode the log holds every write anyway, the seal only spares the
  // next start a replay.
  static constexpr int kWaitMs = 30'000;
  static constexpr int kStepMs = 10;
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  auto guard = std::make_shared<Guard>(io_.get_executor());
  const int64_t started = clock_.MonotonicNs();
  auto wait_idle = std::make_shared<std::function<void(int)>>();
  *wait_idle = [this, guard, wait_idle, started](int left_ms) {
    if (!persistence_->Busy() || left_ms <= 0) {
      if (left_ms <= 0)
        ModuleLogger("server")->warn("seal or merge still running after 30 s: exiting without it");
      else
        ModuleLogger("server")->info("persistence idle before exit after {} ms",
                                     (clock_.MonotonicNs() - started) / 1'000'000);
      guard->reset();
      *wait_idle = nullptr;  // breaks the cycle
      return;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(kStepMs));
    timer->async_wait([wait_idle, timer, left_ms](const boost::system::error_code&) {
      if (*wait_idle) (*wait_idle)(left_ms - kStepMs);
    });
  };
  if (!seal) return (*wait_idle)(kWaitMs);
  persistence_->Save([wait_idle](const Status& s) {
    if (!s.ok()) ModuleLogger("server")->warn("seal before exit failed: {}", s.message());
    if (*wait_idle) (*wait_idle)(kWaitMs);
  });
}

asio::awaitable<void> Server::Accept(std::shared_ptr<asio::ip::tcp::acceptor> acceptor) {
  auto log = ModuleLogger("net");
  while (!stopping_) {
    boost::system::error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_ || ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      // Out of file descriptors and similar: say so (at most once a second), back off
      // briefly, keep serving.
      const int64_t now = clock_.MonotonicNs();
      if (now - last_accept_warning_ns_ > 1'000'000'000) {
        log->warn("accept failed: {}", ec.message());
        last_accept_warning_ns_ = now;
      }
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    net_stats_.connections_received++;
    if (!AdmitPeer(socket)) continue;
    uint64_t id = engine_.NextSessionId();
    auto connection = std::make_shared<Connection>(*this, std::move(socket), id);
    connections_.emplace(id, connection);
    if (engine_.recorder() != nullptr) {
      engine_.TraceEvent(trace::RecordType::kConnect, id, "addr=" + connection->session().addr);
    }
    asio::co_spawn(io_, connection->Run(), LogFailure("client connection"));
  }
}

bool Server::AdmitPeer(asio::ip::tcp::socket& socket) {
  auto reject = [&](std::string_view message, std::string_view why) {
    net_stats_.rejected_connections++;
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    ModuleLogger("net")->warn("rejected connection from {}: {}",
                              ec ? std::string("?") : peer.address().to_string(), why);
    // Best effort: the socket is fresh, so a short error fits in its send buffer.
    asio::write(socket, asio::buffer(message), ec);
    socket.close(ec);
    return false;
  };
  if (connections_.size() >= static_cast<size_t>(config_.max_clients)) {
    return reject("-ERR max number of clients reached\r\n", "limits.max_clients reached");
  }
  if (config_.protected_mode && config_.password.empty()) {
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    if (ec || !IsLoopback(peer.address())) {
      return reject(
          "-DENIED tidekv is running in protected mode: no password is set, so only clients "
          "on the loopback interface are accepted. To accept this client, either set a "
          "password (security.password in the config file, or CONFIG SET requirepass from a "
          "loopback client), or, if every host that can reach this port is trusted, turn "
          "protected mode off (security.protected_mode = false, or --security.protected_mode "
          "no).\r\n",
          "protected mode (no password set, non-loopback peer)");
    }
  }
  return true;
}

void Server::Remove(Connection* connection) {
  RemoveMonitor(connection->session().id);
  connections_.erase(connection->session().id);
}

Connection* Server::FindClient(uint64_t id) const {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

bool Server::AddMonitor(uint64_t id) {
  if (FindClient(id) == nullptr) return false;
  if (std::find(monitors_.begin(), monitors_.end(), id) == monitors_.end()) monitors_.push_back(id);
  return true;
}

void Server::RemoveMonitor(uint64_t id) {
  monitors_.erase(std::remove(monitors_.begin(), monitors_.end(), id), monitors_.end());
}

namespace {

engine::ClientView ViewOf(const Connection& c) {
  engine::ClientView view;
  view.session = &c.session();
  view.fd = static_cast<int>(const_cast<Connection&>(c).socket().native_handle());
  view.query_buffer_bytes = c.query_buffer_bytes();
  view.query_buffer_capacity = c.query_buffer_capacity();
  view.output_bytes = c.output_bytes();
  return view;
}

}  // namespace

void Server::ForEachClient(const std::function<void(const engine::ClientView&)>& fn) const {
  for (const auto& [id, c] : connections_) fn(ViewOf(*c));
}

std::optional<engine::ClientView> Server::Client(uint64_t id) const {
  Connection* c = FindClient(id);
  if (c == nullptr) return std::nullopt;
  return ViewOf(*c);
}

void Server::CloseClient(uint64_t id, std::string_view reason) {
  if (Connection* c = FindClient(id)) c->Close(reason);
}

void Server::ClientTotals(size_t* clients, size_t* max_input, size_t* max_output) const {
  *clients = connections_.size();
  *max_input = *max_output = 0;
  for (const auto& [id, c] : connections_) {
    *max_input = std::max(*max_input, c->query_buffer_bytes());
    *max_output = std::max(*max_output, c->output_bytes());
  }
}

void Server::AppendLoopStats(std::string& out) const {
  out += fmt::format(
      "eventloop_sleeps:{}\r\neventloop_poll_hits:{}\r\neventloop_poll_window_us:{}\r\n",
      loop_stats_.sleeps, loop_stats_.poll_hits,
      // The loop records its window when it goes idle; a busy loop may not have since a
      // CONFIG SET lowered the limit, which applies at once all the same.
      std::min<int64_t>(loop_stats_.window_us, std::max<int64_t>(0, config_.busy_poll_us)));
}

void Server::AppendReplication(std::string& out) const { replication_->AppendInfo(out); }

void Server::AppendPersistence(std::string& out) const { persistence_->AppendInfo(out); }

std::string Server::Info(std::span<const std::string_view> sections) {
  return engine::BuildInfo(engine_, sections, this);
}

engine::SnapshotControl* Server::snapshots() { return persistence_.get(); }

void Server::RequestShutdown(std::string_view reason, ShutdownSave save) {
  // After the command that asked returns, so the loop is not torn down under it.
  asio::post(io_, [this, why = std::string(reason), save] { Shutdown(why, save); });
}

void Server::FeedMonitors(const Session& session, std::span<const std::string_view> argv) {
  // +1700000000.123456 [0 127.0.0.1:51234] "set" "k" "v"
  const int64_t us = clock_.NowUs();
  std::string line = fmt::format("+{}.{:06d} [{} {}]", us / 1000000, us % 1000000, session.db,
                                 session.addr.empty() ? "internal" : session.addr);
  for (std::string_view arg : argv) {
    line += " \"";
    for (unsigned char c : arg) {
      switch (c) {
        case '\\':
          line += "\\\\";
          break;
        case '"':
          line += "\\\"";
          break;
        case '\n':
          line += "\\n";
          break;
        case '\r':
          line += "\\r";
          break;
        case '\t':
          line += "\\t";
          break;
        case '\a':
          line += "\\a";
          break;
        case '\b':
          line += "\\b";
          break;
        default:
          if (std::isprint(c)) {
            line += static_cast<char>(c);
          } else {
            line += fmt::format("\\x{:02x}", c);
          }
      }
    }
    line += '"';
  }
  line += "\r\n";
  // Copy: a monitor whose output limit is hit is removed from monitors_ while we iterate.
  const std::vector<uint64_t> targets = monitors_;
  for (uint64_t id : targets) {
    if (Connection* m = FindClient(id)) m->Send(line);
  }
}

void Server::SendToClient(uint64_t id, std::string_view bytes) {
  if (Connection* c = FindClient(id)) c->Send(bytes);
}

void Server::FlushPendingSends() {
  // Swapped out first: a write that fails closes its client, which may Send to others.
  while (!send_flushes_.empty()) {
    flushing_sends_.swap(send_flushes_);
    for (uint64_t id : flushing_sends_) {
      if (Connection* c = FindClient(id)) c->FlushSent();
    }
    flushing_sends_.clear();
  }
}

std::optional<engine::ConfigApplyError> Server::OnConfigChanged(const config::Config& before) {
  if (config_.port != before.port || config_.bind != before.bind) {
    if (Status s = Relisten(before.bind); !s.ok()) {
      ModuleLogger("net")->warn("CONFIG SET: {}", s.message());
      // Redis's words for each option.
      if (config_.port != before.port) {
        return engine::ConfigApplyError{"server.port", "Unable to listen on this port"};
      }
      return engine::ConfigApplyError{"server.bind", "Failed to bind to specified addresses."};
    }
  }
  SetLogLevel(config_.log_level);
  UpdateTracing();
  persistence_->OnConfigChanged();
  return std::nullopt;
}

Status Server::RewriteConfigFile() {
  if (config_path_.empty()) return Status::NotFound("The server is running without a config file");
  if (Status s = config::RewriteTomlFile(config_path_, config_); !s.ok()) {
    ModuleLogger("server")->warn("CONFIG REWRITE of {} failed: {}", config_path_, s.message());
    return Status::IOError("Rewriting config file: " + s.message());
  }
  ModuleLogger("server")->info("CONFIG REWRITE executed with success: {}", config_path_);
  return Status::Ok();
}

void Server::UpdateTracing() {
  auto log = ModuleLogger("trace");
  if (recorder_ != nullptr && (!config_.trace_enabled || recorder_->stopped())) {
    const trace::RecorderStats stats = recorder_->stats();
    engine_.set_recorder(nullptr, nullptr);
    recorder_.reset();  // writes what is queued
    trace_stats_ = stats;
    if (stats.stopped) {
      log->warn("tracing stopped: {}", stats.error);
      config_.trace_enabled = false;
    } else {
      log->info("tracing off: {} records in {} ({} dropped)", stats.records, trace_file_,
                stats.dropped);
    }
  }
  if (!config_.trace_enabled) return;
  auto sample = trace::Sample::Parse(config_.trace_sample);
  if (sample.ok()) trace_sample_ = std::move(sample).value();
  if (recorder_ != nullptr) {
    engine_.set_recorder(recorder_.get(), &trace_sample_);
    return;
  }
  trace::Header header;
  header.server_version = std::string(kVersion);
  header.start_unix_ms = clock_.NowMs();
  header.start_mono_ns = clock_.MonotonicNs();
  header.empty_at_start = engine_.keyspace().TotalKeys() == 0;
  // The engine's random draws restart from a fresh seed the header records, and the hash
  // seed places every table's elements: with both, tidekv-replay draws what this server
  // draws (SPOP, SRANDMEMBER, HRANDFIELD, RANDOMKEY) and lists in the same orders.
  std::random_device random;
  const uint64_t rng_seed = (uint64_t{random()} << 32) | random();
  types::SeedRng(rng_seed);
  header.config = {{"databases", std::to_string(config_.databases)},
                   {"start_offset", std::to_string(persistence_->next_offset())},
                   {"rng_seed", std::to_string(rng_seed)},
                   {"hash_seed", std::to_string(ds::HashSeed())}};
  trace::RecorderOptions options;
  options.path = config_.trace_path.starts_with('/') ? config_.trace_path
                                                     : config_.dir + "/" + config_.trace_path;
  options.max_bytes = static_cast<uint64_t>(config_.trace_max_bytes);
  options.rotate = config_.trace_on_full == "rotate";
  options.queue_bytes = static_cast<uint64_t>(config_.trace_queue_bytes);
  auto started = trace::Recorder::Start(options, std::move(header));
  if (!started.ok()) {
    log->error("cannot start tracing: {}", started.status().message());
    config_.trace_enabled = false;
    trace_stats_.error = started.status().message();
    return;
  }
  recorder_ = std::move(started).value();
  trace_file_ = options.path;
  trace_stats_ = {};
  engine_.set_recorder(recorder_.get(), &trace_sample_);
  log->info("tracing to {} ({} keys present at start)", trace_file_,
            engine_.keyspace().TotalKeys());
}

void Server::AppendTrace(std::string& out) const {
  if (recorder_ != nullptr) recorder_->Flush();  // what is recorded so far goes to the writer
  const trace::RecorderStats s = recorder_ != nullptr ? recorder_->stats() : trace_stats_;
  out += fmt::format(
      "trace_enabled:{}\r\ntrace_file:{}\r\ntrace_records:{}\r\ntrace_dropped:{}\r\n"
      "trace_bytes:{}\r\ntrace_rotations:{}\r\ntrace_next_record_id:{}\r\ntrace_error:{}\r\n",
      recorder_ != nullptr ? 1 : 0, trace_file_, s.records, s.dropped, s.bytes, s.rotations,
      recorder_ != nullptr ? recorder_->next_id() : 0, s.error);
}

asio::awaitable<void> Server::Cron() {
  while (!stopping_) {
    cron_timer_.expires_after(std::chrono::milliseconds(1000 / std::max<int64_t>(1, config_.hz)));
    boost::system::error_code ec;
    co_await cron_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) co_return;
    CronTick();
  }
}

void Server::ProcessEventsWhileBusy() {
  // Runs the handlers that are ready now (reads of other clients, which get -BUSY or run
  // SCRIPT KILL; writes; the log writer's completions) and returns to the script. Not
  // re-entered from a handler it runs.
  if (polling_while_busy_) return;
  polling_while_busy_ = true;
  io_.poll();
  FlushPendingSends();
  polling_while_busy_ = false;
}

void Server::CronTick() {
  // A busy script's events are served from inside it: no expiry, seal or replication tick
  // may change or capture the keyspace in the middle of it. DEBUG PAUSE-CRON stops it all.
  if (engine_.script_running() || engine_.cron_paused()) return;
  const int64_t now_ms = clock_.NowMs();
  // Active expiry gets at most a quarter of each cron period, like Redis's slow cycle.
  const int64_t budget_us = 250'000 / std::max<int64_t>(1, config_.hz);
  const int64_t expire_start_ns = clock_.MonotonicNs();
  engine_.keyspace().ActiveExpireCycle(now_ms, budget_us, clock_);
  engine_.ReportLatency("expire-cycle", (clock_.MonotonicNs() - expire_start_ns) / 1'000'000);
  engine_.TrackingCron();
  engine_.migrate_targets().CloseIdle(now_ms);
  // An eviction pass that ran out of time goes on here (Redis's evictionTimeProc).
  if (engine_.evictor().running()) engine_.evictor().Perform();
  persistence_->Cron(now_ms);
  replication_->Cron(now_ms);
  if (recorder_ != nullptr) recorder_->Flush();
  if (recorder_ != nullptr && recorder_->stopped()) UpdateTracing();

  for (auto& [id, c] : connections_) c->QueryBufferCron(now_ms);
  if (config_.timeout > 0) {
    std::vector<std::shared_ptr<Connection>> idle;
    for (auto& [id, c] : connections_) {
      const Session& s = c->session();
      // As Redis: blocked and paused clients wait on purpose, subscribers only listen.
      const bool exempt = s.monitor || s.blocked || s.waits_for_pause || s.subscribed();
      if (!exempt && now_ms - s.last_interaction_ms > config_.timeout * 1000) {
        idle.push_back(c);
      }
    }
    for (auto& c : idle) c->Close("idle timeout");
  }

  peak_memory_ = std::max<int64_t>(peak_memory_, static_cast<int64_t>(Engine::UsedMemory()));
  const int64_t now_ns = clock_.MonotonicNs();
  const uint64_t ops = engine_.stats().total_commands;
  if (last_ops_ns_ != 0 && now_ns > last_ops_ns_) {
    instantaneous_ops_ =
        static_cast<double>(ops - last_ops_) * 1e9 / static_cast<double>(now_ns - last_ops_ns_);
  }
  last_ops_ = ops;
  last_ops_ns_ = now_ns;
}

}  // namespace tidekv::server
