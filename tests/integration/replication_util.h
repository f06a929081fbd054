// Helpers for the replication tests (DESIGN.md §4, §6): primaries and replicas on data
// directories the test owns, INFO replication fields, bounded waits until a replica has
// caught up with its primary, digest comparisons, and a TCP proxy that can cut or stall
// the link between a replica and its primary.
//
// Everything builds on server_process.h and persistence_util.h: every server is still a
// ServerProcess (SIGKILL if the test dies), every wait is bounded and throws
// std::runtime_error with both servers' state and log tails when it runs out.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {

// A hang guard: a full sync of the test datasets takes well under a second on a healthy
// Release server; this covers a Debug ASan build on a loaded machine many times over.
inline constexpr auto kSyncTimeout = 180s;

// Starts a replica of 127.0.0.1:primary_port on `data` (--replicaof plus `args`).
std::unique_ptr<ServerProcess> StartReplicaOn(const std::filesystem::path& data,
                                              uint16_t primary_port,
                                              std::vector<std::string> args = {});

// INFO replication text and one of its fields ("" when absent) / numeric fields (throws).
std::string ReplInfo(redisContext* c);
std::string ReplField(redisContext* c, const std::string& field);
int64_t ReplInt(redisContext* c, const std::string& field);

// The last `bytes` of a server's log, for failure messages.
std::string LogTail(const ServerProcess& server, size_t bytes = 3000);

// Waits until the replica reports master_link_status:up.
void WaitLinkUp(const ServerProcess& replica, std::chrono::milliseconds timeout = kSyncTimeout);

// Waits until the replica's link is up and its master_repl_offset equals the primary's
// (read just before, so a primary that keeps writing must pause for this to succeed).
// Throws with both nodes' INFO replication and log tails when it does not happen in time.
void WaitCaughtUp(const ServerProcess& primary, const ServerProcess& replica,
                  std::chrono::milliseconds timeout = kSyncTimeout);

// Waits until the server has run a cron tick after this call. A primary commits its replica
// slots with the first tick after a replica attaches (replication's part of the tick), so
// this is how a test makes sure a kill -9 cannot lose them. Observed through the active
// expiry cycle of the same tick: a key that expires at once is reclaimed by that cycle
// alone (DBSIZE counts keys not yet reclaimed and touches none). Leaves the key count as
// it was; adds a SET and a DEL to the history. Throws when no tick comes.
void WaitCronTick(redisContext* c);

// DEBUG DIGEST of every server, in order.
std::vector<std::string> Digests(const std::vector<const ServerProcess*>& servers);

// DBSIZE of databases 0..dbs-1 (the connection is left on database 0).
std::vector<int64_t> DbSizes(redisContext* c, int dbs);

// A primary's sync counters from INFO replication (they start at 0 with each process).
struct SyncCounters {
  int64_t full = 0;
  int64_t partial_ok = 0;
  int64_t from_disk = 0;
  int64_t err = 0;
  int64_t frames_from_disk = 0;
};
SyncCounters Counters(redisContext* c);
// The counters read from an INFO replication text already fetched.
SyncCounters CountersIn(const std::string& info);
std::string Show(const SyncCounters& s);

// A TCP proxy on 127.0.0.1:<port()> that forwards every connection it accepts to
// 127.0.0.1:target_port, on its own thread (poll()). It keeps accepting until destroyed.
//
// CutAll() closes every open connection at once (both sides), like a network failure.
// SetTarget(port) sends the connections accepted from then on elsewhere (open ones keep
// their target), so a replica can follow a failover through the same proxy address.
// SetRefusing(true) closes every connection it accepts from then on, as if the target were
// down, until SetRefusing(false): with CutAll, a network partition that lasts.
// SetDownstreamLimit(n) lets at most n bytes per connection flow from the target to the
// client; a connection that reached it stalls (nothing more is read from the target) until
// the limit is raised: a deterministic "in the middle of a transfer" for the tests.
class TcpProxy {
 public:
  explicit TcpProxy(uint16_t target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  uint16_t port() const { return port_; }
  // Closes every connection; returns once the proxy thread did it.
  void CutAll();
  void SetDownstreamLimit(uint64_t bytes) { limit_.store(bytes); }
  void ClearDownstreamLimit() { limit_.store(UINT64_MAX); }
  void SetTarget(uint16_t target_port) { target_port_.store(target_port); }
  uint16_t target() const { return target_port_.load(); }
  void SetRefusing(bool refusing) { refusing_.store(refusing); }
  bool refusing() const { return refusing_.load(); }
  // Connections accepted so far.
  uint64_t accepted() const { return accepted_.load(); }
  // True while some open connection is held at the downstream limit.
  bool stalled() const { return stalled_.load(); }
  // Bytes forwarded from the target to clients, over all connections so far.
  uint64_t downstream_bytes() const { return downstream_.load(); }

 private:
  void Run();

  std::atomic<uint16_t> target_port_;
  std::atomic<bool> refusing_{false};
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> cut_requested_{0};
  std::atomic<uint64_t> cut_done_{0};
  std::atomic<uint64_t> limit_{UINT64_MAX};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> downstream_{0};
  std::atomic<bool> stalled_{false};
  std::thread thread_;
};

}  // namespace tidekv::integration
