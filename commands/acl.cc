// ACL: users and permissions (engine/acl.h holds them): SETUSER GETUSER DELUSER USERS LIST
// WHOAMI CAT GENPASS DRYRUN LOG SAVE LOAD HELP, as Redis 7.0.

#include "engine/acl.h"

#include <fmt/format.h>

#include <random>

#include "commands/commands.h"
#include "common/strings.h"
#include "engine/command_context.h"
#include "engine/engine.h"
#include "engine/pubsub.h"

namespace tidekv::commands {

namespace {

using engine::Acl;
using engine::AclDenial;
using engine::AclUser;
using F = CommandFlag;

// Closes the clients of a user that no longer exists (ACL DELUSER), or those subscribed to
// channels the user may no longer use (ACL SETUSER): the caller itself after its reply.
void CloseClientsOf(CommandContext& ctx, const AclUser* user, bool only_lost_channels) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  if (hooks == nullptr) {
    if (ctx.session.user.get() == user && !only_lost_channels) {
      ctx.session.close_after_reply = true;
    }
    return;
  }
  using Kind = engine::PubSubRegistry::Kind;
  const engine::PubSubRegistry& pubsub = ctx.engine.pubsub();
  auto lost_channels = [&](const Session& s) {
    if (user->all_channels || !s.subscribed()) return false;
    for (Kind kind : {Kind::kChannel, Kind::kPattern, Kind::kShardChannel}) {
      for (const std::string& name : pubsub.SubscriptionsOf(s, kind)) {
        if (!Acl::AllowsChannel(*user, name, kind == Kind::kPattern)) return true;
      }
    }
    return false;
  };
  std::vector<uint64_t> ids;
  hooks->ForEachClient([&](const engine::ClientView& c) {
    if (c.session->user.get() != user) return;
    if (!only_lost_channels || lost_channels(*c.session)) ids.push_back(c.session->id);
  });
  for (uint64_t id : ids) {
    if (id == ctx.session.id) {
      ctx.session.close_after_reply = true;
    } else {
      hooks->CloseClient(
          id, only_lost_channels ? "ACL channel permissions revoked" : "ACL user deleted");
    }
  }
}

void AclSetUser(CommandContext& ctx) {
  const std::string_view name = ctx.arg(2);
  std::shared_ptr<AclUser> before = ctx.engine.acl().Find(name);
  const bool had_all_channels = before != nullptr && before->all_channels;
  const std::vector<std::string> channels_before =
      before != nullptr ? before->channels : std::vector<std::string>{};
  if (std::string error = ctx.engine.acl().SetUser(name, ctx.argv.subspan(3)); !error.empty()) {
    return ctx.Error(error);
  }
  std::shared_ptr<AclUser> after = ctx.engine.acl().Find(name);
  if (before != nullptr && !after->all_channels &&
      (had_all_channels || after->channels != channels_before)) {
    CloseClientsOf(ctx, after.get(), /*only_lost_channels=*/true);
  }
  ctx.reply.Ok();
}

void AclGetUser(CommandContext& ctx) {
  std::shared_ptr<AclUser> u = ctx.engine.acl().Find(ctx.arg(2));
  if (u == nullptr) return ctx.reply.Null();
  std::vector<std::string_view> flags;
  flags.push_back(u->enabled ? "on" : "off");
  if (u->nopass) flags.push_back("nopass");
  if (u->sanitize_payload) flags.push_back("sanitize-payload");
  if (u->skip_sanitize_payload) flags.push_back("skip-sanitize-payload");
  ctx.reply.Map(6);
  ctx.reply.Bulk("flags");
  ctx.reply.Array(flags.size());
  for (std::string_view f : flags) ctx.reply.Bulk(f);
  ctx.reply.Bulk("passwords");
  ctx.reply.Array(u->passwords.size());
  for (const std::string& p : u->passwords) ctx.reply.Bulk(p);
  ctx.reply.Bulk("commands");
  ctx.reply.Bulk(Acl::DescribeCommands(*u));
  ctx.reply.Bulk("keys");
  ctx.reply.Bulk(Acl::DescribeKeys(*u));
  ctx.reply.Bulk("channels");
  ctx.reply.Bulk(Acl::DescribeChannels(*u));
  ctx.reply.Bulk("selectors");
  ctx.reply.Array(0);
}

void AclDelUser(CommandContext& ctx) {
  for (size_t i = 2; i < ctx.argc(); i++) {
    if (ctx.arg(i) == "default") return ctx.Error("ERR The 'default' user cannot be removed");
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.argc(); i++) {
    std::shared_ptr<AclUser> u = ctx.engine.acl().Find(ctx.arg(i));
    if (u == nullptr || !ctx.engine.acl().DelUser(ctx.arg(i))) continue;
    deleted++;
    CloseClientsOf(ctx, u.get(), /*only_lost_channels=*/false);
  }
  ctx.reply.Integer(deleted);
}

void AclUsers(CommandContext& ctx) {
  const auto& users = ctx.engine.acl().users();
  ctx.reply.Array(users.size());
  for (const auto& [name, u] : users) ctx.reply.Bulk(name);
}

void AclList(CommandContext& ctx) {
  const auto& users = ctx.engine.acl().users();
  ctx.reply.Array(users.size());
  for (const auto& [name, u] : users) ctx.reply.Bulk(Acl::DescribeUser(*u));
}

void AclWhoAmI(CommandContext& ctx) { ctx.reply.Bulk(ctx.session.user->name); }

void AclCat(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplySubcommandSyntaxError(ctx);
  const auto names = engine::AclCategoryNames();
  if (ctx.argc() == 2) {
    ctx.reply.Array(names.size());
    for (std::string_view n : names) ctx.reply.Bulk(n);
    return;
  }
  const std::string_view category = ctx.arg(2);
  if (std::none_of(names.begin(), names.end(),
                   [&](std::string_view n) { return EqualsIgnoreCase(n, category); })) {
    return ctx.Error(fmt::format("ERR Unknown category '{}'", category));
  }
  std::vector<std::string_view> out;
  auto add = [&](const CommandSpec& c) {
    for (std::string_view cat : engine::AclCategories(c)) {
      if (EqualsIgnoreCase(cat.substr(1), category)) {
        out.push_back(c.name);
        return;
      }
    }
  };
  for (const CommandSpec* c : ctx.engine.commands().all()) {
    add(*c);
    for (const auto& sub : c->subcommands) add(*sub);
  }
  ctx.reply.Array(out.size());
  for (std::string_view n : out) ctx.reply.Bulk(n);
}

void AclGenPass(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplySubcommandSyntaxError(ctx);
  int64_t bits = 256;
  if (ctx.argc() == 3) {
    auto v = ParseInt64(ctx.arg(2));
    if (!v) return ctx.Error("ERR value is not an integer or out of range");
    if (*v <= 0 || *v > 4096) {
      return ctx.Error(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a "
          "positive number up to 4096");
    }
    bits = *v;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  const size_t chars = static_cast<size_t>((bits + 3) / 4);
  std::string out;
  out.reserve(chars);
  while (out.size() < chars) {
    uint32_t r = random();
    for (int i = 0; i < 8 && out.size() < chars; i++, r >>= 4) out += kHex[r & 15];
  }
  ctx.reply.Bulk(out);
}

void AclDryRun(CommandContext& ctx) {
  std::shared_ptr<AclUser> u = ctx.engine.acl().Find(ctx.arg(2));
  if (u == nullptr) return ctx.Error(fmt::format("ERR User '{}' not found", ctx.arg(2)));
  const std::span<const std::string_view> argv = ctx.argv.subspan(3);
  const CommandSpec* spec = ctx.engine.commands().Resolve(argv);
  if (spec == nullptr || HasFlag(spec->flags, F::kInternal)) {
    return ctx.Error(fmt::format("ERR Command '{}' not found", argv[0]));
  }
  const bool arity_ok = spec->arity > 0 ? argv.size() == static_cast<size_t>(spec->arity)
                                        : argv.size() >= static_cast<size_t>(-spec->arity);
  if (!arity_ok) {
    return ctx.Error(fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
  }
  size_t pos = 0;
  switch (ctx.engine.acl().Check(*u, *spec, argv, &pos)) {
    case AclDenial::kNone:
      return ctx.reply.Ok();
    case AclDenial::kKey:
      return ctx.reply.Bulk(
          fmt::format("This user has no permissions to access the '{}' key", argv[pos]));
    case AclDenial::kChannel:
      return ctx.reply.Bulk(
          fmt::format("This user has no permissions to access the '{}' channel", argv[pos]));
    default:
      return ctx.reply.Bulk(
          fmt::format("This user has no permissions to run the '{}' command", spec->name));
  }
}

std::string_view ReasonName(AclDenial why) {
  switch (why) {
    case AclDenial::kKey:
      return "key";
    case AclDenial::kChannel:
      return "channel";
    case AclDenial::kAuth:
      return "auth";
    default:
      return "command";
  }
}

void AclLog(CommandContext& ctx) {
  if (ctx.argc() > 3) return ReplySubcommandSyntaxError(ctx);
  Acl& acl = ctx.engine.acl();
  size_t count = 10;
  if (ctx.argc() == 3) {
    if (ctx.ArgIs(2, "RESET")) {
      acl.ResetLog();
      return ctx.reply.Ok();
    }
    auto v = ParseInt64(ctx.arg(2));
    if (!v) return ctx.Error("ERR value is not an integer or out of range");
    count = *v < 0 ? 0 : static_cast<size_t>(*v);
  }
  const auto& log = acl.log();
  const size_t n = std::min(count, log.size());
  ctx.reply.Array(n);
  for (size_t i = 0; i < n; i++) {
    const engine::AclLogEntry& e = log[i];
    ctx.reply.Map(7);
    ctx.reply.Bulk("count");
    ctx.reply.Integer(static_cast<int64_t>(e.count));
    ctx.reply.Bulk("reason");
    ctx.reply.Bulk(ReasonName(e.reason));
    ctx.reply.Bulk("context");
    ctx.reply.Bulk(e.context == engine::AclContext::kMulti ? "multi"
                   : e.context == engine::AclContext::kLua ? "lua"
                                                           : "toplevel");
    ctx.reply.Bulk("object");
    ctx.reply.Bulk(e.object);
    ctx.reply.Bulk("username");
    ctx.reply.Bulk(e.username);
    ctx.reply.Bulk("age-seconds");
    ctx.reply.Double(static_cast<double>(ctx.now_ms - e.created_ms) / 1000.0);
    ctx.reply.Bulk("client-info");
    std::string_view info = e.client_info;
    if (info.ends_with('\n')) info.remove_suffix(1);
    ctx.reply.Bulk(info);
  }
}

void AclNoFile(CommandContext& ctx) {
  ctx.Error(
      "ERR This Redis instance is not configured to use an ACL file. You may want to specify "
      "users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a "
      "Redis configuration file set) in order to store users in the Redis configuration.");
}

void AclHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CAT [<category>]",
      "    List all commands that belong to <category>, or all command categories",
      "    when no category is specified.",
      "DELUSER <username> [<username> ...]",
      "    Delete a list of users.",
      "DRYRUN <username> <command> [<arg> ...]",
      "    Returns whether the user can execute the given command without executing the command.",
      "GETUSER <username>",
      "    Get the user's details.",
      "GENPASS [<bits>]",
      "    Generate a secure 256-bit user password. The optional `bits` argument can",
      "    be used to specify a different size.",
      "LIST",
      "    Show users details in config file format.",
      "LOAD",
      "    Reload users from the ACL file.",
      "LOG [<count> | RESET]",
      "    Show the ACL log entries.",
      "SAVE",
      "    Save the current config to the ACL file.",
      "SETUSER <username> <attribute> [<attribute> ...]",
      "    Create or modify a user with the specified attributes.",
      "USERS",
      "    List all the registered usernames.",
      "WHOAMI",
      "    Return the current connection username.",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void RegisterAclCommands(CommandTable& table) {
  constexpr CommandFlag kAdmin = F::kAdmin | F::kNoScript | F::kLoading | F::kStale;
  constexpr CommandFlag kPlain = F::kNoScript | F::kLoading | F::kStale;
  CommandSpec& acl = table.Add({.name = "acl",
                                .arity = -2,
                                .group = "server",
                                .since = "6.0.0",
                                .summary = "A container for Access List Control commands.",
                                .complexity = "Depends on subcommand."});
  struct Row {
    std::string_view name;
    int arity;
    CommandFlag flags;
    engine::CommandHandler handler;
    std::string_view summary;
    std::string_view complexity;
    std::string_view syntax;
  };
  const Row rows[] = {
      {"cat", -2, kPlain, AclCat, "Lists the ACL categories, or the commands inside a category.",
       "O(1) since the categories and commands are a fixed set.", "[category]"},
      {"deluser", -3, kAdmin, AclDelUser, "Deletes ACL users, and terminates their connections.",
       "O(1) amortized time considering the typical user.", "username [username ...]"},
      {"dryrun", -4, kAdmin, AclDryRun,
       "Simulates the execution of a command by a user, without executing the command.", "O(1).",
       "username command [arg [arg ...]]"},
      {"genpass", -2, kPlain, AclGenPass,
       "Generates a pseudorandom, secure password that can be used to identify ACL users.", "O(N)",
       "[bits]"},
      {"getuser", 3, kAdmin, AclGetUser, "Lists the ACL rules of a user.",
       "O(N). Where N is the number of password, command and pattern rules that the user has.",
       "username"},
      {"help", 2, F::kLoading | F::kStale, AclHelp,
       "Returns helpful text about the different "
       "subcommands.",
       "O(1)", ""},
      {"list", 2, kAdmin, AclList, "Dumps the effective rules in ACL file format.",
       "O(N). Where N is the number of configured users.", ""},
      {"load", 2, kAdmin, AclNoFile, "Reloads the rules from the configured ACL file.",
       "O(N). Where N is the number of configured users.", ""},
      {"log", -2, kAdmin, AclLog, "Lists recent security events generated due to ACL rules.",
       "O(N) with N being the number of entries shown.", "[count | RESET]"},
      {"save", 2, kAdmin, AclNoFile, "Saves the effective ACL rules in the configured ACL file.",
       "O(N). Where N is the number of configured users.", ""},
      {"setuser", -3, kAdmin, AclSetUser, "Creates and modifies an ACL user and its rules.",
       "O(N). Where N is the number of rules provided.", "username [rule [rule ...]]"},
      {"users", 2, kAdmin, AclUsers, "Lists all ACL users.",
       "O(N). Where N is the number of configured users.", ""},
      {"whoami", 2, kPlain, AclWhoAmI,
       "Returns the authenticated username of the current connection.", "O(1)", ""},
  };
  for (const Row& r : rows) {
    CommandSpec& sub = table.AddSubcommand(acl, {.name = std::string(r.name),
                                                 .arity = r.arity,
                                                 .flags = r.flags,
                                                 .handler = r.handler,
                                                 .since = r.name == "dryrun" ? "7.0.0" : "6.0.0",
                                                 .summary = r.summary,
                                                 .complexity = r.complexity,
                                                 .syntax = r.syntax});
    // The slow log shows none of SETUSER's arguments, the user's name included (as Redis:
    // rules carry passwords).
    if (r.name == "setuser") {
      sub.secret_arg = [](std::span<const std::string_view>, size_t index) { return index >= 2; };
    }
  }
}

}  // namespace tidekv::commands
