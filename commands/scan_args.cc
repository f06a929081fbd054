#include "commands/scan_args.h"

#include <algorithm>

#include "common/strings.h"

namespace tidekv::commands {

bool ScanArgs::Matches(std::string_view name) const {
  return !pattern || GlobMatch(*pattern, name);
}

std::optional<ScanArgs> ParseScanArgs(CommandContext& ctx, size_t cursor_at, ScanKind kind) {
  ScanArgs args;
  std::optional<uint64_t> cursor = ParseUint64(ctx.arg(cursor_at));
  if (!cursor) {
    ctx.Error("ERR invalid cursor");
    return std::nullopt;
  }
  args.cursor = *cursor;
  for (size_t i = cursor_at + 1; i < ctx.argc();) {
    const bool has_value = i + 1 < ctx.argc();
    if (ctx.ArgIs(i, "count") && has_value) {
      std::optional<int64_t> n = ctx.IntArg(i + 1);
      if (!n) return std::nullopt;
      if (*n < 1) {
        ctx.SyntaxError();
        return std::nullopt;
      }
      args.count = static_cast<size_t>(std::min<int64_t>(*n, INT64_MAX / 10));
      i += 2;
    } else if (ctx.ArgIs(i, "match") && has_value) {
      args.pattern = ctx.arg(i + 1);
      if (*args.pattern == "*") args.pattern.reset();
      i += 2;
    } else if (kind == ScanKind::kKeys && ctx.ArgIs(i, "type") && has_value) {
      args.type = ctx.arg(i + 1);
      i += 2;
    } else if (kind == ScanKind::kHash && ctx.ArgIs(i, "novalues")) {
      args.novalues = true;
      i += 1;
    } else {
      ctx.SyntaxError();
      return std::nullopt;
    }
  }
  return args;
}

}  // namespace tidekv::commands
