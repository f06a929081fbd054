// Geohash: scores, positions, geohash strings and distances compared with what
// redis-server 7.0.15 answers for the same points (GEOADD + ZSCORE, GEOPOS, GEOHASH,
// GEODIST), round trips over random points, neighbours and the search cells.
#include "ds/geohash.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <random>
#include <string>

namespace tidekv::ds::geohash {
namespace {

const Point kPalermo{.lon = 13.361389, .lat = 38.115556};
const Point kCatania{.lon = 15.087269, .lat = 37.502669};

// A distance as GEODIST prints it.
std::string Meters(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", d);
  return buf;
}

// A coordinate as GEOPOS prints it (before trailing zeros are dropped): for values too small
// for their 17 decimals to pin the double down.
std::string Decimals17(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17Lf", static_cast<long double>(v));
  return buf;
}

TEST_CASE("geohash scores equal Redis's", "[geohash]") {
  CHECK(ScoreOf(kPalermo) == 3479099956230698ULL);
  CHECK(ScoreOf(kCatania) == 3479447370796909ULL);
  CHECK(ScoreOf({.lon = -5.6, .lat = 42.6}) == 2157242200379188ULL);
  CHECK(ScoreOf({.lon = 0, .lat = 0}) == 3377699720527872ULL);
  CHECK(ScoreOf({.lon = -180, .lat = kLatMin}) == 0);
  // The maxima land one past the last cell of both axes.
  CHECK(ScoreOf({.lon = 180, .lat = kLatMax}) == 13510798882111488ULL);
  // From the nyc set of Redis's geo.tcl.
  CHECK(ScoreOf({.lon = -74.0131604, .lat = 40.7126674}) == 1791873972053020ULL);
  CHECK(ScoreOf({.lon = -73.7858139, .lat = 40.6428986}) == 1791895905559723ULL);
  // Outside the Web-Mercator latitudes, or past a longitude limit: no score.
  CHECK_FALSE(ScoreOf({.lon = 0, .lat = 85.06}));
  CHECK_FALSE(ScoreOf({.lon = 0, .lat = -89}));
  CHECK_FALSE(ScoreOf({.lon = 180.0001, .lat = 0}));
}

TEST_CASE("positions read back as the cell centres Redis reports", "[geohash]") {
  Point p = PointOf(3479099956230698.0);
  CHECK(p.lon == 13.36138933897018433);
  CHECK(p.lat == 38.11555639549629859);
  p = PointOf(3479447370796909.0);
  CHECK(p.lon == 15.08726745843887329);
  CHECK(p.lat == 37.50266842333162032);
  p = PointOf(0);
  CHECK(p.lon == -179.99999731779098511);
  CHECK(p.lat == -85.05112751263942528);
  p = PointOf(3377699720527872.0);
  CHECK(Decimals17(p.lon) == "0.00000268220901489");
  CHECK(Decimals17(p.lat) == "0.00000126736058093");
  p = PointOf(13510798882111488.0);  // the overflowing maxima, clamped
  CHECK(p.lon == 180);
  CHECK(p.lat == 85.0511287799999991);
}

TEST_CASE("scores GEOADD never writes decode as Redis's conversion reads them", "[geohash]") {
  // What GEOPOS answers after ZADD of these scores on redis-server 7.0.15 (x86-64).
  struct Case {
    double score;
    double lon;
    double lat;
  };
  const Case cases[] = {
      {-1, 180, 85.0511287799999991},
      {1e300, -179.99999731779098511, -85.05112751263942528},
      {-1e300, 180, -85.05112751263942528},
      {HUGE_VAL, -179.99999731779098511, -85.05112751263942528},
      {-HUGE_VAL, 180, -85.05112751263942528},
      {4503599627370496.0, -179.99999731779098511, 85.0511287799999991},  // 2^52
      {9223372036854775808.0, 180, -85.05112751263942528},                // 2^63
      {18446744073709551616.0, -179.99999731779098511, -85.05112751263942528},
      {1.5, -179.99999731779098511, -85.05112497791824921},
      {13835058055282163712.0, 180, 85.0511287799999991},  // 1.5 * 2^63
  };
  for (const Case& c : cases) {
    INFO(c.score);
    const Point p = PointOf(c.score);
    CHECK(p.lon == c.lon);
    CHECK(p.lat == c.lat);
  }
  CHECK(HashString(-1) == "bp05b5048p0");
  CHECK(HashString(1.5) == "00bh0hbj210");
}

TEST_CASE("geohash strings equal Redis's GEOHASH", "[geohash]") {
  CHECK(HashString(static_cast<double>(*ScoreOf({.lon = -5.6, .lat = 42.6}))) == "ezs42e44yx0");
  CHECK(HashString(3479099956230698.0) == "sqc8b49rny0");
  CHECK(HashString(3479447370796909.0) == "sqdtr74hyu0");
  CHECK(HashString(0) == "00bh0hbj200");
  CHECK(HashString(3377699720527872.0) == "s0000000000");
  CHECK(HashString(13510798882111488.0) == "bp05b5048p0");
}

TEST_CASE("distances equal Redis's GEODIST", "[geohash]") {
  const Point palermo = PointOf(3479099956230698.0);
  const Point catania = PointOf(3479447370796909.0);
  CHECK(Meters(Distance(palermo, catania)) == "166274.1516");
  CHECK(Meters(Distance(catania, palermo)) == "166274.1516");
  CHECK(Meters(Distance(palermo, catania) / 1609.34) == "103.3182");
  CHECK(Meters(Distance(palermo, catania) / 0.3048) == "545518.8700");
  CHECK(Distance(palermo, palermo) == 0);
  // Along a meridian Redis takes the arc between the latitudes, a bit off the full formula.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g",
                Distance({.lon = 180, .lat = -81.79832491830205754},
                         {.lon = 180, .lat = -80.40960695896575317}));
  CHECK(std::string(buf) == "154461.96036052977");
  // Half the equator of Redis's sphere.
  CHECK(Distance({.lon = 0, .lat = 0}, {.lon = 180, .lat = 0}) ==
        Approx(3.14159265358979 * kEarthRadiusMeters));
}

TEST_CASE("random points round-trip through their cells", "[geohash]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lon(kLonMin, kLonMax);
  std::uniform_real_distribution<double> lat(kLatMin, kLatMax);
  const double cell_lon = 360.0 / (1 << kMaxStep);
  const double cell_lat = (kLatMax - kLatMin) / (1 << kMaxStep);
  for (int i = 0; i < 10000; i++) {
    const Point p{.lon = lon(rng), .lat = lat(rng)};
    const std::optional<uint64_t> score = ScoreOf(p);
    REQUIRE(score);
    REQUIRE(*score < (1ULL << 52));
    const Point back = PointOf(static_cast<double>(*score));
    REQUIRE(std::abs(back.lon - p.lon) <= cell_lon / 2);
    REQUIRE(std::abs(back.lat - p.lat) <= cell_lat / 2);
    REQUIRE(ScoreOf(back) == score);
    const Area a = Decode(*Encode(p, kMaxStep));
    REQUIRE(a.lon.min <= p.lon);
    REQUIRE(p.lon < a.lon.max);
    REQUIRE(a.lat.min <= p.lat);
    REQUIRE(p.lat < a.lat.max);
  }
}

TEST_CASE("neighbours wrap around the grid, score spans cover a cell's points", "[geohash]") {
  const Cell c = *Encode({.lon = 179.9, .lat = 0.1}, 4);
  const Cell east = Move(c, 1, 0);
  CHECK(Decode(east).lon.min == -180);  // wrapped
  CHECK(Move(east, -1, 0) == c);
  CHECK(Move(Move(c, 0, 1), 0, -1) == c);
  CHECK(Move(Move(c, 1, 1), -1, -1) == c);
  const Area north = Decode(Move(c, 0, 1));
  CHECK(north.lat.min == Decode(c).lat.max);

  const auto [first, end] = ScoreSpan(c);
  CHECK(first == Align52(c));
  CHECK(end - first == 1ULL << (52 - 8));
  const Point inside{.lon = 179.95, .lat = 0.2};
  REQUIRE(Encode(inside, 4) == c);
  CHECK(*ScoreOf(inside) >= first);
  CHECK(*ScoreOf(inside) < end);
  const Cell fine = *Encode(inside, kMaxStep);
  CHECK(ScoreSpan(fine) == std::pair<uint64_t, uint64_t>{*ScoreOf(inside), *ScoreOf(inside) + 1});
}

TEST_CASE("search cells: the centre's cell, and only the neighbours an area reaches", "[geohash]") {
  // A zero radius needs the point's own step-26 cell alone.
  Shape point{.center = PointOf(3479099956230698.0)};
  std::array<Cell, 9> cells = SearchCells(point);
  CHECK(cells[0] == *Encode(point.center, kMaxStep));
  for (size_t i = 1; i < cells.size(); i++) CHECK(cells[i].empty());

  // 50000 km covers the earth: the coarsest grid, whose neighbours repeat.
  Shape huge{.center = {.lon = 0, .lat = 0}, .radius = 50000, .to_meters = 1000};
  cells = SearchCells(huge);
  CHECK(cells[0].step == 1);
  CHECK(cells[1] == cells[2]);  // north and south wrap to the same row
  CHECK(cells[3] == cells[4]);

  // A 3 km circle in Manhattan: a step where the nine cells cover it.
  Shape nyc{.center = {.lon = -73.9798091, .lat = 40.7598464}, .radius = 3, .to_meters = 1000};
  cells = SearchCells(nyc);
  const Area whole = Decode(cells[0]);
  CHECK(cells[0].step > 10);
  CHECK(whole.lon.min <= nyc.center.lon);
  CHECK(nyc.center.lon < whole.lon.max);
}

TEST_CASE("shapes keep points by distance, a box by its sides", "[geohash]") {
  const Point center{.lon = 15, .lat = 37};
  double meters = 0;
  Shape circle{.center = center, .radius = 200, .to_meters = 1000};
  CHECK(Contains(circle, PointOf(3479447370796909.0), &meters));  // Catania
  CHECK(Meters(meters) == Meters(Distance(center, PointOf(3479447370796909.0))));
  CHECK_FALSE(Contains(circle, {.lon = 17.241510, .lat = 38.788135}, &meters));
  // A 400 x 400 km box reaches 200 km north and east, measured along meridian and parallel.
  Shape box{.center = center, .box = true, .width = 400, .height = 400, .to_meters = 1000};
  CHECK(Contains(box, {.lon = 15, .lat = 38.79}, &meters));
  CHECK_FALSE(Contains(box, {.lon = 15, .lat = 38.80}, &meters));
  CHECK(Contains(box, {.lon = 17.24, .lat = 37}, &meters));
  CHECK_FALSE(Contains(box, {.lon = 17.26, .lat = 37}, &meters));
  // A box around the antimeridian.
  Shape wrap{.center = {.lon = 179, .lat = 37},
             .box = true,
             .width = 400,
             .height = 400,
             .to_meters = 1000};
  CHECK(Contains(wrap, {.lon = -179.5, .lat = 36}, &meters));
}

}  // namespace
}  // namespace tidekv::ds::geohash
