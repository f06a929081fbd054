// ParseCommandLine: flags, precedence (defaults < file < flags), --dump-config, errors.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/config.h"

namespace tidekv::config {
namespace {

Result<CommandLine> Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "tidekv-server");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

std::string ParseError(std::vector<std::string> args) {
  const Result<CommandLine> result = Parse(std::move(args));
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().message().find('\n') == std::string::npos);
  return result.status().message();
}

// A TOML file in the temp directory, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(std::string_view text) {
    path_ =
        (std::filesystem::temp_directory_path() / ("tidekv-cli-test-" + std::to_string(::getpid()) +
                                                   "-" + std::to_string(next_++) + ".toml"))
            .string();
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int next_ = 0;
  std::string path_;
};

TEST_CASE("no flags gives the defaults", "[config][cli]") {
  const Result<CommandLine> result = Parse({});
  REQUIRE(result.ok());
  CHECK(result->config == Config{});
  CHECK(result->config_path.empty());
  CHECK_FALSE(result->help);
  CHECK_FALSE(result->version);
  CHECK_FALSE(result->dump_config);
  CHECK_FALSE(result->usage.empty());

  // argc 0 (possible with execve) must not read past argv.
  const char* const argv[] = {nullptr};
  CHECK(ParseCommandLine(0, argv).ok());
}

TEST_CASE("shortcut and generic flags set options", "[config][cli]") {
  const Result<CommandLine> result =
      Parse({"--port", "7003", "--bind=127.0.0.1", "--dir", "/tmp/x", "--loglevel", "warning",
             "--server.hz", "20", "--limits.maxmemory", "1gb", "--security.protected_mode", "no",
             "--security.password=a b", "--log.file", ""});
  REQUIRE(result.ok());
  const Config& c = result->config;
  CHECK(c.port == 7003);
  CHECK(c.bind == "127.0.0.1");
  CHECK(c.dir == "/tmp/x");
  CHECK(c.log_level == "warn");
  CHECK(c.hz == 20);
  CHECK(c.maxmemory == 1024ll * 1024 * 1024);
  CHECK_FALSE(c.protected_mode);
  CHECK(c.password == "a b");
  CHECK(c.log_file.empty());
}

TEST_CASE("the replicaof and trace-file shortcut flags", "[config][cli]") {
  const Result<CommandLine> result =
      Parse({"--replicaof", "10.1.2.3:7000", "--trace-file", "/tmp/run.trace"});
  REQUIRE(result.ok());
  CHECK(result->config.replicaof == "10.1.2.3:7000");
  CHECK(result->config.trace_path == "/tmp/run.trace");
  CHECK(result->config.trace_enabled);  // naming a trace file turns tracing on
  CHECK_FALSE(Parse({"--trace.path", "/tmp/x"})->config.trace_enabled);
  CHECK(ParseError({"--replicaof", "nohost"}) == "--replicaof: must be host:port");
}

TEST_CASE("every option has a generic flag", "[config][cli]") {
  for (const OptionSpec& option : Options()) {
    INFO(option.key);
    const Config defaults;
    const Result<CommandLine> result =
        Parse({"--" + std::string(option.key), GetOption(defaults, option)});
    REQUIRE(result.ok());
    CHECK(result->config == defaults);
  }
}

TEST_CASE("flags apply in order and the last one wins", "[config][cli]") {
  Result<CommandLine> result = Parse({"--port", "1", "--server.port", "2"});
  REQUIRE(result.ok());
  CHECK(result->config.port == 2);
  result = Parse({"--server.port", "2", "--port", "1"});
  REQUIRE(result.ok());
  CHECK(result->config.port == 1);
}

TEST_CASE("precedence: defaults < file < flags", "[config][cli]") {
  const TempFile file("[server]\nport = 7100\nhz = 30\n[limits]\nmaxmemory = \"2mb\"\n");
  // The flag comes before --config on the line and still wins over the file.
  const Result<CommandLine> result =
      Parse({"--server.hz", "40", "--config", file.path(), "--limits.max_clients", "7"});
  REQUIRE(result.ok());
  CHECK(result->config_path == file.path());
  CHECK(result->config.port == 7100);                  // file over default
  CHECK(result->config.hz == 40);                      // flag over file
  CHECK(result->config.maxmemory == 2 * 1024 * 1024);  // file over default
  CHECK(result->config.max_clients == 7);              // flag over default
  CHECK(result->config.databases == 16);               // default
}

TEST_CASE("the --dump-config output round-trips", "[config][cli]") {
  const TempFile file("[security]\npassword = \"x\\\"y\"\n");
  const Result<CommandLine> result =
      Parse({"--config", file.path(), "--dump-config", "--limits.maxmemory", "3mb", "--port", "0"});
  REQUIRE(result.ok());
  CHECK(result->dump_config);
  const std::string dumped = RenderToml(result->config, true);
  const Result<Config> reloaded = LoadTomlString(dumped, "dump.toml");
  REQUIRE(reloaded.ok());
  CHECK(*reloaded == result->config);
  CHECK(reloaded->password == "x\"y");
  CHECK(reloaded->maxmemory == 3 * 1024 * 1024);
  CHECK(reloaded->port == 0);
}

TEST_CASE("help and version flags", "[config][cli]") {
  for (std::string_view flag : {"--help", "-h"}) {
    INFO(flag);
    const Result<CommandLine> result = Parse({std::string(flag)});
    REQUIRE(result.ok());
    CHECK(result->help);
  }
  const Result<CommandLine> version = Parse({"--version"});
  REQUIRE(version.ok());
  CHECK(version->version);
  CHECK_FALSE(version->help);
  // Help answers even when the rest of the line is wrong or the file is missing.
  const Result<CommandLine> help = Parse({"--nosuch", "--config", "/nonexistent.toml", "-h"});
  REQUIRE(help.ok());
  CHECK(help->help);
}

TEST_CASE("the usage text lists the flags", "[config][cli]") {
  const std::string usage = UsageText();
  for (std::string_view flag : {"--config", "--port", "--bind", "--dir", "--loglevel",
                                "--dump-config", "--help", "-h", "--version"}) {
    INFO(flag);
    CHECK_THAT(usage, Catch::Contains(std::string(flag)));
  }
  for (const OptionSpec& option : Options()) {
    INFO(option.key);
    CHECK_THAT(usage, Catch::Contains("--" + std::string(option.key)));
  }
  CHECK(Parse({})->usage == usage);
}

TEST_CASE("command-line errors are one clear line", "[config][cli]") {
  CHECK(ParseError({"--server.prot", "1"}) ==
        "unknown flag --server.prot (did you mean --server.port?)");
  CHECK(ParseError({"--server.prot=1"}) ==
        "unknown flag --server.prot (did you mean --server.port?)");
  CHECK(ParseError({"--maxmemory", "1gb"}) ==
        "unknown flag --maxmemory (did you mean --limits.maxmemory?)");
  CHECK(ParseError({"--hlep"}) == "unknown flag --hlep (did you mean --help?)");
  CHECK(ParseError({"--xyzzy"}) == "unknown flag --xyzzy");
  CHECK(ParseError({"-x"}) == "unknown flag -x");
  // Boost would otherwise accept a unique prefix.
  CHECK_THAT(ParseError({"--conf", "x.toml"}), Catch::StartsWith("unknown flag --conf"));
  CHECK_THAT(ParseError({"extra.toml"}), Catch::StartsWith("unexpected argument 'extra.toml'"));

  CHECK(ParseError({"--port", "abc"}) == "--port: 'abc' is not an integer");
  CHECK(ParseError({"--server.port", "70000"}) ==
        "--server.port: 70000 is out of range [0, 65535]");
  CHECK(ParseError({"--limits.maxmemory", "1tb"}) ==
        "--limits.maxmemory: '1tb' is not a byte size (an integer with an optional unit: b, k, "
        "kb, m, mb, g, gb)");
  CHECK(ParseError({"--security.protected_mode", "maybe"}) ==
        "--security.protected_mode: 'maybe' is not a boolean (use yes/no or true/false)");
  CHECK_THAT(ParseError({"--loglevel", "loud"}), Catch::StartsWith("--loglevel: 'loud' is not"));
  CHECK(ParseError({"--bind", ""}) == "--bind: must not be empty");
  CHECK_THAT(ParseError({"--port"}), Catch::Contains("port"));
  CHECK_THAT(ParseError({"--port"}), Catch::Contains("missing"));
  CHECK_THAT(ParseError({"--dump-config=yes"}), Catch::Contains("dump-config"));

  CHECK(ParseError({"--config", "/nonexistent/tidekv.toml"}) ==
        "/nonexistent/tidekv.toml: cannot open config file: No such file or directory");
  CHECK(ParseError({"--config", "a.toml", "--config", "b.toml"}) ==
        "--config given more than once");
  CHECK(ParseError({"--config", ""}) == "--config: empty file name");

  const TempFile bad("[server]\nport = \"abc\"\n");
  CHECK(ParseError({"--config", bad.path()}) ==
        bad.path() + ":2: server.port: expected an integer, got a string (\"abc\")");
  // A bad file is reported even when a flag would have overridden the bad value.
  CHECK_THAT(ParseError({"--config", bad.path(), "--port", "1"}), Catch::StartsWith(bad.path()));
}

}  // namespace
}  // namespace tidekv::config
