// Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET CLIENT.

#include <fmt/format.h>

#include <functional>

#include "commands/commands.h"
#include "common/strings.h"
#include "common/version.h"
#include "engine/acl.h"
#include "engine/blocking.h"
#include "engine/client_info.h"
#include "engine/command_context.h"
#include "engine/engine.h"
#include "engine/pubsub.h"
#include "engine/tracking.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;

constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";

// Checks a username/password pair against the ACL users (security.password is the default
// user's password; without one the default user is "nopass" and takes any password). On
// success the session runs as that user; otherwise replies the error itself and records it
// in ACL LOG.
bool Authenticate(CommandContext& ctx, std::string_view user, std::string_view password) {
  std::shared_ptr<engine::AclUser> u = ctx.engine.acl().Find(user);
  if (u == nullptr || !u->enabled || !u->CheckPassword(password)) {
    ctx.engine.LogAclDenial(ctx.session, engine::AclDenial::kAuth, engine::AclContext::kTopLevel,
                            ctx.arg(0), user);
    ctx.Error(kWrongPass);
    return false;
  }
  ctx.session.user = std::move(u);
  ctx.session.authenticated = true;
  return true;
}

void Ping(CommandContext& ctx) {
  if (ctx.argc() > 2) {
    ctx.Error("ERR wrong number of arguments for 'ping' command");
  } else if (ctx.session.subscribed() && ctx.session.resp == 2) {
    // In RESP2 subscribed mode a reply must look like a message: ["pong", message or ""].
    ctx.reply.Array(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.argc() == 2 ? ctx.arg(1) : "");
  } else if (ctx.argc() == 2) {
    ctx.reply.Bulk(ctx.arg(1));
  } else {
    ctx.reply.Simple("PONG");
  }
}

void Echo(CommandContext& ctx) { ctx.reply.Bulk(ctx.arg(1)); }

void Auth(CommandContext& ctx) {
  if (ctx.argc() > 3) return ctx.SyntaxError();
  // Only the one-argument form is refused without a password; AUTH <user> <password>
  // checks the pair (the default user then accepts any password, as in Redis 7).
  if (ctx.argc() == 2 && ctx.engine.acl().default_user()->nopass) {
    return ctx.Error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
  }
  std::string_view user = ctx.argc() == 3 ? ctx.arg(1) : "default";
  if (Authenticate(ctx, user, ctx.arg(ctx.argc() - 1))) ctx.reply.Ok();
}

bool ValidClientName(std::string_view name) {
  for (unsigned char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

// The slow log shows HELLO's AUTH username and password as "(redacted)" (as Redis).
bool HelloSecretArg(std::span<const std::string_view> argv, size_t index) {
  for (size_t i = 2; i < argv.size() && i < index; i++) {
    if (EqualsIgnoreCase(argv[i], "AUTH") && i + 2 < argv.size()) {
      if (index <= i + 2) return true;
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "SETNAME") && i + 1 < argv.size()) {
      i++;
    }
  }
  return false;
}

void Hello(CommandContext& ctx) {
  int64_t proto = ctx.session.resp;
  size_t i = 1;
  if (ctx.argc() >= 2) {
    auto v = ParseInt64(ctx.arg(1));
    if (!v) return ctx.Error("ERR Protocol version is not an integer or out of range");
    if (*v < 2 || *v > 3) return ctx.Error("NOPROTO unsupported protocol version");
    proto = *v;
    i = 2;
  }
  std::string_view setname;
  bool has_setname = false;
  for (; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "AUTH") && i + 2 < ctx.argc()) {
      if (!Authenticate(ctx, ctx.arg(i + 1), ctx.arg(i + 2))) return;
      i += 2;
    } else if (ctx.ArgIs(i, "SETNAME") && i + 1 < ctx.argc()) {
      setname = ctx.arg(++i);
      has_setname = true;
      if (!ValidClientName(setname)) {
        return ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      }
    } else {
      return ctx.Error(fmt::format("ERR Syntax error in HELLO option '{}'", ctx.arg(i)));
    }
  }
  if (!ctx.session.authenticated && ctx.engine.acl().default_needs_auth()) {
    return ctx.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
  }
  if (has_setname) ctx.session.name = std::string(setname);
  ctx.session.resp = static_cast<int>(proto);
  ctx.reply.set_resp3(proto == 3);
  // Redis's seven pairs exactly (tidekv's own version is in INFO server: tidekv_version).
  ctx.reply.Map(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(proto);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.session.id));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  engine::ServerHooks* hooks = ctx.engine.hooks();
  const bool replica =
      hooks != nullptr && hooks->replication() != nullptr && hooks->replication()->is_replica();
  ctx.reply.Bulk("role");
  ctx.reply.Bulk(replica ? "replica" : "master");
  ctx.reply.Bulk("modules");
  ctx.reply.Array(0);
}

void Select(CommandContext& ctx) {
  const std::optional<int> index = ctx.DbIndexArg(1);
  if (!index) return;
  ctx.session.db = *index;
  ctx.reply.Ok();
}

void Quit(CommandContext& ctx) {
  ctx.session.close_after_reply = true;
  ctx.reply.Ok();
}

void Reset(CommandContext& ctx) {
  if (ctx.session.monitor && ctx.engine.hooks() != nullptr) {
    ctx.engine.hooks()->RemoveMonitor(ctx.session.id);
  }
  ctx.session.monitor = false;
  ctx.session.replies_off = false;
  ctx.session.skip_replies = 0;
  ctx.engine.DiscardTransaction(ctx.session);
  // Leaves every channel, pattern and shard channel without confirmations, as Redis.
  ctx.engine.pubsub().RemoveClient(ctx.session);
  if (ctx.session.tracking != 0) ctx.engine.tracking().Disable(ctx.session);
  ctx.session.db = 0;
  ctx.session.resp = 2;
  ctx.session.name.clear();
  ctx.engine.AttachDefaultUser(ctx.session);
  ctx.reply.set_resp3(false);
  ctx.reply.Simple("RESET");
}

// ---- CLIENT ----------------------------------------------------------------------------

// CLIENT LIST TYPE / CLIENT KILL TYPE: whether `type` is one of Redis's client types, and
// whether a session is of it. Clients of the replication stream are not listed here, so
// master and replica match none; a client with subscriptions is "pubsub", not "normal".
bool KnownClientType(std::string_view type) {
  for (std::string_view known : {"normal", "master", "replica", "slave", "pubsub"}) {
    if (EqualsIgnoreCase(type, known)) return true;
  }
  return false;
}
bool IsOfType(const Session& s, std::string_view type) {
  if (EqualsIgnoreCase(type, "pubsub")) return s.subscribed();
  return EqualsIgnoreCase(type, "normal") && !s.subscribed();
}

void ClientReply(CommandContext& ctx) {
  if (ctx.ArgIs(2, "ON")) {
    ctx.session.replies_off = false;
    ctx.session.skip_replies = 0;
  } else if (ctx.ArgIs(2, "OFF")) {
    ctx.session.replies_off = true;
  } else if (ctx.ArgIs(2, "SKIP")) {
    if (!ctx.session.replies_off) ctx.session.skip_replies = 2;  // this reply and the next
  } else {
    return ctx.SyntaxError();
  }
  ctx.reply.Ok();
}

void ClientId(CommandContext& ctx) { ctx.reply.Integer(static_cast<int64_t>(ctx.session.id)); }

void ClientSetName(CommandContext& ctx) {
  if (!ValidClientName(ctx.arg(2))) {
    return ctx.Error("ERR Client names cannot contain spaces, newlines or special characters.");
  }
  ctx.session.name = std::string(ctx.arg(2));
  ctx.reply.Ok();
}

void ClientGetName(CommandContext& ctx) {
  if (ctx.session.name.empty()) return ctx.reply.Null();
  ctx.reply.Bulk(ctx.session.name);
}

void ClientSetInfo(CommandContext& ctx) {
  std::string_view value = ctx.arg(3);
  for (unsigned char c : value) {
    if (c < '!' || c > '~') {
      return ctx.Error(
          fmt::format("ERR {} cannot contain spaces, newlines or special characters.", ctx.arg(2)));
    }
  }
  if (ctx.ArgIs(2, "LIB-NAME")) {
    ctx.session.lib_name = std::string(value);
  } else if (ctx.ArgIs(2, "LIB-VER")) {
    ctx.session.lib_ver = std::string(value);
  } else {
    return ctx.Error(fmt::format("ERR Unrecognized option '{}'", ctx.arg(2)));
  }
  ctx.reply.Ok();
}

// Calls fn(client) for every client: all connections when there is a server, otherwise
// only the calling session.
void ForEachClient(CommandContext& ctx, const std::function<void(const engine::ClientView&)>& fn) {
  if (ctx.engine.hooks() == nullptr) {
    fn(engine::ClientView{&ctx.session});
    return;
  }
  ctx.engine.hooks()->ForEachClient(fn);
}

void ClientList(CommandContext& ctx) {
  std::vector<uint64_t> ids;
  bool any_id = false;
  std::optional<std::string_view> type;
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "TYPE") && i + 1 < ctx.argc()) {
      type = ctx.arg(++i);
      if (!KnownClientType(*type)) {
        return ctx.Error(fmt::format("ERR Unknown client type '{}'", *type));
      }
    } else if (ctx.ArgIs(i, "ID") && i + 1 < ctx.argc()) {
      for (i++; i < ctx.argc(); i++) {
        auto id = ParseInt64(ctx.arg(i));
        if (!id) return ctx.Error("ERR Invalid client ID");
        // Like Redis, an ID no client can have (0, negative) just matches nothing.
        if (*id > 0) ids.push_back(static_cast<uint64_t>(*id));
        any_id = true;
      }
    } else {
      return ctx.SyntaxError();
    }
  }
  std::string out;
  ForEachClient(ctx, [&](const engine::ClientView& c) {
    if (any_id && std::find(ids.begin(), ids.end(), c.session->id) == ids.end()) return;
    if (type && !IsOfType(*c.session, *type)) return;
    out += engine::ClientInfoLine(c, ctx.now_ms);
  });
  ctx.reply.Verbatim(out);
}

void ClientInfo(CommandContext& ctx) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  std::optional<engine::ClientView> c;
  if (hooks != nullptr) c = hooks->Client(ctx.session.id);
  ctx.reply.Verbatim(
      engine::ClientInfoLine(c.value_or(engine::ClientView{&ctx.session}), ctx.now_ms));
}

void ClientKill(CommandContext& ctx) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  if (hooks == nullptr) return ctx.Error("ERR CLIENT KILL needs a running server");
  auto kill = [&](const std::vector<uint64_t>& victims) {
    for (uint64_t id : victims) {
      if (id == ctx.session.id) {
        ctx.session.close_after_reply = true;
      } else {
        hooks->CloseClient(id, "CLIENT KILL");
      }
    }
  };
  // Old form: CLIENT KILL addr:port -> OK or error.
  if (ctx.argc() == 3) {
    std::vector<uint64_t> victims;
    hooks->ForEachClient([&](const engine::ClientView& c) {
      if (c.session->addr == ctx.arg(2)) victims.push_back(c.session->id);
    });
    if (victims.empty()) return ctx.Error("ERR No such client");
    kill(victims);
    return ctx.reply.Ok();
  }
  // New form: filters, all must match; SKIPME yes by default.
  std::optional<uint64_t> id;
  std::string_view addr, laddr, user;
  std::optional<int64_t> maxage;
  std::optional<std::string_view> type;
  bool skipme = true;
  if ((ctx.argc() - 2) % 2 != 0) return ctx.SyntaxError();
  for (size_t i = 2; i + 1 < ctx.argc(); i += 2) {
    std::string_view v = ctx.arg(i + 1);
    if (ctx.ArgIs(i, "ID")) {
      auto n = ParseInt64(v);
      if (!n || *n <= 0) return ctx.Error("ERR client-id should be greater than 0");
      id = static_cast<uint64_t>(*n);
    } else if (ctx.ArgIs(i, "ADDR")) {
      addr = v;
    } else if (ctx.ArgIs(i, "LADDR")) {
      laddr = v;
    } else if (ctx.ArgIs(i, "USER")) {
      user = v;
    } else if (ctx.ArgIs(i, "TYPE")) {
      if (!KnownClientType(v)) return ctx.Error(fmt::format("ERR Unknown client type '{}'", v));
      type = v;
    } else if (ctx.ArgIs(i, "SKIPME")) {
      if (EqualsIgnoreCase(v, "yes")) {
        skipme = true;
      } else if (EqualsIgnoreCase(v, "no")) {
        skipme = false;
      } else {
        return ctx.SyntaxError();
      }
    } else if (ctx.ArgIs(i, "MAXAGE")) {
      auto n = ParseInt64(v);
      if (!n) return ctx.SyntaxError();
      maxage = *n;
    } else {
      return ctx.SyntaxError();
    }
  }
  const engine::AclUser* user_filter = nullptr;
  if (!user.empty()) {
    user_filter = ctx.engine.acl().Find(user).get();
    if (user_filter == nullptr) return ctx.Error(fmt::format("ERR No such user '{}'", user));
  }
  std::vector<uint64_t> victims;
  hooks->ForEachClient([&](const engine::ClientView& c) {
    const Session& s = *c.session;
    if (id && s.id != *id) return;
    if (!addr.empty() && s.addr != addr) return;
    if (!laddr.empty() && s.laddr != laddr) return;
    if (maxage && (ctx.now_ms - s.created_ms) / 1000 < *maxage) return;
    if (type && !IsOfType(s, *type)) return;
    if (user_filter != nullptr && s.user.get() != user_filter) return;
    if (skipme && s.id == ctx.session.id) return;
    victims.push_back(s.id);
  });
  kill(victims);
  ctx.reply.Integer(static_cast<int64_t>(victims.size()));
}

// CLIENT PAUSE timeout [WRITE | ALL] (milliseconds): see engine/pause.h. During a pause the
// later deadline and the stricter mode win; CLIENT UNPAUSE ends it.
void ClientPause(CommandContext& ctx) {
  engine::PauseMode mode = engine::PauseMode::kAll;
  if (ctx.argc() == 4) {
    if (ctx.ArgIs(3, "WRITE")) {
      mode = engine::PauseMode::kWrite;
    } else if (!ctx.ArgIs(3, "ALL")) {
      return ctx.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
    }
  } else if (ctx.argc() > 4) {
    return ctx.Error(
        "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.");
  }
  const std::optional<int64_t> ms = ParseInt64(ctx.arg(2));
  if (!ms || *ms > INT64_MAX - ctx.now_ms) {
    return ctx.Error("ERR timeout is not an integer or out of range");
  }
  if (*ms < 0) return ctx.Error("ERR timeout is negative");
  ctx.engine.pause().Start(mode, ctx.now_ms + *ms);
  ctx.reply.Ok();
}

void ClientUnpause(CommandContext& ctx) {
  ctx.engine.pause().End();
  ctx.reply.Ok();
}

// CLIENT UNBLOCK id [TIMEOUT | ERROR]: ends a wait on keys (BLPOP...) as if it timed out,
// or with an -UNBLOCKED error. 1 when that client was blocked on keys.
void ClientUnblock(CommandContext& ctx) {
  const std::optional<int64_t> id = ctx.IntArg(2);
  if (!id) return;
  bool error = false;
  if (ctx.argc() == 4) {
    if (ctx.ArgIs(3, "ERROR")) {
      error = true;
    } else if (!ctx.ArgIs(3, "TIMEOUT")) {
      return ctx.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  } else if (ctx.argc() > 4) {
    return ctx.SyntaxError();
  }
  const bool unblocked =
      *id > 0 && ctx.engine.blocking().Unblock(static_cast<uint64_t>(*id), error);
  ctx.reply.Integer(unblocked ? 1 : 0);
}

void ClientHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GETNAME",
      "    Return the name of the current connection.",
      "ID",
      "    Return the ID of the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Kill connections. Options are: ID <id>, ADDR <ip:port>, LADDR <ip:port>,",
      "    TYPE normal|master|replica|pubsub, USER <username>, SKIPME yes|no, MAXAGE <secs>.",
      "LIST [TYPE normal|master|replica|pubsub] [ID <id> [<id> ...]]",
      "    Return information about client connections.",
      "PAUSE <timeout> [WRITE|ALL]",
      "    Suspend all, or just write, clients for <timeout> milliseconds.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "SETINFO LIB-NAME|LIB-VER <value>",
      "    Record the client library's name or version for CLIENT LIST.",
      "UNBLOCK <clientid> [TIMEOUT|ERROR]",
      "    Unblock the specified blocked client.",
      "UNPAUSE",
      "    Stop the current client pause, resuming traffic.",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  table.Add({.name = "ping",
             .arity = -1,
             .flags = F::kSubscribedContext | F::kFast | F::kStale | F::kLoading | F::kKeyless,
             .handler = Ping,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Returns the server's liveliness response.",
             .complexity = "O(1)",
             .syntax = "[message]"});
  table.Add({.name = "echo",
             .arity = 2,
             .flags = F::kFast | F::kStale | F::kLoading | F::kKeyless,
             .handler = Echo,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Returns the given string.",
             .complexity = "O(1)",
             .syntax = "message"});
  table.Add(
      {.name = "auth",
       .arity = -2,
       .flags = F::kNoScript | F::kNoAuth | F::kFast | F::kStale | F::kLoading | F::kNoMonitor |
                F::kVolatileReply,
       .handler = Auth,
       .group = "connection",
       .since = "1.0.0",
       .summary = "Authenticates the connection.",
       .complexity = "O(N) where N is the number of passwords defined for the user",
       .syntax = "[username] password",
       .secret_arg = [](std::span<const std::string_view>, size_t index) { return index >= 1; }});
  table.Add({.name = "hello",
             .arity = -1,
             .flags = F::kNoScript | F::kNoAuth | F::kFast | F::kStale | F::kLoading |
                      F::kNoMonitor | F::kVolatileReply,
             .handler = Hello,
             .group = "connection",
             .since = "6.0.0",
             .summary = "Handshakes with the server.",
             .complexity = "O(1)",
             .syntax = "[protover [AUTH username password] [SETNAME clientname]]",
             .secret_arg = HelloSecretArg});
  table.Add({.name = "select",
             .arity = 2,
             .flags = F::kFast | F::kStale | F::kLoading,
             .handler = Select,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Changes the selected database.",
             .complexity = "O(1)",
             .syntax = "index"});
  table.Add({.name = "quit",
             .arity = -1,
             .flags = F::kNoScript | F::kSubscribedContext | F::kNoAuth | F::kFast | F::kStale |
                      F::kLoading | F::kKeyless | F::kVolatileReply | F::kTxControl,
             .handler = Quit,
             .group = "connection",
             .since = "1.0.0",
             .summary = "Closes the connection.",
             .complexity = "O(1)",
             .syntax = ""});
  table.Add({.name = "reset",
             .arity = 1,
             .flags = F::kNoScript | F::kSubscribedContext | F::kNoAuth | F::kFast | F::kStale |
                      F::kLoading | F::kKeyless | F::kVolatileReply | F::kTxControl,
             .handler = Reset,
             .group = "connection",
             .since = "6.2.0",
             .summary = "Resets the connection.",
             .complexity = "O(1)",
             .syntax = ""});

  CommandSpec& client = table.Add({.name = "client",
                                   .arity = -2,
                                   .flags = F::kStale | F::kLoading | F::kVolatileReply,
                                   .group = "connection",
                                   .since = "2.4.0",
                                   .summary = "A container for client connection commands.",
                                   .complexity = "Depends on subcommand."});
  table.AddSubcommand(client, {.name = "id",
                               .arity = 2,
                               .flags = F::kFast | F::kStale | F::kLoading,
                               .handler = ClientId,
                               .since = "5.0.0",
                               .summary = "Returns the unique client ID of the connection.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(client, {.name = "setname",
                               .arity = 3,
                               .flags = F::kFast | F::kStale | F::kLoading,
                               .handler = ClientSetName,
                               .since = "2.6.9",
                               .summary = "Sets the connection name.",
                               .complexity = "O(1)",
                               .syntax = "connection-name"});
  table.AddSubcommand(client, {.name = "reply",
                               .arity = 3,
                               .flags = F::kNoScript | F::kFast | F::kStale | F::kLoading,
                               .handler = ClientReply,
                               .since = "3.2.0",
                               .summary = "Instructs the server whether to reply to commands.",
                               .complexity = "O(1)",
                               .syntax = "ON | OFF | SKIP"});
  table.AddSubcommand(client, {.name = "getname",
                               .arity = 2,
                               .flags = F::kFast | F::kStale | F::kLoading,
                               .handler = ClientGetName,
                               .since = "2.6.9",
                               .summary = "Returns the name of the connection.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(client, {.name = "setinfo",
                               .arity = 4,
                               .flags = F::kFast | F::kStale | F::kLoading,
                               .handler = ClientSetInfo,
                               .since = "7.2.0",
                               .summary = "Sets information specific to the client or connection.",
                               .complexity = "O(1)",
                               .syntax = "LIB-NAME libname | LIB-VER libver"});
  table.AddSubcommand(
      client,
      {.name = "list",
       .arity = -2,
       .flags = F::kAdmin | F::kStale | F::kLoading,
       .handler = ClientList,
       .since = "2.4.0",
       .summary = "Lists open connections.",
       .complexity = "O(N) where N is the number of client connections",
       .syntax = "[TYPE NORMAL | MASTER | REPLICA | PUBSUB] [ID client-id [client-id ...]]"});
  table.AddSubcommand(client, {.name = "info",
                               .arity = 2,
                               .flags = F::kStale | F::kLoading | F::kVolatileReply,
                               .handler = ClientInfo,
                               .since = "6.2.0",
                               .summary = "Returns information about the connection.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(
      client,
      {.name = "kill",
       .arity = -3,
       .flags = F::kAdmin | F::kStale | F::kLoading,
       .handler = ClientKill,
       .since = "2.4.0",
       .summary = "Terminates open connections.",
       .complexity = "O(N) where N is the number of client connections",
       .syntax = "ip:port | [ID client-id] [TYPE NORMAL | MASTER | SLAVE | REPLICA | PUBSUB] [USER "
                 "username] [ADDR ip:port] [LADDR ip:port] [SKIPME YES | NO] [MAXAGE maxage]"});
  table.AddSubcommand(client, {.name = "unblock",
                               .arity = -3,
                               .flags = F::kAdmin | F::kStale | F::kLoading,
                               .handler = ClientUnblock,
                               .since = "5.0.0",
                               .summary = "Unblocks a client blocked by a blocking command from a "
                                          "different connection.",
                               .complexity = "O(log N) where N is the number of client connections",
                               .syntax = "client-id [TIMEOUT | ERROR]"});
  table.AddSubcommand(client, {.name = "pause",
                               .arity = -3,
                               .flags = F::kAdmin | F::kNoScript | F::kStale | F::kLoading,
                               .handler = ClientPause,
                               .since = "3.0.0",
                               .summary = "Suspends commands processing.",
                               .complexity = "O(1)",
                               .syntax = "timeout [WRITE | ALL]"});
  table.AddSubcommand(client, {.name = "unpause",
                               .arity = 2,
                               .flags = F::kAdmin | F::kNoScript | F::kStale | F::kLoading,
                               .handler = ClientUnpause,
                               .since = "6.2.0",
                               .summary = "Resumes processing commands from paused clients.",
                               .complexity = "O(N) Where N is the number of paused clients",
                               .syntax = ""});
  RegisterClientTrackingCommands(table, client);
  table.AddSubcommand(client, {.name = "help",
                               .arity = 2,
                               .flags = F::kStale | F::kLoading,
                               .handler = ClientHelp,
                               .since = "5.0.0",
                               .summary = "Returns helpful text about the different subcommands.",
                               .complexity = "O(1)",
                               .syntax = ""});
}

}  // namespace tidekv::commands
