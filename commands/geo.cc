// Geospatial commands (Redis 7.0 semantics, replies and errors): GEOADD, GEOPOS, GEODIST,
// GEOHASH, the helpers the geo files share, and the group's registration. The searches
// (GEORADIUS and GEOSEARCH with their variants) are in geo_search.cc.
#include <cstdio>
#include <string>
#include <vector>

#include "commands/geo_util.h"
#include "common/strings.h"

namespace tidekv::commands {

std::optional<geohash::Point> LonLatArgs(CommandContext& ctx, size_t i) {
  const std::optional<double> lon = ScoreArg(ctx, i);
  if (!lon) return std::nullopt;
  const std::optional<double> lat = ScoreArg(ctx, i + 1);
  if (!lat) return std::nullopt;
  if (*lon < geohash::kLonMin || *lon > geohash::kLonMax || *lat < geohash::kLatMin ||
      *lat > geohash::kLatMax) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    ctx.Error(buf);
    return std::nullopt;
  }
  return geohash::Point{.lon = *lon, .lat = *lat};
}

std::optional<double> UnitArg(CommandContext& ctx, size_t i) {
  if (ctx.ArgIs(i, "m")) return 1;
  if (ctx.ArgIs(i, "km")) return 1000;
  if (ctx.ArgIs(i, "ft")) return 0.3048;
  if (ctx.ArgIs(i, "mi")) return 1609.34;
  ctx.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return std::nullopt;
}

std::optional<geohash::Point> PositionOf(const ZSetValue* z, std::string_view member) {
  const std::optional<double> score = z != nullptr ? z->Score(member) : std::nullopt;
  if (!score) return std::nullopt;
  return geohash::PointOf(*score);
}

void ReplyCoordinate(CommandContext& ctx, double v) {
  const std::string text = FormatLongDouble(static_cast<long double>(v));
  if (!ctx.reply.resp3()) return ctx.reply.Bulk(text);
  ctx.reply.Raw(",");
  ctx.reply.Raw(text);
  ctx.reply.Raw("\r\n");
}

void ReplyDistance(CommandContext& ctx, double v) {
  char buf[512];
  const int len = std::snprintf(buf, sizeof buf, "%.4f", v);
  ctx.reply.Bulk(std::string_view(buf, static_cast<size_t>(len)));
}

void AddGeoRow(CommandTable& table, CommandSpec spec, int first_key, int last_key) {
  spec.first_key = first_key;
  spec.last_key = last_key;
  spec.key_step = first_key == 0 ? 0 : 1;
  spec.group = "geo";
  table.Add(std::move(spec));
}

namespace {

// GEOADD key [NX|XX] [CH] longitude latitude member [...]: ZADD of the members' cell numbers,
// propagated as that ZADD (as Redis does), so replicas store the very same scores.
void GeoAdd(CommandContext& ctx) {
  types::ZAddOptions opt;
  bool ch = false;
  size_t at = 2;
  for (; at < ctx.argc(); at++) {
    if (ctx.ArgIs(at, "nx")) {
      opt.nx = true;
    } else if (ctx.ArgIs(at, "xx")) {
      opt.xx = true;
    } else if (ctx.ArgIs(at, "ch")) {
      ch = true;
    } else {
      break;
    }
  }
  const size_t args = ctx.argc() - at;
  if (args % 3 != 0 || args == 0 || (opt.nx && opt.xx)) return ctx.SyntaxError();
  std::vector<uint64_t> scores;
  scores.reserve(args / 3);
  for (size_t i = at; i < ctx.argc(); i += 3) {
    const std::optional<geohash::Point> p = LonLatArgs(ctx, i);
    if (!p) return;
    scores.push_back(*geohash::ScoreOf(*p));
  }
  auto z = ctx.Write<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  if (z.entry == nullptr && opt.xx) return ctx.reply.Integer(0);
  z = ctx.WriteOrCreate<ZSetValue>(ctx.arg(1),
                                   [&] { return new ZSetValue(1, ctx.arg(at + 2).size()); });
  int64_t added = 0, updated = 0;
  double unused = 0;
  for (size_t k = 0; k < scores.size(); k++) {
    const auto score = static_cast<double>(scores[k]);
    switch (z.value->Add(ctx.arg(at + 3 * k + 2), score, opt, &unused)) {
      case types::ZAddResult::kAdded:
        added++;
        break;
      case types::ZAddResult::kUpdated:
        updated++;
        break;
      default:
        break;
    }
  }
  if (added + updated > 0) {
    ctx.Changed();
    std::vector<std::string> texts;
    texts.reserve(scores.size());
    for (uint64_t score : scores) texts.push_back(std::to_string(score));
    std::vector<std::string_view> effect{"ZADD", ctx.arg(1)};
    if (opt.nx) effect.push_back("NX");
    if (opt.xx) effect.push_back("XX");
    for (size_t k = 0; k < scores.size(); k++) {
      effect.push_back(texts[k]);
      effect.push_back(ctx.arg(at + 3 * k + 2));
    }
    ctx.Propagate(effect);
  }
  ctx.reply.Integer(ch ? added + updated : added);
}

void GeoPos(CommandContext& ctx) {
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    const std::optional<geohash::Point> p = PositionOf(z.value, ctx.arg(i));
    if (!p) {
      ctx.reply.NullArray();
      continue;
    }
    ctx.reply.Array(2);
    ReplyCoordinate(ctx, p->lon);
    ReplyCoordinate(ctx, p->lat);
  }
}

void GeoDist(CommandContext& ctx) {
  double to_meters = 1;
  if (ctx.argc() == 5) {
    const std::optional<double> unit = UnitArg(ctx, 4);
    if (!unit) return;
    to_meters = *unit;
  } else if (ctx.argc() > 5) {
    return ctx.SyntaxError();
  }
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  const std::optional<geohash::Point> a = PositionOf(z.value, ctx.arg(2));
  const std::optional<geohash::Point> b = a ? PositionOf(z.value, ctx.arg(3)) : std::nullopt;
  if (!b) return ctx.reply.Null();
  ReplyDistance(ctx, geohash::Distance(*a, *b) / to_meters);
}

void GeoHash(CommandContext& ctx) {
  auto z = ctx.Read<ZSetValue>(ctx.arg(1));
  if (!z.ok) return;
  ctx.reply.Array(ctx.argc() - 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    const std::optional<double> score =
        z.value != nullptr ? z.value->Score(ctx.arg(i)) : std::nullopt;
    if (score) {
      ctx.reply.Bulk(geohash::HashString(*score));
    } else {
      ctx.reply.Null();
    }
  }
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterGeoCommands(CommandTable& table) {
  using enum CommandFlag;
  auto row = [&table](CommandSpec spec) { AddGeoRow(table, std::move(spec)); };
  row({.name = "geoadd",
       .arity = -5,
       .flags = kWrite | kDenyOom,
       .key_flags = "RW update",
       .handler = GeoAdd,
       .since = "3.2.0",
       .summary = "Adds one or more members to a geospatial index. The key is created if it "
                  "doesn't exist.",
       .complexity = "O(log(N)) for each item added, where N is the number of elements in the "
                     "sorted set.",
       .syntax = "key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]"});
  row({.name = "geopos",
       .arity = -2,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = GeoPos,
       .since = "3.2.0",
       .summary = "Returns the longitude and latitude of members from a geospatial index.",
       .complexity = "O(N) where N is the number of members requested.",
       .syntax = "key [member [member ...]]"});
  row({.name = "geodist",
       .arity = -4,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = GeoDist,
       .since = "3.2.0",
       .summary = "Returns the distance between two members of a geospatial index.",
       .complexity = "O(log(N))",
       .syntax = "key member1 member2 [M | KM | FT | MI]"});
  row({.name = "geohash",
       .arity = -2,
       .flags = kReadOnly,
       .key_flags = "RO access",
       .handler = GeoHash,
       .since = "3.2.0",
       .summary = "Returns members from a geospatial index as geohash strings.",
       .complexity = "O(log(N)) for each member requested, where N is the number of elements "
                     "in the sorted set.",
       .syntax = "key [member [member ...]]"});
  RegisterGeoSearchCommands(table);
}

}  // namespace tidekv::commands
