// Server: the network side of one tidekv node. Owns the io_context of the loop thread, the
// listeners, every client Connection, the periodic cron (active expiry, client timeouts) and
// the Engine the connections feed. Everything here runs on the loop thread (DESIGN.md §1).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "common/clock.h"
#include "common/status.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/info.h"
#include "engine/server_hooks.h"
#include "persistence/persistence.h"
#include "server/event_loop.h"
#include "server/replication.h"
#include "server/stop_signals.h"
#include "trace/recorder.h"

namespace tidekv::server {

using engine::Engine;
using engine::NetStats;
using engine::Session;
using persistence::Persistence;

class Connection;

// Raises the open-file limit to fit limits.max_clients (plus descriptors for the server's
// own use) when the hard limit allows; otherwise lowers max_clients to what fits, with a
// warning, so that clients past it get "max number of clients reached" instead of waiting
// unanswered in the accept queue. Redis does the same at start-up.
void FitClientsToFileLimit(config::Config* config);

// 127.0.0.0/8, ::1, or an IPv4-mapped loopback address.
bool IsLoopback(const asio::ip::address& addr);

class Server final : public engine::ServerHooks, public engine::InfoSource {
 public:
  Server(config::Config config, const Clock& clock);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every address in config.bind (space-separated) on config.port. Port 0 picks a free
  // port; port() tells which.
  Status Listen();

  // Opens the data directory and loads the dataset (batches, then the log). Call before
  // Run; an error names the file and stops start-up. accept_data_loss (--accept-data-loss)
  // starts even when the directory shows acknowledged writes were lost (logged at ERROR).
  Status Recover(bool accept_data_loss = false);

  // Runs the loop thread until shutdown (SHUTDOWN, SIGINT, SIGTERM). Returns the exit code.
  int Run();
  // Stops accepting, closes every client and lets Run return. Safe to call more than once.
  void Shutdown(std::string_view reason, ShutdownSave save = ShutdownSave::kDefault);
  // Seals before the loop ends (SHUTDOWN, SIGTERM); bounded wait.
  void SealBeforeExit(bool seal);
  // ServerHooks: the same, after the current command returned (SHUTDOWN).
  void RequestShutdown(std::string_view reason, ShutdownSave save) override;

  Engine& engine() { return engine_; }
  Persistence* persistence() { return persistence_.get(); }
  Replication* replication() override { return replication_.get(); }

  // ServerHooks (engine/server_hooks.h).
  void ForEachClient(const std::function<void(const engine::ClientView&)>& fn) const override;
  std::optional<engine::ClientView> Client(uint64_t id) const override;
  void CloseClient(uint64_t id, std::string_view reason) override;
  bool AddMonitor(uint64_t id) override;
  void RemoveMonitor(uint64_t id) override;
  bool has_monitors() const override { return !monitors_.empty(); }
  void FeedMonitors(const Session& session, std::span<const std::string_view> argv) override;
  void SendToClient(uint64_t id, std::string_view bytes) override;
  // Completes the blocked command of client `id` (if it is still connected).
  void Unblock(uint64_t id, const std::function<void(proto::ReplyBuilder&)>& write_reply) override;
  void WakeBlockedAt(int64_t deadline_ms) override;
  void EndPauseAt(int64_t end_ms) override;
  void ResumePaused(uint64_t id) override;
  std::optional<engine::ConfigApplyError> OnConfigChanged(const config::Config& before) override;
  void ResetStats() override { net_stats_ = NetStats{}; }
  Status RewriteConfigFile() override;
  // The --config file CONFIG REWRITE writes; empty = none.
  void set_config_path(std::string path) { config_path_ = std::move(path); }
  std::string Info(std::span<const std::string_view> sections) override;
  void ProcessEventsWhileBusy() override;
  engine::SnapshotControl* snapshots() override;
  config::Config& config() { return config_; }
  asio::io_context& io() { return io_; }
  NetStats& net_stats() { return net_stats_; }
  const NetStats& net_stats() const override { return net_stats_; }
  int64_t start_monotonic_ns() const { return start_ns_; }
  // InfoSource (engine/info.h).
  uint16_t port() const override { return port_; }
  void ClientTotals(size_t* clients, size_t* max_input, size_t* max_output) const override;
  int64_t peak_memory() const override { return peak_memory_; }
  // Operations per second over the last cron samples (INFO instantaneous_ops_per_sec).
  double instantaneous_ops() const override { return instantaneous_ops_; }
  void AppendLoopStats(std::string& out) const override;
  void AppendReplication(std::string& out) const override;
  void AppendPersistence(std::string& out) const override;
  void AppendTrace(std::string& out) const override;

  // Clients.
  // Every open client, by id (CLIENT LIST order).
  const std::map<uint64_t, std::shared_ptr<Connection>>& connections() const {
    return connections_;
  }
  void Remove(Connection* connection);
  Connection* FindClient(uint64_t id) const;
  // Output that Connection::Send queued for clients other than the one being served (pub/sub
  // messages, the MONITOR feed) is written once the loop ran every ready handler and is about
  // to poll again (Redis's beforeSleep), in one write per client: QueueSendFlush registers
  // the client, FlushPendingSends writes them all (RunEventLoop calls it).
  void QueueSendFlush(uint64_t id) { send_flushes_.push_back(id); }
  void FlushPendingSends();

  // MONITOR.

  // Starts or stops the op trace per trace.enabled (also at start-up, after recovery).
  void UpdateTracing();

 private:
  using Acceptors = std::vector<std::shared_ptr<asio::ip::tcp::acceptor>>;
  // Opens a listener on every address of bind (space-separated) at port; *bound_port is
  // the port they share (the kernel's pick for port 0). Nothing stays open on an error.
  Result<Acceptors> OpenListeners(const std::string& bind, uint16_t port, uint16_t* bound_port);
  // CONFIG SET port / bind: listens on the new addresses, then closes the old listeners
  // (connected clients stay). On an error the old listeners (on old_bind) keep serving.
  Status Relisten(const std::string& old_bind);
  asio::awaitable<void> Accept(std::shared_ptr<asio::ip::tcp::acceptor> acceptor);
  asio::awaitable<void> Cron();
  // On a primary, deletes (as DEL effects) the keys whose time passed while it was down.
  void ExpireAfterRecovery();
  void CronTick();
  bool AdmitPeer(asio::ip::tcp::socket& socket);

  config::Config config_;
  std::string config_path_;
  const Clock& clock_;
  asio::io_context io_{1};
  Engine engine_;
  std::unique_ptr<Persistence> persistence_;
  std::unique_ptr<Replication> replication_;
  std::unique_ptr<trace::Recorder> recorder_;
  trace::Sample trace_sample_;
  trace::RecorderStats trace_stats_;  // of the last recorder, once it is gone
  std::string trace_file_;
  Acceptors acceptors_;
  StopSignals signals_;
  asio::steady_timer cron_timer_;
  // Wakes clients blocked on keys whose timeout passed (WakeBlockedAt).
  asio::steady_timer blocked_timer_;
  int64_t blocked_timer_at_ = INT64_MAX;  // wall-clock ms the timer is set for
  // Ends CLIENT PAUSE at its deadline (EndPauseAt).
  asio::steady_timer pause_timer_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
  std::vector<uint64_t> monitors_;        // client ids
  std::vector<uint64_t> send_flushes_;    // clients with Send output to write (QueueSendFlush)
  std::vector<uint64_t> flushing_sends_;  // the list FlushPendingSends is going through
  NetStats net_stats_;
  EventLoopStats loop_stats_;
  uint16_t port_ = 0;
  bool stopping_ = false;
  bool polling_while_busy_ = false;
  int64_t last_accept_warning_ns_ = 0;
  int64_t start_ns_ = 0;
  int64_t peak_memory_ = 0;
  uint64_t last_ops_ = 0;
  int64_t last_ops_ns_ = 0;
  double instantaneous_ops_ = 0;
};

}  // namespace tidekv::server
