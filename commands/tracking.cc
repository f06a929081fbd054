// CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO: client-side
// caching's commands (engine/tracking.h holds the tables and sends the invalidations).

#include "engine/tracking.h"

#include <fmt/format.h>

#include <vector>

#include "commands/commands.h"
#include "engine/command_context.h"
#include "engine/engine.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;
using engine::TrackingRegistry;

// Whether a client with this id is connected (in process, only the caller is).
bool ClientExists(CommandContext& ctx, uint64_t id) {
  engine::ServerHooks* hooks = ctx.engine.hooks();
  return hooks != nullptr ? hooks->Client(id).has_value() : id == ctx.session.id;
}

// CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p]... [BCAST] [OPTIN] [OPTOUT] [NOLOOP], with
// Redis 7.0's checks in its order: options first (so OFF with a bad option fails too).
void ClientTracking(CommandContext& ctx) {
  Session& session = ctx.session;
  int64_t redirect = 0;
  uint8_t options = 0;
  std::vector<std::string_view> prefixes;
  for (size_t j = 3; j < ctx.argc(); j++) {
    const bool more = j + 1 < ctx.argc();
    if (ctx.ArgIs(j, "REDIRECT") && more) {
      j++;
      if (redirect != 0)
        return ctx.Error("ERR A client can only redirect to a single other client");
      const std::optional<int64_t> id = ctx.IntArg(j);
      if (!id) return;
      redirect = *id;
      if (redirect <= 0 || !ClientExists(ctx, static_cast<uint64_t>(redirect))) {
        return ctx.Error("ERR The client ID you want redirect to does not exist");
      }
    } else if (ctx.ArgIs(j, "BCAST")) {
      options |= engine::kTrackingBcast;
    } else if (ctx.ArgIs(j, "OPTIN")) {
      options |= engine::kTrackingOptIn;
    } else if (ctx.ArgIs(j, "OPTOUT")) {
      options |= engine::kTrackingOptOut;
    } else if (ctx.ArgIs(j, "NOLOOP")) {
      options |= engine::kTrackingNoLoop;
    } else if (ctx.ArgIs(j, "PREFIX") && more) {
      prefixes.push_back(ctx.arg(++j));
    } else {
      return ctx.SyntaxError();
    }
  }
  TrackingRegistry& tracking = ctx.engine.tracking();
  if (ctx.ArgIs(2, "OFF")) {
    if (session.tracking != 0) tracking.Disable(session);
    return ctx.reply.Ok();
  }
  if (!ctx.ArgIs(2, "ON")) return ctx.SyntaxError();
  const bool bcast = (options & engine::kTrackingBcast) != 0;
  const bool optin = (options & engine::kTrackingOptIn) != 0;
  const bool optout = (options & engine::kTrackingOptOut) != 0;
  if (!bcast && !prefixes.empty()) {
    return ctx.Error("ERR PREFIX option requires BCAST mode to be enabled");
  }
  if ((session.tracking & engine::kTrackingOn) != 0 &&
      ((session.tracking & engine::kTrackingBcast) != 0) != bcast) {
    return ctx.Error(
        "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
  }
  if (bcast && (optin || optout)) {
    return ctx.Error("ERR OPTIN and OPTOUT are not compatible with BCAST");
  }
  if (optin && optout) return ctx.Error("ERR You can't use both OPTIN and OPTOUT");
  if ((optin && (session.tracking & engine::kTrackingOptOut) != 0) ||
      (optout && (session.tracking & engine::kTrackingOptIn) != 0)) {
    return ctx.Error(
        "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and "
        "then re-enabling it with a different mode.");
  }
  if (bcast) {
    if (std::string error = tracking.CheckPrefixes(session, prefixes); !error.empty()) {
      return ctx.Error(error);
    }
  }
  tracking.Enable(session, static_cast<uint64_t>(redirect), options, prefixes);
  ctx.reply.Ok();
}

void ClientCaching(CommandContext& ctx) {
  Session& session = ctx.session;
  if ((session.tracking & engine::kTrackingOn) == 0) {
    return ctx.Error(
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
        "or OPTOUT mode enabled");
  }
  if (ctx.ArgIs(2, "YES")) {
    if ((session.tracking & engine::kTrackingOptIn) == 0) {
      return ctx.Error(
          "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    }
  } else if (ctx.ArgIs(2, "NO")) {
    if ((session.tracking & engine::kTrackingOptOut) == 0) {
      return ctx.Error(
          "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    }
  } else {
    return ctx.SyntaxError();
  }
  session.tracking |= engine::kTrackingCaching;
  ctx.reply.Ok();
}

int64_t RedirectOf(const Session& session) {
  return (session.tracking & engine::kTrackingOn) != 0
             ? static_cast<int64_t>(session.tracking_redirect)
             : -1;
}

void ClientGetRedir(CommandContext& ctx) { ctx.reply.Integer(RedirectOf(ctx.session)); }

void ClientTrackingInfo(CommandContext& ctx) {
  const uint8_t t = ctx.session.tracking;
  std::vector<std::string_view> flags{(t & engine::kTrackingOn) != 0 ? "on" : "off"};
  if ((t & engine::kTrackingBcast) != 0) flags.push_back("bcast");
  if ((t & engine::kTrackingOptIn) != 0) {
    flags.push_back("optin");
    if ((t & engine::kTrackingCaching) != 0) flags.push_back("caching-yes");
  }
  if ((t & engine::kTrackingOptOut) != 0) {
    flags.push_back("optout");
    if ((t & engine::kTrackingCaching) != 0) flags.push_back("caching-no");
  }
  if ((t & engine::kTrackingNoLoop) != 0) flags.push_back("noloop");
  if ((t & engine::kTrackingBrokenRedir) != 0) flags.push_back("broken_redirect");
  ctx.reply.Map(3);
  ctx.reply.Bulk("flags");
  ctx.reply.Set(flags.size());
  for (std::string_view f : flags) ctx.reply.Bulk(f);
  ctx.reply.Bulk("redirect");
  ctx.reply.Integer(RedirectOf(ctx.session));
  ctx.reply.Bulk("prefixes");
  const std::vector<std::string> prefixes = ctx.engine.tracking().PrefixesOf(ctx.session.id);
  ctx.reply.Array(prefixes.size());
  for (const std::string& p : prefixes) ctx.reply.Bulk(p);
}

}  // namespace

void RegisterClientTrackingCommands(CommandTable& table, CommandSpec& client) {
  const CommandFlag flags = F::kNoScript | F::kStale | F::kLoading;
  table.AddSubcommand(
      client,
      {.name = "tracking",
       .arity = -3,
       .flags = flags,
       .handler = ClientTracking,
       .since = "6.0.0",
       .summary = "Controls server-assisted client-side caching for the connection.",
       .complexity = "O(1). Some options may introduce additional complexity.",
       .syntax = "<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] "
                 "[OPTIN] [OPTOUT] [NOLOOP]"});
  table.AddSubcommand(client, {.name = "caching",
                               .arity = 3,
                               .flags = flags,
                               .handler = ClientCaching,
                               .since = "6.0.0",
                               .summary = "Instructs the server whether to track the keys in the "
                                          "next request.",
                               .complexity = "O(1)",
                               .syntax = "YES | NO"});
  table.AddSubcommand(client, {.name = "getredir",
                               .arity = 2,
                               .flags = flags,
                               .handler = ClientGetRedir,
                               .since = "6.0.0",
                               .summary = "Returns the client ID to which the connection's "
                                          "tracking notifications are redirected.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(client, {.name = "trackinginfo",
                               .arity = 2,
                               .flags = flags,
                               .handler = ClientTrackingInfo,
                               .since = "6.2.0",
                               .summary = "Returns information about server-assisted client-side "
                                          "caching for the connection.",
                               .complexity = "O(1)",
                               .syntax = ""});
}

}  // namespace tidekv::commands
