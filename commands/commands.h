// Every command group's registration, and the table of all of them. The vocabulary the
// command files share (the engine's and the keyspace's names) is imported here once.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command_context.h"
#include "engine/command_table.h"
#include "engine/engine.h"
#include "engine/errors.h"
#include "engine/session.h"
#include "keyspace/entry.h"
#include "keyspace/keyspace.h"

namespace tidekv::commands {

using engine::CommandContext;
using engine::CommandFlag;
using engine::CommandSpec;
using engine::CommandTable;
namespace key_flag = engine::key_flag;
using engine::EffectSink;
using engine::Engine;
using engine::EngineStats;
using engine::HasFlag;
using engine::Session;
using keyspace::Database;
using keyspace::Dict;
using keyspace::Entry;
using keyspace::Keyspace;
using keyspace::KeyspaceStats;
using keyspace::ValueType;
using types::StringValue;
namespace err = engine::err;

void RegisterConnectionCommands(CommandTable& table);
// CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO, under the CLIENT container.
void RegisterClientTrackingCommands(CommandTable& table, CommandSpec& client);
void RegisterAclCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterSlowlogCommands(CommandTable& table);  // SLOWLOG
void RegisterLatencyCommands(CommandTable& table);  // LATENCY
void RegisterKeyCommands(CommandTable& table);
void RegisterDumpCommands(CommandTable& table);    // the generic group's DUMP and RESTORE
void RegisterMigrateCommand(CommandTable& table);  // the generic group's MIGRATE
void RegisterSortCommands(CommandTable& table);    // the generic group's SORT and SORT_RO
void RegisterStringCommands(CommandTable& table);
void RegisterLcsCommand(CommandTable& table);  // the string group's LCS
void RegisterBitCommands(CommandTable& table);
void RegisterHyperLogLogCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterHashExpireCommands(CommandTable& table);  // the hash group's field expiry
void RegisterSetCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterListPopCommands(CommandTable& table);  // the list group's pops and moves
void RegisterZSetCommands(CommandTable& table);
void RegisterGeoCommands(CommandTable& table);
void RegisterStreamCommands(CommandTable& table);
void RegisterStreamReadCommands(CommandTable& table);   // XREAD, XREADGROUP
void RegisterStreamGroupCommands(CommandTable& table);  // XGROUP, XACK, XPENDING, XCLAIM...
void RegisterStreamInfoCommands(CommandTable& table);   // XINFO
void RegisterReplicationCommands(CommandTable& table);
void RegisterClusterCommands(CommandTable& table);  // all "cluster support disabled"
void RegisterTransactionCommands(CommandTable& table);
void RegisterScriptingCommands(CommandTable& table);
void RegisterPubSubCommands(CommandTable& table);
void RegisterCommandCommands(CommandTable& table);  // COMMAND itself

// Key specs of commands whose keys follow a numkeys argument at argv[at] (SINTERCARD, LMPOP,
// ZUNION, EVAL...): appends the positions of those keys (none when numkeys is not a
// positive count). The one copy every such command's find_keys calls.
void KeysAfterNumkeysAt(size_t at, std::span<const std::string_view> argv,
                        std::vector<size_t>* out);

// A container's HELP reply, as Redis's addReplyHelp writes it: the lines given, then
// "HELP" / "    Prints this help." (added here, so no caller repeats them).
void ReplyHelp(CommandContext& ctx, std::span<const std::string_view> lines);

// Redis's addReplySubcommandSyntaxError: "unknown subcommand or wrong number of arguments for
// '<argv[1]>'. Try <ARGV[0]> HELP." (a subcommand's own argument count check).
void ReplySubcommandSyntaxError(CommandContext& ctx);

// DUMP's payload of the key's value (commands/dump.cc has the format); MIGRATE sends it.
std::string DumpPayload(const Entry& e);

// Every command, group by group, in one place.
CommandTable BuildCommandTable();

}  // namespace tidekv::commands
