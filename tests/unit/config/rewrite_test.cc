// CONFIG REWRITE's file editing (RewriteTomlText) and the Redis-compatible options CONFIG SET
// validates (save, maxmemory-clients) and CONFIG GET matches (hidden, Redis names, keys).

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config.h"

namespace tidekv::config {
namespace {

Config Loaded(const std::string& text) {
  Result<Config> config = LoadTomlString(text, "test");
  REQUIRE(config.ok());
  return config.value();
}

TEST_CASE("CONFIG REWRITE keeps comments and other lines and changes only values",
          "[config][rewrite]") {
  const std::string file =
      "# my server\n"
      "[server]\n"
      "hz = 10   # ticks\n"
      "\n"
      "# memory\n"
      "[limits]\n"
      "maxmemory = \"1mb\"\n"
      "max_clients = 100\n";
  Config config = Loaded(file);
  config.hz = 20;                // changed: in place, comment kept
  config.save = "100 5";         // not in the file, not default: added to a new section
  config.maxmemory_samples = 5;  // default and absent: not written
  Result<std::string> out = RewriteTomlText(file, config);
  REQUIRE(out.ok());
  CHECK(out.value() ==
        "# my server\n"
        "[server]\n"
        "hz = 20   # ticks\n"
        "\n"
        "# memory\n"
        "[limits]\n"
        "maxmemory = \"1mb\"\n"
        "max_clients = 100\n"
        "\n"
        "[compaction]\n"
        "save = \"100 5\"\n");
  CHECK(Loaded(out.value()) == config);

  // An unchanged configuration leaves the text as it is ("1mb" is not spelt out again).
  Result<std::string> same = RewriteTomlText(file, Loaded(file));
  REQUIRE(same.ok());
  CHECK(same.value() == file);
}

TEST_CASE("CONFIG REWRITE adds options to their existing section", "[config][rewrite]") {
  const std::string file = "[server]\nhz = 10\n# end of server\n\n[limits]\nmaxmemory = 0\n";
  Config config = Loaded(file);
  config.timeout = 7;
  config.maxmemory = 1024;
  Result<std::string> out = RewriteTomlText(file, config);
  REQUIRE(out.ok());
  CHECK(out.value() ==
        "[server]\nhz = 10\ntimeout = 7\n# end of server\n\n[limits]\nmaxmemory = 1024\n");
  CHECK(Loaded(out.value()) == config);
}

TEST_CASE("CONFIG REWRITE of dotted keys and of an empty file", "[config][rewrite]") {
  const std::string dotted = "server.hz = 10\n\n[limits]\nmaxmemory = 0\n";
  Config config = Loaded(dotted);
  config.timeout = 3;
  Result<std::string> out = RewriteTomlText(dotted, config);
  REQUIRE(out.ok());
  CHECK(Loaded(out.value()) == config);
  CHECK(out.value().find("server.timeout = 3\n") != std::string::npos);

  Config changed;
  changed.port = 7000;
  Result<std::string> fresh = RewriteTomlText("", changed);
  REQUIRE(fresh.ok());
  CHECK(fresh.value() == "[server]\nport = 7000\n");
}

TEST_CASE("Redis's save and maxmemory-clients are validated as Redis does", "[config][options]") {
  Config config;
  const OptionSpec& save = *FindOption("save");
  CHECK(SetOption(&config, save, "3600 1 300 100").ok());
  CHECK(config.save == "3600 1 300 100");
  CHECK(SetOption(&config, save, "").ok());
  for (const char* bad : {"0 1", "10", "10 -1", "10  5", " 10 5", "10 5x"}) {
    INFO(bad);
    CHECK(SetOption(&config, save, bad).message() == "Invalid save parameters");
  }
  const OptionSpec& clients = *FindOption("maxmemory-clients");
  CHECK(SetOption(&config, clients, "1mb").ok());
  CHECK(config.maxmemory_clients == "1048576");
  CHECK(SetOption(&config, clients, "5%").ok());
  CHECK(config.maxmemory_clients == "5%");
  CHECK(SetOption(&config, clients, "0%").ok());
  CHECK(config.maxmemory_clients == "0");
  CHECK(SetOption(&config, clients, "200%").message() ==
        "percentage argument must be less or equal to 100");
  CHECK(SetOption(&config, clients, "x").message() == "argument must be a memory or percent value");
}

TEST_CASE("CONFIG GET patterns: Redis names, dotted keys, hidden options", "[config][options]") {
  auto names = [](std::string_view pattern) {
    std::vector<std::string> out;
    MatchOptionNames(pattern,
                     [&](std::string_view name, const OptionSpec&) { out.emplace_back(name); });
    return out;
  };
  const std::vector<std::string> all = names("*");
  auto has = [](const std::vector<std::string>& v, std::string_view n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  CHECK(has(all, "maxmemory"));
  CHECK(has(all, "replicaof"));
  CHECK(has(all, "slaveof"));
  CHECK(!has(all, "limits.maxmemory"));  // keys need a dotted pattern
  CHECK(!has(all, "key-load-delay"));    // hidden: exact name only
  CHECK(names("key-load-delay") == std::vector<std::string>{"key-load-delay"});
  CHECK(has(names("limits.*"), "limits.maxmemory"));
  CHECK(names("LIMITS.MAXMEMORY") == std::vector<std::string>{"LIMITS.MAXMEMORY"});
  Config config;
  config.replicaof = "10.0.0.1:6380";
  const OptionSpec& replicaof = *FindOption("replicaof");
  CHECK(GetOptionAs(config, replicaof, "replicaof") == "10.0.0.1 6380");
  CHECK(GetOptionAs(config, replicaof, "replication.replicaof") == "10.0.0.1:6380");
}

}  // namespace
}  // namespace tidekv::config
