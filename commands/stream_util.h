// Pieces the stream command files share (commands/streams.cc, stream_read.cc,
// stream_groups.cc, stream_info.cc): ID parsing with Redis's errors, entry replies, the
// consumer-group bookkeeping that XREADGROUP, XCLAIM and XAUTOCLAIM have in common.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "commands/commands.h"
#include "types/stream.h"

namespace tidekv::commands {

using types::StreamConsumer;
using types::StreamGroup;
using types::StreamID;
using types::StreamPending;
using types::StreamValue;

inline constexpr std::string_view kInvalidStreamId =
    "ERR Invalid stream ID specified as stream command argument";

// Redis's streamGenericParseIDOrReply: "ms-seq", "ms" (seq = missing_seq), "-" and "+"
// (refused when strict); with seq_given non-null, "ms-*" leaves seq to the caller and sets
// *seq_given to false. Replies the error and returns nullopt on failure.
std::optional<StreamID> ParseStreamId(CommandContext& ctx, std::string_view arg, bool strict,
                                      uint64_t missing_seq = 0, bool* seq_given = nullptr);

// The same without a reply (nullopt when malformed); "ms-*" is refused.
std::optional<StreamID> ParseStreamIdQuiet(std::string_view arg, bool strict = true,
                                           uint64_t missing_seq = 0);

// The clock of group bookkeeping (delivery and seen times): the command's time, or the
// wall clock when applying a primary's frames (which run at time 0).
inline int64_t StreamNow(const CommandContext& ctx) {
  return ctx.session.applies_frames ? ctx.engine.clock().NowMs() : ctx.now_ms;
}

// One entry as Redis replies it: [id, [field, value, ...]].
void ReplyStreamEntry(proto::ReplyBuilder& reply, StreamID id, std::string_view encoded);

// A consumer of the group, created when absent (then *created is set). Its seen time is
// set to now_ms either way.
StreamConsumer& TouchConsumer(StreamGroup& g, std::string_view name, int64_t now_ms, bool* created);

// Moves (or adds) a pending entry to a consumer.
void AssignPending(StreamGroup& g, StreamID id, StreamPending* p, std::string_view consumer);
// Removes a pending entry from the group and its consumer.
void DropPending(StreamGroup& g, std::map<StreamID, StreamPending>::iterator it);

// The effect XREADGROUP, XCLAIM and XAUTOCLAIM propagate per claimed or delivered entry
// (Redis's streamPropagateXCLAIM): XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n
// FORCE JUSTID LASTID last-id.
void PropagateClaim(CommandContext& ctx, std::string_view key, std::string_view group,
                    const StreamGroup& g, StreamID id, const StreamPending& p);

// Adds a stream command row whose one key is argv[1].
inline void AddStreamKeyRow(CommandTable& table, CommandSpec spec) {
  spec.first_key = 1;
  spec.last_key = 1;
  spec.key_step = 1;
  spec.group = "stream";
  table.Add(std::move(spec));
}

// A subcommand of XGROUP or XINFO: its key is the argument after the subcommand's name.
inline void AddStreamKeySubcommand(CommandTable& table, CommandSpec& container, CommandSpec spec) {
  spec.first_key = 2;
  spec.last_key = 2;
  spec.key_step = 1;
  spec.group = "stream";
  table.AddSubcommand(container, std::move(spec));
}

// Raises a keyspace event of the stream class on key.
void StreamEvent(CommandContext& ctx, std::string_view event, std::string_view key);

}  // namespace tidekv::commands
