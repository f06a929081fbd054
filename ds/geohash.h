// Geohash: the grid encoding behind Redis's GEO commands, and the spherical math of their
// searches. No tidekv knowledge: the commands (commands/geo*.cc) keep the points in a sorted
// set whose score is a point's 52-bit cell number, and ask this module which score ranges to
// scan and which points to keep.
//
// The grid: each axis is halved `step` times (longitude over -180..180, latitude over Redis's
// Web-Mercator limits -85.05112878..85.05112878), and a cell number interleaves the two
// indexes, latitude bits in the even positions and longitude bits in the odd ones, so that
// cells sharing a prefix share a larger cell. A stored point is its cell at step 26 (52 bits,
// exact in a double score), and it reads back as that cell's centre.
//
// Every formula follows Redis 7.0 operation for operation (same constants, same order of
// floating-point steps), because which points fall inside a search at its edges, the
// coordinates GEOPOS prints and the distances STOREDIST stores must equal Redis's bit for
// bit. Pure functions; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace tidekv::ds::geohash {

inline constexpr double kLonMin = -180;
inline constexpr double kLonMax = 180;
inline constexpr double kLatMin = -85.05112878;
inline constexpr double kLatMax = 85.05112878;
inline constexpr int kMaxStep = 26;  // bits per axis of a stored point
// The mean radius Redis uses for every distance.
inline constexpr double kEarthRadiusMeters = 6372797.560856;

struct Range {
  double min = 0;
  double max = 0;
};
inline constexpr Range kLonRange{kLonMin, kLonMax};
inline constexpr Range kLatRange{kLatMin, kLatMax};

struct Point {
  double lon = 0;
  double lat = 0;
};

// A grid cell: `step` bits per axis, interleaved. The empty cell (all zero) stands for an
// area a search leaves out.
struct Cell {
  uint64_t bits = 0;
  uint8_t step = 0;

  bool empty() const { return bits == 0 && step == 0; }
  bool operator==(const Cell&) const = default;
};

// The bounds of a cell.
struct Area {
  Range lon;
  Range lat;
};

// The cell of `p` at `step` (1..32) over the given axis ranges; nullopt when p is outside
// Redis's limits or the ranges. Latitude and longitude exactly at their maximum land one
// past the last cell, as in Redis.
std::optional<Cell> Encode(Point p, int step, Range lon = kLonRange, Range lat = kLatRange);
Area Decode(Cell cell, Range lon = kLonRange, Range lat = kLatRange);
// The neighbouring cell dx columns east (-1: west) and dy rows north (-1: south), wrapping
// around at the edges of the grid.
Cell Move(Cell cell, int dx, int dy);

// A cell number shifted to 52 bits: the scores of the cell's points lie in
// [Align52(cell), Align52(next cell)).
uint64_t Align52(Cell cell);
// The score range [first, second) holding the points of a cell.
std::pair<uint64_t, uint64_t> ScoreSpan(Cell cell);

// A valid point's score (its step-26 cell, aligned); nullopt outside Redis's limits.
std::optional<uint64_t> ScoreOf(Point p);
// The point a score stands for: the centre of its cell, kept inside Redis's limits. Any
// double is accepted (a sorted set may hold scores GEOADD never wrote); it is read as a cell
// number the way Redis's conversion to uint64 reads it on x86-64.
Point PointOf(double score);
// GEOHASH's 11-character base-32 string of the point a score stands for: re-encoded over
// the standard latitude range -90..90, the last character always '0'.
std::string HashString(double score);

// The haversine distance in meters on Redis's sphere.
double Distance(Point a, Point b);

// A search area: a circle of `radius`, or a box `width` wide and `height` tall, around
// `center`, in units of `to_meters` meters.
struct Shape {
  Point center;
  bool box = false;
  double radius = 0;
  double width = 0;
  double height = 0;
  double to_meters = 1;
};

// Whether p lies inside the shape (a box's sides are measured along the parallel and the
// meridian through p); *meters is then p's distance from the centre.
bool Contains(const Shape& shape, Point p, double* meters);

// The cells to scan for a shape, in Redis's order: the centre's cell, then its neighbours
// north, south, east, west, north-east, north-west, south-east, south-west. Neighbours that
// cannot hold a point of the shape are empty cells. With the coarsest grids (huge areas)
// neighbours may repeat: a caller skips a cell equal to the last one it scanned.
std::array<Cell, 9> SearchCells(const Shape& shape);

}  // namespace tidekv::ds::geohash
