// Loading TOML: values of every type, every error path (with file, line and key in the
// message), files on disk, and the RenderToml round trip.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace tidekv::config {
namespace {

// The error message of loading text as "x.toml"; fails the test if it loaded.
std::string LoadError(std::string_view text) {
  const Result<Config> result = LoadTomlString(text, "x.toml");
  REQUIRE_FALSE(result.ok());
  const std::string& message = result.status().message();
  CHECK(message.find('\n') == std::string::npos);
  return message;
}

TEST_CASE("an empty document gives the base config", "[config][toml]") {
  Result<Config> loaded = LoadTomlString("", "x.toml");
  REQUIRE(loaded.ok());
  CHECK(*loaded == Config{});

  Config base;
  base.port = 7000;
  loaded = LoadTomlString("[server]\nhz = 20\n", "x.toml", base);
  REQUIRE(loaded.ok());
  CHECK(loaded->port == 7000);
  CHECK(loaded->hz == 20);
}

TEST_CASE("TOML values of every type load", "[config][toml]") {
  const Result<Config> loaded = LoadTomlString(R"(
[server]
bind = "127.0.0.1"
port = 7001
dir = "/var/lib/tidekv"
databases = 4
hz = 50
tcp_backlog = 1024
timeout = 30
tcp_keepalive = 60

[limits]
max_bulk_bytes = "64mb"
max_multibulk_len = 2000
max_query_buffer_bytes = 2097152
max_clients = 5
client_output_bytes = "1gb"
maxmemory = "100k"
maxmemory_policy = "noeviction"

[security]
password = "p\"w"
protected_mode = false

[replication]
[logstore]
[compaction]
[trace]

[log]
level = "notice"
file = "/tmp/tidekv.log"
)",
                                               "x.toml");
  REQUIRE(loaded.ok());
  const Config& c = *loaded;
  CHECK(c.bind == "127.0.0.1");
  CHECK(c.port == 7001);
  CHECK(c.dir == "/var/lib/tidekv");
  CHECK(c.databases == 4);
  CHECK(c.hz == 50);
  CHECK(c.tcp_backlog == 1024);
  CHECK(c.timeout == 30);
  CHECK(c.tcp_keepalive == 60);
  CHECK(c.max_bulk_bytes == 64ll * 1024 * 1024);
  CHECK(c.max_multibulk_len == 2000);
  CHECK(c.max_query_buffer_bytes == 2097152);
  CHECK(c.max_clients == 5);
  CHECK(c.client_output_bytes == 1024ll * 1024 * 1024);
  CHECK(c.maxmemory == 100'000);
  CHECK(c.maxmemory_policy == "noeviction");
  CHECK(c.password == "p\"w");
  CHECK_FALSE(c.protected_mode);
  CHECK(c.log_level == "info");
  CHECK(c.log_file == "/tmp/tidekv.log");
}

TEST_CASE("inline tables and dotted keys are sections too", "[config][toml]") {
  const Result<Config> loaded =
      LoadTomlString("server = { port = 1234 }\nlimits.maxmemory = \"1mb\"\n", "x.toml");
  REQUIRE(loaded.ok());
  CHECK(loaded->port == 1234);
  CHECK(loaded->maxmemory == 1024 * 1024);
}

TEST_CASE("TOML syntax errors name the file and line", "[config][toml]") {
  CHECK_THAT(LoadError("[server]\nport = 1\nport 2\n"),
             Catch::StartsWith("x.toml:3: TOML syntax error: "));
  CHECK_THAT(LoadError("[server\n"), Catch::StartsWith("x.toml:1: TOML syntax error: "));
  // A repeated key is a syntax error in TOML.
  CHECK_THAT(LoadError("[server]\nport = 1\n\nport = 2\n"),
             Catch::StartsWith("x.toml:4: TOML syntax error: "));
  // Integers beyond 64 bits cannot be represented.
  CHECK_THAT(LoadError("[limits]\nmaxmemory = 99999999999999999999\n"),
             Catch::StartsWith("x.toml:2: TOML syntax error: "));
}

TEST_CASE("unknown sections and keys are errors with a suggestion", "[config][toml]") {
  CHECK(LoadError("[server]\nport = 1\nprot = 2\n") ==
        "x.toml:3: server.prot: unknown option (did you mean server.port?)");
  CHECK(LoadError("\n[sever]\nport = 1\n") ==
        "x.toml:2: sever: unknown section (did you mean [server]?)");
  CHECK(LoadError("[bogus]\n") == "x.toml:1: bogus: unknown section");
  CHECK(LoadError("[server]\nmaxmemory = 1\n") ==
        "x.toml:2: server.maxmemory: unknown option (did you mean limits.maxmemory?)");
  CHECK(LoadError("[limits]\nmaxclients = 1\n") ==
        "x.toml:2: limits.maxclients: unknown option (did you mean limits.max_clients?)");
  CHECK(LoadError("[server]\nxyzzy = 1\n") == "x.toml:2: server.xyzzy: unknown option");
  // A quoted key may hold a newline; the message stays on one line.
  CHECK(LoadError("[server]\n\"po\\nrt\" = 1\n") ==
        "x.toml:2: server.po\\x0art: unknown option (did you mean server.port?)");
  // Keys are case-sensitive in TOML; the right spelling is offered.
  CHECK(LoadError("[server]\nPort = 1\n") ==
        "x.toml:2: server.Port: unknown option (did you mean server.port?)");
  // A sub-table of a section is not an option either.
  CHECK(LoadError("[server.extra]\nx = 1\n") == "x.toml:1: server.extra: unknown option");
  // Options above every section header.
  CHECK(LoadError("port = 1\n") ==
        "x.toml:1: port: options belong in a section such as [server] "
        "(did you mean server.port?)");
  CHECK(LoadError("server = 1\n") ==
        "x.toml:1: server: must be a section ([server]), not an integer (1)");
  CHECK_THAT(LoadError("[[server]]\nport = 1\n"),
             Catch::StartsWith("x.toml:1: server: must be a section ([server]), not an array"));
}

TEST_CASE("wrong TOML types name the expected type", "[config][toml]") {
  // kInt
  CHECK(LoadError("[server]\nport = \"abc\"\n") ==
        "x.toml:2: server.port: expected an integer, got a string (\"abc\")");
  CHECK(LoadError("[server]\nport = 1.5\n") ==
        "x.toml:2: server.port: expected an integer, got a float (1.5)");
  CHECK(LoadError("[server]\nhz = true\n") ==
        "x.toml:2: server.hz: expected an integer, got a boolean (true)");
  // kBytes: integer or string, nothing else
  CHECK(LoadError("[limits]\nmaxmemory = [1]\n") ==
        "x.toml:2: limits.maxmemory: expected an integer or a size string such as \"512mb\", "
        "got an array");
  CHECK(LoadError("[limits]\n\nmax_bulk_bytes = 1.0\n") ==
        "x.toml:3: limits.max_bulk_bytes: expected an integer or a size string such as "
        "\"512mb\", got a float (1.0)");
  // kBool: only a TOML boolean (the text forms are for flags and CONFIG SET)
  CHECK(LoadError("[security]\nprotected_mode = \"yes\"\n") ==
        "x.toml:2: security.protected_mode: expected a boolean (true or false), got a string "
        "(\"yes\")");
  CHECK(LoadError("[security]\nprotected_mode = 1\n") ==
        "x.toml:2: security.protected_mode: expected a boolean (true or false), got an "
        "integer (1)");
  // kString
  CHECK(LoadError("[server]\nbind = 127\n") ==
        "x.toml:2: server.bind: expected a string, got an integer (127)");
  CHECK(LoadError("[security]\npassword = { a = 1 }\n") ==
        "x.toml:2: security.password: expected a string, got a table");
  // kEnum
  CHECK(LoadError("[log]\nlevel = 3\n") ==
        "x.toml:2: log.level: expected a string, got an integer (3)");
  CHECK(LoadError("[log]\nfile = 1979-05-27\n") ==
        "x.toml:2: log.file: expected a string, got a date");
}

TEST_CASE("out-of-range and invalid values name the file and line and key", "[config][toml]") {
  CHECK(LoadError("[server]\nport = 70000\n") ==
        "x.toml:2: server.port: 70000 is out of range [0, 65535]");
  CHECK(LoadError("[server]\nport = -1\n") ==
        "x.toml:2: server.port: -1 is out of range [0, 65535]");
  CHECK(LoadError("[server]\ndatabases = 0\n") ==
        "x.toml:2: server.databases: 0 is out of range [1, 1024]");
  CHECK(LoadError("[server]\nhz = 501\n") == "x.toml:2: server.hz: 501 is out of range [1, 500]");
  CHECK(LoadError("[limits]\nmax_clients = 0\n") ==
        "x.toml:2: limits.max_clients: 0 is out of range [1, 1000000]");
  CHECK(LoadError("[limits]\nmax_bulk_bytes = \"5gb\"\n") ==
        "x.toml:2: limits.max_bulk_bytes: 5gb (5368709120) is out of range [1048576, 4294967296]");
  CHECK(LoadError("[limits]\nmax_bulk_bytes = 4294967297\n") ==
        "x.toml:2: limits.max_bulk_bytes: 4294967297 is out of range [1048576, 4294967296]");
  CHECK(LoadError("[limits]\nmaxmemory = -5\n") ==
        "x.toml:2: limits.maxmemory: -5 is below the minimum 0");
  CHECK(LoadError("[limits]\nmaxmemory = \"12xb\"\n") ==
        "x.toml:2: limits.maxmemory: '12xb' is not a byte size (an integer with an optional "
        "unit: b, k, kb, m, mb, g, gb)");
  CHECK(LoadError("[limits]\nmaxmemory_policy = \"lru\"\n") ==
        "x.toml:2: limits.maxmemory_policy: 'lru' is not one of: volatile-lru, volatile-lfu, "
        "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction");
  CHECK(LoadError("[log]\nlevel = \"loud\"\n") ==
        "x.toml:2: log.level: 'loud' is not one of: trace, debug, info, warn, error, critical, "
        "off");
  CHECK(LoadError("[server]\ndir = \"\"\n") == "x.toml:2: server.dir: must not be empty");
}

TEST_CASE("the earliest error in the file is the one reported", "[config][toml]") {
  // toml++ iterates keys alphabetically; the message must still follow the file's order.
  CHECK(LoadError("[server]\nport = 70000\nbind = 1\n[aaa]\n") ==
        "x.toml:2: server.port: 70000 is out of range [0, 65535]");
  CHECK(LoadError("[zzz]\n[server]\nbind = 1\n") == "x.toml:1: zzz: unknown section");
}

// A scratch directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("tidekv-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string Write(const std::string& name, std::string_view text) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << text;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  static inline int next_ = 0;
  std::filesystem::path path_;
};

TEST_CASE("LoadTomlFile reads a file and names it in errors", "[config][toml]") {
  TempDir dir;
  const std::string good = dir.Write("good.toml", "[server]\nport = 7002\n");
  Result<Config> loaded = LoadTomlFile(good);
  REQUIRE(loaded.ok());
  CHECK(loaded->port == 7002);

  const std::string bad = dir.Write("bad.toml", "[server]\n\nport = 70000\n");
  loaded = LoadTomlFile(bad);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().message() == bad + ":3: server.port: 70000 is out of range [0, 65535]");

  const std::string syntax = dir.Write("syntax.toml", "[server]\nport = \n");
  loaded = LoadTomlFile(syntax);
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(loaded.status().message(), Catch::StartsWith(syntax + ":2: TOML syntax error: "));

  const std::string missing = dir.path() + "/missing.toml";
  loaded = LoadTomlFile(missing);
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.status().message() ==
        missing + ": cannot open config file: No such file or directory");

  loaded = LoadTomlFile(dir.path());
  REQUIRE_FALSE(loaded.ok());
  CHECK_THAT(loaded.status().message(), Catch::StartsWith(dir.path() + ": cannot "));
  CHECK_THAT(loaded.status().message(), Catch::Contains("Is a directory"));
}

TEST_CASE("RenderToml round-trips", "[config][toml]") {
  Config changed;
  changed.bind = "::1";
  changed.port = 0;
  changed.dir = "dir with \"quotes\", \\backslashes\\ and\ttabs";
  changed.databases = 1024;
  changed.hz = 1;
  changed.tcp_backlog = 1;
  changed.timeout = 3600;
  changed.tcp_keepalive = 0;
  changed.max_bulk_bytes = 4ll * 1024 * 1024 * 1024;
  changed.max_multibulk_len = 1024;
  changed.max_query_buffer_bytes = 1024 * 1024;
  changed.max_clients = 1'000'000;
  changed.client_output_bytes = INT64_MAX;
  changed.maxmemory = 123456789;
  changed.password = "line1\nline2\x01 \xc3\xa9t\xc3\xa9";
  changed.protected_mode = false;
  changed.log_level = "critical";
  changed.log_file = "";
  for (const Config& config : {Config{}, changed}) {
    for (bool with_docs : {false, true}) {
      INFO("with_docs " << with_docs);
      const std::string text = RenderToml(config, with_docs);
      const Result<Config> loaded = LoadTomlString(text, "rendered.toml");
      INFO(text);
      REQUIRE(loaded.ok());
      CHECK(*loaded == config);
    }
  }
}

TEST_CASE("RenderToml layout", "[config][toml]") {
  const std::string plain = RenderToml(Config{}, false);
  // Sections in the documented order, each present once.
  size_t at = 0;
  for (std::string_view header : {"[server]\n", "[limits]\n", "[security]\n", "[replication]\n",
                                  "[logstore]\n", "[compaction]\n", "[trace]\n", "[log]\n"}) {
    INFO(header);
    const size_t found = plain.find(header, at);
    REQUIRE(found != std::string::npos);
    at = found;
  }
  CHECK(plain.find('#') == std::string::npos);
  CHECK_THAT(plain, Catch::Contains("\nport = 6379\n"));
  CHECK_THAT(plain, Catch::Contains("\nmax_bulk_bytes = 536870912\n"));
  CHECK_THAT(plain, Catch::Contains("\nprotected_mode = true\n"));
  CHECK_THAT(plain, Catch::Contains("\nbind = \"0.0.0.0\"\n"));

  const std::string docs = RenderToml(Config{}, true);
  CHECK_THAT(docs, Catch::Contains("# default: 6379\n# range: [0, 65535]\n# runtime: yes\n"
                                   "port = 6379\n"));
  CHECK_THAT(docs, Catch::Contains("# default: 536870912 (512mb)\n"));
  CHECK_THAT(docs, Catch::Contains("# one of: trace | debug | info | warn | error | critical | off"
                                   "\n# runtime: yes\nlevel = \"info\"\n"));
  CHECK_THAT(docs, Catch::Contains("# The op trace recorder (docs/trace.md).\n[trace]\n"));
}

}  // namespace
}  // namespace tidekv::config
