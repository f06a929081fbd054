// tidekv-docs: prints documentation generated from the code's tables.
//   tidekv-docs commands   -> docs/commands.md
#include <cstdio>
#include <cstring>

#include "commands/command_docs.h"
#include "commands/commands.h"
#include "engine/command_table.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "commands") == 0) {
    tidekv::engine::CommandTable table = tidekv::commands::BuildCommandTable();
    std::fputs(tidekv::commands::RenderCommandsMarkdown(table).c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "usage: tidekv-docs commands\n");
  return 2;
}
