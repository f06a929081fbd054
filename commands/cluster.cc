// CLUSTER: tidekv is never a cluster node (replication is primary/replica only), and answers
// every CLUSTER subcommand as a Redis 7.0 server started without cluster-enabled does:
// "ERR This instance has cluster support disabled". The subcommands are rows of their own
// so that their arities and flags match Redis's (CLUSTER RESET may not run in scripts,
// COMMAND LIST shows them) and clients that probe with CLUSTER INFO get Redis's answer.
#include <string_view>

#include "commands/commands.h"

namespace tidekv::commands {
namespace {

using F = CommandFlag;

void ClusterDisabled(CommandContext& ctx) {
  ctx.Error("ERR This instance has cluster support disabled");
}

struct ClusterRow {
  std::string_view name;
  int arity;
  bool admin;     // changes the cluster: admin in Redis
  bool noscript;  // RESET
  std::string_view summary;
};

// Redis 7.0's subcommands, arities and admin flags.
constexpr ClusterRow kRows[] = {
    {"addslots", -3, true, false, "Assigns new hash slots to a node."},
    {"addslotsrange", -4, true, false, "Assigns new hash slot ranges to a node."},
    {"bumpepoch", 2, true, false, "Advances the cluster config epoch."},
    {"count-failure-reports", 3, true, false,
     "Returns the number of active failure reports active for a node."},
    {"countkeysinslot", 3, false, false, "Returns the number of keys in a hash slot."},
    {"delslots", -3, true, false, "Sets hash slots as unbound for a node."},
    {"delslotsrange", -4, true, false, "Sets hash slot ranges as unbound for a node."},
    {"failover", -2, true, false, "Forces a replica to perform a manual failover of its master."},
    {"flushslots", 2, true, false, "Deletes all slots information from a node."},
    {"forget", 3, true, false, "Removes a node from the nodes table."},
    {"getkeysinslot", 4, false, false, "Returns the key names in a hash slot."},
    {"info", 2, false, false, "Returns information about the state of a node."},
    {"keyslot", 3, false, false, "Returns the hash slot for a key."},
    {"links", 2, false, false, "Returns a list of all TCP links to and from peer nodes."},
    {"meet", -4, true, false, "Forces a node to handshake with another node."},
    {"myid", 2, false, false, "Returns the ID of a node."},
    {"nodes", 2, false, false, "Returns the cluster configuration for a node."},
    {"replicas", 3, true, false, "Lists the replica nodes of a master node."},
    {"replicate", 3, true, false, "Configure a node as replica of a master node."},
    {"reset", -2, true, true, "Resets a node."},
    {"saveconfig", 2, true, false, "Forces a node to save the cluster configuration to disk."},
    {"set-config-epoch", 3, true, false, "Sets the configuration epoch for a new node."},
    {"setslot", -4, true, false, "Binds a hash slot to a node."},
    {"shards", 2, false, false, "Returns the mapping of cluster slots to shards."},
    {"slaves", 3, true, false, "Lists the replica nodes of a master node."},
    {"slots", 2, false, false, "Returns the mapping of cluster slots to nodes."},
    {"help", 2, false, false, "Returns helpful text about the different subcommands."},
};

}  // namespace

void RegisterClusterCommands(CommandTable& table) {
  CommandSpec& cluster = table.Add({.name = "cluster",
                                    .arity = -2,
                                    .flags = F::kNone,
                                    .group = "cluster",
                                    .since = "3.0.0",
                                    .summary = "A container for Redis Cluster commands.",
                                    .complexity = "Depends on subcommand.",
                                    .syntax = ""});
  for (const ClusterRow& row : kRows) {
    CommandFlag flags = F::kStale;
    if (row.admin) flags = flags | F::kAdmin;
    if (row.noscript) flags = flags | F::kNoScript;
    table.AddSubcommand(cluster, {.name = std::string(row.name),
                                  .arity = row.arity,
                                  .flags = flags,
                                  .handler = ClusterDisabled,
                                  .summary = row.summary,
                                  .complexity = "O(1)",
                                  .syntax = ""});
  }
}

}  // namespace tidekv::commands
