// Geo commands (commands/geo*.cc) through the in-process engine. Expected replies are what
// redis-server 7.0.15 answers to the same commands (many from Redis's own geo.tcl): scores,
// positions, distances, search results and their order, errors, store effects and the keys
// COMMAND GETKEYS finds.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

using Strings = std::vector<std::string>;

const std::string kEmpty = "*0\r\n";

// The nyc set of Redis's geo.tcl.
void AddNyc(EngineFixture& f) {
  REQUIRE(f.Run({"GEOADD",      "nyc",         "-73.9454966",  "40.747533",
                 "lic market",  "-73.9733487", "40.7648057",   "central park n/q/r",
                 "-73.9903085", "40.7362513",  "union square", "-74.0131604",
                 "40.7126674",  "wtc one",     "-73.7858139",  "40.6428986",
                 "jfk",         "-73.9375699", "40.7498929",   "q4",
                 "-73.9564142", "40.7480973",  "4545"}) == Int(7));
}

void AddSicily(EngineFixture& f) {
  REQUIRE(f.Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
                 "Catania"}) == Int(2));
}

TEST_CASE("GEOADD stores cell numbers as sorted set scores, with NX, XX and CH", "[geo]") {
  EngineFixture f;
  AddNyc(f);
  CHECK(Elements(f.Run({"ZRANGE", "nyc", "0", "-1", "WITHSCORES"})) ==
        Strings{"wtc one", "1791873972053020", "union square", "1791875485187452",
                "central park n/q/r", "1791875761332224", "4545", "1791875796750882", "lic market",
                "1791875804419201", "q4", "1791875830079666", "jfk", "1791895905559723"});
  CHECK(f.Run({"TYPE", "nyc"}) == "+zset\r\n");
  CHECK(f.Run({"GEOADD", "nyc", "-73.9454966", "40.747533", "lic market"}) == Int(0));
  CHECK(f.Run({"GEOADD", "nyc", "CH", "40.747533", "-73.9454966", "lic market"}) == Int(1));
  CHECK(f.Run({"GEOADD", "nyc", "NX", "-73.9454966", "40.747533", "lic market"}) == Int(0));
  CHECK(f.Run({"ZSCORE", "nyc", "lic market"}) == Bulk("2315635802405705"));
  CHECK(f.Run({"GEOADD", "nyc", "XX", "-83.9454966", "40.747533", "lic market"}) == Int(0));
  CHECK(f.Run({"GEOADD", "nyc", "CH", "NX", "-73.9454966", "40.747533", "lic market"}) == Int(0));
  CHECK(f.Run({"GEOADD", "nyc", "CH", "XX", "-73.9454966", "40.747533", "lic market", "0", "0",
               "new"}) == Int(1));
  CHECK(f.Run({"ZSCORE", "nyc", "new"}) == kNil);
  CHECK(f.Run({"GEOADD", "nyc", "NX", "CH", "0", "0", "new", "1", "1", "q4"}) == Int(1));
  CHECK(f.Run({"ZCARD", "nyc"}) == Int(8));
  // XX on a missing key creates nothing.
  CHECK(f.Run({"GEOADD", "none", "XX", "1", "1", "a"}) == Int(0));
  CHECK(f.Run({"EXISTS", "none"}) == Int(0));
  // The limits themselves are valid.
  CHECK(f.Run({"GEOADD", "edge", "180", "85.05112878", "max", "-180", "-85.05112878", "min"}) ==
        Int(2));
  CHECK(Elements(f.Run({"ZRANGE", "edge", "0", "-1", "WITHSCORES"})) ==
        Strings{"min", "0", "max", "13510798882111488"});
}

TEST_CASE("GEOADD errors as Redis 7.0", "[geo]") {
  EngineFixture f;
  const std::string syntax = Err("ERR syntax error");
  CHECK(f.Run({"GEOADD", "k", "xx", "nx", "1", "1", "a"}) == syntax);
  CHECK(f.Run({"GEOADD", "k", "ch", "xx", "foo", "1", "1", "a"}) == syntax);
  CHECK(f.Run({"GEOADD", "k", "1", "1", "a", "2"}) == syntax);
  CHECK(f.Run({"GEOADD", "k", "ch", "ch", "ch"}) == syntax);
  CHECK(f.Run({"GEOADD", "k", "GT", "1", "1", "a"}) == syntax);
  CHECK(f.Run({"GEOADD", "k", "1", "1", "a", "foo", "bar", "b"}) ==
        Err("ERR value is not a valid float"));
  CHECK(f.Run({"GEOADD", "k", "1", "1", "a", "200", "100", "b"}) ==
        Err("ERR invalid longitude,latitude pair 200.000000,100.000000"));
  CHECK(f.Run({"GEOADD", "k", "0", "85.06", "a"}) ==
        Err("ERR invalid longitude,latitude pair 0.000000,85.060000"));
  CHECK(f.Run({"GEOADD", "k", "inf", "0", "a"}) ==
        Err("ERR invalid longitude,latitude pair inf,0.000000"));
  CHECK(f.Run({"EXISTS", "k"}) == Int(0));
  CHECK(f.Run({"GEOADD", "k"}) == Err("ERR wrong number of arguments for 'geoadd' command"));
}

TEST_CASE("GEOPOS, GEODIST and GEOHASH", "[geo]") {
  EngineFixture f;
  AddSicily(f);
  CHECK(Elements(f.Run({"GEOPOS", "Sicily", "Palermo", "nosuch", "Catania"})) ==
        Strings{"13.36138933897018433", "38.11555639549629859", "15.08726745843887329",
                "37.50266842333162032"});
  CHECK(f.Run({"GEOPOS", "Sicily", "nosuch"}) == "*1\r\n*-1\r\n");
  CHECK(f.Run({"GEOPOS", "nokey", "a", "b"}) == "*2\r\n*-1\r\n*-1\r\n");
  CHECK(f.Run({"GEOPOS", "Sicily"}) == kEmpty);
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Catania"}) == Bulk("166274.1516"));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Catania", "km"}) == Bulk("166.2742"));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Catania", "MI"}) == Bulk("103.3182"));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Catania", "ft"}) == Bulk("545518.8700"));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Palermo"}) == Bulk("0.0000"));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "nosuch"}) == kNil);
  CHECK(f.Run({"GEODIST", "Sicily", "nosuch", "Palermo"}) == kNil);
  CHECK(f.Run({"GEODIST", "nokey", "a", "b"}) == kNil);
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Catania", "kmx"}) ==
        Err("ERR unsupported unit provided. please use M, KM, FT, MI"));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Catania", "km", "x"}) == Err("ERR syntax error"));
  CHECK(Elements(f.Run({"GEOHASH", "Sicily", "Palermo", "nosuch", "Catania"})) ==
        Strings{"sqc8b49rny0", "(nil)", "sqdtr74hyu0"});
  CHECK(f.Run({"GEOADD", "points", "-5.6", "42.6", "test"}) == Int(1));
  CHECK(f.Run({"GEOHASH", "points", "test"}) == "*1\r\n" + Bulk("ezs42e44yx0"));
  CHECK(f.Run({"GEOHASH", "nokey", "a"}) == "*1\r\n" + kNil);
  // Any score reads as some position, as in Redis.
  CHECK(f.Run({"ZADD", "w", "-1", "a", "1.5", "b"}) == Int(2));
  CHECK(Elements(f.Run({"GEOPOS", "w", "a", "b"})) ==
        Strings{"180", "85.0511287799999991", "-179.99999731779098511", "-85.05112497791824921"});
  CHECK(Elements(f.Run({"GEOHASH", "w", "a", "b"})) == Strings{"bp05b5048p0", "00bh0hbj210"});

  f.session().resp = 3;
  CHECK(f.Run({"GEOPOS", "Sicily", "Palermo", "nosuch"}) ==
        "*2\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n");
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Catania"}) == Bulk("166274.1516"));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "nosuch"}) == "_\r\n");
  CHECK(f.Run({"GEOHASH", "Sicily", "nosuch"}) == "*1\r\n_\r\n");
}

TEST_CASE("GEORADIUS and GEORADIUSBYMEMBER with their options", "[geo]") {
  EngineFixture f;
  AddNyc(f);
  const std::string_view center[] = {"-73.9798091", "40.7598464"};
  CHECK(Elements(f.Run({"GEORADIUS", "nyc", center[0], center[1], "3", "km", "asc"})) ==
        Strings{"central park n/q/r", "4545", "union square"});
  CHECK(Elements(f.Run({"GEORADIUS_RO", "nyc", center[0], center[1], "3", "km", "asc"})) ==
        Strings{"central park n/q/r", "4545", "union square"});
  CHECK(Elements(f.Run({"GEORADIUS", "nyc", center[0], center[1], "3", "km", "withdist", "asc"})) ==
        Strings{"central park n/q/r", "0.7750", "4545", "2.3651", "union square", "2.7697"});
  CHECK(f.Run({"GEORADIUS", "nyc", center[0], center[1], "1", "km", "WITHCOORD", "WITHDIST",
               "WITHHASH"}) == "*1\r\n*4\r\n" + Bulk("central park n/q/r") + Bulk("0.7750") +
                                   Int(1791875761332224) + "*2\r\n" +
                                   Bulk("-73.97334784269332886") + Bulk("40.76480639569881959"));
  // Unsorted replies come in the order of the cells and scores, as in Redis.
  CHECK(Elements(f.Run({"GEORADIUS", "nyc", center[0], center[1], "10", "km"})) ==
        Strings{"wtc one", "union square", "central park n/q/r", "4545", "lic market", "q4"});
  CHECK(Elements(f.Run({"GEORADIUS", "nyc", center[0], center[1], "10", "km", "COUNT", "3"})) ==
        Strings{"central park n/q/r", "4545", "union square"});
  CHECK(Elements(f.Run({"GEORADIUS", "nyc", center[0], center[1], "10", "km", "COUNT", "3",
                        "ANY"})) == Strings{"wtc one", "union square", "central park n/q/r"});
  CHECK(Elements(f.Run({"GEORADIUS", "nyc", center[0], center[1], "10", "km", "COUNT", "3", "ANY",
                        "ASC"})) == Strings{"central park n/q/r", "union square", "wtc one"});
  CHECK(Elements(f.Run({"GEORADIUS", "nyc", center[0], center[1], "10", "km", "COUNT", "2",
                        "DESC"})) == Strings{"wtc one", "q4"});
  CHECK(Elements(f.Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "7", "km"})) ==
        Strings{"wtc one", "union square", "central park n/q/r", "4545", "lic market"});
  CHECK(Elements(f.Run({"GEORADIUSBYMEMBER", "nyc", "wtc one", "7", "km", "withdist"})) ==
        Strings{"wtc one", "0.0000", "union square", "3.2544", "central park n/q/r", "6.7000",
                "4545", "6.1975", "lic market", "6.8969"});
  CHECK(Elements(f.Run({"GEORADIUSBYMEMBER_RO", "nyc", "wtc one", "7", "km", "withdist", "count",
                        "2", "any"})) == Strings{"wtc one", "0.0000", "union square", "3.2544"});
  // Issue #2767: a radius past the size of the earth.
  CHECK(f.Run({"GEOADD", "users", "-47.271613776683807", "-54.534504198047678", "user_000000"}) ==
        Int(1));
  CHECK(Elements(f.Run({"GEORADIUS", "users", "0", "0", "50000", "km", "WITHCOORD"})).size() == 3);

  f.session().resp = 3;
  CHECK(f.Run({"GEORADIUS", "nyc", center[0], center[1], "1", "km", "WITHCOORD"}) ==
        "*1\r\n*2\r\n" + Bulk("central park n/q/r") +
            "*2\r\n,-73.97334784269332886\r\n,40.76480639569881959\r\n");
}

TEST_CASE("COUNT picks among equal distances as Redis's partial sort does", "[geo]") {
  EngineFixture f;
  // 30 members on three points 0.1 degree apart, interleaved.
  std::vector<std::string> add{"GEOADD", "t"};
  const char* lons[] = {"10", "10.1", "10.2"};
  for (int i = 0; i < 30; i++) {
    add.insert(add.end(), {lons[i * 7 % 3], "10", "m" + std::to_string(i)});
  }
  REQUIRE(f.Run(add) == Int(30));
  CHECK(Elements(f.Run({"GEORADIUS", "t", "10", "10", "100", "km", "COUNT", "7"})) ==
        Strings{"m9", "m15", "m18", "m21", "m24", "m0", "m27"});
  CHECK(Elements(f.Run({"GEORADIUS", "t", "10", "10", "100", "km", "COUNT", "12", "DESC"})) ==
        Strings{"m14", "m5", "m29", "m26", "m23", "m11", "m20", "m2", "m17", "m8", "m22", "m1"});
  // A full sort keeps the order the members were found in.
  CHECK(Elements(f.Run({"GEORADIUS", "t", "10", "10", "100", "km", "ASC"})) ==
        Strings{"m0",  "m12", "m15", "m18", "m21", "m24", "m27", "m3",  "m6", "m9",
                "m1",  "m10", "m13", "m16", "m19", "m22", "m25", "m28", "m4", "m7",
                "m11", "m14", "m17", "m2",  "m20", "m23", "m26", "m29", "m5", "m8"});
}

TEST_CASE("GEOSEARCH by radius and by box, from a member or a position", "[geo]") {
  EngineFixture f;
  AddNyc(f);
  CHECK(Elements(f.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "bybox", "6",
                        "6", "km", "asc"})) ==
        Strings{"central park n/q/r", "4545", "union square", "lic market"});
  CHECK(Elements(f.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "bybox", "6",
                        "6", "km", "withdist", "asc"})) ==
        Strings{"central park n/q/r", "0.7750", "4545", "2.3651", "union square", "2.7697",
                "lic market", "3.1991"});
  CHECK(Elements(f.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "14", "14", "km"})) ==
        Strings{"wtc one", "union square", "central park n/q/r", "4545", "lic market", "q4"});
  CHECK(Elements(f.Run({"GEOSEARCH", "nyc", "frommember", "wtc one", "bybox", "14", "14", "km",
                        "withdist", "desc", "count", "3"})) ==
        Strings{"q4", "7.5983", "lic market", "6.8969", "central park n/q/r", "6.7000"});
  CHECK(Elements(f.Run({"GEOSEARCH", "nyc", "fromlonlat", "-73.9798091", "40.7598464", "byradius",
                        "10", "km", "count", "3", "any", "withdist"})) ==
        Strings{"wtc one", "5.9530", "union square", "2.7697", "central park n/q/r", "0.7750"});

  // The edge cases of geo.tcl.
  f.Run({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
         "Catania", "12.758489", "38.788135", "edge1", "17.241510", "38.788135", "eage2"});
  CHECK(Elements(f.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "asc"})) ==
        Strings{"Catania", "Palermo"});
  CHECK(Elements(f.Run({"GEOSEARCH", "Sicily", "fromlonlat", "15", "37", "bybox", "400", "400",
                        "km", "asc"})) == Strings{"Catania", "Palermo", "eage2", "edge1"});
  f.Run({"DEL", "Sicily"});
  f.Run({"GEOADD",
         "Sicily",
         "12.758489",
         "38.788135",
         "edge1",
         "17.241510",
         "38.788135",
         "edge2",
         "17.250000",
         "35.202000",
         "edge3",
         "12.750000",
         "35.202000",
         "edge4",
         "12.748489955781654",
         "37",
         "edge5",
         "15",
         "38.798135872540925",
         "edge6",
         "17.251510044218346",
         "37",
         "edge7",
         "15",
         "35.201864127459075",
         "edge8",
         "12.692799634687903",
         "38.798135872540925",
         "corner1",
         "12.692799634687903",
         "38.798135872540925",
         "corner2",
         "17.200560937451133",
         "35.201864127459075",
         "corner3",
         "12.799439062548865",
         "35.201864127459075",
         "corner4"});
  CHECK(Sorted(f.Run({"GEOSEARCH", "Sicily", "fromlonlat", "15", "37", "bybox", "400", "400", "km",
                      "asc"})) == Strings{"edge1", "edge2", "edge5", "edge7"});
  f.Run({"GEOADD", "points", "179.5", "36", "point1", "-179.5", "36", "point2"});
  CHECK(Elements(f.Run({"GEOSEARCH", "points", "fromlonlat", "179", "37", "bybox", "400", "400",
                        "km", "asc"})) == Strings{"point1", "point2"});
  CHECK(Elements(f.Run({"GEOSEARCH", "points", "fromlonlat", "-179", "37", "bybox", "400", "400",
                        "km", "asc"})) == Strings{"point2", "point1"});
  f.Run({"GEOADD", "k1", "45", "65", "n1", "-135", "85.05", "n2"});
  CHECK(Elements(f.Run({"GEORADIUSBYMEMBER", "k1", "n1", "5009431", "m"})) == Strings{"n1", "n2"});
  f.Run({"GEOADD", "k2", "-4.95211958885192871094", "85", "n3", "11.25", "85.0511", "n4"});
  CHECK(Elements(f.Run({"GEORADIUSBYMEMBER", "k2", "n3", "156544", "m"})) == Strings{"n3", "n4"});
  f.Run({"GEOADD", "small", "-122.407107", "37.794300", "1", "-122.227336", "37.794300", "2"});
  CHECK(Elements(f.Run({"GEORADIUS", "small", "-122.407107", "37.794300", "30", "mi", "ASC",
                        "WITHDIST"})) == Strings{"1", "0.0001", "2", "9.8182"});
}

TEST_CASE("geo search errors, in Redis's order", "[geo]") {
  EngineFixture f;
  AddNyc(f);
  const std::string syntax = Err("ERR syntax error");
  auto run = [&f](std::initializer_list<std::string_view> argv) { return f.Run(argv); };
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "frommember", "x", "bybox", "6", "6",
             "km"}) == syntax);
  CHECK(run({"GEOSEARCH", "nyc", "bybox", "3", "3", "km", "asc", "withhash"}) ==
        Err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "3", "km", "bybox", "3", "3",
             "km"}) == syntax);
  CHECK(run({"geosearch", "nyc", "fromlonlat", "0", "0", "asc", "withdist"}) ==
        Err("ERR exactly one of BYRADIUS and BYBOX can be specified for geosearch"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "3", "km", "storedist"}) ==
        syntax);
  CHECK(run({"GEOSEARCH", "nyc", "frommember", "nosuch", "byradius", "3", "km"}) ==
        Err("ERR could not decode requested zset member"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "bybox", "-1", "2", "km"}) ==
        Err("ERR height or width cannot be negative"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "bybox", "a", "2", "km"}) ==
        Err("ERR need numeric width"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "bybox", "1", "a", "km"}) ==
        Err("ERR need numeric height"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "a", "km"}) ==
        Err("ERR need numeric radius"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "-1", "km"}) ==
        Err("ERR radius cannot be negative"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "1", "kmm"}) ==
        Err("ERR unsupported unit provided. please use M, KM, FT, MI"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "90", "byradius", "1", "km"}) ==
        Err("ERR invalid longitude,latitude pair 0.000000,90.000000"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "1", "km", "count", "0"}) ==
        Err("ERR COUNT must be > 0"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "1", "km", "count", "a"}) ==
        Err("ERR value is not an integer or out of range"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0", "byradius", "1", "km", "any"}) ==
        Err("ERR the ANY argument requires COUNT argument"));
  CHECK(run({"GEORADIUS", "nyc", "0", "0", "10", "km", "ANY", "ASC"}) ==
        Err("ERR the ANY argument requires COUNT argument"));
  CHECK(run({"GEORADIUS", "nyc", "0", "0", "10", "km", "COUNT"}) == syntax);
  CHECK(run({"GEORADIUS", "nyc", "0", "0", "10", "km", "store"}) == syntax);
  CHECK(run({"GEORADIUS_RO", "nyc", "0", "0", "10", "km", "store", "x"}) == syntax);
  CHECK(run({"GEORADIUSBYMEMBER_RO", "nyc", "q4", "10", "km", "storedist", "x"}) == syntax);
  CHECK(run({"GEOSEARCHSTORE", "d", "nyc", "fromlonlat", "0", "0", "byradius", "1", "km", "store",
             "x"}) == syntax);
  for (const char* with : {"withdist", "withhash", "withcoord"}) {
    CHECK(run({"GEORADIUS", "nyc", "0", "0", "10", "km", "store", "x", with}) ==
          Err("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and "
              "WITHCOORD options"));
    CHECK(run({"GEOSEARCHSTORE", "d", "nyc", "fromlonlat", "0", "0", "byradius", "1", "km",
               with}) == Err("ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and "
                             "WITHCOORD options"));
  }
  CHECK(run({"GEORADIUS", "nyc", "0", "0", "x", "km"}) == Err("ERR need numeric radius"));
  CHECK(run({"GEORADIUS", "nyc", "200", "0", "1", "km"}) ==
        Err("ERR invalid longitude,latitude pair 200.000000,0.000000"));
  CHECK(run({"GEORADIUSBYMEMBER", "nyc", "nosuch", "1", "km"}) ==
        Err("ERR could not decode requested zset member"));
  CHECK(run({"GEOSEARCH", "nyc", "fromlonlat", "0", "0"}) ==
        Err("ERR wrong number of arguments for 'geosearch' command"));

  // A missing source: GEORADIUS still checks its position and radius, GEORADIUSBYMEMBER and
  // FROMMEMBER look for no member, the options are still parsed.
  CHECK(run({"GEORADIUS", "nokey", "0", "0", "x", "km"}) == Err("ERR need numeric radius"));
  CHECK(run({"GEORADIUSBYMEMBER", "nokey", "m", "x", "km"}) == kEmpty);
  CHECK(run({"GEORADIUSBYMEMBER", "nokey", "m", "x", "km", "bogus"}) == syntax);
  CHECK(run({"GEOSEARCH", "nokey", "frommember", "m", "byradius", "1", "km"}) == kEmpty);
  CHECK(run({"GEOSEARCH", "nokey", "frommember", "m", "bybox", "1", "1", "km", "any"}) ==
        Err("ERR the ANY argument requires COUNT argument"));
  CHECK(run({"GEORADIUS", "nyc", "0", "0", "1", "km"}) == kEmpty);
}

TEST_CASE("geo commands answer WRONGTYPE before parsing their options", "[geo]") {
  EngineFixture f;
  f.Run({"SET", "s", "x"});
  const std::string wrongtype = Err(std::string(err::kWrongType));
  for (std::initializer_list<std::string_view> argv :
       {std::initializer_list<std::string_view>{"GEOADD", "s", "1", "1", "a"},
        {"GEOPOS", "s", "a"},
        {"GEODIST", "s", "a", "b"},
        {"GEOHASH", "s", "a"},
        {"GEORADIUS", "s", "200", "0", "1", "km"},
        {"GEORADIUS", "s", "1", "1", "1", "km", "store", "d"},
        {"GEORADIUSBYMEMBER", "s", "a", "x", "km"},
        {"GEORADIUS_RO", "s", "1", "1", "1", "km"},
        {"GEORADIUSBYMEMBER_RO", "s", "a", "1", "km"},
        {"GEOSEARCH", "s", "frommember", "a", "byradius", "x", "km"},
        {"GEOSEARCHSTORE", "d", "s", "fromlonlat", "0", "0", "bybox", "1", "1", "m"}}) {
    INFO(*argv.begin());
    CHECK(f.Run(argv) == wrongtype);
  }
  // Only the position is checked before the type, and GEODIST's unit.
  CHECK(f.Run({"GEOADD", "s", "200", "1", "a"}) ==
        Err("ERR invalid longitude,latitude pair 200.000000,1.000000"));
  CHECK(f.Run({"GEODIST", "s", "a", "b", "kmx"}) ==
        Err("ERR unsupported unit provided. please use M, KM, FT, MI"));
  // A geo key is a sorted set for the sorted set commands too, and the reverse.
  AddSicily(f);
  CHECK(f.Run({"ZCARD", "Sicily"}) == Int(2));
  CHECK(f.Run({"ZADD", "Sicily", "3479099956230698", "Copy"}) == Int(1));
  CHECK(f.Run({"GEODIST", "Sicily", "Palermo", "Copy"}) == Bulk("0.0000"));
}

TEST_CASE("STORE, STOREDIST and GEOSEARCHSTORE replace the destination", "[geo]") {
  EngineFixture f;
  AddSicily(f);
  CHECK(f.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "storedist", "d"}) == Int(2));
  CHECK(Elements(f.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"})) ==
        Strings{"Catania", "56.441257870158204", "Palermo", "190.44242984775784"});
  CHECK(f.Run({"OBJECT", "ENCODING", "d"}) == Bulk("listpack"));
  CHECK(f.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "store", "d", "desc", "count",
               "1"}) == Int(1));
  CHECK(Elements(f.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"})) ==
        Strings{"Palermo", "3479099956230698"});
  CHECK(f.Run({"GEORADIUSBYMEMBER", "Sicily", "Palermo", "500", "km", "store", "d"}) == Int(2));
  CHECK(f.Run({"ZRANGE", "Sicily", "0", "-1", "WITHSCORES"}) ==
        f.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"}));
  CHECK(f.Run({"GEOSEARCHSTORE", "d", "Sicily", "frommember", "Palermo", "bybox", "400", "400",
               "km", "storedist"}) == Int(2));
  CHECK(Elements(f.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"})) ==
        Strings{"Palermo", "0", "Catania", "166.27415156960032"});
  // Distances stored at full precision, on a meridian too.
  f.Run({"GEOADD", "mk", "180", "-81.798", "a", "180", "-80.41", "b", "10", "10", "c", "10", "10.5",
         "e"});
  CHECK(f.Run({"GEORADIUSBYMEMBER", "mk", "a", "200", "km", "storedist", "d"}) == Int(2));
  CHECK(Elements(f.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"})) ==
        Strings{"a", "0", "b", "154.38189290620127"});
  CHECK(f.Run({"GEORADIUSBYMEMBER", "mk", "c", "100", "km", "storedist", "d"}) == Int(2));
  CHECK(Elements(f.Run({"ZRANGE", "d", "0", "-1", "WITHSCORES"})) ==
        Strings{"c", "0", "e", "55.613049439323447"});
  // The source may be the destination.
  CHECK(f.Run({"GEOSEARCHSTORE", "Sicily", "Sicily", "fromlonlat", "15", "37", "byradius", "100",
               "km"}) == Int(1));
  CHECK(Elements(f.Run({"ZRANGE", "Sicily", "0", "-1"})) == Strings{"Catania"});
  // Nothing found, or no source: the destination goes.
  CHECK(f.Run({"GEOSEARCHSTORE", "d", "Sicily", "fromlonlat", "0", "0", "byradius", "1", "km"}) ==
        Int(0));
  CHECK(f.Run({"EXISTS", "d"}) == Int(0));
  f.Run({"SET", "d", "x"});
  CHECK(f.Run({"GEORADIUSBYMEMBER", "nokey", "m", "1", "km", "storedist", "d"}) == Int(0));
  CHECK(f.Run({"EXISTS", "d"}) == Int(0));
}

TEST_CASE("geo writes propagate deterministic effects", "[geo]") {
  EngineFixture f;
  RecordingSink sink;
  f.engine().set_effect_sink(&sink);
  // GEOADD is the ZADD of the computed scores (as Redis propagates it).
  CHECK(f.Run({"GEOADD", "Sicily", "CH", "13.361389", "38.115556", "Palermo", "15.087269",
               "37.502669", "Catania"}) == Int(2));
  CHECK(sink.Take() == Strings{"0: ZADD Sicily 3479099956230698 Palermo 3479447370796909 Catania"});
  CHECK(f.Run({"GEOADD", "Sicily", "XX", "13.361389", "38.115556", "Palermo", "1", "1", "x"}) ==
        Int(0));
  CHECK(sink.Take().empty());
  CHECK(f.Run({"GEOADD", "Sicily", "NX", "1", "1", "Palermo", "2", "2", "y"}) == Int(1));
  CHECK(sink.Take() == Strings{"0: ZADD Sicily NX 3377822707026402 Palermo 3378191666521995 y"});
  CHECK(f.Run({"ZSCORE", "Sicily", "y"}) == Bulk("3378191666521995"));
  // Searches that store are replayed as they are; reads emit nothing.
  CHECK(f.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km", "STORE", "d"}) == Int(2));
  CHECK(sink.Take() == Strings{"0: GEORADIUS Sicily 15 37 200 km STORE d"});
  CHECK(f.Run({"GEOSEARCHSTORE", "d", "Sicily", "fromlonlat", "0", "0", "byradius", "1", "km"}) ==
        Int(0));
  CHECK(sink.Take() == Strings{"0: GEOSEARCHSTORE d Sicily fromlonlat 0 0 byradius 1 km"});
  CHECK(f.Run({"GEOSEARCHSTORE", "d", "Sicily", "fromlonlat", "0", "0", "byradius", "1", "km"}) ==
        Int(0));
  CHECK(sink.Take().empty());
  f.Run({"GEORADIUS", "Sicily", "15", "37", "200", "km"});
  f.Run({"GEOSEARCH", "Sicily", "fromlonlat", "15", "37", "byradius", "200", "km"});
  CHECK(sink.Take().empty());
}

TEST_CASE("COMMAND GETKEYS finds the STORE and STOREDIST destinations", "[geo]") {
  EngineFixture f;
  auto keys = [&f](std::initializer_list<std::string_view> argv) {
    std::vector<std::string_view> full{"COMMAND", "GETKEYS"};
    full.insert(full.end(), argv.begin(), argv.end());
    return Elements(f.Run(full));
  };
  CHECK(keys({"GEORADIUS", "k", "0", "0", "1", "km", "store", "d"}) == Strings{"k", "d"});
  CHECK(keys({"GEORADIUS", "k", "0", "0", "1", "km", "STOREDIST", "e", "store", "d"}) ==
        Strings{"k", "d", "e"});
  CHECK(keys({"GEORADIUS", "k", "0", "0", "1", "km", "store", "d", "storedist", "e", "store",
              "f"}) == Strings{"k", "d", "e"});
  CHECK(keys({"GEORADIUS", "k", "0", "0", "1", "km", "store"}) == Strings{"k"});
  CHECK(keys({"GEORADIUS", "k", "0", "0", "1", "store", "km"}) == Strings{"k"});
  CHECK(keys({"GEORADIUSBYMEMBER", "k", "m", "1", "km", "store", "d"}) == Strings{"k", "d"});
  CHECK(keys({"GEORADIUSBYMEMBER", "k", "store", "1", "km"}) == Strings{"k"});
  CHECK(keys({"GEORADIUS_RO", "k", "0", "0", "1", "km"}) == Strings{"k"});
  CHECK(keys({"GEOSEARCHSTORE", "d", "s", "fromlonlat", "0", "0", "byradius", "1", "km"}) ==
        Strings{"d", "s"});
  CHECK(keys({"GEOSEARCH", "k", "frommember", "m", "byradius", "1", "km"}) == Strings{"k"});
  CHECK(keys({"GEOADD", "k", "1", "1", "m"}) == Strings{"k"});
  CHECK(keys({"GEODIST", "k", "a", "b"}) == Strings{"k"});
}

}  // namespace
}  // namespace tidekv::commands
