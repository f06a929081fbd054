// Pub/sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, the shard forms
// SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS /
// SHARDNUMSUB (engine/pubsub.h keeps the subscriptions).
//
// Confirmations and messages are arrays in RESP2 and pushes in RESP3, as Redis 7 writes them.
// A message reaches another client through ServerHooks::SendToClient; an in-process engine
// (unit tests, tidekv-replay) has no server, so PUBLISH there counts receivers and sends
// nothing. PUBLISH and SPUBLISH are propagated as their own effect (flag kMayReplicate): a
// replica applying the frame delivers the message to its own subscribers
// (docs/replication.md).

#include "engine/pubsub.h"

#include <fmt/format.h>

#include "commands/commands.h"
#include "common/strings.h"

namespace tidekv::commands {

namespace {

using F = CommandFlag;
using Kind = engine::PubSubRegistry::Kind;

// The count a confirmation carries: channels and patterns together, shard channels apart
// (Redis 7.0's clientSubscriptionsCount / clientShardSubscriptionsCount).
int64_t SubscriptionCount(const Session& s, Kind kind) {
  if (kind == Kind::kShardChannel) return s.subscribed_shard_channels;
  return static_cast<int64_t>(s.subscribed_channels) + s.subscribed_patterns;
}

// One confirmation: [what, name, count]; a null name for an unsubscribe-all with nothing to
// leave.
void Confirm(CommandContext& ctx, std::string_view what, const std::string_view* name, Kind kind) {
  ctx.reply.Push(3);
  ctx.reply.Bulk(what);
  if (name != nullptr) {
    ctx.reply.Bulk(*name);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(SubscriptionCount(ctx.session, kind));
}

void SubscribeTo(CommandContext& ctx, Kind kind, std::string_view what) {
  engine::PubSubRegistry& registry = ctx.engine.pubsub();
  for (size_t i = 1; i < ctx.argc(); i++) {
    const std::string_view name = ctx.arg(i);
    registry.Subscribe(ctx.session, kind, name);
    Confirm(ctx, what, &name, kind);
  }
}

void UnsubscribeFrom(CommandContext& ctx, Kind kind, std::string_view what) {
  engine::PubSubRegistry& registry = ctx.engine.pubsub();
  if (ctx.argc() > 1) {
    for (size_t i = 1; i < ctx.argc(); i++) {
      const std::string_view name = ctx.arg(i);
      registry.Unsubscribe(ctx.session, kind, name);
      Confirm(ctx, what, &name, kind);
    }
    return;
  }
  const std::vector<std::string> all = registry.SubscriptionsOf(ctx.session, kind);
  if (all.empty()) return Confirm(ctx, what, nullptr, kind);
  for (const std::string& name : all) {
    registry.Unsubscribe(ctx.session, kind, name);
    const std::string_view view = name;
    Confirm(ctx, what, &view, kind);
  }
}

void Subscribe(CommandContext& ctx) { SubscribeTo(ctx, Kind::kChannel, "subscribe"); }
void PSubscribe(CommandContext& ctx) { SubscribeTo(ctx, Kind::kPattern, "psubscribe"); }
void SSubscribe(CommandContext& ctx) { SubscribeTo(ctx, Kind::kShardChannel, "ssubscribe"); }
void Unsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, Kind::kChannel, "unsubscribe"); }
void PUnsubscribe(CommandContext& ctx) { UnsubscribeFrom(ctx, Kind::kPattern, "punsubscribe"); }
void SUnsubscribe(CommandContext& ctx) {
  UnsubscribeFrom(ctx, Kind::kShardChannel, "sunsubscribe");
}

void PublishTo(CommandContext& ctx, Kind kind) {
  const size_t receivers =
      ctx.engine.pubsub().Publish(kind, ctx.arg(1), ctx.arg(2), ctx.engine.hooks());
  // Replicas deliver it to their own subscribers (a no-op effect in the log at recovery).
  ctx.Propagate(ctx.argv);
  ctx.reply.Integer(static_cast<int64_t>(receivers));
}

void Publish(CommandContext& ctx) { PublishTo(ctx, Kind::kChannel); }
void SPublish(CommandContext& ctx) { PublishTo(ctx, Kind::kShardChannel); }

// ---- PUBSUB ----------------------------------------------------------------------------

void ReplyNames(CommandContext& ctx, Kind kind) {
  if (ctx.argc() > 3) return ReplySubcommandSyntaxError(ctx);
  std::optional<std::string_view> pattern;
  if (ctx.argc() == 3) pattern = ctx.arg(2);
  const std::vector<std::string> names = ctx.engine.pubsub().Names(kind, pattern);
  ctx.reply.Array(names.size());
  for (const std::string& name : names) ctx.reply.Bulk(name);
}

void ReplyNumSub(CommandContext& ctx, Kind kind) {
  // A flat [channel, count, ...] array in both protocols, as Redis 7.0 replies.
  ctx.reply.Array((ctx.argc() - 2) * 2);
  for (size_t i = 2; i < ctx.argc(); i++) {
    ctx.reply.Bulk(ctx.arg(i));
    ctx.reply.Integer(static_cast<int64_t>(ctx.engine.pubsub().NumSubscribers(kind, ctx.arg(i))));
  }
}

void PubsubChannels(CommandContext& ctx) { ReplyNames(ctx, Kind::kChannel); }
void PubsubShardChannels(CommandContext& ctx) { ReplyNames(ctx, Kind::kShardChannel); }
void PubsubNumSub(CommandContext& ctx) { ReplyNumSub(ctx, Kind::kChannel); }
void PubsubShardNumSub(CommandContext& ctx) { ReplyNumSub(ctx, Kind::kShardChannel); }
void PubsubNumPat(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.engine.pubsub().Count(Kind::kPattern)));
}

void PubsubHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
  };
  ReplyHelp(ctx, kLines);
}

// Rows of the three subscribe/unsubscribe pairs differ only in names and texts.
struct SubscribeRows {
  std::string_view subscribe, unsubscribe;
  engine::CommandHandler on_subscribe, on_unsubscribe;
  std::string_view since, subscribe_summary, unsubscribe_summary, subscribe_complexity,
      unsubscribe_complexity, argument;
};

void AddSubscribeRows(CommandTable& table, const SubscribeRows& r) {
  // Redis: pubsub, noscript, loading, stale. Confirmations depend only on the client's own
  // subscriptions, so trace replay can compare them.
  const CommandFlag flags =
      F::kPubSub | F::kNoScript | F::kLoading | F::kStale | F::kSubscribedContext;
  table.Add({.name = std::string(r.subscribe),
             .arity = -2,
             .flags = flags,
             .handler = r.on_subscribe,
             .group = "pubsub",
             .since = r.since,
             .summary = r.subscribe_summary,
             .complexity = r.subscribe_complexity,
             .syntax = r.argument.substr(1, r.argument.size() - 2)});
  table.Add({.name = std::string(r.unsubscribe),
             .arity = -1,
             .flags = flags,
             .handler = r.on_unsubscribe,
             .group = "pubsub",
             .since = r.since,
             .summary = r.unsubscribe_summary,
             .complexity = r.unsubscribe_complexity,
             .syntax = r.argument});
}

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  AddSubscribeRows(
      table, {.subscribe = "subscribe",
              .unsubscribe = "unsubscribe",
              .on_subscribe = Subscribe,
              .on_unsubscribe = Unsubscribe,
              .since = "2.0.0",
              .subscribe_summary = "Listens for messages published to channels.",
              .unsubscribe_summary = "Stops listening to messages posted to channels.",
              .subscribe_complexity = "O(N) where N is the number of channels to subscribe to.",
              .unsubscribe_complexity = "O(N) where N is the number of channels to unsubscribe.",
              .argument = "[channel [channel ...]]"});
  AddSubscribeRows(
      table,
      {.subscribe = "psubscribe",
       .unsubscribe = "punsubscribe",
       .on_subscribe = PSubscribe,
       .on_unsubscribe = PUnsubscribe,
       .since = "2.0.0",
       .subscribe_summary =
           "Listens for messages published to channels that match one or more patterns.",
       .unsubscribe_summary =
           "Stops listening to messages published to channels that match one or more patterns.",
       .subscribe_complexity = "O(N) where N is the number of patterns to subscribe to.",
       .unsubscribe_complexity = "O(N) where N is the number of patterns to unsubscribe.",
       .argument = "[pattern [pattern ...]]"});
  AddSubscribeRows(
      table,
      {.subscribe = "ssubscribe",
       .unsubscribe = "sunsubscribe",
       .on_subscribe = SSubscribe,
       .on_unsubscribe = SUnsubscribe,
       .since = "7.0.0",
       .subscribe_summary = "Listens for messages published to shard channels.",
       .unsubscribe_summary = "Stops listening to messages posted to shard channels.",
       .subscribe_complexity = "O(N) where N is the number of shard channels to subscribe to.",
       .unsubscribe_complexity = "O(N) where N is the number of shard channels to unsubscribe.",
       .argument = "[shardchannel [shardchannel ...]]"});

  // The reply counts connections: never compared by trace replay.
  const CommandFlag publish_flags =
      F::kPubSub | F::kLoading | F::kStale | F::kFast | F::kMayReplicate | F::kVolatileReply;
  table.Add({.name = "publish",
             .arity = 3,
             .flags = publish_flags,
             .handler = Publish,
             .group = "pubsub",
             .since = "2.0.0",
             .summary = "Posts a message to a channel.",
             .complexity = "O(N+M) where N is the number of clients subscribed to the receiving "
                           "channel and M is the total number of subscribed patterns (by any "
                           "client).",
             .syntax = "channel message"});
  table.Add({.name = "spublish",
             .arity = 3,
             .flags = publish_flags,
             .handler = SPublish,
             .group = "pubsub",
             .since = "7.0.0",
             .summary = "Post a message to a shard channel",
             .complexity = "O(N) where N is the number of clients subscribed to the receiving "
                           "shard channel.",
             .syntax = "shardchannel message"});

  const CommandFlag introspection = F::kPubSub | F::kLoading | F::kStale | F::kVolatileReply;
  CommandSpec& pubsub = table.Add({.name = "pubsub",
                                   .arity = -2,
                                   .flags = introspection,
                                   .group = "pubsub",
                                   .since = "2.8.0",
                                   .summary = "A container for Pub/Sub commands.",
                                   .complexity = "Depends on subcommand."});
  table.AddSubcommand(pubsub, {.name = "channels",
                               .arity = -2,
                               .flags = introspection,
                               .handler = PubsubChannels,
                               .since = "2.8.0",
                               .summary = "Returns the active channels.",
                               .complexity = "O(N) where N is the number of active channels, and "
                                             "assuming constant time pattern matching (relatively "
                                             "short channels and patterns)",
                               .syntax = "[pattern]"});
  table.AddSubcommand(pubsub, {.name = "numpat",
                               .arity = 2,
                               .flags = introspection,
                               .handler = PubsubNumPat,
                               .since = "2.8.0",
                               .summary = "Returns a count of unique pattern subscriptions.",
                               .complexity = "O(1)",
                               .syntax = ""});
  table.AddSubcommand(pubsub, {.name = "numsub",
                               .arity = -2,
                               .flags = introspection,
                               .handler = PubsubNumSub,
                               .since = "2.8.0",
                               .summary = "Returns a count of subscribers to channels.",
                               .complexity = "O(N) for the NUMSUB subcommand, where N is the "
                                             "number of requested channels",
                               .syntax = "[channel [channel ...]]"});
  table.AddSubcommand(pubsub,
                      {.name = "shardchannels",
                       .arity = -2,
                       .flags = introspection,
                       .handler = PubsubShardChannels,
                       .since = "7.0.0",
                       .summary = "Returns the active shard channels.",
                       .complexity = "O(N) where N is the number of active shard channels, and "
                                     "assuming constant time pattern matching (relatively short "
                                     "shard channels).",
                       .syntax = "[pattern]"});
  table.AddSubcommand(pubsub, {.name = "shardnumsub",
                               .arity = -2,
                               .flags = introspection,
                               .handler = PubsubShardNumSub,
                               .since = "7.0.0",
                               .summary = "Returns the count of subscribers of shard channels.",
                               .complexity = "O(N) for the SHARDNUMSUB subcommand, where N is the "
                                             "number of requested shard channels",
                               .syntax = "[shardchannel [shardchannel ...]]"});
  table.AddSubcommand(pubsub, {.name = "help",
                               .arity = 2,
                               .flags = introspection,
                               .handler = PubsubHelp,
                               .since = "6.2.0",
                               .summary = "Returns helpful text about the different subcommands.",
                               .complexity = "O(1)",
                               .syntax = ""});
}

}  // namespace tidekv::commands
