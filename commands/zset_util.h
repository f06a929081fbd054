// What the sorted set command files (zset.cc, zset_range.cc, zset_store.cc, zset_pop.cc)
// share: score and range parsing with Redis's rules and errors, the reply of member/score
// lists (flat in RESP2, [member, score] pairs in RESP3), and their command-row helper.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/commands.h"
#include "ds/skiplist.h"
#include "types/zset.h"

namespace tidekv::commands {

using types::ZSetValue;

// A score as ZADD reads it (Redis's getDoubleFromObject): the whole argument is a strtod
// double, no leading space, not NaN, not out of range; "inf", "+inf", "-inf" accepted.
std::optional<double> ParseScore(std::string_view s);
// The same, replying `error` ("ERR value is not a valid float" by default) when invalid.
std::optional<double> ScoreArg(CommandContext& ctx, size_t i,
                               std::string_view error = err::kNotFloat);

// ZRANGEBYSCORE's min and max ("(" makes a bound exclusive); replies "min or max is not a
// float" when invalid.
std::optional<ds::ScoreRange> ScoreRangeArgs(CommandContext& ctx, size_t min_at, size_t max_at);
// ZRANGEBYLEX's min and max ("[" inclusive, "(" exclusive, "-" and "+" the ends); replies
// "min or max not valid string range item" when invalid. The range views argv.
std::optional<ds::LexRange> LexRangeArgs(CommandContext& ctx, size_t min_at, size_t max_at);

// Replies a list of `n` members, each with its score when with_scores: one flat array in
// RESP2, an array of [member, score] arrays in RESP3 (Redis 7.0's ZRANGE WITHSCORES).
class ScoredReply {
 public:
  ScoredReply(CommandContext& ctx, size_t n, bool with_scores) : ctx_(ctx), scores_(with_scores) {
    ctx.reply.Array(with_scores && !ctx.reply.resp3() ? 2 * n : n);
  }
  void Add(std::string_view member, double score) {
    if (scores_ && ctx_.reply.resp3()) ctx_.reply.Array(2);
    ctx_.reply.Bulk(member);
    if (scores_) ctx_.reply.Double(score);
  }

 private:
  CommandContext& ctx_;
  bool scores_;
};

// Replaces `dst` with a new sorted set of `items` (lowest score first, members distinct), or
// deletes it when there are none; replies the count (ZRANGESTORE, Z*STORE). A new
// destination picks its encoding by its size, as in Redis.
void StoreResult(CommandContext& ctx, std::string_view dst,
                 const std::vector<std::pair<std::string, double>>& items);

// The rows of the "sorted_set" group (keys at first_key..last_key, step 1).
void AddZSetRow(CommandTable& table, CommandSpec spec, int first_key = 1, int last_key = 1);
// Key specs of commands whose keys follow a numkeys argument: "<cmd> numkeys key..."
// (ZUNION, ZINTER, ZDIFF, ZINTERCARD, ZMPOP), "<cmd> destination numkeys key..." (the STORE
// forms: the destination too) and "BZMPOP timeout numkeys key...".
void KeysAfterNumkeys(std::span<const std::string_view> argv, std::vector<size_t>* out);
void StoreKeys(std::span<const std::string_view> argv, std::vector<size_t>* out);
void BlockingKeysAfterNumkeys(std::span<const std::string_view> argv, std::vector<size_t>* out);

void RegisterZSetRangeCommands(CommandTable& table);
void RegisterZSetStoreCommands(CommandTable& table);
void RegisterZSetPopCommands(CommandTable& table);

}  // namespace tidekv::commands
