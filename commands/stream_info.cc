// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, XINFO HELP (Redis 7.0's
// replies). "radix-tree-keys" is the number of nodes Redis's listpacks would form here (the
// same node boundaries approximate trimming uses); "radix-tree-nodes" is an estimate, as
// tidekv keeps no radix tree.
#include <fmt/format.h>

#include <string>

#include "commands/stream_util.h"

namespace tidekv::commands {
namespace {

// The stream of argv[2], or nullptr after the error reply (no such key, wrong type).
StreamValue* InfoStream(CommandContext& ctx) {
  auto s = ctx.Read<StreamValue>(ctx.arg(2));
  if (!s.ok) return nullptr;
  if (s.value == nullptr) {
    ctx.Error("ERR no such key");
    return nullptr;
  }
  return s.value;
}

void SubcommandSyntaxError(CommandContext& ctx) {
  ctx.Error(
      fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try XINFO HELP.",
                  ctx.arg(1).substr(0, 128)));
}

void ReplyEdge(CommandContext& ctx, const StreamValue& s, bool first) {
  if (s.empty()) return ctx.reply.Null();
  const auto& it = first ? *s.entries().begin() : *s.entries().rbegin();
  ReplyStreamEntry(ctx.reply, it.first, it.second);
}

// "entries-read" and "lag" of a group (null when unknown).
void ReplyCounters(CommandContext& ctx, const StreamValue& s, const StreamGroup& g) {
  ctx.reply.Bulk("entries-read");
  if (g.entries_read != StreamGroup::kInvalidRead) {
    ctx.reply.Integer(g.entries_read);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Bulk("lag");
  const std::optional<int64_t> lag = s.GroupLag(g);
  if (lag) {
    ctx.reply.Integer(*lag);
  } else {
    ctx.reply.Null();
  }
}

void ReplyFullGroups(CommandContext& ctx, const StreamValue& s, int64_t count) {
  auto limit = [count](size_t n) {
    return count == 0 ? n : std::min<size_t>(n, static_cast<size_t>(count));
  };
  ctx.reply.Array(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    ctx.reply.Map(7);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("last-delivered-id");
    ctx.reply.Bulk(g.last_id.ToString());
    ReplyCounters(ctx, s, g);
    ctx.reply.Bulk("pel-count");
    ctx.reply.Integer(static_cast<int64_t>(g.pel.size()));
    ctx.reply.Bulk("pending");
    size_t n = limit(g.pel.size());
    ctx.reply.Array(n);
    auto it = g.pel.begin();
    for (size_t k = 0; k < n; k++, ++it) {
      ctx.reply.Array(4);
      ctx.reply.Bulk(it->first.ToString());
      ctx.reply.Bulk(it->second.consumer);
      ctx.reply.Integer(it->second.delivery_time);
      ctx.reply.Integer(static_cast<int64_t>(it->second.delivery_count));
    }
    ctx.reply.Bulk("consumers");
    ctx.reply.Array(g.consumers.size());
    for (const auto& [cname, c] : g.consumers) {
      ctx.reply.Map(4);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(cname);
      ctx.reply.Bulk("seen-time");
      ctx.reply.Integer(c.seen_time);
      ctx.reply.Bulk("pel-count");
      ctx.reply.Integer(static_cast<int64_t>(c.pending.size()));
      ctx.reply.Bulk("pending");
      n = limit(c.pending.size());
      ctx.reply.Array(n);
      auto p = c.pending.begin();
      for (size_t k = 0; k < n; k++, ++p) {
        const StreamPending& pe = g.pel.at(*p);
        ctx.reply.Array(3);
        ctx.reply.Bulk(p->ToString());
        ctx.reply.Integer(pe.delivery_time);
        ctx.reply.Integer(static_cast<int64_t>(pe.delivery_count));
      }
    }
  }
}

void XInfoStream(CommandContext& ctx) {
  StreamValue* sp = InfoStream(ctx);
  if (sp == nullptr) return;
  const StreamValue& s = *sp;
  bool full = false;
  int64_t count = 10;
  const size_t extra = ctx.argc() - 3;
  if (extra > 0) {
    if ((extra != 1 && extra != 3) || !ctx.ArgIs(3, "full")) return SubcommandSyntaxError(ctx);
    full = true;
    if (extra == 3) {
      if (!ctx.ArgIs(4, "count")) return SubcommandSyntaxError(ctx);
      std::optional<int64_t> n = ctx.IntArg(5);
      if (!n) return;
      count = std::max<int64_t>(*n, 0);
    }
  }
  ctx.reply.Map(full ? 9 : 10);
  ctx.reply.Bulk("length");
  ctx.reply.Integer(static_cast<int64_t>(s.size()));
  ctx.reply.Bulk("radix-tree-keys");
  ctx.reply.Integer(static_cast<int64_t>(s.nodes()));
  ctx.reply.Bulk("radix-tree-nodes");
  ctx.reply.Integer(static_cast<int64_t>(s.nodes() + 1));
  ctx.reply.Bulk("last-generated-id");
  ctx.reply.Bulk(s.last_id().ToString());
  ctx.reply.Bulk("max-deleted-entry-id");
  ctx.reply.Bulk(s.max_deleted_id().ToString());
  ctx.reply.Bulk("entries-added");
  ctx.reply.Integer(static_cast<int64_t>(s.entries_added()));
  ctx.reply.Bulk("recorded-first-entry-id");
  ctx.reply.Bulk(s.first_id().ToString());
  if (!full) {
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(static_cast<int64_t>(s.groups().size()));
    ctx.reply.Bulk("first-entry");
    ReplyEdge(ctx, s, true);
    ctx.reply.Bulk("last-entry");
    ReplyEdge(ctx, s, false);
    return;
  }
  ctx.reply.Bulk("entries");
  const size_t n = count == 0 ? s.size() : std::min<size_t>(s.size(), static_cast<size_t>(count));
  ctx.reply.Array(n);
  auto it = s.entries().begin();
  for (size_t k = 0; k < n; k++, ++it) ReplyStreamEntry(ctx.reply, it->first, it->second);
  ctx.reply.Bulk("groups");
  ReplyFullGroups(ctx, s, count);
}

void XInfoGroups(CommandContext& ctx) {
  StreamValue* sp = InfoStream(ctx);
  if (sp == nullptr) return;
  const StreamValue& s = *sp;
  ctx.reply.Array(s.groups().size());
  for (const auto& [name, g] : s.groups()) {
    ctx.reply.Map(6);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("consumers");
    ctx.reply.Integer(static_cast<int64_t>(g.consumers.size()));
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(g.pel.size()));
    ctx.reply.Bulk("last-delivered-id");
    ctx.reply.Bulk(g.last_id.ToString());
    ReplyCounters(ctx, s, g);
  }
}

void XInfoConsumers(CommandContext& ctx) {
  StreamValue* sp = InfoStream(ctx);
  if (sp == nullptr) return;
  StreamGroup* g = sp->FindGroup(ctx.arg(3));
  if (g == nullptr) {
    return ctx.Error(fmt::format("NOGROUP No such consumer group '{}' for key name '{}'",
                                 ctx.arg(3), ctx.arg(2)));
  }
  ctx.reply.Array(g->consumers.size());
  for (const auto& [name, c] : g->consumers) {
    ctx.reply.Map(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(static_cast<int64_t>(c.pending.size()));
    ctx.reply.Bulk("idle");
    ctx.reply.Integer(std::max<int64_t>(0, ctx.now_ms - c.seen_time));
  }
}

void XInfoHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void RegisterStreamInfoCommands(CommandTable& table) {
  using enum CommandFlag;
  CommandSpec& xinfo = table.Add({.name = "xinfo",
                                  .arity = -2,
                                  .group = "stream",
                                  .since = "5.0.0",
                                  .summary = "A container for stream introspection commands.",
                                  .complexity = "Depends on subcommand."});
  auto sub = [&](CommandSpec spec) { AddStreamKeySubcommand(table, xinfo, std::move(spec)); };
  sub({.name = "consumers",
       .arity = 4,
       .flags = kReadOnly | kVolatileReply,
       .key_flags = "RO access",
       .handler = XInfoConsumers,
       .since = "5.0.0",
       .summary = "Returns a list of the consumers in a consumer group.",
       .complexity = "O(1)",
       .syntax = "key group"});
  sub({.name = "groups",
       .arity = 3,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = XInfoGroups,
       .since = "5.0.0",
       .summary = "Returns a list of the consumer groups of a stream.",
       .complexity = "O(1)",
       .syntax = "key"});
  sub({.name = "stream",
       .arity = -3,
       .flags = kReadOnly | kVolatileReply,
       .key_flags = "RO access",
       .handler = XInfoStream,
       .since = "5.0.0",
       .summary = "Returns information about a stream.",
       .complexity = "O(1)",
       .syntax = "key [FULL [COUNT count]]"});
  table.AddSubcommand(xinfo, {.name = "help",
                              .arity = 2,
                              .flags = kKeyless | kLoading | kStale,
                              .handler = XInfoHelp,
                              .group = "stream",
                              .since = "5.0.0",
                              .summary = "Returns helpful text about the different subcommands.",
                              .complexity = "O(1)",
                              .syntax = ""});
}

}  // namespace tidekv::commands
