// A primary and two replicas for the fault test (fault_test.cc), each on its own data
// directory and fixed port (a restarted node comes back on the same address, so the
// primary knows it by the same replica slot), each reaching its primary through its own
// TcpProxy, so links can be cut, held down, and re-targeted after a failover.
//
// The cluster also keeps what the test needs to judge syncs afterwards: every process's log
// (read before the process goes away) turned into SyncEvents, the replication identity each
// node had as a primary and since when, and each process's sync counters as last sampled.
//
// Not thread-safe: the test thread owns it. Failures throw std::runtime_error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration::faults {

struct Node {
  int index = 0;
  std::string name;  // n0, n1, n2
  std::filesystem::path data;
  uint16_t port = 0;                       // fixed by the first start
  std::unique_ptr<ServerProcess> process;  // null while the node is down
  std::unique_ptr<TcpProxy> link;          // how the node reaches its primary
  // Log parsing state of the current process.
  size_t log_parsed = 0;
  std::set<std::string> slots_served;  // replicas this process served (it has slots for)
  std::set<std::string> slots_ever;    // replicas any process of this node served
  std::string last_log_tail;           // of the last process that ended
  std::vector<std::string> old_logs;   // every ended process's whole log
  // Sync counters: the current process's last sample, and the sum over ended processes.
  SyncCounters counters;
  SyncCounters ended;
};

// A node's replication identity while it was a primary, from since_ms (wall clock) on.
struct Identity {
  int node = 0;
  int64_t since_ms = 0;
  std::string replid;
  std::string replid2;
  int64_t second_offset = -1;
  int64_t next_offset = 0;
  bool promoted = false;  // by REPLICAOF NO ONE (else: started as the primary)
};

// One PSYNC a primary answered, from its log.
struct SyncEvent {
  enum class Kind { kFull, kPartialMemory, kPartialDisk, kFuture };
  Kind kind = Kind::kFull;
  int primary = 0;
  int replica = -1;  // -1: not known (the future-offset line names only the connection)
  int64_t wall_ms = 0;
  std::string asked_id;
  int64_t asked_offset = -1;
  // The serving process had served this replica before (it had a slot for it), or only an
  // earlier process of the same node had (the slot was lost with a restart).
  bool slot_known = false;
  bool slot_known_before_restart = false;
  std::string line;
};

class Cluster {
 public:
  static constexpr int kNodes = 3;

  // Nodes get their data directories under root and `args` on every start.
  Cluster(std::filesystem::path root, std::vector<std::string> args);

  // n0 as the primary, n1 and n2 as its replicas.
  void Start();

  Node& node(int i) { return nodes_[static_cast<size_t>(i)]; }
  int primary() const { return primary_; }
  std::vector<int> replicas() const;
  bool up(int i) const { return nodes_[static_cast<size_t>(i)].process != nullptr; }
  RedisConnection Connect(int i);

  // SIGKILL, or SHUTDOWN (which must end with exit status 0: otherwise the reason is
  // returned, "" when clean). Either way the node is down afterwards.
  // (Kill samples every node's counters first unless `sample` is false: a kill in the
  // middle of a pipeline must not wait for that.)
  void Kill(int i, bool sample = true);
  std::string Shutdown(int i);
  // Starts a down node on its directory and port: as the primary when it is the primary,
  // otherwise as a replica of the primary through its link.
  void Restart(int i);
  // REPLICAOF NO ONE on a replica; it is the primary from then on.
  void Promote(int i);
  // Gives node i a new link to the primary and sends it REPLICAOF to the link.
  void Follow(int i);

  // A process that ended on its own since the last look (its exit code), or nothing.
  std::optional<int> Exited(int i);

  // INFO replication of every node that is up: sync counters, and identity when primary.
  void Sample();
  // Sync counters summed over every process so far.
  SyncCounters CounterTotals() const;
  // The identity node `primary` had at wall time ms (nullptr when none is recorded).
  const Identity* IdentityAt(int primary, int64_t ms) const;
  // Sync events logged since the last call (logs of ended processes included).
  std::vector<SyncEvent> TakeSyncEvents();

  // Every node's role, offsets and link, and the log tails (for failure messages).
  std::string Describe();
  // The node whose listening port is `port`, or -1.
  int NodeByPort(int64_t port) const;
  // Copies every node's data directory and the logs of all its processes under `dir`
  // (for a post-mortem; best done once every node is down).
  void SaveArtifacts(const std::filesystem::path& dir);

 private:
  std::vector<std::string> ArgsFor(int i) const;
  void RecordIdentity(int i, int64_t since_ms, bool promoted);
  void ParseLog(int i, bool final);
  void EndProcess(int i);

  std::filesystem::path root_;
  std::vector<std::string> args_;
  std::vector<Node> nodes_;
  int primary_ = 0;
  std::vector<Identity> identities_;
  std::vector<SyncEvent> events_;
};

}  // namespace tidekv::integration::faults
