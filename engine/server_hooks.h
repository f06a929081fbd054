// ServerHooks: what a command may ask of the network server it runs in, and nothing more
// (DESIGN.md §2: the engine never reaches the server itself). The server implements it; an
// in-process engine (unit tests, tidekv-replay) has none, and the commands that need one
// answer an error. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"
#include "engine/session.h"
#include "proto/reply.h"

namespace tidekv::engine {

// A client as CLIENT LIST shows it: its session and its connection's buffers.
struct ClientView {
  const Session* session = nullptr;
  int fd = -1;
  size_t query_buffer_bytes = 0;
  size_t query_buffer_capacity = 0;
  size_t output_bytes = 0;
};

// SAVE, BGSAVE, LASTSAVE, DEBUG RELOAD: implemented by persistence.
class SnapshotControl {
 public:
  virtual ~SnapshotControl() = default;
  // Seals now; done runs on the loop once the batch is committed.
  virtual void Save(std::function<void(const Status&)> done) = 0;
  // Starts a seal; false when one is already running.
  virtual bool SaveInBackground() = 0;
  virtual int64_t last_save_unix_s() const = 0;
  // Seal, empty the keyspace, load it back from disk; done runs on the loop.
  virtual void Reload(std::function<void(const Status&)> done) = 0;
};

// REPLICAOF, ROLE, WAIT: implemented by replication.
class ReplicationControl {
 public:
  virtual ~ReplicationControl() = default;
  virtual bool is_replica() const = 0;
  virtual Status ReplicaOf(const std::string& host, int64_t port) = 0;
  virtual Status Promote() = 0;
  virtual void WriteRole(proto::ReplyBuilder& reply) const = 0;
  // Replies now or blocks the session (Session::blocked) until the replicas acked.
  virtual void Wait(Session& session, int64_t numreplicas, int64_t timeout_ms,
                    proto::ReplyBuilder& reply) = 0;
};

// Why a CONFIG SET that validated could not take effect (a port already taken).
struct ConfigApplyError {
  std::string_view option_key;  // "server.port"
  std::string reason;           // Redis's text: "Unable to listen on this port"
};

class ServerHooks {
 public:
  virtual ~ServerHooks() = default;

  // Clients, in id order (CLIENT LIST), and one by id (CLIENT INFO, MONITOR).
  virtual void ForEachClient(const std::function<void(const ClientView&)>& fn) const = 0;
  virtual std::optional<ClientView> Client(uint64_t id) const = 0;
  // Closes another client's connection (CLIENT KILL).
  virtual void CloseClient(uint64_t id, std::string_view reason) = 0;

  // MONITOR: the client starts (or stops) receiving every command run.
  virtual bool AddMonitor(uint64_t id) = 0;
  virtual void RemoveMonitor(uint64_t id) = 0;
  virtual bool has_monitors() const = 0;
  virtual void FeedMonitors(const Session& session, std::span<const std::string_view> argv) = 0;

  // Pub/sub: queues bytes (a message already encoded for the client's protocol) on client
  // id's output, subject to its output limit. Nothing when that client is gone.
  virtual void SendToClient(uint64_t id, std::string_view bytes) = 0;

  // Completes the blocked command of client id (Session::blocked) with write_reply. The
  // session is no longer blocked while write_reply runs; if write_reply blocks it again (a
  // woken command that must wait once more), the client stays paused.
  virtual void Unblock(uint64_t id,
                       const std::function<void(proto::ReplyBuilder&)>& write_reply) = 0;
  // A client blocked on keys times out at deadline_ms (wall clock): call
  // Engine::blocking().ExpireTimeouts then (or a little later; earlier is harmless).
  virtual void WakeBlockedAt(int64_t deadline_ms) = 0;
  // CLIENT PAUSE (engine/pause.h): call Engine::pause().EndIfDue at end_ms (wall clock),
  // and let client id run the request it holds once the pause ended.
  virtual void EndPauseAt(int64_t end_ms) = 0;
  virtual void ResumePaused(uint64_t id) = 0;

  // Stops the server once the current command returned (SHUTDOWN). kDefault seals the
  // changes since the last seal first in logstore.mode wal (the next start then loads
  // batches only, no log to replay), kSave seals in any mode, kNoSave never does.
  enum class ShutdownSave { kDefault, kSave, kNoSave };
  virtual void RequestShutdown(std::string_view reason, ShutdownSave save) = 0;
  // After CONFIG SET replaced before with the engine's config: applies runtime options
  // (listeners, log level, tracing, ...). On an error nothing it changed stays changed; the
  // caller then restores before and calls it again.
  virtual std::optional<ConfigApplyError> OnConfigChanged(const config::Config& before) = 0;
  // CONFIG REWRITE: writes the effective configuration into the file the server was started
  // with (--config). NotFound when it was started without one.
  virtual Status RewriteConfigFile() = 0;
  // CONFIG RESETSTAT: the server's own counters (network).
  virtual void ResetStats() = 0;
  // INFO text for the requested sections.
  virtual std::string Info(std::span<const std::string_view> sections) = 0;
  // A script has run past busy-reply-threshold: handle the events that are ready (other
  // clients get -BUSY, SCRIPT KILL is served), then return to the script.
  virtual void ProcessEventsWhileBusy() {}

  // nullptr when the server has no persistence / replication.
  virtual SnapshotControl* snapshots() = 0;
  virtual ReplicationControl* replication() = 0;
};

}  // namespace tidekv::engine
