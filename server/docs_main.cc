// tidekv-docs: prints documentation generated from the code's tables.
//   tidekv-docs commands   -> docs/commands.md
#include <cstdio>
#include <cstring>

#include "server/command_docs.h"
#include "server/command_table.h"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "commands") == 0) {
    tidekv::server::CommandTable table = tidekv::server::BuildCommandTable();
    std::fputs(tidekv::server::RenderCommandsMarkdown(table).c_str(), stdout);
    return 0;
  }
  std::fprintf(stderr, "usage: tidekv-docs commands\n");
  return 2;
}
