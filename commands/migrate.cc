// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
//         [AUTH2 username password] [KEYS key [key ...]]
//
// Moves (or with COPY copies) keys to another server: for each key, RESTORE key ttl payload
// [REPLACE] on the target, with DUMP's payload (commands/dump.cc) and the remaining TTL;
// then, without COPY, deletes the keys the target acknowledged. Replies and errors are
// Redis 7.0's (+OK, +NOKEY, -IOERR ..., "Target instance replied with error: ...").
//
// How it waits: synchronously, on the loop thread, as Redis does. The command's reply
// depends on the target's, and its effect (the local DEL) must follow the target's
// acknowledgement inside the same command, so that nothing else runs against these keys in
// between. Handlers cannot suspend (engine/ runs each command to completion), so the
// handler talks to the target over a BlockingSocket (common/blocking_socket.h): connect,
// each 64 KiB of the request, and each reply line wait at most `timeout` ms with poll().
// A dead or unreachable target therefore stalls the server for at most about the timeout
// per step (a few steps; Redis behaves the same), never indefinitely. Connections are
// cached per target for 10 s (engine/migrate_targets.h).
//
// The local deletion is a normal write: Database::Erase notes the keys (WATCH, tracking,
// persistence's dirty set, keyspace "del" events through the notifier's map), and the effect
// is propagated as DEL of exactly the acknowledged keys (log, replicas, trace); MIGRATE itself
// never reaches the log. A replica applying frames refuses it: a primary's frames only ever
// carry that DEL, and must not make a replica connect anywhere.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "common/strings.h"
#include "engine/migrate_targets.h"

namespace tidekv::commands {
namespace {

using engine::MigrateTargets;
using Io = BlockingSocket::Io;

constexpr size_t kWriteChunk = 64 * 1024;  // each chunk gets the whole timeout, as Redis
constexpr size_t kMaxReplyLine = 64 * 1024;

struct MigrateArgs {
  bool copy = false;
  bool replace = false;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;
  size_t first_key = 3;
  size_t num_keys = 1;
  int64_t timeout_ms = 0;
  int64_t db = 0;
};

// Redis's order: the options (syntax errors), then timeout, then the database number.
std::optional<MigrateArgs> ParseArgs(CommandContext& ctx) {
  MigrateArgs a;
  for (size_t i = 6; i < ctx.argc(); i++) {
    const size_t more = ctx.argc() - 1 - i;
    if (ctx.ArgIs(i, "copy")) {
      a.copy = true;
    } else if (ctx.ArgIs(i, "replace")) {
      a.replace = true;
    } else if (ctx.ArgIs(i, "auth") && more >= 1) {
      a.password = ctx.arg(++i);
    } else if (ctx.ArgIs(i, "auth2") && more >= 2) {
      a.username = ctx.arg(++i);
      a.password = ctx.arg(++i);
    } else if (ctx.ArgIs(i, "keys")) {
      if (!ctx.arg(3).empty()) {
        ctx.Error(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
        return std::nullopt;
      }
      a.first_key = i + 1;
      a.num_keys = ctx.argc() - i - 1;
      break;  // every argument after KEYS is a key
    } else {
      ctx.SyntaxError();
      return std::nullopt;
    }
  }
  std::optional<int64_t> timeout = ctx.IntArg(5);
  if (!timeout) return std::nullopt;
  std::optional<int64_t> db = ctx.IntArg(4);
  if (!db) return std::nullopt;
  a.timeout_ms = *timeout <= 0 ? 1000 : *timeout;
  a.db = *db;
  return a;
}

void AppendBulk(std::string* out, std::string_view s) {
  fmt::format_to(std::back_inserter(*out), "${}\r\n", s.size());
  out->append(s);
  out->append("\r\n");
}

void AppendArrayHeader(std::string* out, size_t n) {
  fmt::format_to(std::back_inserter(*out), "*{}\r\n", n);
}

constexpr std::string_view kUnexpected = "unexpected reply ";

// Why the target refused a command, from its reply line: nullopt for a status reply (+OK),
// the error's text for an error reply. Anything else means the peer is not a Redis-protocol
// server (a proxy answering HTTP, say): a refusal too, so that no key is deleted on the
// strength of a reply that acknowledged nothing (Redis takes any line not starting with '-'
// as success).
std::optional<std::string> Refusal(std::string_view line) {
  if (line.starts_with('+')) return std::nullopt;
  if (line.starts_with('-')) return std::string(line.substr(1));
  return fmt::format("{}'{}'", kUnexpected, line.substr(0, 64));
}

// The key to move and its value, found live when the command started.
struct Found {
  std::string_view key;
  Entry* entry;
};

// How one attempt ended: `done` when it replied (+OK or the target's error); otherwise a
// socket failure, which the caller replies (after one retry when `retry` allows).
struct Attempt {
  bool done = false;
  bool writing = false;  // the failure was writing (else reading)
  bool retry = false;    // nothing was acknowledged and it was not a timeout
};

Attempt RunAttempt(CommandContext& ctx, const MigrateArgs& a, MigrateTargets::Target& t,
                   const std::vector<Found>& found) {
  std::string request;
  if (a.password) {
    AppendArrayHeader(&request, a.username ? 3 : 2);
    AppendBulk(&request, "AUTH");
    if (a.username) AppendBulk(&request, *a.username);
    AppendBulk(&request, *a.password);
  }
  const bool select = t.db != a.db;
  if (select) {
    AppendArrayHeader(&request, 2);
    AppendBulk(&request, "SELECT");
    AppendBulk(&request, std::to_string(a.db));
  }
  // The TTL left now (the connection may have taken a while): a key that expired since the
  // command started is left out, one about to expire gets 1 ms.
  const int64_t now_ms = ctx.engine.clock().NowMs();
  std::vector<Found> sent;
  for (const Found& f : found) {
    int64_t ttl = 0;
    if (f.entry->HasExpiry()) {
      ttl = f.entry->expire_at() - now_ms;
      if (ttl < 0) continue;
      ttl = std::max<int64_t>(ttl, 1);
    }
    sent.push_back(f);
    AppendArrayHeader(&request, a.replace ? 5 : 4);
    AppendBulk(&request, "RESTORE");
    AppendBulk(&request, f.key);
    AppendBulk(&request, std::to_string(ttl));
    AppendBulk(&request, DumpPayload(*f.entry));
    if (a.replace) AppendBulk(&request, "REPLACE");
  }

  for (size_t pos = 0; pos < request.size(); pos += kWriteChunk) {
    const Io io = t.socket.Write(std::string_view(request).substr(pos, kWriteChunk), a.timeout_ms);
    if (io != Io::kOk) return {.writing = true, .retry = io != Io::kTimeout};
  }
  std::string auth_reply, select_reply, line;
  if (a.password) {
    if (const Io io = t.socket.ReadLine(&auth_reply, a.timeout_ms, kMaxReplyLine); io != Io::kOk) {
      return {.retry = io != Io::kTimeout};
    }
  }
  if (select) {
    if (const Io io = t.socket.ReadLine(&select_reply, a.timeout_ms, kMaxReplyLine);
        io != Io::kOk) {
      return {.retry = io != Io::kTimeout};
    }
  }
  // A refused AUTH or SELECT makes every RESTORE count as refused (they ran unauthenticated
  // or in another database): no key is deleted, and that first error is the reply.
  std::optional<std::string> early_error;
  if (a.password) early_error = Refusal(auth_reply);
  if (!early_error && select) early_error = Refusal(select_reply);
  std::optional<std::string> target_error;
  std::vector<std::string_view> del = {"DEL"};
  size_t read = 0;
  Io failed = Io::kOk;
  for (; read < sent.size(); read++) {
    failed = t.socket.ReadLine(&line, a.timeout_ms, kMaxReplyLine);
    if (failed != Io::kOk) break;
    std::optional<std::string> refused = early_error ? early_error : Refusal(line);
    if (refused) {
      if (!target_error) target_error = std::move(refused);
    } else if (!a.copy) {
      ctx.db.Erase(sent[read].key, ctx.now_ms);
      del.push_back(sent[read].key);
    }
  }
  if (del.size() > 1) {
    ctx.Changed(del.size() - 1);
    ctx.Propagate(del);
  }
  if (target_error) {
    t.db = -1;  // the target's selected database is no longer known
    std::replace_if(
        target_error->begin(), target_error->end(), [](char c) { return c == '\r' || c == '\n'; },
        ' ');
    ctx.Error(fmt::format("ERR Target instance replied with error: {}", *target_error));
    // After a socket failure, or a reply that is not RESP's, the stream cannot be trusted.
    if (failed != Io::kOk || target_error->starts_with(kUnexpected)) {
      ctx.engine.migrate_targets().Close(ctx.arg(1), ctx.arg(2));
    }
    return {.done = true};
  }
  if (failed != Io::kOk) return {.retry = read == 0 && failed != Io::kTimeout};
  t.db = a.db;
  ctx.reply.Ok();
  return {.done = true};
}

void Migrate(CommandContext& ctx) {
  if (ctx.session.applies_frames) {
    return ctx.Error("ERR MIGRATE is never applied from replication frames");
  }
  std::optional<MigrateArgs> a = ParseArgs(ctx);
  if (!a) return;
  // Only the keys that exist; none at all is not an error (it may just have expired).
  std::vector<Found> found;
  for (size_t i = 0; i < a->num_keys; i++) {
    const std::string_view key = ctx.arg(a->first_key + i);
    if (Entry* e = ctx.LookupRead(key)) found.push_back({key, e});
  }
  if (found.empty()) return ctx.reply.Simple("NOKEY");

  MigrateTargets& targets = ctx.engine.migrate_targets();
  targets.CloseIdle(ctx.engine.clock().NowMs());
  // A cached connection the target has since closed fails at once: one retry on a fresh
  // connection, unless the failure was a timeout or the target acknowledged something.
  for (bool may_retry = true;; may_retry = false) {
    MigrateTargets::Target* t =
        targets.Get(ctx.arg(1), ctx.arg(2), a->timeout_ms, ctx.engine.clock().NowMs());
    if (t == nullptr) return ctx.Error("IOERR error or timeout connecting to the client");
    const Attempt result = RunAttempt(ctx, *a, *t, found);
    if (result.done) return;
    targets.Close(ctx.arg(1), ctx.arg(2));
    if (result.retry && may_retry) continue;
    return ctx.Error(fmt::format("IOERR error or timeout {} to target instance",
                                 result.writing ? "writing" : "reading"));
  }
}

// MIGRATE's keys as Redis 7.0's COMMAND GETKEYS finds them: its key specs say argv[3]
// unless a KEYS keyword is found searching back from the second-last argument; that spec is
// incomplete, so Redis then walks the options as MIGRATE parses them (AUTH's and AUTH2's
// values skipped) and takes every argument after KEYS, or nothing when argv[3] is not empty
// (an invalid call).
void MigrateKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  const size_t argc = argv.size();
  if (argc < 4) return;
  bool keyword = false;
  for (size_t i = argc - 2; i >= 1 && !keyword; i--) keyword = EqualsIgnoreCase(argv[i], "keys");
  if (keyword) {
    for (size_t i = 6; i < argc; i++) {
      if (EqualsIgnoreCase(argv[i], "keys")) {
        if (!argv[3].empty()) return;
        for (size_t k = i + 1; k < argc; k++) out->push_back(k);
        return;
      }
      if (EqualsIgnoreCase(argv[i], "auth")) {
        i += 1;
      } else if (EqualsIgnoreCase(argv[i], "auth2")) {
        i += 2;
      }
    }
  }
  out->push_back(3);
}

// MONITOR and the slow log show AUTH's password and AUTH2's username and password as
// "(redacted)", as Redis.
bool MigrateSecretArg(std::span<const std::string_view> argv, size_t index) {
  for (size_t i = 6; i < argv.size() && i < index; i++) {
    if (EqualsIgnoreCase(argv[i], "keys")) return false;
    if (EqualsIgnoreCase(argv[i], "auth") && i + 1 < argv.size()) {
      if (index == i + 1) return true;
      i += 1;
    } else if (EqualsIgnoreCase(argv[i], "auth2") && i + 2 < argv.size()) {
      if (index <= i + 2) return true;
      i += 2;
    }
  }
  return false;
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterMigrateCommand(CommandTable& table) {
  using enum CommandFlag;
  table.Add({.name = "migrate",
             .arity = -6,
             // Its reply depends on another server: never compared by trace replay.
             .flags = kWrite | kVolatileReply,
             .first_key = 3,
             .last_key = 3,
             .key_step = 1,
             .key_flags = "RW access delete; RW access delete incomplete",
             .handler = Migrate,
             .group = "generic",
             .since = "2.6.0",
             .summary = "Atomically transfers a key from one Redis instance to another.",
             .complexity = "This command actually executes a DUMP+DEL in the source instance, and "
                           "a RESTORE in the target instance. See the pages of these commands for "
                           "time complexity. Also an O(N) data transfer between the two instances "
                           "is performed.",
             .syntax = "host port <key | \"\"> destination-db timeout [COPY] [REPLACE] "
                       "[AUTH password | AUTH2 username password] [KEYS key [key ...]]",
             .find_keys = MigrateKeys,
             .secret_arg = MigrateSecretArg,
             .key_keyword = "KEYS"});
}

}  // namespace tidekv::commands
