#include "ds/geohash.h"

#include <cmath>

namespace tidekv::ds::geohash {
namespace {

// Half the Web-Mercator world's width in meters: the step estimate doubles a radius until it
// reaches it.
constexpr double kMercatorMax = 20037726.37;
constexpr double kDegToRad = M_PI / 180.0;

double ToRadians(double deg) { return deg * kDegToRad; }
double ToDegrees(double rad) { return rad / kDegToRad; }

// Spreads the 32 bits of v over the even bit positions of the result.
uint64_t SpreadBits(uint32_t v) {
  uint64_t x = v;
  x = (x | (x << 16)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x << 8)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x << 4)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x << 2)) & 0x3333333333333333ULL;
  x = (x | (x << 1)) & 0x5555555555555555ULL;
  return x;
}

// Gathers the even bit positions of v into 32 bits (SpreadBits's inverse).
uint32_t GatherBits(uint64_t v) {
  uint64_t x = v & 0x5555555555555555ULL;
  x = (x | (x >> 1)) & 0x3333333333333333ULL;
  x = (x | (x >> 2)) & 0x0F0F0F0F0F0F0F0FULL;
  x = (x | (x >> 4)) & 0x00FF00FF00FF00FFULL;
  x = (x | (x >> 8)) & 0x0000FFFF0000FFFFULL;
  x = (x | (x >> 16)) & 0x00000000FFFFFFFFULL;
  return static_cast<uint32_t>(x);
}

uint64_t Interleave(uint32_t lat_index, uint32_t lon_index) {
  return SpreadBits(lat_index) | (SpreadBits(lon_index) << 1);
}

// A score read as a cell number the way Redis's (uint64_t) cast of a double behaves with
// GCC on x86-64: truncation, two's complement below zero, and the "integer indefinite"
// value (the sign bit alone) where the signed conversion overflows.
uint64_t CellNumberOf(double score) {
  constexpr double k2p63 = 9223372036854775808.0;
  constexpr uint64_t kIndefinite = 1ULL << 63;
  auto signed_conversion = [&](double v) -> uint64_t {
    if (!(v >= -k2p63 && v < k2p63)) return kIndefinite;
    return static_cast<uint64_t>(static_cast<int64_t>(v));
  };
  if (score < k2p63) return signed_conversion(score);
  return signed_conversion(score - k2p63) ^ kIndefinite;
}

// Redis's estimate of the grid step whose cells are about the size of a search radius
// (coarser near the poles, where meridians converge).
int EstimateStep(double range_meters, double lat) {
  if (range_meters == 0) return kMaxStep;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > kMaxStep) step = kMaxStep;
  return step;
}

// The longitude and latitude bounds of a shape. Its east and west sides bend with the
// parallels, so a northern shape is widest along its top and a southern one along its
// bottom.
Area BoundingBox(const Shape& s) {
  const double height = s.to_meters * (s.box ? s.height / 2 : s.radius);
  const double width = s.to_meters * (s.box ? s.width / 2 : s.radius);
  const double lat_delta = ToDegrees(height / kEarthRadiusMeters);
  const double lon_delta_top =
      ToDegrees(width / kEarthRadiusMeters / std::cos(ToRadians(s.center.lat + lat_delta)));
  const double lon_delta_bottom =
      ToDegrees(width / kEarthRadiusMeters / std::cos(ToRadians(s.center.lat - lat_delta)));
  const double lon_delta = s.center.lat < 0 ? lon_delta_bottom : lon_delta_top;
  return {.lon = {s.center.lon - lon_delta, s.center.lon + lon_delta},
          .lat = {s.center.lat - lat_delta, s.center.lat + lat_delta}};
}

}  // namespace

std::optional<Cell> Encode(Point p, int step, Range lon, Range lat) {
  if (step <= 0 || step > 32) return std::nullopt;
  if (p.lon > kLonMax || p.lon < kLonMin || p.lat > kLatMax || p.lat < kLatMin) {
    return std::nullopt;
  }
  if (p.lat < lat.min || p.lat > lat.max || p.lon < lon.min || p.lon > lon.max) {
    return std::nullopt;
  }
  double lat_offset = (p.lat - lat.min) / (lat.max - lat.min);
  double lon_offset = (p.lon - lon.min) / (lon.max - lon.min);
  lat_offset *= static_cast<double>(1ULL << step);
  lon_offset *= static_cast<double>(1ULL << step);
  return Cell{
      .bits = Interleave(static_cast<uint32_t>(lat_offset), static_cast<uint32_t>(lon_offset)),
      .step = static_cast<uint8_t>(step)};
}

Area Decode(Cell cell, Range lon, Range lat) {
  const uint32_t lat_index = GatherBits(cell.bits);
  const uint32_t lon_index = GatherBits(cell.bits >> 1);
  const double cells = static_cast<double>(1ULL << cell.step);
  const double lat_scale = lat.max - lat.min;
  const double lon_scale = lon.max - lon.min;
  // The index after the last wraps to 0 in 32 bits, as Redis's unsigned arithmetic does.
  const uint32_t lat_next = lat_index + 1;
  const uint32_t lon_next = lon_index + 1;
  return {.lon = {lon.min + (lon_index * 1.0 / cells) * lon_scale,
                  lon.min + (lon_next * 1.0 / cells) * lon_scale},
          .lat = {lat.min + (lat_index * 1.0 / cells) * lat_scale,
                  lat.min + (lat_next * 1.0 / cells) * lat_scale}};
}

Cell Move(Cell cell, int dx, int dy) {
  // Only a moving axis is cut to `step` bits: a cell one past the grid's last row or column
  // (a point exactly at the maximum) keeps that overflow on its other axis, as in Redis.
  constexpr uint64_t kLatBits = 0x5555555555555555ULL;
  const uint32_t mask = cell.step >= 32 ? ~0U : (1U << cell.step) - 1;
  uint64_t lat = cell.bits & kLatBits;
  uint64_t lon = cell.bits & ~kLatBits;
  if (dy != 0) lat = SpreadBits((GatherBits(cell.bits) + static_cast<uint32_t>(dy)) & mask);
  if (dx != 0)
    lon = SpreadBits((GatherBits(cell.bits >> 1) + static_cast<uint32_t>(dx)) & mask) << 1;
  return {.bits = lat | lon, .step = cell.step};
}

uint64_t Align52(Cell cell) { return cell.bits << (52 - 2 * cell.step); }

std::pair<uint64_t, uint64_t> ScoreSpan(Cell cell) {
  Cell next = cell;
  next.bits++;
  return {Align52(cell), Align52(next)};
}

std::optional<uint64_t> ScoreOf(Point p) {
  const std::optional<Cell> cell = Encode(p, kMaxStep);
  if (!cell) return std::nullopt;
  return Align52(*cell);
}

Point PointOf(double score) {
  const Area a = Decode({.bits = CellNumberOf(score), .step = kMaxStep});
  Point p{.lon = (a.lon.min + a.lon.max) / 2, .lat = (a.lat.min + a.lat.max) / 2};
  if (p.lon > kLonMax) p.lon = kLonMax;
  if (p.lon < kLonMin) p.lon = kLonMin;
  if (p.lat > kLatMax) p.lat = kLatMax;
  if (p.lat < kLatMin) p.lat = kLatMin;
  return p;
}

std::string HashString(double score) {
  static constexpr char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  const std::optional<Cell> cell = Encode(PointOf(score), kMaxStep, kLonRange, {-90, 90});
  // 52 bits fill ten characters; the eleventh stands for the missing bits, as zero.
  std::string out(11, '0');
  for (int i = 0; i < 10 && cell; i++) out[i] = kAlphabet[(cell->bits >> (47 - 5 * i)) & 0x1f];
  return out;
}

double Distance(Point a, Point b) {
  const double lon1 = ToRadians(a.lon);
  const double lon2 = ToRadians(b.lon);
  const double v = std::sin((lon2 - lon1) / 2);
  // On one meridian the distance is the arc between the latitudes (Redis 7.0.15 takes this
  // shortcut, which can differ from the full formula in the last bit).
  if (v == 0.0) return kEarthRadiusMeters * std::fabs(ToRadians(b.lat) - ToRadians(a.lat));
  const double lat1 = ToRadians(a.lat);
  const double lat2 = ToRadians(b.lat);
  const double u = std::sin((lat2 - lat1) / 2);
  const double h = u * u + std::cos(lat1) * std::cos(lat2) * v * v;
  return 2.0 * kEarthRadiusMeters * std::asin(std::sqrt(h));
}

bool Contains(const Shape& s, Point p, double* meters) {
  if (!s.box) {
    *meters = Distance(s.center, p);
    return *meters <= s.radius * s.to_meters;
  }
  const double width = s.width * s.to_meters;
  const double height = s.height * s.to_meters;
  const double along_parallel = Distance(p, {.lon = s.center.lon, .lat = p.lat});
  const double along_meridian = Distance(p, {.lon = p.lon, .lat = s.center.lat});
  if (along_parallel > width / 2 || along_meridian > height / 2) return false;
  *meters = Distance(s.center, p);
  return true;
}

std::array<Cell, 9> SearchCells(const Shape& s) {
  const Area bounds = BoundingBox(s);
  double radius =
      s.box ? std::sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2)) : s.radius;
  radius *= s.to_meters;
  int step = EstimateStep(radius, s.center.lat);

  Cell center = Encode(s.center, step).value_or(Cell{.step = static_cast<uint8_t>(step)});
  // The estimate can fall short where the area reaches past the neighbours of the centre's
  // cell: one step coarser then.
  const bool too_fine = Decode(Move(center, 0, 1)).lat.max < bounds.lat.max ||
                        Decode(Move(center, 0, -1)).lat.min > bounds.lat.min ||
                        Decode(Move(center, 1, 0)).lon.max < bounds.lon.max ||
                        Decode(Move(center, -1, 0)).lon.min > bounds.lon.min;
  if (step > 1 && too_fine) {
    step--;
    center = Encode(s.center, step).value_or(Cell{.step = static_cast<uint8_t>(step)});
  }
  // Centre, N, S, E, W, NE, NW, SE, SW.
  static constexpr int kDx[9] = {0, 0, 0, 1, -1, 1, -1, 1, -1};
  static constexpr int kDy[9] = {0, 1, -1, 0, 0, 1, 1, -1, -1};
  std::array<Cell, 9> cells;
  for (size_t i = 0; i < cells.size(); i++) cells[i] = Move(center, kDx[i], kDy[i]);
  if (step >= 2) {
    // Leave out the rows and columns of neighbours beyond the area's bounds.
    const Area area = Decode(center);
    const bool skip_south = area.lat.min < bounds.lat.min;
    const bool skip_north = area.lat.max > bounds.lat.max;
    const bool skip_west = area.lon.min < bounds.lon.min;
    const bool skip_east = area.lon.max > bounds.lon.max;
    for (size_t i = 1; i < cells.size(); i++) {
      if ((skip_south && kDy[i] < 0) || (skip_north && kDy[i] > 0) || (skip_west && kDx[i] < 0) ||
          (skip_east && kDx[i] > 0)) {
        cells[i] = Cell{};
      }
    }
  }
  return cells;
}

}  // namespace tidekv::ds::geohash
