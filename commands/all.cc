#include "commands/commands.h"

namespace tidekv::commands {

CommandTable BuildCommandTable() {
  CommandTable table;
  RegisterConnectionCommands(table);
  RegisterServerCommands(table);
  RegisterKeyCommands(table);
  RegisterStringCommands(table);
  RegisterBitCommands(table);
  RegisterHashCommands(table);
  RegisterSetCommands(table);
  RegisterReplicationCommands(table);
  RegisterCommandCommands(table);
  return table;
}

}  // namespace tidekv::commands
