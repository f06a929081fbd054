// The geo searches (Redis 7.0's georadiusGeneric): GEORADIUS, GEORADIUSBYMEMBER, their _RO
// forms, GEOSEARCH and GEOSEARCHSTORE. A search scans the score ranges of the nine grid
// cells around its centre (ds::geohash::SearchCells), keeps the points inside the circle or
// box, then sorts, cuts to COUNT, and replies or stores. The order of the checks, the
// points kept at the edges and the order of unsorted replies follow Redis.
#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "commands/geo_util.h"
#include "common/strings.h"
#include "ds/partial_sort.h"

namespace tidekv::commands {
namespace {

// Which command runs (Redis's RADIUS_* and GEOSEARCH* flags).
enum class Form : uint8_t {
  kRadius,        // GEORADIUS: key longitude latitude radius unit [options]
  kRadiusMember,  // GEORADIUSBYMEMBER: key member radius unit [options]
  kSearch,        // GEOSEARCH: key [FROMMEMBER | FROMLONLAT] [BYRADIUS | BYBOX] [options]
  kSearchStore,   // GEOSEARCHSTORE: destination source ...
};

enum class Sort : uint8_t { kNone, kAsc, kDesc };

// A point found inside the shape.
struct Found {
  std::string member;
  double score;
  double meters;  // from the centre
  geohash::Point at;
};

// argv[i] and argv[i + 1] as BYRADIUS's (and GEORADIUS's) radius and unit.
bool RadiusArgs(CommandContext& ctx, size_t i, geohash::Shape* shape) {
  const std::optional<double> radius = ScoreArg(ctx, i, "ERR need numeric radius");
  if (!radius) return false;
  if (*radius < 0) {
    ctx.Error("ERR radius cannot be negative");
    return false;
  }
  const std::optional<double> unit = UnitArg(ctx, i + 1);
  if (!unit) return false;
  shape->box = false;
  shape->radius = *radius;
  shape->to_meters = *unit;
  return true;
}

// argv[i..i+2] as BYBOX's width, height and unit.
bool BoxArgs(CommandContext& ctx, size_t i, geohash::Shape* shape) {
  const std::optional<double> width = ScoreArg(ctx, i, "ERR need numeric width");
  if (!width) return false;
  const std::optional<double> height = ScoreArg(ctx, i + 1, "ERR need numeric height");
  if (!height) return false;
  if (*width < 0 || *height < 0) {
    ctx.Error("ERR height or width cannot be negative");
    return false;
  }
  const std::optional<double> unit = UnitArg(ctx, i + 2);
  if (!unit) return false;
  shape->box = true;
  shape->width = *width;
  shape->height = *height;
  shape->to_meters = *unit;
  return true;
}

// The members of z inside the shape, cell by cell in SearchCells's order and by score inside
// a cell; stops once `limit` were found (0: no limit).
std::vector<Found> MembersInShape(const ZSetValue& z, const geohash::Shape& shape, size_t limit) {
  // Walked in slices, so that a limited search stops close to where it is satisfied.
  constexpr size_t kSlice = 64;
  const std::array<geohash::Cell, 9> cells = geohash::SearchCells(shape);
  std::vector<Found> found;
  auto full = [&] { return limit != 0 && found.size() >= limit; };
  size_t last = 0;  // the last cell scanned; Redis never compares a cell with the centre's
  for (size_t i = 0; i < cells.size(); i++) {
    if (cells[i].empty()) continue;
    if (last != 0 && cells[i] == cells[last]) continue;
    if (full()) break;
    const auto [min, max] = geohash::ScoreSpan(cells[i]);
    const ds::ScoreRange range{
        .min = static_cast<double>(min), .max = static_cast<double>(max), .maxex = true};
    const auto [begin, end] = z.RanksIn(range);
    for (size_t from = begin; from < end && !full(); from += kSlice) {
      z.ForRanks(from, std::min(end, from + kSlice), false, [&](std::string_view m, double s) {
        if (full()) return;
        const geohash::Point p = geohash::PointOf(s);
        double meters = 0;
        if (geohash::Contains(shape, p, &meters)) {
          found.push_back({.member = std::string(m), .score = s, .meters = meters, .at = p});
        }
      });
    }
    last = i;
  }
  return found;
}

void ReplyFound(CommandContext& ctx, const std::vector<Found>& found, size_t n, double to_meters,
                bool withdist, bool withhash, bool withcoord) {
  const size_t extras = size_t{withdist} + size_t{withhash} + size_t{withcoord};
  ctx.reply.Array(n);
  for (size_t i = 0; i < n; i++) {
    const Found& f = found[i];
    if (extras > 0) ctx.reply.Array(extras + 1);
    ctx.reply.Bulk(f.member);
    if (withdist) ReplyDistance(ctx, f.meters / to_meters);
    if (withhash) ctx.reply.Integer(static_cast<int64_t>(f.score));
    if (withcoord) {
      ctx.reply.Array(2);
      ReplyCoordinate(ctx, f.at.lon);
      ReplyCoordinate(ctx, f.at.lat);
    }
  }
}

// Replaces `dst` with a sorted set of the first n found members, scored by their cell (as in
// the source) or, with STOREDIST, by their distance in the command's unit; deletes it when
// there are none.
void StoreFound(CommandContext& ctx, std::string_view dst, const std::vector<Found>& found,
                size_t n, double to_meters, bool storedist) {
  std::vector<std::pair<std::string, double>> items;
  items.reserve(n);
  for (size_t i = 0; i < n; i++) {
    items.emplace_back(found[i].member, storedist ? found[i].meters / to_meters : found[i].score);
  }
  std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  items.erase(std::unique(items.begin(), items.end(),
                          [](const auto& a, const auto& b) { return a.first == b.first; }),
              items.end());
  StoreResult(ctx, dst, items);
}

void GeoSearchGeneric(CommandContext& ctx, Form form, bool can_store) {
  const bool search = form == Form::kSearch || form == Form::kSearchStore;
  const size_t src_at = form == Form::kSearchStore ? 2 : 1;
  auto z = ctx.Read<ZSetValue>(ctx.arg(src_at));
  if (!z.ok) return;

  geohash::Shape shape;
  size_t at = 0;  // the first option
  std::optional<std::string_view> store;
  switch (form) {
    case Form::kRadius: {
      at = 6;
      const std::optional<geohash::Point> center = LonLatArgs(ctx, 2);
      if (!center) return;
      shape.center = *center;
      if (!RadiusArgs(ctx, 4, &shape)) return;
      break;
    }
    case Form::kRadiusMember: {
      at = 5;
      // Without the key, the reply (empty, or 0 stored) waits for the options to be parsed.
      if (z.value == nullptr) break;
      const std::optional<geohash::Point> center = PositionOf(z.value, ctx.arg(2));
      if (!center) return ctx.Error("ERR could not decode requested zset member");
      shape.center = *center;
      if (!RadiusArgs(ctx, 3, &shape)) return;
      break;
    }
    case Form::kSearch:
      at = 2;
      break;
    case Form::kSearchStore:
      at = 3;
      store = ctx.arg(1);
      break;
  }

  bool withdist = false, withhash = false, withcoord = false, storedist = false, any = false;
  bool from_member = false, from_lonlat = false, by_radius = false, by_box = false;
  Sort sort = Sort::kNone;
  int64_t count = 0;  // 0: no limit
  for (size_t i = at; i < ctx.argc(); i++) {
    const size_t left = ctx.argc() - i - 1;  // arguments after this one
    if (ctx.ArgIs(i, "withdist")) {
      withdist = true;
    } else if (ctx.ArgIs(i, "withhash")) {
      withhash = true;
    } else if (ctx.ArgIs(i, "withcoord")) {
      withcoord = true;
    } else if (ctx.ArgIs(i, "any")) {
      any = true;
    } else if (ctx.ArgIs(i, "asc")) {
      sort = Sort::kAsc;
    } else if (ctx.ArgIs(i, "desc")) {
      sort = Sort::kDesc;
    } else if (ctx.ArgIs(i, "count") && left >= 1) {
      const std::optional<int64_t> n = ctx.IntArg(++i);
      if (!n) return;
      if (*n <= 0) return ctx.Error("ERR COUNT must be > 0");
      count = *n;
    } else if (!search && can_store && left >= 1 &&
               (ctx.ArgIs(i, "store") || ctx.ArgIs(i, "storedist"))) {
      storedist = ctx.ArgIs(i, "storedist");
      store = ctx.arg(++i);
    } else if (form == Form::kSearchStore && ctx.ArgIs(i, "storedist")) {
      storedist = true;
    } else if (search && !from_lonlat && left >= 1 && ctx.ArgIs(i, "frommember")) {
      from_member = true;
      i++;
      if (z.value == nullptr) continue;  // no key: the reply comes after the checks
      const std::optional<geohash::Point> center = PositionOf(z.value, ctx.arg(i));
      if (!center) return ctx.Error("ERR could not decode requested zset member");
      shape.center = *center;
    } else if (search && !from_member && left >= 2 && ctx.ArgIs(i, "fromlonlat")) {
      const std::optional<geohash::Point> center = LonLatArgs(ctx, i + 1);
      if (!center) return;
      shape.center = *center;
      from_lonlat = true;
      i += 2;
    } else if (search && !by_box && left >= 2 && ctx.ArgIs(i, "byradius")) {
      if (!RadiusArgs(ctx, i + 1, &shape)) return;
      by_radius = true;
      i += 2;
    } else if (search && !by_radius && left >= 3 && ctx.ArgIs(i, "bybox")) {
      if (!BoxArgs(ctx, i + 1, &shape)) return;
      by_box = true;
      i += 3;
    } else {
      return ctx.SyntaxError();
    }
  }

  if (store && (withdist || withhash || withcoord)) {
    return ctx.Error(form == Form::kSearchStore
                         ? "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and "
                           "WITHCOORD options"
                         : "ERR STORE option in GEORADIUS is not compatible with WITHDIST, "
                           "WITHHASH and WITHCOORD options");
  }
  if (search && !from_member && !from_lonlat) {
    return ctx.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " +
                     std::string(ctx.arg(0)));
  }
  if (search && !by_radius && !by_box) {
    return ctx.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " +
                     std::string(ctx.arg(0)));
  }
  if (any && count == 0) return ctx.Error("ERR the ANY argument requires COUNT argument");

  if (z.value == nullptr) {
    if (store) return StoreResult(ctx, *store, {});
    return ctx.reply.Array(0);
  }
  // The nearest `count` need sorting; ANY takes the first found instead.
  if (count != 0 && sort == Sort::kNone && !any) sort = Sort::kAsc;

  std::vector<Found> found = MembersInShape(*z.value, shape, any ? static_cast<size_t>(count) : 0);
  const size_t n = count == 0 ? found.size() : std::min(found.size(), static_cast<size_t>(count));
  if (sort != Sort::kNone) {
    auto by_distance = [sort](const Found& a, const Found& b) {
      const int c = a.meters > b.meters ? 1 : a.meters == b.meters ? 0 : -1;
      return sort == Sort::kAsc ? c : -c;
    };
    // Which of equal distances come first is part of the reply: a full sort is stable (the
    // C library's qsort, a merge sort, is what Redis calls), a cut one is Redis's pqsort.
    if (n == found.size()) {
      std::stable_sort(found.begin(), found.end(),
                       [&](const Found& a, const Found& b) { return by_distance(a, b) < 0; });
    } else {
      ds::PartialQuickSort(found.data(), found.size(), n, by_distance);
    }
  }
  if (store) return StoreFound(ctx, *store, found, n, shape.to_meters, storedist);
  ReplyFound(ctx, found, n, shape.to_meters, withdist, withhash, withcoord);
}

void GeoRadius(CommandContext& ctx) { GeoSearchGeneric(ctx, Form::kRadius, true); }
void GeoRadiusRo(CommandContext& ctx) { GeoSearchGeneric(ctx, Form::kRadius, false); }
void GeoRadiusByMember(CommandContext& ctx) { GeoSearchGeneric(ctx, Form::kRadiusMember, true); }
void GeoRadiusByMemberRo(CommandContext& ctx) { GeoSearchGeneric(ctx, Form::kRadiusMember, false); }
void GeoSearch(CommandContext& ctx) { GeoSearchGeneric(ctx, Form::kSearch, false); }
void GeoSearchStore(CommandContext& ctx) { GeoSearchGeneric(ctx, Form::kSearchStore, true); }

// Key specs of GEORADIUS and GEORADIUSBYMEMBER: the source, then the keys after the first
// STORE and the first STOREDIST from the option at `options_at` (Redis's keyword key specs,
// which do not look at the last argument). Their rows also name the source as first_key
// (COMMAND INFO's 1 1 1, as Redis's legacy triple).
void RadiusStoreKeys(size_t options_at, std::span<const std::string_view> argv,
                     std::vector<size_t>* out) {
  if (argv.size() > 1) out->push_back(1);
  for (std::string_view keyword : {"store", "storedist"}) {
    for (size_t i = options_at; i + 1 < argv.size(); i++) {
      if (EqualsIgnoreCase(argv[i], keyword)) {
        out->push_back(i + 1);
        break;
      }
    }
  }
}
void GeoRadiusKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  RadiusStoreKeys(6, argv, out);
}
void GeoRadiusByMemberKeys(std::span<const std::string_view> argv, std::vector<size_t>* out) {
  RadiusStoreKeys(5, argv, out);
}

}  // namespace

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
void RegisterGeoSearchCommands(CommandTable& table) {
  using enum CommandFlag;
  const std::string_view kRadiusComplexity =
      "O(N+log(M)) where N is the number of elements inside the bounding box of the circular "
      "area delimited by center and radius and M is the number of items inside the index.";
  const std::string_view kSearchComplexity =
      "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area "
      "around the shape provided as the filter and M is the number of items inside the shape";
  const std::string_view kRadiusOptions =
      "radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] "
      "[ASC | DESC]";
  const std::string_view kSearchArea =
      "<FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> "
      "| BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]]";
  static const std::string radius_syntax =
      "key longitude latitude " + std::string(kRadiusOptions) + " [STORE key | STOREDIST key]";
  static const std::string radius_ro_syntax =
      "key longitude latitude " + std::string(kRadiusOptions);
  static const std::string member_syntax =
      "key member " + std::string(kRadiusOptions) + " [STORE key | STOREDIST key]";
  static const std::string member_ro_syntax = "key member " + std::string(kRadiusOptions);
  static const std::string search_syntax =
      "key " + std::string(kSearchArea) + " [WITHCOORD] [WITHDIST] [WITHHASH]";
  static const std::string store_syntax =
      "destination source " + std::string(kSearchArea) + " [STOREDIST]";
  AddGeoRow(table, {.name = "georadius",
                    .arity = -6,
                    .flags = kWrite | kDenyOom,
                    .key_flags = "RO access; OW update; OW update",
                    .handler = GeoRadius,
                    .since = "3.2.0",
                    .summary = "Queries a geospatial index for members within a distance from a "
                               "coordinate, optionally stores the result.",
                    .complexity = kRadiusComplexity,
                    .syntax = radius_syntax,
                    .find_keys = GeoRadiusKeys});
  AddGeoRow(table, {.name = "georadiusbymember",
                    .arity = -5,
                    .flags = kWrite | kDenyOom,
                    .key_flags = "RO access; OW update; OW update",
                    .handler = GeoRadiusByMember,
                    .since = "3.2.0",
                    .summary = "Queries a geospatial index for members within a distance from a "
                               "member, optionally stores the result.",
                    .complexity = kRadiusComplexity,
                    .syntax = member_syntax,
                    .find_keys = GeoRadiusByMemberKeys});
  AddGeoRow(table, {.name = "georadius_ro",
                    .arity = -6,
                    .flags = kReadOnly,
                    .key_flags = "RO access",
                    .handler = GeoRadiusRo,
                    .since = "3.2.10",
                    .summary = "Returns members from a geospatial index that are within a "
                               "distance from a coordinate.",
                    .complexity = kRadiusComplexity,
                    .syntax = radius_ro_syntax});
  AddGeoRow(table, {.name = "georadiusbymember_ro",
                    .arity = -5,
                    .flags = kReadOnly,
                    .key_flags = "RO access",
                    .handler = GeoRadiusByMemberRo,
                    .since = "3.2.10",
                    .summary = "Returns members from a geospatial index that are within a "
                               "distance from a member.",
                    .complexity = kRadiusComplexity,
                    .syntax = member_ro_syntax});
  AddGeoRow(table, {.name = "geosearch",
                    .arity = -7,
                    .flags = kReadOnly,
                    .key_flags = "RO access",
                    .handler = GeoSearch,
                    .since = "6.2.0",
                    .summary = "Queries a geospatial index for members inside an area of a box "
                               "or a circle.",
                    .complexity = kSearchComplexity,
                    .syntax = search_syntax});
  AddGeoRow(table,
            {.name = "geosearchstore",
             .arity = -8,
             .flags = kWrite | kDenyOom,
             .key_flags = "OW update; RO access",
             .handler = GeoSearchStore,
             .since = "6.2.0",
             .summary = "Queries a geospatial index for members inside an area of a box or a "
                        "circle, optionally stores the result.",
             .complexity = kSearchComplexity,
             .syntax = store_syntax},
            1, 2);
}

}  // namespace tidekv::commands
