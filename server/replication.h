// Replication: this node's role (primary or replica), its history id, the replicas it
// serves and the link to its primary (DESIGN.md §4, docs/replication.md).
//
// Primary side: a client that sends PSYNC becomes a replica stream. Each stream is a
// coroutine that sends, in order and with no gap or duplicate, log store chunks (when the
// replica is older than the memory backlog), backlog frames, then live frames as they are
// pushed; or first a full sync (the spine's batch files, shipped without fork while writes
// go on). A stream only reads more when its socket took the last piece, so a slow replica
// costs bounded memory and is never cut off for being slow. A second coroutine per stream
// reads REPLCONF ACKs into the replica's slot (WAIT, min_replicas_to_write, log retention).
//
// Replica side: ReplicaLink (replica_link.cc) runs the handshake, receives a full sync or
// resumes, and applies frames through the command table, logging them at the primary's
// offsets so a restarted or promoted replica resumes from its own disk.
//
// Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/asio.h"
#include "engine/engine.h"
#include "engine/server_hooks.h"
#include "persistence/persistence.h"
#include "replication/slots.h"
#include "replication/source.h"

namespace tidekv::server {

using engine::Engine;
using engine::Session;
using persistence::Persistence;
using persistence::ReplicationIdentity;

class Connection;
class ReplicaLink;
class Server;

struct ReplicationStats {
  uint64_t sync_full = 0;
  uint64_t sync_partial_ok = 0;
  uint64_t sync_partial_from_disk = 0;
  uint64_t sync_partial_err = 0;
  uint64_t frames_sent_from_disk = 0;
};

class Replication final : public engine::WriteGate, public engine::ReplicationControl {
 public:
  Replication(Server& server, Persistence& persistence);
  ~Replication() override;
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // After recovery: settles the history id and starts the link when replicaof is set.
  void Start();
  // Closes every stream and the link (shutdown).
  void Stop();
  // From the server cron: slot expiry, backlog and log watermarks, WAIT timeouts.
  void Cron(int64_t now_ms);

  bool is_replica() const override { return !primary_host_.empty(); }
  const std::string& replid() const;

  // WriteGate.
  bool AllowWrite(const Session& session, std::string* why) const override;
  bool AllowStale(std::string* why) const override;

  // REPLICAOF host port: becomes (or re-points) a replica, keeping its data; a resync with
  // the new primary decides what to keep. REPLICAOF NO ONE: promotion (new replid, the
  // old one kept as replid2 with the switch offset).
  Status ReplicaOf(const std::string& host, int64_t port) override;
  Status Promote() override;

  // PSYNC: the connection's session carries the request; this takes the socket over and
  // returns when the replica goes away. (A replica sends nothing after PSYNC before the
  // reply, so no buffered input is handed over.)
  asio::awaitable<void> ServeReplica(std::shared_ptr<Connection> connection);

  // WAIT numreplicas timeout_ms for the client `session`: replies now or blocks it.
  void Wait(Session& session, int64_t numreplicas, int64_t timeout_ms,
            proto::ReplyBuilder& reply) override;

  // ROLE and INFO replication.
  void WriteRole(proto::ReplyBuilder& reply) const override;
  void AppendInfo(std::string& out) const;

  // Used by the link.
  Server& server() { return server_; }
  Persistence& persistence() { return persistence_; }
  replication::Source& backlog() { return backlog_; }
  ReplicationStats& stats() { return stats_; }
  // The link adopts the primary's history id (+CONTINUE with a new id, or a full sync).
  void AdoptReplid(const std::string& replid, bool keep_previous);
  // The link's state changed (for serve_stale_data and INFO).
  void set_link_up(bool up);
  bool link_up() const { return link_up_; }
  // Frames are flowing (stream waiters wake up).
  void OnFramesPushed();

 private:
  struct Stream;
  struct Waiter {
    uint64_t session_id;
    uint64_t target;
    int64_t needed;
    int64_t deadline_ms;                        // 0: none
    std::shared_ptr<asio::steady_timer> timer;  // fires at the deadline; cancelled when done
  };
  void ActivateBacklog();
  void CloseStreams(std::string_view reason);
  void CheckWaiters(int64_t now_ms);
  void SetRole(bool replica);
  asio::awaitable<void> ReadAcks(std::shared_ptr<Stream> stream);
  asio::awaitable<bool> ShipSnapshot(std::shared_ptr<Stream> stream, uint64_t* offset);
  asio::awaitable<bool> StreamFrames(std::shared_ptr<Stream> stream);
  Status NewReplid(bool keep_previous);

  Server& server_;
  Engine& engine_;
  Persistence& persistence_;
  replication::Source backlog_;
  bool backlog_active_ = false;
  replication::ReplicaSlots slots_;
  std::vector<std::shared_ptr<Stream>> streams_;
  bool wake_posted_ = false;
  std::deque<Waiter> waiters_;
  ReplicationStats stats_;

  std::string primary_host_;  // empty: primary
  int64_t primary_port_ = 0;
  std::shared_ptr<ReplicaLink> link_;
  bool link_up_ = false;
  int64_t link_down_since_ms_ = 0;
  bool stopped_ = false;
  std::string persisted_slot_ids_;  // the slots last committed at once (set_replica_slots)
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tidekv::server
