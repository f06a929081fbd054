// The committed config/tidekv.toml and docs/configuration.md must equal what the option
// table renders today, so defaults and docs are never written twice by hand.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config.h"

#ifndef TIDEKV_SOURCE_DIR
#error "TIDEKV_SOURCE_DIR must name the repository root (set in tests/unit/config/CMakeLists.txt)"
#endif

namespace tidekv::config {
namespace {

std::string ReadRepoFile(const std::string& relative) {
  const std::string path = std::string(TIDEKV_SOURCE_DIR) + "/" + relative;
  std::ifstream in(path, std::ios::binary);
  INFO(path);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr const char* kRegenerate =
    "the file is out of date with config/options.cc: run scripts/gen-config-docs";

TEST_CASE("config/tidekv.toml is the rendered default file", "[config][generated]") {
  const std::string committed = ReadRepoFile("config/tidekv.toml");
  if (committed != RenderDefaultConfigFile()) FAIL("config/tidekv.toml: " << kRegenerate);
  const Result<Config> loaded = LoadTomlString(committed, "config/tidekv.toml");
  REQUIRE(loaded.ok());
  CHECK(*loaded == Config{});
}

TEST_CASE("docs/configuration.md is the rendered reference", "[config][generated]") {
  const std::string committed = ReadRepoFile("docs/configuration.md");
  if (committed != RenderMarkdownReference()) FAIL("docs/configuration.md: " << kRegenerate);
}

TEST_CASE("the reference documents every option and flag", "[config][generated]") {
  const std::string markdown = RenderMarkdownReference();
  for (const OptionSpec& option : Options()) {
    INFO(option.key);
    CHECK_THAT(markdown, Catch::Contains("| `" + std::string(option.key) + "` |"));
    CHECK_THAT(markdown, Catch::Contains(std::string(option.doc)));
  }
  for (std::string_view text :
       {"defaults", "--config FILE", "--port N", "--bind ADDR", "--dir DIR", "--loglevel LEVEL",
        "--dump-config", "--help", "--version", "## [server]", "## [limits]", "## [security]",
        "## [replication]", "## [logstore]", "## [compaction]", "## [trace]", "## [log]"}) {
    INFO(text);
    CHECK_THAT(markdown, Catch::Contains(std::string(text)));
  }
  const std::string toml = RenderDefaultConfigFile();
  for (const OptionSpec& option : Options()) {
    INFO(option.key);
    CHECK_THAT(toml, Catch::Contains("# " + std::string(option.doc) + "\n"));
  }
}

}  // namespace
}  // namespace tidekv::config
