#include <fmt/format.h>

#include <cctype>

#include "commands/commands.h"
#include "common/strings.h"

namespace tidekv::commands {

void ReplyHelp(CommandContext& ctx, std::span<const std::string_view> lines) {
  ctx.reply.Array(lines.size() + 2);
  for (std::string_view line : lines) ctx.reply.Simple(line);
  ctx.reply.Simple("HELP");
  ctx.reply.Simple("    Prints this help.");
}

void ReplySubcommandSyntaxError(CommandContext& ctx) {
  std::string container(ctx.arg(0));
  for (char& c : container) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ctx.Error(
      fmt::format("ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
                  ctx.arg(1).substr(0, 128), container));
}

void KeysAfterNumkeysAt(size_t at, std::span<const std::string_view> argv,
                        std::vector<size_t>* out) {
  const std::optional<int64_t> n = argv.size() > at ? ParseInt64(argv[at]) : std::nullopt;
  if (!n || *n <= 0) return;
  for (size_t i = at + 1; i < argv.size() && i <= at + static_cast<size_t>(*n); i++) {
    out->push_back(i);
  }
}

CommandTable BuildCommandTable() {
  CommandTable table;
  RegisterConnectionCommands(table);
  RegisterServerCommands(table);
  RegisterSlowlogCommands(table);
  RegisterLatencyCommands(table);
  RegisterAclCommands(table);
  RegisterKeyCommands(table);
  RegisterDumpCommands(table);
  RegisterMigrateCommand(table);
  RegisterSortCommands(table);
  RegisterStringCommands(table);
  RegisterLcsCommand(table);
  RegisterBitCommands(table);
  RegisterHyperLogLogCommands(table);
  RegisterHashCommands(table);
  RegisterHashExpireCommands(table);
  RegisterSetCommands(table);
  RegisterListCommands(table);
  RegisterListPopCommands(table);
  RegisterZSetCommands(table);
  RegisterGeoCommands(table);
  RegisterStreamCommands(table);
  RegisterStreamReadCommands(table);
  RegisterStreamGroupCommands(table);
  RegisterStreamInfoCommands(table);
  RegisterReplicationCommands(table);
  RegisterClusterCommands(table);
  RegisterTransactionCommands(table);
  RegisterScriptingCommands(table);
  RegisterPubSubCommands(table);
  RegisterCommandCommands(table);
  return table;
}

}  // namespace tidekv::commands
