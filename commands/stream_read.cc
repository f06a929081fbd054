// XREAD and XREADGROUP (Redis 7.0 semantics and errors), with BLOCK on the engine's
// blocking registry: a reader with nothing to serve waits on its streams; an XADD (any
// change of a stream it waits on) runs its command again as a normal command. XREAD's "$"
// is rewritten in the waiting argv to the ID it stood for, so the rerun serves what arrived
// after the wait began. A blocked XREADGROUP ends with an error when its stream is deleted
// or changes type. Neither is ever propagated as a blocking command: XREAD writes nothing,
// XREADGROUP propagates XCLAIMs (and XGROUP SETID for NOACK), as Redis does.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "commands/stream_util.h"
#include "common/strings.h"
#include "engine/script_host.h"

namespace tidekv::commands {
namespace {

struct ReadArgs {
  int64_t timeout = -1;  // ms; -1: no BLOCK; 0: forever
  int64_t count = 0;     // 0: all
  size_t streams_arg = 0;
  size_t n = 0;  // streams
  std::string_view group;
  std::string_view consumer;
  bool noack = false;
};

bool ParseRead(CommandContext& ctx, bool xreadgroup, ReadArgs* a) {
  const std::string_view name = ctx.spec.name;
  for (size_t i = 1; i < ctx.argc(); i++) {
    const size_t more = ctx.argc() - i - 1;
    if (ctx.ArgIs(i, "block") && more > 0) {
      if (ctx.engine.has_scripts() && ctx.engine.scripts().running() && ctx.session.deny_blocking) {
        ctx.Error(
            fmt::format("ERR {} command is not allowed with BLOCK option from scripts", name));
        return false;
      }
      i++;
      std::optional<int64_t> ms = ctx.IntArg(i, "ERR timeout is not an integer or out of range");
      if (!ms) return false;
      if (*ms < 0) {
        ctx.Error("ERR timeout is negative");
        return false;
      }
      if (*ms > INT64_MAX / 2) {
        ctx.Error("ERR timeout is out of range");
        return false;
      }
      a->timeout = *ms;
    } else if (ctx.ArgIs(i, "count") && more > 0) {
      i++;
      std::optional<int64_t> n = ctx.IntArg(i);
      if (!n) return false;
      a->count = std::max<int64_t>(*n, 0);
    } else if (ctx.ArgIs(i, "streams") && more > 0) {
      a->streams_arg = i + 1;
      const size_t rest = ctx.argc() - a->streams_arg;
      if (rest % 2 != 0) {
        ctx.Error(
            fmt::format("ERR Unbalanced '{}' list of streams: for each stream key an ID or "
                        "'{}' must be specified.",
                        name, xreadgroup ? '>' : '$'));
        return false;
      }
      a->n = rest / 2;
      break;
    } else if (ctx.ArgIs(i, "group") && more >= 2) {
      if (!xreadgroup) {
        ctx.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      a->group = ctx.arg(i + 1);
      a->consumer = ctx.arg(i + 2);
      i += 2;
    } else if (ctx.ArgIs(i, "noack")) {
      if (!xreadgroup) {
        ctx.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
            "instead.");
        return false;
      }
      a->noack = true;
    } else {
      ctx.SyntaxError();
      return false;
    }
  }
  if (a->streams_arg == 0) {
    ctx.SyntaxError();
    return false;
  }
  if (xreadgroup && a->group.data() == nullptr) {
    ctx.Error("ERR Missing GROUP option for XREADGROUP");
    return false;
  }
  return true;
}

// One stream of the command, as resolved before anything is served.
struct Source {
  std::string_view key;
  StreamValue* value = nullptr;
  StreamGroup* group = nullptr;
  StreamID after;        // serve IDs above this
  bool newest = false;   // ">"
  bool history = false;  // XREADGROUP with an explicit ID: the consumer's pending entries
  bool serve = false;
};

// Serves ">" for one stream: entries after the group's last ID, each one added to the
// consumer's pending list (unless NOACK) and propagated as an XCLAIM.
void ServeNew(CommandContext& ctx, const ReadArgs& a, Source& src) {
  StreamValue& s = *src.value;
  StreamGroup& g = *src.group;
  const auto& entries = s.entries();
  std::vector<StreamID> ids;
  for (auto it = entries.upper_bound(src.after);
       it != entries.end() && (a.count == 0 || static_cast<int64_t>(ids.size()) < a.count); ++it) {
    ids.push_back(it->first);
  }
  ctx.reply.Array(ids.size());
  for (StreamID id : ids) {
    if (g.last_id < id) s.AdvanceGroup(g, id);
    ReplyStreamEntry(ctx.reply, id, entries.at(id));
    if (a.noack) continue;
    StreamPending& p = g.pel[id];
    p.delivery_time = ctx.now_ms;
    p.delivery_count = 1;
    AssignPending(g, id, &p, a.consumer);
    PropagateClaim(ctx, src.key, a.group, g, id, p);
  }
  if (a.noack && !ids.empty()) {
    const std::string last = g.last_id.ToString();
    const std::string read = std::to_string(g.entries_read);
    ctx.Propagate({"XGROUP", "SETID", src.key, a.group, last, "ENTRIESREAD", read});
  }
  s.NoteMeta();
}

// Serves an explicit ID: the consumer's pending entries above it; a deleted entry is its ID
// with a null body. Each redelivery counts (propagated as an XCLAIM so replicas agree).
void ServeHistory(CommandContext& ctx, const ReadArgs& a, Source& src, StreamConsumer& c) {
  StreamValue& s = *src.value;
  StreamGroup& g = *src.group;
  std::vector<StreamID> ids;
  for (auto it = c.pending.upper_bound(src.after);
       it != c.pending.end() && (a.count == 0 || static_cast<int64_t>(ids.size()) < a.count);
       ++it) {
    ids.push_back(*it);
  }
  ctx.reply.Array(ids.size());
  for (StreamID id : ids) {
    auto e = s.entries().find(id);
    if (e == s.entries().end()) {
      ctx.reply.Array(2);
      ctx.reply.Bulk(id.ToString());
      ctx.reply.NullArray();
      continue;
    }
    ReplyStreamEntry(ctx.reply, id, e->second);
    StreamPending& p = g.pel.at(id);
    p.delivery_time = ctx.now_ms;
    p.delivery_count++;
    PropagateClaim(ctx, src.key, a.group, g, id, p);
  }
  if (!ids.empty()) s.NoteMeta();
}

void Read(CommandContext& ctx, bool xreadgroup) {
  ReadArgs a;
  if (!ParseRead(ctx, xreadgroup, &a)) return;
  std::vector<Source> sources(a.n);
  for (size_t k = 0; k < a.n; k++) {
    Source& src = sources[k];
    src.key = ctx.arg(a.streams_arg + k);
    const std::string_view id_arg = ctx.arg(a.streams_arg + a.n + k);
    auto s = xreadgroup ? ctx.Write<StreamValue>(src.key) : ctx.Read<StreamValue>(src.key);
    if (!s.ok) return;
    src.value = s.value;
    if (xreadgroup) {
      if (s.value != nullptr) src.group = s.value->FindGroup(a.group);
      if (src.group == nullptr) {
        return ctx.Error(
            fmt::format("NOGROUP No such key '{}' or consumer group '{}' in "
                        "XREADGROUP with GROUP option",
                        src.key, a.group));
      }
    }
    if (id_arg == "$") {
      if (xreadgroup) {
        return ctx.Error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
      }
      src.after = s.value != nullptr ? s.value->last_id() : StreamID{};
      continue;
    }
    if (id_arg == ">") {
      if (!xreadgroup) {
        return ctx.Error(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
            "<group> <consumer> option.");
      }
      src.newest = true;
      continue;
    }
    std::optional<StreamID> id = ParseStreamId(ctx, id_arg, true);
    if (!id) return;
    src.after = *id;
  }

  size_t served = 0;
  for (Source& src : sources) {
    if (src.value == nullptr) continue;
    const StreamValue& s = *src.value;
    if (xreadgroup && !src.newest) {
      src.serve = src.history = true;
    } else if (xreadgroup) {
      if (!s.empty() && src.group->last_id < s.entries().rbegin()->first) {
        src.serve = true;
        src.after = src.group->last_id;
      }
    } else if (!s.empty() && src.after < s.entries().rbegin()->first) {
      src.serve = true;
    }
    served += src.serve;
  }

  if (served > 0) {
    if (ctx.reply.resp3()) {
      ctx.reply.Map(served);
    } else {
      ctx.reply.Array(served);
    }
    for (Source& src : sources) {
      if (!src.serve) continue;
      if (!ctx.reply.resp3()) ctx.reply.Array(2);
      ctx.reply.Bulk(src.key);
      if (!xreadgroup) {
        const auto& entries = src.value->entries();
        size_t m = 0;
        for (auto it = entries.upper_bound(src.after);
             it != entries.end() && (a.count == 0 || static_cast<int64_t>(m) < a.count); ++it) {
          m++;
        }
        ctx.reply.Array(m);
        auto it = entries.upper_bound(src.after);
        for (size_t j = 0; j < m; j++, ++it) ReplyStreamEntry(ctx.reply, it->first, it->second);
        continue;
      }
      bool created = false;
      StreamConsumer& c = TouchConsumer(*src.group, a.consumer, ctx.now_ms, &created);
      if (created) {
        StreamEvent(ctx, "xgroup-createconsumer", src.key);
        // The XCLAIMs of delivered entries create it on replicas; without them, say so.
        if (a.noack || src.history) {
          ctx.Propagate({"XGROUP", "CREATECONSUMER", src.key, a.group, a.consumer});
        }
      }
      if (src.history) {
        ServeHistory(ctx, a, src, c);
      } else {
        ServeNew(ctx, a, src);
      }
      src.value->NoteMeta();
      ctx.Changed();
    }
    return;
  }

  if (a.timeout >= 0) {
    std::vector<std::string_view> keys;
    std::vector<std::string> rerun(ctx.argv.begin(), ctx.argv.end());
    for (size_t k = 0; k < a.n; k++) {
      keys.push_back(sources[k].key);
      if (!xreadgroup && ctx.arg(a.streams_arg + a.n + k) == "$") {
        rerun[a.streams_arg + a.n + k] = sources[k].after.ToString();
      }
    }
    return ctx.BlockStream(keys, a.timeout, rerun,
                           xreadgroup ? "UNBLOCKED the stream key no longer exists" : "");
  }
  ctx.reply.NullArray();
}

void XRead(CommandContext& ctx) { Read(ctx, false); }
void XReadGroup(CommandContext& ctx) { Read(ctx, true); }

// Keys: after the STREAMS keyword (searched from `from`), the first half of what follows.
void StreamsKeysFrom(size_t from, std::span<const std::string_view> argv,
                     std::vector<size_t>* out) {
  for (size_t i = from; i < argv.size(); i++) {
    if (argv[i].size() != 7 || !EqualsIgnoreCase(argv[i], "streams")) continue;
    const size_t n = (argv.size() - i - 1) / 2;
    for (size_t k = 0; k < n; k++) out->push_back(i + 1 + k);
    return;
  }
}

void XReadKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  StreamsKeysFrom(1, argv, out);
}

void XReadGroupKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  StreamsKeysFrom(4, argv, out);
}

}  // namespace

void RegisterStreamReadCommands(CommandTable& table) {
  using enum CommandFlag;
  table.Add({.name = "xread",
             .arity = -4,
             .flags = kReadOnly,
             .key_flags = "RO access",
             .handler = XRead,
             .group = "stream",
             .since = "5.0.0",
             .summary = "Returns messages from multiple streams with IDs greater than the ones "
                        "requested. Blocks until a message is available otherwise.",
             .syntax = "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]",
             .find_keys = XReadKeys});
  table.Add({.name = "xreadgroup",
             .arity = -7,
             .flags = kWrite,
             .key_flags = "RO access",
             .handler = XReadGroup,
             .group = "stream",
             .since = "5.0.0",
             .summary = "Returns new or historical messages from a stream for a consumer in a "
                        "group. Blocks until a message is available otherwise.",
             .complexity = "For each stream mentioned: O(M) with M being the number of elements "
                           "returned. If M is constant (e.g. always asking for the first 10 "
                           "elements with COUNT), you can consider it O(1). On the other side "
                           "when XREADGROUP blocks, XADD will pay the O(N) time in order to "
                           "serve the N clients blocked on the stream getting new data.",
             .syntax = "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS "
                       "key [key ...] id [id ...]",
             .find_keys = XReadGroupKeys});
}

}  // namespace tidekv::commands
