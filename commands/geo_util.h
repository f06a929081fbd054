// What the geo command files (geo.cc, geo_search.cc) share: argument parsing with Redis
// 7.0's errors, a member's position, the reply forms of coordinates and distances, and
// their command-row helper. A geo key is a plain sorted set whose scores are
// ds::geohash cell numbers, so the sorted set commands read and change it too.
#pragma once

#include <optional>
#include <string_view>

#include "commands/zset_util.h"
#include "ds/geohash.h"

namespace tidekv::commands {

namespace geohash = ds::geohash;

// argv[i] and argv[i + 1] as a longitude and a latitude; replies Redis's error when either
// is not a float or the pair lies outside -180..180, -85.05112878..85.05112878.
std::optional<geohash::Point> LonLatArgs(CommandContext& ctx, size_t i);
// The meters in one unit named by argv[i] (M, KM, FT or MI, any case); replies Redis's
// error for any other word.
std::optional<double> UnitArg(CommandContext& ctx, size_t i);
// A member's stored position (its cell's centre), nullopt when z is null or lacks it.
std::optional<geohash::Point> PositionOf(const ZSetValue* z, std::string_view member);

// A coordinate as Redis replies it (addReplyHumanLongDouble): up to 17 decimals, trailing
// zeros dropped; a bulk string in RESP2, a double in RESP3.
void ReplyCoordinate(CommandContext& ctx, double v);
// A distance as Redis replies it: a bulk string with four decimals, in either protocol.
void ReplyDistance(CommandContext& ctx, double v);

// The rows of the "geo" group (keys at first_key..last_key, step 1).
void AddGeoRow(CommandTable& table, CommandSpec spec, int first_key = 1, int last_key = 1);
void RegisterGeoSearchCommands(CommandTable& table);

}  // namespace tidekv::commands
