// Stream commands on types::StreamValue (Redis 7.0 semantics and errors): XADD, XLEN,
// XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, and the helpers the other stream files share.
// XREAD/XREADGROUP live in stream_read.cc, the consumer groups in stream_groups.cc, XINFO in
// stream_info.cc.
//
// Effects: XADD propagates its concrete ID (never "*"), and any trimming as an exact
// "MAXLEN = <length after>", so replicas and the log remove the same entries whatever "~",
// MINID or LIMIT decided here. XTRIM likewise.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "commands/stream_util.h"
#include "common/strings.h"
#include "config/config.h"
#include "engine/notify.h"

namespace tidekv::commands {

// ---- shared helpers -------------------------------------------------------------------

namespace {

std::optional<uint64_t> ParseU64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

}  // namespace

namespace {

std::optional<StreamID> ParseId(std::string_view arg, bool strict, uint64_t missing_seq,
                                bool* seq_given) {
  if (seq_given != nullptr) *seq_given = true;
  auto invalid = []() -> std::optional<StreamID> { return std::nullopt; };
  if (arg.size() > 127) return invalid();
  if (strict && (arg == "-" || arg == "+")) return invalid();
  if (arg == "-") return StreamID{0, 0};
  if (arg == "+") return StreamID::Max();
  const size_t dash = arg.find('-');
  StreamID id;
  const std::optional<uint64_t> ms = ParseU64(arg.substr(0, dash));
  if (!ms) return invalid();
  id.ms = *ms;
  if (dash == std::string_view::npos) {
    id.seq = missing_seq;
    return id;
  }
  const std::string_view rest = arg.substr(dash + 1);
  if (seq_given != nullptr && rest == "*") {
    *seq_given = false;
    return id;
  }
  const std::optional<uint64_t> seq = ParseU64(rest);
  if (!seq) return invalid();
  id.seq = *seq;
  return id;
}

}  // namespace

std::optional<StreamID> ParseStreamIdQuiet(std::string_view arg, bool strict,
                                           uint64_t missing_seq) {
  return ParseId(arg, strict, missing_seq, nullptr);
}

std::optional<StreamID> ParseStreamId(CommandContext& ctx, std::string_view arg, bool strict,
                                      uint64_t missing_seq, bool* seq_given) {
  std::optional<StreamID> id = ParseId(arg, strict, missing_seq, seq_given);
  if (!id) ctx.Error(kInvalidStreamId);
  return id;
}

void ReplyStreamEntry(proto::ReplyBuilder& reply, StreamID id, std::string_view encoded) {
  reply.Array(2);
  reply.Bulk(id.ToString());
  reply.Array(2 * StreamValue::FieldCount(encoded));
  StreamValue::ForFields(encoded, [&](std::string_view f, std::string_view v) {
    reply.Bulk(f);
    reply.Bulk(v);
  });
}

StreamConsumer& TouchConsumer(StreamGroup& g, std::string_view name, int64_t now_ms,
                              bool* created) {
  auto it = g.consumers.find(name);
  *created = it == g.consumers.end();
  if (*created) it = g.consumers.emplace(std::string(name), StreamConsumer{}).first;
  it->second.seen_time = now_ms;
  return it->second;
}

void AssignPending(StreamGroup& g, StreamID id, StreamPending* p, std::string_view consumer) {
  if (!p->consumer.empty() && p->consumer != consumer) {
    auto old = g.consumers.find(p->consumer);
    if (old != g.consumers.end()) old->second.pending.erase(id);
  }
  p->consumer = consumer;
  g.consumers.find(consumer)->second.pending.insert(id);
}

void DropPending(StreamGroup& g, std::map<StreamID, StreamPending>::iterator it) {
  auto c = g.consumers.find(it->second.consumer);
  if (c != g.consumers.end()) c->second.pending.erase(it->first);
  g.pel.erase(it);
}

void PropagateClaim(CommandContext& ctx, std::string_view key, std::string_view group,
                    const StreamGroup& g, StreamID id, const StreamPending& p) {
  const std::string sid = id.ToString();
  const std::string time = std::to_string(p.delivery_time);
  const std::string count = std::to_string(p.delivery_count);
  const std::string last = g.last_id.ToString();
  ctx.Propagate({"XCLAIM", key, group, p.consumer, "0", sid, "TIME", time, "RETRYCOUNT", count,
                 "FORCE", "JUSTID", "LASTID", last});
}

void StreamEvent(CommandContext& ctx, std::string_view event, std::string_view key) {
  ctx.engine.notifier().Raise(config::notify::kStream, event, ctx.session.db, key);
}

namespace {

// ---- XADD and XTRIM's arguments --------------------------------------------------------

struct TrimArgs {
  enum class Strategy : uint8_t { kNone, kMaxLen, kMinId } strategy = Strategy::kNone;
  bool approx = false;
  uint64_t maxlen = 0;
  StreamID minid;
  int64_t limit = 0;
  // XADD only.
  bool nomkstream = false;
  bool id_given = false;  // else "*"
  bool seq_given = true;  // "ms-*" leaves it false
  StreamID id;
  size_t id_pos = 0;
};

// Redis's streamParseAddOrTrimArgsOrReply.
bool ParseAddOrTrim(CommandContext& ctx, bool xadd, TrimArgs* a) {
  bool limit_given = false;
  size_t i = 2;
  for (; i < ctx.argc(); i++) {
    const size_t more = ctx.argc() - 1 - i;
    const std::string_view opt = ctx.arg(i);
    if (xadd && opt == "*") break;
    const bool maxlen = ctx.ArgIs(i, "maxlen");
    if ((maxlen || ctx.ArgIs(i, "minid")) && more > 0) {
      if (a->strategy != TrimArgs::Strategy::kNone) {
        ctx.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
      }
      a->approx = false;
      if (more >= 2 && (ctx.arg(i + 1) == "~" || ctx.arg(i + 1) == "=")) {
        a->approx = ctx.arg(i + 1) == "~";
        i++;
      }
      if (maxlen) {
        std::optional<int64_t> n = ctx.IntArg(i + 1);
        if (!n) return false;
        if (*n < 0) {
          ctx.Error("ERR The MAXLEN argument must be >= 0.");
          return false;
        }
        a->maxlen = static_cast<uint64_t>(*n);
        a->strategy = TrimArgs::Strategy::kMaxLen;
      } else {
        std::optional<StreamID> id = ParseStreamId(ctx, ctx.arg(i + 1), false);
        if (!id) return false;
        a->minid = *id;
        a->strategy = TrimArgs::Strategy::kMinId;
      }
      i++;
    } else if (ctx.ArgIs(i, "limit") && more > 0) {
      std::optional<int64_t> n = ctx.IntArg(i + 1);
      if (!n) return false;
      if (*n < 0) {
        ctx.Error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      a->limit = *n;
      limit_given = true;
      i++;
    } else if (xadd && ctx.ArgIs(i, "nomkstream")) {
      a->nomkstream = true;
    } else if (xadd) {
      std::optional<StreamID> id = ParseStreamId(ctx, opt, true, 0, &a->seq_given);
      if (!id) return false;
      a->id = *id;
      a->id_given = true;
      break;
    } else {
      ctx.SyntaxError();
      return false;
    }
  }
  a->id_pos = i;
  if (limit_given) {
    if (a->strategy == TrimArgs::Strategy::kNone) {
      ctx.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
      return false;
    }
    if (!a->approx) {
      ctx.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (a->approx) {
    // Redis's default cap on the work of one approximate trim.
    a->limit = 100 * types::StreamLimits().max_entries;
    if (a->limit <= 0 || a->limit > 1'000'000) a->limit = 10'000;
  }
  // A replica or the log applies what the primary decided, whatever its own limits.
  if (ctx.session.applies_frames) a->limit = 0;
  return true;
}

size_t Trim(StreamValue& s, const TrimArgs& a) {
  switch (a.strategy) {
    case TrimArgs::Strategy::kMaxLen:
      return s.TrimMaxLen(a.maxlen, a.approx, a.limit);
    case TrimArgs::Strategy::kMinId:
      return s.TrimMinId(a.minid, a.approx, a.limit);
    case TrimArgs::Strategy::kNone:
      break;
  }
  return 0;
}

StreamValue* NewStream() { return new StreamValue(); }

void XAdd(CommandContext& ctx) {
  TrimArgs a;
  if (!ParseAddOrTrim(ctx, true, &a)) return;
  const size_t field_pos = a.id_pos + 1;
  if (ctx.argc() < field_pos + 2 || (ctx.argc() - field_pos) % 2 != 0) {
    return ctx.Error(fmt::format("ERR wrong number of arguments for '{}' command", ctx.spec.name));
  }
  if (a.id_given && a.seq_given && a.id.zero()) {
    return ctx.Error("ERR The ID specified in XADD must be greater than 0-0");
  }
  auto s = ctx.Write<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  if (s.entry == nullptr) {
    if (a.nomkstream) return ctx.reply.Null();
    s = ctx.WriteOrCreate<StreamValue>(ctx.arg(1), NewStream);
  }
  StreamValue& st = *s.value;
  if (st.last_id().max()) {
    return ctx.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
  }
  StreamID id;
  const StreamID last = st.last_id();
  if (!a.id_given) {
    const auto now = static_cast<uint64_t>(std::max<int64_t>(StreamNow(ctx), 0));
    if (now > last.ms) {
      id = {now, 0};
    } else {
      id = last;
      id.Incr();
    }
  } else if (a.seq_given) {
    id = a.id;
  } else if (a.id.ms == last.ms) {
    if (last.seq == UINT64_MAX) return ctx.Error("ERR Elements are too large to be stored");
    id = {last.ms, last.seq + 1};
  } else {
    id = {a.id.ms, 0};
  }
  if (id <= last) {
    return ctx.Error(
        "ERR The ID specified in XADD is equal or smaller than the target stream top item");
  }
  st.Append(id, ctx.argv.subspan(field_pos));
  const size_t trimmed = Trim(st, a);
  ctx.Changed();
  const std::string sid = id.ToString();
  std::vector<std::string_view> effect = {"XADD", ctx.arg(1)};
  const std::string len = std::to_string(st.size());
  if (trimmed > 0) {
    effect.insert(effect.end(), {"MAXLEN", "=", len});
    StreamEvent(ctx, "xtrim", ctx.arg(1));
  }
  effect.push_back(sid);
  for (size_t i = field_pos; i < ctx.argc(); i++) effect.push_back(ctx.arg(i));
  ctx.Propagate(effect);
  ctx.reply.Bulk(sid);
}

void XTrim(CommandContext& ctx) {
  TrimArgs a;
  if (!ParseAddOrTrim(ctx, false, &a)) return;
  auto s = ctx.Write<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  if (s.entry == nullptr) return ctx.reply.Integer(0);
  const size_t trimmed = Trim(*s.value, a);
  if (trimmed > 0) {
    ctx.Changed();
    const std::string len = std::to_string(s.value->size());
    ctx.Propagate({"XTRIM", ctx.arg(1), "MAXLEN", "=", len});
  }
  ctx.reply.Integer(static_cast<int64_t>(trimmed));
}

void XLen(CommandContext& ctx) {
  auto s = ctx.Read<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  ctx.reply.Integer(s.value == nullptr ? 0 : static_cast<int64_t>(s.value->size()));
}

// XRANGE key start end [COUNT n] / XREVRANGE key end start [COUNT n].
void Range(CommandContext& ctx, bool rev) {
  const std::string_view start_arg = ctx.arg(rev ? 3 : 2);
  const std::string_view end_arg = ctx.arg(rev ? 2 : 3);
  StreamID start, end;
  if (start_arg.starts_with("(")) {
    std::optional<StreamID> id = ParseStreamId(ctx, start_arg.substr(1), true, 0);
    if (!id) return;
    start = *id;
    if (!start.Incr()) return ctx.Error("ERR invalid start ID for the interval");
  } else {
    std::optional<StreamID> id = ParseStreamId(ctx, start_arg, false, 0);
    if (!id) return;
    start = *id;
  }
  if (end_arg.starts_with("(")) {
    std::optional<StreamID> id = ParseStreamId(ctx, end_arg.substr(1), true, UINT64_MAX);
    if (!id) return;
    end = *id;
    if (!end.Decr()) return ctx.Error("ERR invalid end ID for the interval");
  } else {
    std::optional<StreamID> id = ParseStreamId(ctx, end_arg, false, UINT64_MAX);
    if (!id) return;
    end = *id;
  }
  int64_t count = -1;
  for (size_t j = 4; j < ctx.argc(); j++) {
    if (ctx.ArgIs(j, "count") && j + 1 < ctx.argc()) {
      std::optional<int64_t> n = ctx.IntArg(j + 1);
      if (!n) return;
      count = std::max<int64_t>(*n, 0);
      j++;
    } else {
      return ctx.SyntaxError();
    }
  }
  auto s = ctx.Read<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  if (s.value == nullptr) return ctx.reply.Array(0);
  if (count == 0) return ctx.reply.NullArray();  // as Redis: COUNT 0 (or below) is a null
  if (start > end) return ctx.reply.Array(0);
  const auto& entries = s.value->entries();
  auto lo = entries.lower_bound(start);
  auto hi = entries.upper_bound(end);
  size_t n = 0;
  for (auto it = lo; it != hi && (count < 0 || static_cast<int64_t>(n) < count); ++it) n++;
  ctx.reply.Array(n);
  if (!rev) {
    auto it = lo;
    for (size_t k = 0; k < n; k++, ++it) ReplyStreamEntry(ctx.reply, it->first, it->second);
  } else {
    auto it = hi;
    for (size_t k = 0; k < n; k++) {
      --it;
      ReplyStreamEntry(ctx.reply, it->first, it->second);
    }
  }
}

void XRange(CommandContext& ctx) { Range(ctx, false); }
void XRevRange(CommandContext& ctx) { Range(ctx, true); }

void XDel(CommandContext& ctx) {
  auto s = ctx.Write<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  if (s.entry == nullptr) return ctx.reply.Integer(0);
  // Every ID is checked before any goes (all or nothing).
  std::vector<StreamID> ids;
  for (size_t i = 2; i < ctx.argc(); i++) {
    std::optional<StreamID> id = ParseStreamId(ctx, ctx.arg(i), true);
    if (!id) return;
    ids.push_back(*id);
  }
  int64_t deleted = 0;
  for (StreamID id : ids) {
    if (!s.value->Delete(id)) continue;
    deleted++;
    if (id > s.value->max_deleted_id()) s.value->SetMaxDeletedId(id);
  }
  if (deleted > 0) ctx.Changed();
  ctx.reply.Integer(deleted);
}

void XSetId(CommandContext& ctx) {
  std::optional<StreamID> id = ParseStreamId(ctx, ctx.arg(2), true);
  if (!id) return;
  int64_t entries_added = -1;
  StreamID max_deleted;
  for (size_t i = 3; i < ctx.argc(); i += 2) {
    const bool more = i + 1 < ctx.argc();
    if (ctx.ArgIs(i, "entriesadded") && more) {
      std::optional<int64_t> n = ctx.IntArg(i + 1);
      if (!n) return;
      if (*n < 0) return ctx.Error("ERR entries_added must be positive");
      entries_added = *n;
    } else if (ctx.ArgIs(i, "maxdeletedid") && more) {
      std::optional<StreamID> m = ParseStreamId(ctx, ctx.arg(i + 1), true);
      if (!m) return;
      if (*id < *m) {
        return ctx.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
      max_deleted = *m;
    } else {
      return ctx.SyntaxError();
    }
  }
  auto s = ctx.Write<StreamValue>(ctx.arg(1));
  if (!s.ok) return;
  if (s.entry == nullptr) return ctx.Error("ERR no such key");
  StreamValue& st = *s.value;
  if (*id < st.max_deleted_id()) {
    return ctx.Error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id");
  }
  if (!st.empty()) {
    if (*id < st.entries().rbegin()->first) {
      return ctx.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
    }
    if (entries_added != -1 && st.size() > static_cast<uint64_t>(entries_added)) {
      return ctx.Error(
          "ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  st.SetLastId(*id);
  if (entries_added != -1) st.SetEntriesAdded(static_cast<uint64_t>(entries_added));
  if (!max_deleted.zero()) st.SetMaxDeletedId(max_deleted);
  ctx.Changed();
  ctx.reply.Ok();
}

}  // namespace

void RegisterStreamCommands(CommandTable& table) {
  using enum CommandFlag;
  auto row = [&table](CommandSpec spec) { AddStreamKeyRow(table, std::move(spec)); };
  row({.name = "xadd",
       .arity = -5,
       .flags = kWrite | kDenyOom | kFast | kVolatileReply,
       .key_flags = "RW update",
       .handler = XAdd,
       .since = "5.0.0",
       .summary = "Appends a new message to a stream. Creates the key if it doesn't exist.",
       .complexity = "O(1) when adding a new entry, O(N) when trimming where N being the number "
                     "of entries evicted.",
       .syntax = "key [NOMKSTREAM] [MAXLEN | MINID [= | ~] threshold [LIMIT count]] * | id "
                 "field value [field value ...]"});
  row({.name = "xlen",
       .arity = 2,
       .flags = kReadOnly | kFast,
       .key_flags = "RO",
       .handler = XLen,
       .since = "5.0.0",
       .summary = "Return the number of messages in a stream.",
       .complexity = "O(1)",
       .syntax = "key"});
  row({.name = "xrange",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = XRange,
       .since = "5.0.0",
       .summary = "Returns the messages from a stream within a range of IDs.",
       .complexity = "O(N) with N being the number of elements being returned. If N is "
                     "constant (e.g. always asking for the first 10 elements with COUNT), you "
                     "can consider it O(1).",
       .syntax = "key start end [COUNT count]"});
  row({.name = "xrevrange",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = XRevRange,
       .since = "5.0.0",
       .summary = "Returns the messages from a stream within a range of IDs in reverse order.",
       .complexity = "O(N) with N being the number of elements returned. If N is constant "
                     "(e.g. always asking for the first 10 elements with COUNT), you can "
                     "consider it O(1).",
       .syntax = "key end start [COUNT count]"});
  row({.name = "xdel",
       .arity = -3,
       .flags = kWrite | kFast,
       .key_flags = "RW delete",
       .handler = XDel,
       .since = "5.0.0",
       .summary = "Returns the number of messages after removing them from a stream.",
       .complexity = "O(1) for each single item to delete in the stream, regardless of the "
                     "stream size.",
       .syntax = "key id [id ...]"});
  row({.name = "xtrim",
       .arity = -4,
       .flags = kWrite,
       .key_flags = "RW delete",
       .handler = XTrim,
       .since = "5.0.0",
       .summary = "Deletes messages from the beginning of a stream.",
       .complexity = "O(N), with N being the number of evicted entries. Constant times are "
                     "very small however, since entries are organized in macro nodes "
                     "containing multiple entries that can be released with a single "
                     "deallocation.",
       .syntax = "key MAXLEN | MINID [= | ~] threshold [LIMIT count]"});
  row({.name = "xsetid",
       .arity = -3,
       .flags = kWrite | kDenyOom | kFast,
       .key_flags = "RW update",
       .handler = XSetId,
       .since = "5.0.0",
       .summary = "An internal command for replicating stream values.",
       .complexity = "O(1)",
       .syntax = "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"});
}

}  // namespace tidekv::commands
