// Replication commands: REPLICAOF (SLAVEOF), ROLE, WAIT, and the primary's side of the
// handshake: REPLCONF, PSYNC (SYNC is refused: tidekv streams frames, not RDB files).

#include <fmt/format.h>

#include "commands/commands.h"
#include "common/strings.h"
#include "engine/command_context.h"
#include "engine/engine.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;

engine::ReplicationControl* ReplicationOf(CommandContext& ctx) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  engine::ReplicationControl* r = hooks != nullptr ? hooks->replication() : nullptr;
  if (r == nullptr) ctx.Error("ERR replication is not available in this engine");
  return r;
}

void ReplicaOf(CommandContext& ctx) {
  engine::ReplicationControl* r = ReplicationOf(ctx);
  if (r == nullptr) return;
  if (ctx.ArgIs(1, "NO") && ctx.ArgIs(2, "ONE")) {
    if (Status s = r->Promote(); !s.ok()) return ctx.Error("ERR " + s.message());
    return ctx.reply.Ok();
  }
  auto port = ParseInt64(ctx.arg(2));
  if (!port || *port <= 0 || *port > 65535) return ctx.Error("ERR Invalid master port");
  const std::string target = fmt::format("{}:{}", ctx.arg(1), *port);
  if (r->is_replica() && ctx.engine.config().replicaof == target) {
    return ctx.reply.Simple("OK Already connected to specified master");
  }
  if (Status s = r->ReplicaOf(std::string(ctx.arg(1)), *port); !s.ok()) {
    return ctx.Error("ERR " + s.message());
  }
  ctx.reply.Ok();
}

void Role(CommandContext& ctx) {
  if (engine::ReplicationControl* r = ReplicationOf(ctx)) r->WriteRole(ctx.reply);
}

void Wait(CommandContext& ctx) {
  engine::ReplicationControl* r = ReplicationOf(ctx);
  if (r == nullptr) return;
  if (r->is_replica()) {
    return ctx.Error(
        "ERR WAIT cannot be used with replica instances: writes on a replica are "
        "local and not replicated");
  }
  auto n = ctx.IntArg(1);
  if (!n) return;
  auto timeout = ctx.IntArg(2, "ERR timeout is not an integer or out of range");
  if (!timeout) return;
  if (*timeout < 0) return ctx.Error("ERR timeout is negative");
  r->Wait(ctx.session, *n, *timeout, ctx.reply);
}

void ReplConf(CommandContext& ctx) {
  if (ctx.argc() % 2 == 0) return ctx.SyntaxError();
  for (size_t i = 1; i + 1 < ctx.argc(); i += 2) {
    if (ctx.ArgIs(i, "listening-port")) {
      auto port = ParseInt64(ctx.arg(i + 1));
      if (!port || *port < 0 || *port > 65535) return ctx.Error("ERR invalid listening port");
      ctx.session.replica_listening_port = *port;
    } else if (ctx.ArgIs(i, "ACK") || ctx.ArgIs(i, "GETACK")) {
      return;  // only meaningful on a replica stream, which reads them itself: no reply
    } else if (!ctx.ArgIs(i, "capa") && !ctx.ArgIs(i, "ip-address")) {
      return ctx.Error(fmt::format("ERR Unrecognized REPLCONF option: {}", ctx.arg(i)));
    }
  }
  ctx.reply.Ok();
}

void Psync(CommandContext& ctx) {
  if (ReplicationOf(ctx) == nullptr) return;
  auto offset = ParseInt64(ctx.arg(2));
  if (!offset || *offset < -1) return ctx.Error("ERR value is not an integer or out of range");
  ctx.session.psync_replid = std::string(ctx.arg(1));
  ctx.session.psync_offset = *offset;
  ctx.session.psync_requested = true;
  // The connection hands its socket to replication, which writes the reply.
  ctx.session.blocked = true;
}

void Sync(CommandContext& ctx) {
  ctx.Error("ERR SYNC is not supported: replicas of tidekv use PSYNC (tidekv-server --replicaof)");
}

}  // namespace

void RegisterReplicationCommands(CommandTable& table) {
  table.Add({.name = "replicaof",
             .arity = 3,
             .flags = F::kNoScript | F::kAdmin | F::kStale | F::kKeyless | F::kVolatileReply,
             .handler = ReplicaOf,
             .group = "server",
             .since = "5.0.0",
             .summary = "Makes the server a replica of another server (keeping its data), or "
                        "promotes it to a primary with NO ONE.",
             .complexity = "O(1)",
             .syntax = "host port | NO ONE"});
  table.Add({.name = "slaveof",
             .arity = 3,
             .flags = F::kNoScript | F::kAdmin | F::kStale | F::kKeyless | F::kVolatileReply,
             .handler = ReplicaOf,
             .group = "server",
             .since = "1.0.0",
             .summary = "Same as REPLICAOF (the older name).",
             .complexity = "O(1)",
             .syntax = "host port | NO ONE"});
  table.Add({.name = "role",
             .arity = 1,
             .flags = F::kFast | F::kStale | F::kLoading | F::kKeyless | F::kVolatileReply,
             .handler = Role,
             .group = "server",
             .since = "2.8.12",
             .summary = "Returns the replication role of the server and its replicas or primary.",
             .complexity = "O(1)",
             .syntax = ""});
  table.Add({.name = "wait",
             .arity = 3,
             .flags = F::kNoScript | F::kKeyless | F::kVolatileReply,
             .handler = Wait,
             .group = "generic",
             .since = "3.0.0",
             .summary = "Blocks until this client's writes are acknowledged by numreplicas "
                        "replicas or the timeout (ms, 0 = none) passes; returns how many acked.",
             .complexity = "O(1)",
             .syntax = "numreplicas timeout"});
  table.Add({.name = "replconf",
             .arity = -1,
             .flags = F::kNoScript | F::kAdmin | F::kStale | F::kLoading | F::kNoMonitor |
                      F::kKeyless | F::kVolatileReply,
             .handler = ReplConf,
             .group = "server",
             .since = "3.0.0",
             .summary = "An internal command of the replication handshake.",
             .complexity = "O(1)",
             .syntax = "option value [option value ...]"});
  table.Add({.name = "psync",
             .arity = 3,
             .flags = F::kNoScript | F::kAdmin | F::kStale | F::kNoMonitor | F::kKeyless |
                      F::kVolatileReply | F::kNoMulti,
             .handler = Psync,
             .group = "server",
             .since = "2.8.0",
             .summary = "An internal command: a replica asks to continue a history at an offset "
                        "(or for a full sync).",
             .complexity = "O(1) to answer; the stream that follows is proportional to what "
                           "the replica lacks",
             .syntax = "replicationid offset"});
  table.Add({.name = "sync",
             .arity = 1,
             .flags = F::kNoScript | F::kAdmin | F::kKeyless | F::kVolatileReply | F::kNoMulti,
             .handler = Sync,
             .group = "server",
             .since = "1.0.0",
             .summary = "Refused: tidekv replicas use PSYNC.",
             .complexity = "O(1)",
             .syntax = ""});
}

}  // namespace tidekv::commands
