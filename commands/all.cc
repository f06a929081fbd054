#include "commands/commands.h"

namespace tidekv::commands {

void ReplyHelp(CommandContext& ctx, std::span<const std::string_view> lines) {
  ctx.reply.Array(lines.size() + 2);
  for (std::string_view line : lines) ctx.reply.Simple(line);
  ctx.reply.Simple("HELP");
  ctx.reply.Simple("    Prints this help.");
}

CommandTable BuildCommandTable() {
  CommandTable table;
  RegisterConnectionCommands(table);
  RegisterServerCommands(table);
  RegisterKeyCommands(table);
  RegisterDumpCommands(table);
  RegisterStringCommands(table);
  RegisterLcsCommand(table);
  RegisterBitCommands(table);
  RegisterHashCommands(table);
  RegisterHashExpireCommands(table);
  RegisterSetCommands(table);
  RegisterListCommands(table);
  RegisterListPopCommands(table);
  RegisterZSetCommands(table);
  RegisterReplicationCommands(table);
  RegisterPubSubCommands(table);
  RegisterCommandCommands(table);
  return table;
}

}  // namespace tidekv::commands
