// LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP: the latency monitor
// (engine/latency.h) and the per-command latency histograms (engine/latency_histogram.h).

#include "engine/latency.h"

#include <fmt/format.h>

#include "commands/command_docs.h"
#include "commands/commands.h"

namespace tidekv::commands {

namespace {

using engine::LatencyHistogram;
using engine::LatencyMonitor;
using F = CommandFlag;

void LatencyLatest(CommandContext& ctx) {
  const auto& events = ctx.engine.latency().events();
  ctx.reply.Array(events.size());
  for (const auto& [name, series] : events) {
    const LatencyMonitor::Sample& last = series.latest();
    ctx.reply.Array(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(last.unix_s);
    ctx.reply.Integer(last.ms);
    ctx.reply.Integer(series.max_ms);
  }
}

void LatencyHistory(CommandContext& ctx) {
  const LatencyMonitor::Series* series = ctx.engine.latency().Find(ctx.arg(2));
  if (series == nullptr) return ctx.reply.Array(0);
  const std::vector<LatencyMonitor::Sample> samples = series->History();
  ctx.reply.Array(samples.size());
  for (const LatencyMonitor::Sample& s : samples) {
    ctx.reply.Array(2);
    ctx.reply.Integer(s.unix_s);
    ctx.reply.Integer(s.ms);
  }
}

void LatencyReset(CommandContext& ctx) {
  LatencyMonitor& monitor = ctx.engine.latency();
  const size_t n = ctx.argc() == 2 ? monitor.Reset() : monitor.Reset(ctx.argv.subspan(2));
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void LatencyGraph(CommandContext& ctx) {
  const LatencyMonitor& monitor = ctx.engine.latency();
  if (monitor.Find(ctx.arg(2)) == nullptr) {
    return ctx.Error(fmt::format("ERR No samples available for event '{}'", ctx.arg(2)));
  }
  ctx.reply.Verbatim(monitor.Graph(ctx.arg(2), ctx.engine.clock().NowMs() / 1000));
}

void LatencyDoctor(CommandContext& ctx) { ctx.reply.Verbatim(ctx.engine.latency().Doctor()); }

// One command's histogram as Redis 7 replies it: calls, then the cumulative count at each
// bucket where it grows.
void ReplyHistogram(CommandContext& ctx, const CommandSpec& c) {
  const LatencyHistogram& h = c.stats.latency;
  ctx.reply.Bulk(c.name);
  ctx.reply.Map(2);
  ctx.reply.Bulk("calls");
  ctx.reply.Integer(static_cast<int64_t>(h.total()));
  ctx.reply.Bulk("histogram_usec");
  size_t levels = 0;
  for (size_t k = 0; k < LatencyHistogram::kBuckets; k++) levels += h.count(k) > 0 ? 1 : 0;
  ctx.reply.Map(levels);
  uint64_t cumulative = 0;
  for (size_t k = 0; k < LatencyHistogram::kBuckets; k++) {
    if (h.count(k) == 0) continue;
    cumulative += h.count(k);
    ctx.reply.Integer(LatencyHistogram::BucketMicros(k));
    ctx.reply.Integer(static_cast<int64_t>(cumulative));
  }
}

void LatencyHistogramCommand(CommandContext& ctx) {
  // The commands asked for (all of them when none is named), each followed by its
  // subcommands; those never called are left out, as are unknown names.
  std::vector<const CommandSpec*> shown;
  auto add = [&shown](const CommandSpec& c) {
    if (c.stats.latency.total() > 0) shown.push_back(&c);
    for (const auto& sub : c.subcommands) {
      if (sub->stats.latency.total() > 0) shown.push_back(sub.get());
    }
  };
  if (ctx.argc() == 2) {
    for (const CommandSpec* c : ctx.engine.commands().all()) add(*c);
  } else {
    for (size_t i = 2; i < ctx.argc(); i++) {
      if (const CommandSpec* c = FindAny(ctx.engine.commands(), ctx.arg(i))) add(*c);
    }
  }
  ctx.reply.Map(shown.size());
  for (const CommandSpec* c : shown) ReplyHistogram(ctx, *c);
}

void LatencyHelp(CommandContext& ctx) {
  static constexpr std::string_view kLines[] = {
      "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "DOCTOR",
      "    Return a human readable latency analysis report.",
      "GRAPH <event>",
      "    Return an ASCII latency graph for the <event> class.",
      "HISTORY <event>",
      "    Return time-latency samples for the <event> class.",
      "LATEST",
      "    Return the latest latency samples for all events.",
      "RESET [<event> ...]",
      "    Reset latency data of one or more <event> classes.",
      "    (default: reset all data for all event classes)",
      "HISTOGRAM [COMMAND ...]",
      "    Return a cumulative distribution of latencies in the format of a histogram for the "
      "specified command names.",
      "    If no commands are specified then all histograms are replied.",
  };
  ReplyHelp(ctx, kLines);
}

}  // namespace

void RegisterLatencyCommands(CommandTable& table) {
  constexpr CommandFlag kAdmin =
      F::kAdmin | F::kNoScript | F::kLoading | F::kStale | F::kVolatileReply;
  CommandSpec& latency = table.Add({.name = "latency",
                                    .arity = -2,
                                    .flags = F::kVolatileReply,
                                    .group = "server",
                                    .since = "2.8.13",
                                    .summary = "A container for latency diagnostics commands.",
                                    .complexity = "Depends on subcommand."});
  struct Row {
    std::string_view name;
    int arity;
    engine::CommandHandler handler;
    std::string_view since;
    std::string_view summary;
    std::string_view complexity;
    std::string_view syntax;
  };
  const Row rows[] = {
      {"doctor", 2, LatencyDoctor, "2.8.13", "Returns a human-readable latency analysis report.",
       "O(1)", ""},
      {"graph", 3, LatencyGraph, "2.8.13", "Returns a latency graph for an event.", "O(1)",
       "event"},
      {"histogram", -2, LatencyHistogramCommand, "7.0.0",
       "Returns the cumulative distribution of latencies of a subset or all commands.",
       "O(N) where N is the number of commands with latency information being retrieved.",
       "[command [command ...]]"},
      {"history", 3, LatencyHistory, "2.8.13", "Returns timestamp-latency samples for an event.",
       "O(1)", "event"},
      {"latest", 2, LatencyLatest, "2.8.13", "Returns the latest latency samples for all events.",
       "O(1)", ""},
      {"reset", -2, LatencyReset, "2.8.13", "Resets the latency data for one or more events.",
       "O(1)", "[event [event ...]]"},
  };
  for (const Row& r : rows) {
    table.AddSubcommand(latency, {.name = std::string(r.name),
                                  .arity = r.arity,
                                  .flags = kAdmin,
                                  .handler = r.handler,
                                  .since = r.since,
                                  .summary = r.summary,
                                  .complexity = r.complexity,
                                  .syntax = r.syntax});
  }
  table.AddSubcommand(latency, {.name = "help",
                                .arity = 2,
                                .flags = F::kLoading | F::kStale,
                                .handler = LatencyHelp,
                                .summary = "Returns helpful text about the different subcommands.",
                                .complexity = "O(1)",
                                .syntax = ""});
}

}  // namespace tidekv::commands
