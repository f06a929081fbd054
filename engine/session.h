// Session: the per-client state commands read and change (selected db, protocol, auth,
// name). A Connection owns one; in-process engines (tests, trace replay) make their own.
// Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::engine {

struct CommandSpec;
struct AclUser;

// The user of a session no engine attached (Engine::AttachDefaultUser): named "default", with
// every permission. Log replay and internal sessions run as it.
const std::shared_ptr<AclUser>& UnattachedAclUser();

// The commands a client queued after MULTI (DESIGN.md §11), copied out of the read buffer
// (which moves on): every argument back to back in `bytes`, with their lengths, and per
// command its argument count and its row.
struct QueuedCommands {
  std::string bytes;
  std::vector<uint32_t> arg_lens;
  std::vector<uint32_t> argcs;
  std::vector<const CommandSpec*> specs;
  uint32_t flags_any = 0;    // CommandFlag bits any queued command has (write, deny-oom)
  bool all_stale_ok = true;  // every queued command may run on an out-of-sync replica
  size_t size() const { return specs.size(); }
  void Clear() { *this = QueuedCommands{}; }
};

struct Session {
  uint64_t id = 0;
  int db = 0;
  int resp = 2;                // 2 or 3 (HELLO)
  bool authenticated = false;  // meaningful only when the default user needs AUTH
  // The ACL user its commands run as (engine/acl.h): the default user until AUTH.
  std::shared_ptr<AclUser> user = UnattachedAclUser();
  std::string name;      // CLIENT SETNAME
  std::string lib_name;  // CLIENT SETINFO / HELLO ... SETNAME
  std::string lib_ver;
  std::string addr;       // "ip:port" of the peer ("" in-process)
  std::string laddr;      // "ip:port" of our side
  bool loopback = false;  // the peer is on a loopback address ("local" in security options)
  int64_t created_ms = 0;
  int64_t last_interaction_ms = 0;
  std::string_view last_command;  // full name of the last command (points into the table)
  bool monitor = false;           // in MONITOR mode: only receives the feed
  // CLIENT REPLY: replies_off drops every reply until CLIENT REPLY ON; skip_replies drops
  // that many replies (CLIENT REPLY SKIP: its own and the next command's). The connection
  // drops them; pushes (pub/sub messages) still go out.
  bool replies_off = false;
  int skip_replies = 0;
  bool close_after_reply = false;  // QUIT, CLIENT KILL of itself, protocol error
  // The command just run is waiting for something (SAVE, DEBUG RELOAD, later WAIT): its
  // reply comes later through Server::Unblock, and the client's next requests wait.
  bool blocked = false;
  // ...by a blocking command waiting on keys (engine/blocking.h; CLIENT LIST flag b).
  bool blocked_on_keys = false;
  // ...by CLIENT PAUSE (engine/pause.h): its next request waits, unrun, in the read buffer.
  bool waits_for_pause = false;
  // The duration of the run that blocked, when it reached the slow log's watch threshold
  // (-1 otherwise): a timed-out command is logged with it.
  int64_t blocked_run_us = -1;
  // MULTI/EXEC (engine/transaction.h). in_multi: between MULTI and EXEC/DISCARD, commands
  // are queued; multi_error: one was refused while queueing, so EXEC aborts; watch_dirty: a
  // WATCHed key changed, so EXEC fails; watching: keys this client WATCHes.
  bool in_multi = false;
  bool multi_error = false;
  bool watch_dirty = false;
  size_t watching = 0;
  QueuedCommands queued;
  // Set while EXEC (later a script) runs the client's commands: a blocking command, WAIT
  // included, replies at once instead of waiting, as in Redis.
  bool deny_blocking = false;
  // Pub/sub subscriptions (engine/pubsub.h keeps these counts). With any of them a RESP2
  // client is in subscribed mode: only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT, RESET.
  uint32_t subscribed_channels = 0;
  uint32_t subscribed_patterns = 0;
  uint32_t subscribed_shard_channels = 0;
  bool subscribed() const {
    return subscribed_channels + subscribed_patterns + subscribed_shard_channels > 0;
  }
  // CLIENT TRACKING (engine/tracking.h): TrackingFlag bits (0 = off) and the id of the
  // client invalidations are redirected to (0 = none).
  uint8_t tracking = 0;
  uint64_t tracking_redirect = 0;
  // Internal sessions (log replay, later the replication link) skip AUTH, OOM and the
  // write-refusal checks: what they apply already happened.
  bool internal = false;
  // Applies replication frames (log replay, the link to the primary): commands run at
  // time 0, so no key is ever expired by the clock while a frame applies; the primary's
  // history already says when keys went (DEL frames).
  bool applies_frames = false;
  // PSYNC asked to turn this connection into a replica's stream (Connection hands the
  // socket to replication after the reply is written).
  bool psync_requested = false;
  std::string psync_replid;
  int64_t psync_offset = -1;
  int64_t replica_listening_port = 0;  // REPLCONF listening-port
  uint64_t write_count = 0;            // effects this session caused
  uint64_t last_write_offset = 0;      // offset of the latest one
};

// Whether a security level option ("no" | "yes" | "local", e.g. security.enable_debug_command)
// lets this client in.
inline bool AccessAllowed(std::string_view level, const Session& session) {
  return level == "yes" || (level == "local" && session.loopback);
}

}  // namespace tidekv::engine
