// Consumer groups (Redis 7.0 semantics and errors): XGROUP CREATE / SETID / DESTROY /
// CREATECONSUMER / DELCONSUMER / HELP, XACK, XPENDING, XCLAIM, XAUTOCLAIM. Group state is
// part of the stream value (persisted, copied, replicated).
//
// Effects: XCLAIM and XAUTOCLAIM propagate one XCLAIM ... TIME RETRYCOUNT FORCE JUSTID LASTID
// per entry they claimed or dropped (Redis's streamPropagateXCLAIM), never their own argv, so
// that replicas end with the same pending lists and counters; a group's last ID moved with
// nothing claimed propagates as XGROUP SETID ... ENTRIESREAD.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "commands/stream_util.h"
#include "common/strings.h"

namespace tidekv::commands {
namespace {

std::string NoGroup(std::string_view key, std::string_view group) {
  return fmt::format("NOGROUP No such key '{}' or consumer group '{}'", key, group);
}

void XGroupSyntaxError(CommandContext& ctx) {
  ctx.Error(
      fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try XGROUP HELP.",
                  ctx.arg(1).substr(0, 128)));
}

// ENTRIESREAD's value: a count, or -1 (unknown).
std::optional<int64_t> EntriesReadArg(CommandContext& ctx, size_t i) {
  std::optional<int64_t> n = ctx.IntArg(i);
  if (!n) return std::nullopt;
  if (*n < 0 && *n != StreamGroup::kInvalidRead) {
    ctx.Error("ERR value for ENTRIESREAD must be positive or -1");
    return std::nullopt;
  }
  return n;
}

// The stream of argv[2] for XGROUP's subcommands, and its group argv[3] when `need_group`.
// Replies the error and returns false when either is missing.
bool GroupTarget(CommandContext& ctx, bool need_group, CommandContext::Typed<StreamValue>* s,
                 StreamGroup** g) {
  *s = ctx.Write<StreamValue>(ctx.arg(2));
  if (!s->ok) return false;
  if (s->value == nullptr) {
    ctx.Error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
        "want to use the MKSTREAM option to create an empty stream automatically.");
    return false;
  }
  *g = s->value->FindGroup(ctx.arg(3));
  if (need_group && *g == nullptr) {
    ctx.Error(fmt::format("NOGROUP No such consumer group '{}' for key name '{}'", ctx.arg(3),
                          ctx.arg(2)));
    return false;
  }
  return true;
}

void XGroupCreate(CommandContext& ctx) {
  if (ctx.argc() > 8) return XGroupSyntaxError(ctx);
  bool mkstream = false;
  int64_t entries_read = StreamGroup::kInvalidRead;
  for (size_t i = 5; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "mkstream")) {
      mkstream = true;
    } else if (ctx.ArgIs(i, "entriesread") && i + 1 < ctx.argc()) {
      std::optional<int64_t> n = EntriesReadArg(ctx, i + 1);
      if (!n) return;
      entries_read = *n;
      i++;
    } else {
      return XGroupSyntaxError(ctx);
    }
  }
  auto s = ctx.Write<StreamValue>(ctx.arg(2));
  if (!s.ok) return;
  if (s.value == nullptr && !mkstream) {
    return ctx.Error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
        "want to use the MKSTREAM option to create an empty stream automatically.");
  }
  StreamID id;
  if (ctx.arg(4) == "$") {
    if (s.value != nullptr) id = s.value->last_id();
  } else {
    std::optional<StreamID> parsed = ParseStreamId(ctx, ctx.arg(4), true);
    if (!parsed) return;
    id = *parsed;
  }
  if (s.value != nullptr && s.value->FindGroup(ctx.arg(3)) != nullptr) {
    return ctx.Error("BUSYGROUP Consumer Group name already exists");
  }
  if (s.value == nullptr) {
    s = ctx.WriteOrCreate<StreamValue>(ctx.arg(2), [] { return new StreamValue(); });
  }
  s.value->CreateGroup(ctx.arg(3), id, entries_read);
  ctx.Changed();
  // "$" as the ID it stood for, so the log and replicas create the same group.
  if (ctx.arg(4) == "$") {
    std::vector<std::string_view> effect(ctx.argv.begin(), ctx.argv.end());
    const std::string sid = id.ToString();
    effect[4] = sid;
    ctx.Propagate(effect);
  }
  ctx.reply.Ok();
}

void XGroupSetId(CommandContext& ctx) {
  if (ctx.argc() != 5 && ctx.argc() != 7) return XGroupSyntaxError(ctx);
  // Options first, then the key and group, then the ID (Redis's order of errors).
  int64_t entries_read = StreamGroup::kInvalidRead;
  if (ctx.argc() == 7) {
    if (!ctx.ArgIs(5, "entriesread")) return XGroupSyntaxError(ctx);
    std::optional<int64_t> n = EntriesReadArg(ctx, 6);
    if (!n) return;
    entries_read = *n;
  }
  CommandContext::Typed<StreamValue> s;
  StreamGroup* g = nullptr;
  if (!GroupTarget(ctx, true, &s, &g)) return;
  StreamID id;
  if (ctx.arg(4) == "$") {
    id = s.value->last_id();
  } else {
    std::optional<StreamID> parsed = ParseStreamId(ctx, ctx.arg(4), false);
    if (!parsed) return;
    id = *parsed;
  }
  g->last_id = id;
  g->entries_read = entries_read;
  s.value->NoteMeta();
  ctx.Changed();
  const std::string sid = id.ToString();
  const std::string read = std::to_string(entries_read);
  ctx.Propagate({"XGROUP", "SETID", ctx.arg(2), ctx.arg(3), sid, "ENTRIESREAD", read});
  ctx.reply.Ok();
}

void XGroupDestroy(CommandContext& ctx) {
  CommandContext::Typed<StreamValue> s;
  StreamGroup* g = nullptr;
  if (!GroupTarget(ctx, false, &s, &g)) return;
  if (g == nullptr) return ctx.reply.Integer(0);
  // The key event of this change wakes the group's blocked readers: they get -NOGROUP.
  s.value->DestroyGroup(ctx.arg(3));
  ctx.Changed();
  ctx.reply.Integer(1);
}

void XGroupCreateConsumer(CommandContext& ctx) {
  CommandContext::Typed<StreamValue> s;
  StreamGroup* g = nullptr;
  if (!GroupTarget(ctx, true, &s, &g)) return;
  if (g->consumers.contains(ctx.arg(4))) return ctx.reply.Integer(0);
  bool created = false;
  TouchConsumer(*g, ctx.arg(4), StreamNow(ctx), &created);
  s.value->NoteMeta();
  ctx.Changed();
  ctx.reply.Integer(1);
}

void XGroupDelConsumer(CommandContext& ctx) {
  CommandContext::Typed<StreamValue> s;
  StreamGroup* g = nullptr;
  if (!GroupTarget(ctx, true, &s, &g)) return;
  auto c = g->consumers.find(ctx.arg(4));
  if (c == g->consumers.end()) return ctx.reply.Integer(0);
  const auto pending = static_cast<int64_t>(c->second.pending.size());
  for (StreamID id : c->second.pending) g->pel.erase(id);
  g->consumers.erase(c);
  s.value->NoteMeta();
  ctx.Changed();
  ctx.reply.Integer(pending);
}

void XGroupHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
  };
  ReplyHelp(ctx, kLines);
}

void XAck(CommandContext& ctx) {
  auto s = ctx.Write<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  StreamGroup* g = s.value != nullptr ? s.value->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ctx.reply.Integer(0);
  std::vector<StreamID> ids;
  for (size_t i = 3; i < ctx.argc(); i++) {
    std::optional<StreamID> id = ParseStreamId(ctx, ctx.arg(i), true);
    if (!id) return;
    ids.push_back(*id);
  }
  int64_t acked = 0;
  for (StreamID id : ids) {
    auto it = g->pel.find(id);
    if (it == g->pel.end()) continue;
    DropPending(*g, it);
    acked++;
  }
  if (acked > 0) {
    s.value->NoteMeta();
    ctx.Changed();
  }
  ctx.reply.Integer(acked);
}

// An interval bound of XPENDING / XAUTOCLAIM: "(" makes it exclusive.
std::optional<StreamID> IntervalId(CommandContext& ctx, std::string_view arg, uint64_t missing,
                                   bool start) {
  const bool exclusive = arg.size() > 1 && arg[0] == '(';
  std::optional<StreamID> id =
      ParseStreamId(ctx, exclusive ? arg.substr(1) : arg, exclusive, missing);
  if (!id || !exclusive) return id;
  if (start ? !id->Incr() : !id->Decr()) {
    ctx.Error(start ? "ERR invalid start ID for the interval"
                    : "ERR invalid end ID for the interval");
    return std::nullopt;
  }
  return id;
}

void XPending(CommandContext& ctx) {
  const size_t argc = ctx.argc();
  if (argc != 3 && (argc < 6 || argc > 9)) return ctx.SyntaxError();
  int64_t count = 0, min_idle = 0;
  StreamID start, end;
  std::string_view consumer;
  bool has_consumer = false;
  if (argc >= 6) {
    size_t at = 3;
    if (ctx.ArgIs(3, "idle")) {
      std::optional<int64_t> idle = ctx.IntArg(4);
      if (!idle) return;
      min_idle = *idle;
      if (argc < 8) return ctx.SyntaxError();
      at += 2;
    }
    std::optional<int64_t> n = ctx.IntArg(at + 2);
    if (!n) return;
    count = std::max<int64_t>(*n, 0);
    std::optional<StreamID> lo = IntervalId(ctx, ctx.arg(at), 0, true);
    if (!lo) return;
    std::optional<StreamID> hi = IntervalId(ctx, ctx.arg(at + 1), UINT64_MAX, false);
    if (!hi) return;
    start = *lo;
    end = *hi;
    if (at + 3 < argc) {
      consumer = ctx.arg(at + 3);
      has_consumer = true;
    }
  }
  auto s = ctx.Read<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  StreamGroup* g = s.value != nullptr ? s.value->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ctx.Error(NoGroup(ctx.arg(1), ctx.arg(2)));
  if (argc == 3) {
    ctx.reply.Array(4);
    ctx.reply.Integer(static_cast<int64_t>(g->pel.size()));
    if (g->pel.empty()) {
      ctx.reply.Null();
      ctx.reply.Null();
      ctx.reply.NullArray();
      return;
    }
    ctx.reply.Bulk(g->pel.begin()->first.ToString());
    ctx.reply.Bulk(g->pel.rbegin()->first.ToString());
    size_t with = 0;
    for (const auto& [name, c] : g->consumers) with += !c.pending.empty();
    ctx.reply.Array(with);
    for (const auto& [name, c] : g->consumers) {
      if (c.pending.empty()) continue;
      ctx.reply.Array(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(std::to_string(c.pending.size()));
    }
    return;
  }
  const int64_t now = ctx.now_ms;
  std::vector<StreamID> ids;
  if (has_consumer) {
    auto c = g->consumers.find(consumer);
    if (c == g->consumers.end()) return ctx.reply.Array(0);
    for (auto it = c->second.pending.lower_bound(start);
         count > 0 && it != c->second.pending.end() && *it <= end; ++it) {
      if (min_idle != 0 && now - g->pel.at(*it).delivery_time < min_idle) continue;
      ids.push_back(*it);
      count--;
    }
  } else {
    for (auto it = g->pel.lower_bound(start); count > 0 && it != g->pel.end() && it->first <= end;
         ++it) {
      if (min_idle != 0 && now - it->second.delivery_time < min_idle) continue;
      ids.push_back(it->first);
      count--;
    }
  }
  ctx.reply.Array(ids.size());
  for (StreamID id : ids) {
    const StreamPending& p = g->pel.at(id);
    ctx.reply.Array(4);
    ctx.reply.Bulk(id.ToString());
    ctx.reply.Bulk(p.consumer);
    ctx.reply.Integer(std::max<int64_t>(0, now - p.delivery_time));
    ctx.reply.Integer(static_cast<int64_t>(p.delivery_count));
  }
}

// Gives a pending entry to the consumer (created when absent, raising its event).
StreamPending& Claim(CommandContext& ctx, StreamGroup& g, StreamID id, std::string_view name,
                     int64_t now, bool* consumer_seen) {
  bool created = false;
  if (!*consumer_seen) {
    TouchConsumer(g, name, now, &created);
    *consumer_seen = true;
    if (created) StreamEvent(ctx, "xgroup-createconsumer", ctx.arg(1));
  }
  StreamPending& p = g.pel.at(id);
  AssignPending(g, id, &p, name);
  return p;
}

void XClaim(CommandContext& ctx) {
  auto s = ctx.Write<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  StreamGroup* g = s.value != nullptr ? s.value->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ctx.Error(NoGroup(ctx.arg(1), ctx.arg(2)));
  std::optional<int64_t> min_idle = ctx.IntArg(4, "ERR Invalid min-idle-time argument for XCLAIM");
  if (!min_idle) return;
  std::vector<StreamID> ids;
  size_t j = 5;
  for (; j < ctx.argc(); j++) {
    std::optional<StreamID> id = ParseStreamIdQuiet(ctx.arg(j));
    if (!id) break;
    ids.push_back(*id);
  }
  const int64_t now = StreamNow(ctx);
  int64_t retrycount = -1, delivery = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < ctx.argc(); j++) {
    const bool more = j + 1 < ctx.argc();
    if (ctx.ArgIs(j, "force")) {
      force = true;
    } else if (ctx.ArgIs(j, "justid")) {
      justid = true;
    } else if (ctx.ArgIs(j, "idle") && more) {
      std::optional<int64_t> v = ctx.IntArg(++j, "ERR Invalid IDLE option argument for XCLAIM");
      if (!v) return;
      delivery = now - *v;
    } else if (ctx.ArgIs(j, "time") && more) {
      std::optional<int64_t> v = ctx.IntArg(++j, "ERR Invalid TIME option argument for XCLAIM");
      if (!v) return;
      delivery = *v;
    } else if (ctx.ArgIs(j, "retrycount") && more) {
      std::optional<int64_t> v =
          ctx.IntArg(++j, "ERR Invalid RETRYCOUNT option argument for XCLAIM");
      if (!v) return;
      retrycount = *v;
    } else if (ctx.ArgIs(j, "lastid") && more) {
      std::optional<StreamID> v = ParseStreamId(ctx, ctx.arg(++j), true);
      if (!v) return;
      last_id = *v;
    } else {
      return ctx.Error(fmt::format("ERR Unrecognized XCLAIM option '{}'", ctx.arg(j)));
    }
  }
  StreamValue& st = *s.value;
  bool changed = false, propagate_last_id = false;
  if (g->last_id < last_id) {
    st.AdvanceGroup(*g, last_id);
    changed = propagate_last_id = true;
  }
  if (delivery < 0 || delivery > now) delivery = now;
  bool consumer_seen = false;
  std::vector<StreamID> claimed;
  for (StreamID id : ids) {
    auto nack = g->pel.find(id);
    if (!st.entries().contains(id)) {
      if (nack != g->pel.end()) {
        PropagateClaim(ctx, ctx.arg(1), ctx.arg(2), *g, id, nack->second);
        propagate_last_id = false;
        DropPending(*g, nack);
        changed = true;
      }
      continue;
    }
    if (force && nack == g->pel.end()) nack = g->pel.emplace(id, StreamPending{}).first;
    if (nack == g->pel.end()) continue;
    StreamPending& p0 = nack->second;
    if (!p0.consumer.empty() && *min_idle > 0 && now - p0.delivery_time < *min_idle) continue;
    StreamPending& p = Claim(ctx, *g, id, ctx.arg(3), now, &consumer_seen);
    p.delivery_time = delivery;
    if (retrycount >= 0) {
      p.delivery_count = static_cast<uint64_t>(retrycount);
    } else if (!justid) {
      p.delivery_count++;
    }
    claimed.push_back(id);
    PropagateClaim(ctx, ctx.arg(1), ctx.arg(2), *g, id, p);
    propagate_last_id = false;
    changed = true;
  }
  if (propagate_last_id) {
    const std::string sid = g->last_id.ToString();
    const std::string read = std::to_string(g->entries_read);
    ctx.Propagate({"XGROUP", "SETID", ctx.arg(1), ctx.arg(2), sid, "ENTRIESREAD", read});
  }
  if (changed) {
    st.NoteMeta();
    ctx.Changed();
  }
  ctx.reply.Array(claimed.size());
  for (StreamID id : claimed) {
    if (justid) {
      ctx.reply.Bulk(id.ToString());
    } else {
      ReplyStreamEntry(ctx.reply, id, st.entries().at(id));
    }
  }
}

void XAutoClaim(CommandContext& ctx) {
  std::optional<int64_t> min_idle =
      ctx.IntArg(4, "ERR Invalid min-idle-time argument for XAUTOCLAIM");
  if (!min_idle) return;
  std::optional<StreamID> start = IntervalId(ctx, ctx.arg(5), 0, true);
  if (!start) return;
  int64_t count = 100;
  bool justid = false;
  constexpr int64_t kAttemptsFactor = 10;
  for (size_t j = 6; j < ctx.argc(); j++) {
    if (ctx.ArgIs(j, "count") && j + 1 < ctx.argc()) {
      std::optional<int64_t> n = ParseInt64(ctx.arg(j + 1));
      if (!n || *n < 1 || *n > INT64_MAX / 16 / kAttemptsFactor) {
        return ctx.Error("ERR COUNT must be > 0");
      }
      count = *n;
      j++;
    } else if (ctx.ArgIs(j, "justid")) {
      justid = true;
    } else {
      return ctx.SyntaxError();
    }
  }
  auto s = ctx.Write<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  StreamGroup* g = s.value != nullptr ? s.value->FindGroup(ctx.arg(2)) : nullptr;
  if (g == nullptr) return ctx.Error(NoGroup(ctx.arg(1), ctx.arg(2)));
  StreamValue& st = *s.value;
  const int64_t now = StreamNow(ctx);
  int64_t attempts = count * kAttemptsFactor;
  bool consumer_seen = false, changed = false;
  std::vector<StreamID> claimed, deleted;
  auto it = g->pel.lower_bound(*start);
  while (attempts-- > 0 && count > 0 && it != g->pel.end()) {
    const StreamID id = it->first;
    if (!st.entries().contains(id)) {
      PropagateClaim(ctx, ctx.arg(1), ctx.arg(2), *g, id, it->second);
      auto next = std::next(it);
      DropPending(*g, it);
      it = next;
      deleted.push_back(id);
      count--;
      changed = true;
      continue;
    }
    if (*min_idle > 0 && now - it->second.delivery_time < *min_idle) {
      ++it;
      continue;
    }
    StreamPending& p = Claim(ctx, *g, id, ctx.arg(3), now, &consumer_seen);
    p.delivery_time = now;
    if (!justid) p.delivery_count++;
    claimed.push_back(id);
    PropagateClaim(ctx, ctx.arg(1), ctx.arg(2), *g, id, p);
    count--;
    changed = true;
    ++it;
  }
  if (changed) {
    st.NoteMeta();
    ctx.Changed();
  }
  ctx.reply.Array(3);
  ctx.reply.Bulk(it == g->pel.end() ? "0-0" : it->first.ToString());
  ctx.reply.Array(claimed.size());
  for (StreamID id : claimed) {
    if (justid) {
      ctx.reply.Bulk(id.ToString());
    } else {
      ReplyStreamEntry(ctx.reply, id, st.entries().at(id));
    }
  }
  ctx.reply.Array(deleted.size());
  for (StreamID id : deleted) ctx.reply.Bulk(id.ToString());
}

}  // namespace

void RegisterStreamGroupCommands(CommandTable& table) {
  using enum CommandFlag;
  CommandSpec& xgroup = table.Add({.name = "xgroup",
                                   .arity = -2,
                                   .group = "stream",
                                   .since = "5.0.0",
                                   .summary = "A container for consumer groups commands.",
                                   .complexity = "Depends on subcommand."});
  auto sub = [&](CommandSpec spec) { AddStreamKeySubcommand(table, xgroup, std::move(spec)); };
  sub({.name = "create",
       .arity = -5,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW insert",
       .handler = XGroupCreate,
       .since = "5.0.0",
       .summary = "Creates a consumer group.",
       .complexity = "O(1)",
       .syntax = "key group id | $ [MKSTREAM] [ENTRIESREAD entries-read]"});
  sub({.name = "setid",
       .arity = -5,
       .flags = kWrite,
       .key_flags = "RW update",
       .handler = XGroupSetId,
       .since = "5.0.0",
       .summary = "Sets the last-delivered ID of a consumer group.",
       .complexity = "O(1)",
       .syntax = "key group id | $ [ENTRIESREAD entries-read]"});
  sub({.name = "destroy",
       .arity = 4,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = XGroupDestroy,
       .since = "5.0.0",
       .summary = "Destroys a consumer group.",
       .complexity = "O(N) where N is the number of entries in the group's pending entries "
                     "list (PEL).",
       .syntax = "key group"});
  sub({.name = "createconsumer",
       .arity = 5,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW insert",
       .handler = XGroupCreateConsumer,
       .since = "6.2.0",
       .summary = "Creates a consumer in a consumer group.",
       .complexity = "O(1)",
       .syntax = "key group consumer"});
  sub({.name = "delconsumer",
       .arity = 5,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = XGroupDelConsumer,
       .since = "5.0.0",
       .summary = "Deletes a consumer from a consumer group.",
       .complexity = "O(1)",
       .syntax = "key group consumer"});
  table.AddSubcommand(xgroup, {.name = "help",
                               .arity = 2,
                               .flags = kKeyless | kLoading | kStale,
                               .handler = XGroupHelp,
                               .group = "stream",
                               .since = "5.0.0",
                               .summary = "Returns helpful text about the different subcommands.",
                               .complexity = "O(1)",
                               .syntax = ""});
  auto row = [&table](CommandSpec spec) { AddStreamKeyRow(table, std::move(spec)); };
  row({.name = "xack",
       .arity = -4,
       .flags = kWrite | kFast,
       .key_flags = "RW update",
       .handler = XAck,
       .since = "5.0.0",
       .summary = "Returns the number of messages that were successfully acknowledged by the "
                  "consumer group member of a stream.",
       .complexity = "O(1) for each message ID processed.",
       .syntax = "key group id [id ...]"});
  row({.name = "xpending",
       .arity = -3,
       .flags = kReadOnly | kVolatileReply,
       .key_flags = "RO access",
       .handler = XPending,
       .since = "5.0.0",
       .summary = "Returns the information and entries from a stream consumer group's pending "
                  "entries list.",
       .complexity = "O(N) with N being the number of elements returned, so asking for a small "
                     "fixed number of entries per call is O(1). O(M), where M is the total "
                     "number of entries scanned when used with the IDLE filter. When the "
                     "command returns just the summary and the list of consumers is small, it "
                     "runs in O(1) time; otherwise, an additional O(N) time for iterating every "
                     "consumer.",
       .syntax = "key group [[IDLE min-idle-time] start end count [consumer]]"});
  row({.name = "xclaim",
       .arity = -6,
       .flags = kWrite | kFast | kVolatileReply,
       .key_flags = "RW update",
       .handler = XClaim,
       .since = "5.0.0",
       .summary = "Changes, or acquires, ownership of a message in a consumer group, as if the "
                  "message was delivered a consumer group member.",
       .complexity = "O(log N) with N being the number of messages in the PEL of the consumer "
                     "group.",
       .syntax = "key group consumer min-idle-time id [id ...] [IDLE ms] "
                 "[TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] "
                 "[LASTID lastid]"});
  row({.name = "xautoclaim",
       .arity = -6,
       .flags = kWrite | kFast | kVolatileReply,
       .key_flags = "RW delete",
       .handler = XAutoClaim,
       .since = "6.2.0",
       .summary = "Changes, or acquires, ownership of messages in a consumer group, as if the "
                  "messages were delivered to as consumer group member.",
       .complexity = "O(1) if COUNT is small.",
       .syntax = "key group consumer min-idle-time start [COUNT count] [JUSTID]"});
}

}  // namespace tidekv::commands
