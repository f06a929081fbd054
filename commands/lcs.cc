// LCS (Redis 7's longest common substring of two string keys), apart from the other string
// commands because its matcher is most of its code.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "common/strings.h"

namespace tidekv::commands {

namespace {

// ---- LCS ----------------------------------------------------------------------------------

struct LcsMatch {
  uint32_t a_start, a_end, b_start, b_end;
};

void Lcs(CommandContext& ctx) {
  Entry* ea = ctx.LookupRead(ctx.arg(1));
  Entry* eb = ctx.LookupRead(ctx.arg(2));
  if ((ea != nullptr && !ea->IsString()) || (eb != nullptr && !eb->IsString())) {
    ctx.Error("ERR The specified keys must contain string values");
    return;
  }
  // The second lookup can only delete an expired key2, never the live key1 entry.
  const std::string_view a = ea != nullptr ? std::string_view(ea->str()) : std::string_view();
  const std::string_view b = eb != nullptr ? std::string_view(eb->str()) : std::string_view();

  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t i = 3; i < ctx.argc(); i++) {
    if (ctx.ArgIs(i, "idx")) {
      want_idx = true;
    } else if (ctx.ArgIs(i, "len")) {
      want_len = true;
    } else if (ctx.ArgIs(i, "withmatchlen")) {
      with_match_len = true;
    } else if (ctx.ArgIs(i, "minmatchlen") && i + 1 < ctx.argc()) {
      std::optional<int64_t> v = ctx.IntArg(++i);
      if (!v) return;
      min_match_len = *v < 0 ? 0 : *v;
    } else {
      ctx.SyntaxError();
      return;
    }
  }
  if (want_len && want_idx) {
    ctx.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    ctx.Error("ERR String too long for LCS");
    return;
  }

  // Classic dynamic programming: dp[i][j] is the LCS length of a[0..i) and b[0..j). The
  // table is transient memory, bounded like a string by the maximum bulk length.
  const uint64_t alen = a.size(), blen = b.size();
  const uint64_t cells = (alen + 1) * (blen + 1);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(ctx.engine.config().max_bulk_bytes)) {
    ctx.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  std::unique_ptr<uint32_t[]> dp(new (std::nothrow) uint32_t[cells]);
  if (!dp) {
    ctx.Error("ERR Insufficient memory, failed allocating transient memory for LCS");
    return;
  }
  auto at = [&](uint64_t i, uint64_t j) -> uint32_t& { return dp[i * (blen + 1) + j]; };
  for (uint64_t j = 0; j <= blen; j++) at(0, j) = 0;
  for (uint64_t i = 1; i <= alen; i++) {
    at(i, 0) = 0;
    for (uint64_t j = 1; j <= blen; j++) {
      if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  const uint32_t total = at(alen, blen);
  if (want_len) {
    ctx.reply.Integer(total);
    return;
  }

  // Walk back from the end, collecting the common subsequence and, for IDX, the maximal
  // runs matched contiguously in both strings (reported last-first, as Redis does). Ties
  // step in b first, like Redis, so both produce the same subsequence and ranges.
  std::string common(total, '\0');
  std::vector<LcsMatch> matches;
  uint32_t left = total;
  bool in_run = false;
  LcsMatch run{};
  auto close_run = [&] {
    const uint64_t run_len = run.a_end - run.a_start + 1;
    if (min_match_len == 0 || run_len >= static_cast<uint64_t>(min_match_len)) {
      matches.push_back(run);
    }
    in_run = false;
  };
  uint64_t i = alen, j = blen;
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      common[--left] = a[i - 1];
      const uint32_t ai = static_cast<uint32_t>(i - 1), bj = static_cast<uint32_t>(j - 1);
      if (in_run && run.a_start == ai + 1 && run.b_start == bj + 1) {
        run.a_start = ai;
        run.b_start = bj;
      } else {
        if (in_run) close_run();
        run = {ai, ai, bj, bj};
        in_run = true;
      }
      i--;
      j--;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        i--;
      } else {
        j--;
      }
      if (in_run) close_run();
    }
  }
  if (in_run) close_run();

  if (!want_idx) {
    ctx.reply.Bulk(common);
    return;
  }
  ctx.reply.Map(2);
  ctx.reply.Bulk("matches");
  ctx.reply.Array(matches.size());
  for (const LcsMatch& m : matches) {
    ctx.reply.Array(with_match_len ? 3 : 2);
    ctx.reply.Array(2);
    ctx.reply.Integer(m.a_start);
    ctx.reply.Integer(m.a_end);
    ctx.reply.Array(2);
    ctx.reply.Integer(m.b_start);
    ctx.reply.Integer(m.b_end);
    if (with_match_len) ctx.reply.Integer(m.a_end - m.a_start + 1);
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(total);
}

}  // namespace

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterLcsCommand(CommandTable& table) {
  using enum CommandFlag;
  table.Add({.name = "lcs",
             .arity = -3,
             .flags = kReadOnly,
             .first_key = 1,
             .last_key = 2,
             .key_step = 1,
             .key_flags = "RO access",
             .handler = Lcs,
             .group = "string",
             .since = "7.0.0",
             .summary = "Finds the longest common substring.",
             .complexity = "O(N*M) where N and M are the lengths of s1 and s2, respectively",
             .syntax = "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"});
}
#pragma GCC diagnostic pop

}  // namespace tidekv::commands
