// tidekv-config-docs: prints a file generated from the option table, so that
// scripts/gen-config-docs can rewrite config/tidekv.toml and docs/configuration.md.

#include <cstdio>
#include <string>
#include <string_view>

#include "config/config.h"

int main(int argc, char** argv) {
  const std::string_view what = argc == 2 ? argv[1] : "";
  std::string text;
  if (what == "toml") {
    text = tidekv::config::RenderDefaultConfigFile();
  } else if (what == "markdown") {
    text = tidekv::config::RenderMarkdownReference();
  } else {
    std::fprintf(stderr, "usage: tidekv-config-docs toml|markdown\n");
    return 2;
  }
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    std::perror("tidekv-config-docs: write");
    return 1;
  }
  return 0;
}
