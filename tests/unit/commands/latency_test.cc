// LATENCY on the in-process engine: the latency monitor (engine/latency.h) and the
// per-command histograms (engine/latency_histogram.h), against Redis 7.0.15's replies.
#include "engine/latency.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "common/cycle_clock.h"
#include "engine/latency_histogram.h"
#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

using engine::LatencyHistogram;
using engine::LatencyMonitor;
using V = std::vector<std::string>;

TEST_CASE("LatencyMonitor keeps one sample per second, 160 of them, and the maximum", "[latency]") {
  LatencyMonitor m;
  m.Report("command", 50, 100);  // off (threshold 0): not kept
  CHECK(m.events().empty());
  m.set_threshold_ms(10);
  m.Report("command", 9, 100);  // under the threshold
  CHECK(m.events().empty());
  m.Report("command", 20, 100);
  m.Report("command", 30, 100);  // the same second: the larger stays
  m.Report("command", 25, 100);
  m.Report("command", 15, 101);
  const LatencyMonitor::Series* s = m.Find("command");
  REQUIRE(s != nullptr);
  REQUIRE(s->History().size() == 2);
  CHECK(s->History()[0].ms == 30);
  CHECK(s->History()[1].unix_s == 101);
  CHECK(s->latest().ms == 15);
  CHECK(s->max_ms == 30);

  for (int64_t t = 200; t < 400; t++) m.Add("expire-cycle", t, t);
  const std::vector<LatencyMonitor::Sample> h = m.Find("expire-cycle")->History();
  REQUIRE(h.size() == LatencyMonitor::kSamples);
  CHECK(h.front().unix_s == 240);
  CHECK(h.back().unix_s == 399);

  const std::string_view names[] = {"command", "nope"};
  CHECK(m.Reset(names) == 1);
  CHECK(m.Find("command") == nullptr);
  CHECK(m.Reset() == 1);
}

TEST_CASE("LatencyMonitor graph and doctor text", "[latency]") {
  LatencyMonitor m;
  CHECK(m.Doctor().find("latency-monitor-threshold is 0") != std::string::npos);
  m.set_threshold_ms(10);
  CHECK(m.Doctor().starts_with("No latency spike of 10 ms or more"));
  m.Report("command", 20, 1000);
  m.Report("command", 50, 1001);
  const std::string graph = m.Graph("command", 1011);
  CHECK(graph.starts_with("command - high 50 ms, low 20 ms (all time high 50 ms)\n" +
                          std::string(80, '-') + "\n"));
  // Columns: the lower sample one row high, the higher four; then the ages downwards.
  CHECK(graph.ends_with(" #\n |\n |\n_|\n11\n10\nss\n"));
  const std::string doctor = m.Doctor();
  CHECK(doctor.find("1. command: 2 latency spikes (average 35 ms, mean deviation 15 ms, period "
                    "1.00 s). Worst all time: 50 ms.") != std::string::npos);
  CHECK(doctor.find("- command: Commands ran slowly") != std::string::npos);
}

TEST_CASE("LATENCY samples slow commands as command and fast-command", "[latency]") {
  EngineFixture f;
  CHECK(f.Run({"CONFIG", "GET", "latency-monitor-threshold"}) ==
        "*2\r\n" + Bulk("latency-monitor-threshold") + Bulk("0"));
  f.Run({"DEBUG", "SLEEP", "0.012"});
  CHECK(f.Run({"LATENCY", "LATEST"}) == "*0\r\n");  // off by default

  REQUIRE(f.Run({"CONFIG", "SET", "latency-monitor-threshold", "10"}) == kOk);
  f.Run({"DEBUG", "SLEEP", "0.012"});
  f.Run({"PING"});
  f.engine().ReportLatency("fast-command", 12);  // a fast command this slow needs a sick host
  const V latest = Elements(f.Run({"LATENCY", "LATEST"}));
  REQUIRE(latest.size() == 8);
  CHECK(latest[0] == "command");
  CHECK(latest[1] == "1700000000");
  CHECK(std::stoll(latest[2]) >= 12);
  CHECK(latest[3] == latest[2]);
  CHECK(latest[4] == "fast-command");

  f.clock().AdvanceMs(1000);
  f.Run({"DEBUG", "SLEEP", "0.011"});
  const V history = Elements(f.Run({"LATENCY", "HISTORY", "command"}));
  REQUIRE(history.size() == 4);
  CHECK(history[0] == "1700000000");
  CHECK(history[2] == "1700000001");
  CHECK(f.Run({"LATENCY", "HISTORY", "nope"}) == "*0\r\n");

  CHECK(f.Run({"LATENCY", "GRAPH", "command"}).find("command - high ") != std::string::npos);
  CHECK(f.Run({"LATENCY", "GRAPH", "nope"}) == Err("ERR No samples available for event 'nope'"));
  CHECK(f.Run({"LATENCY", "DOCTOR"}).find("2. fast-command: 1 latency spike ") !=
        std::string::npos);
  CHECK(f.Run({"LATENCY", "RESET", "nope"}) == Int(0));
  CHECK(f.Run({"LATENCY", "RESET", "fast-command", "nope"}) == Int(1));
  CHECK(f.Run({"LATENCY", "RESET"}) == Int(1));
  CHECK(f.Run({"LATENCY", "LATEST"}) == "*0\r\n");
  CHECK(f.Run({"LATENCY", "HELP", "xxx"}) ==
        Err("ERR wrong number of arguments for 'latency|help' command"));
}

TEST_CASE("LatencyHistogram buckets are Redis's reporting levels", "[latency]") {
  CHECK(LatencyHistogram::BucketMicros(0) == 1);
  CHECK(LatencyHistogram::BucketMicros(3) == 8);
  CHECK(LatencyHistogram::BucketMicros(5) == 33);
  CHECK(LatencyHistogram::BucketMicros(6) == 66);
  CHECK(LatencyHistogram::BucketMicros(20) == 1082130);
  LatencyHistogram h;
  auto add_ns = [&h](double ns) { h.Add(ns / 1032); };
  add_ns(0);
  add_ns(1031);   // still the 1 us level
  add_ns(1032);   // the 2 us level
  add_ns(66000);  // 66 us: at most 66047 ns
  add_ns(5e9);    // longer than a second: the last level (Redis clamps at 1 s)
  CHECK(h.count(0) == 2);
  CHECK(h.count(1) == 1);
  CHECK(h.count(6) == 1);
  CHECK(h.count(LatencyHistogram::kBuckets - 1) == 1);
  CHECK(h.total() == 5);
}

TEST_CASE("LATENCY HISTOGRAM replies per-command histograms as Redis 7", "[latency]") {
  // Durations are counted in CPU ticks whose rate is fixed 50 ms into the process
  // (common/cycle_clock.h); before that it is a provisional measurement over whatever time
  // has passed, which a test starting at once would time DEBUG SLEEP with (a CI run saw a
  // 3 ms sleep as 2.1 ms). Wait for the final rate, as a server has it after its start.
  for (int i = 0; i < 400 && !CycleClock::RateFixed(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CycleClock::TicksPerUs();
  }
  REQUIRE(CycleClock::RateFixed());
  EngineFixture f;
  f.Run({"CONFIG", "RESETSTAT"});
  const V reset = Elements(f.Run({"LATENCY", "HISTOGRAM"}));
  REQUIRE(reset.size() == 6);  // only the CONFIG RESETSTAT that ran since
  CHECK(V(reset.begin(), reset.begin() + 4) ==
        V{"config|resetstat", "calls", "1", "histogram_usec"});
  CHECK(reset[5] == "1");
  f.Run({"CONFIG", "RESETSTAT"});
  f.Run({"SET", "a", "b"});
  f.Run({"SET", "c", "d"});
  f.Run({"GET", "a"});
  f.Run({"CLIENT", "ID"});
  f.Run({"CLIENT", "GETNAME"});
  f.Run({"DEBUG", "SLEEP", "0.003"});
  // RESP3 shows the maps; the levels are cumulative counts where they grow.
  const V set = Elements(f.Run({"LATENCY", "HISTOGRAM", "set"}));
  REQUIRE(set.size() >= 6);
  CHECK(V(set.begin(), set.begin() + 4) == V{"set", "calls", "2", "histogram_usec"});
  CHECK(set.back() == "2");
  const V sleep = Elements(f.Run({"LATENCY", "HISTOGRAM", "debug|sleep"}));
  REQUIRE(sleep.size() == 6);
  CHECK(std::stoll(sleep[4]) >= 3000);
  // A container brings its subcommands; unknown names are skipped; each name as asked.
  const V client = Elements(f.Run({"LATENCY", "HISTOGRAM", "CLIENT", "nope", "get", "get"}));
  CHECK(std::count(client.begin(), client.end(), "client|id") == 1);
  CHECK(std::count(client.begin(), client.end(), "client|getname") == 1);
  CHECK(std::count(client.begin(), client.end(), "get") == 2);
  CHECK(f.Run({"LATENCY", "HISTOGRAM", "blabla"}) == "*0\r\n");

  f.Run({"CONFIG", "SET", "latency-tracking", "no"});
  f.Run({"CONFIG", "RESETSTAT"});
  f.Run({"SET", "a", "b"});
  CHECK(f.Run({"LATENCY", "HISTOGRAM"}) == "*0\r\n");
}

TEST_CASE("INFO latencystats reports latency-tracking-info-percentiles", "[latency]") {
  EngineFixture f;
  auto line = [&f](std::string_view command) {
    const std::string info = Elements(f.Run({"INFO", "latencystats"}))[0];
    const std::string prefix = "latency_percentiles_usec_" + std::string(command) + ":";
    const size_t at = info.find(prefix);
    if (at == std::string::npos) return std::string();
    const size_t start = at + prefix.size();
    return info.substr(start, info.find('\r', start) - start);
  };
  CHECK(f.Run({"CONFIG", "GET", "latency-tracking-info-percentiles"}) ==
        "*2\r\n" + Bulk("latency-tracking-info-percentiles") + Bulk("50 99 99.9"));
  f.Run({"CONFIG", "RESETSTAT"});
  CHECK(line("set").empty());
  f.Run({"SET", "a", "b"});
  // One call: every percentile is its level ("p50=1.031,p99=1.031,p99.9=1.031" for 1 us).
  const std::string set = line("set");
  const std::string level = set.substr(4, set.find(',') - 4);
  CHECK(set == "p50=" + level + ",p99=" + level + ",p99.9=" + level);
  CHECK(std::stod(level) >= 1.031);
  CHECK(!line("config|resetstat").empty());
  CHECK(Elements(f.Run({"INFO"}))[0].find("# Latencystats") == std::string::npos);
  CHECK(Elements(f.Run({"INFO", "all"}))[0].find("# Latencystats") != std::string::npos);

  CHECK(f.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "0.0  50.0 100"})
            .find("Invalid latency-tracking-info-percentiles parameters") != std::string::npos);
  REQUIRE(f.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "0.0 50.0 100"}) == kOk);
  CHECK(Elements(f.Run({"CONFIG", "GET", "latency-tracking-info-percentiles"}))[1] == "0 50 100");
  f.Run({"DEBUG", "SLEEP", "0.003"});
  const std::string sleep = line("debug|sleep");
  CHECK(sleep.starts_with("p0="));
  CHECK(std::stod(sleep.substr(sleep.rfind('=') + 1)) >= 3000);
  CHECK(f.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "10 a"}).starts_with("-ERR"));
  CHECK(f.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", "101"}).find("[0.0,100.0]") !=
        std::string::npos);
  CHECK(Elements(f.Run({"CONFIG", "GET", "latency-tracking-info-percentiles"}))[1] == "0 50 100");
  REQUIRE(f.Run({"CONFIG", "SET", "latency-tracking-info-percentiles", ""}) == kOk);
  CHECK(line("set").empty());  // no percentile: an empty line
  CHECK(Elements(f.Run({"INFO", "latencystats"}))[0].find("latency_percentiles_usec_set:\r\n") !=
        std::string::npos);

  f.Run({"CONFIG", "SET", "latency-tracking", "no"});
  CHECK(Elements(f.Run({"INFO", "latencystats"}))[0] == "# Latencystats\r\n");
}

TEST_CASE("LatencyHistogram percentiles are bucket upper bounds", "[latency]") {
  LatencyHistogram h;
  CHECK(h.MicrosAtPercentile(50) == 0);
  for (int i = 0; i < 98; i++) h.Add(0);  // 1 us level
  h.Add(10);                              // 10.3 us: the 16 us level
  h.Add(2000);                            // 2.06 ms: the 2.1 ms level
  CHECK(h.MicrosAtPercentile(0) == Approx(1.031));
  CHECK(h.MicrosAtPercentile(50) == Approx(1.031));
  CHECK(h.MicrosAtPercentile(99) == Approx(16.511));
  CHECK(h.MicrosAtPercentile(100) == Approx(2113.535));
}

}  // namespace
}  // namespace tidekv::commands
