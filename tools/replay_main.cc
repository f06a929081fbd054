// tidekv-replay: replays an op trace (docs/trace.md).
//
//   tidekv-replay FILE                        in-process, replies compared, exit 1 on mismatch
//   tidekv-replay FILE --data-dir DIR         ... starting from a copy of the server's data
//   tidekv-replay FILE --target HOST:PORT     against a live server, one connection per
//                                             recorded connection, [--speed N | max]
//   tidekv-replay --dump FILE                 the records as text
#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "common/strings.h"
#include "tools/replay.h"
#include "trace/format.h"

namespace po = boost::program_options;
using tidekv::tools::Quote;

namespace {

int Dump(const std::string& path) {
  auto opened = tidekv::trace::Reader::Open(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "tidekv-replay: %s\n", opened.status().message().c_str());
    return 2;
  }
  auto& reader = *opened.value();
  const auto& h = reader.header();
  std::printf("# trace format %u, server %s, started %lld (unix ms), %s at start\n", h.version,
              h.server_version.c_str(), static_cast<long long>(h.start_unix_ms),
              h.empty_at_start ? "empty" : "holding data");
  for (const auto& [k, v] : h.config) std::printf("# %s = %s\n", k.c_str(), v.c_str());
  tidekv::trace::Record r;
  for (;;) {
    auto next = reader.Next(&r);
    if (!next.ok()) {
      std::fprintf(stderr, "tidekv-replay: %s\n", next.status().message().c_str());
      return 2;
    }
    if (!*next) break;
    std::string line = fmt::format("{} conn={} db={} t={} {}", r.id, r.connection, r.db, r.wall_us,
                                   tidekv::trace::RecordTypeName(r.type));
    if (tidekv::trace::CarriesCommand(r.type)) {
      for (const auto& a : r.argv) line += " \"" + Quote(a, 256) + "\"";
      line += " -> " + Quote(r.reply, 256);
    } else {
      line += " " + r.detail;
    }
    std::puts(line.c_str());
  }
  std::fprintf(stderr, "%llu records%s\n", static_cast<unsigned long long>(reader.records_read()),
               reader.torn_tail() ? " (the file ends in a torn record, ignored)" : "");
  return 0;
}

// --target: one worker thread (and connection) per recorded connection. The dispatcher hands
// records out in record order; before a record of another connection than the previous
// one, it waits until everything handed out has completed, so the recorded order between
// connections is kept while a connection's own consecutive requests flow back to back.
struct Worker {
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<tidekv::trace::Record> queue;
  bool closing = false;
};

int ReplayTarget(const std::string& path, const std::string& target, double speed, bool stats) {
  const size_t colon = target.rfind(':');
  const auto port =
      colon == std::string::npos ? std::nullopt : tidekv::ParseInt64(target.substr(colon + 1));
  if (!port) {
    std::fprintf(stderr, "tidekv-replay: --target must be HOST:PORT\n");
    return 2;
  }
  const std::string host = target.substr(0, colon);
  auto opened = tidekv::trace::Reader::Open(path);
  if (!opened.ok()) {
    std::fprintf(stderr, "tidekv-replay: %s\n", opened.status().message().c_str());
    return 2;
  }
  auto& reader = *opened.value();
  std::mutex done_mu;
  std::condition_variable done_cv;
  uint64_t handed = 0, completed = 0, errors = 0, failures = 0;
  std::map<std::string, std::vector<uint64_t>> latencies;
  std::map<uint64_t, std::unique_ptr<Worker>> workers;

  auto run_worker = [&](Worker* w, uint64_t connection) {
    redisContext* c = redisConnect(host.c_str(), static_cast<int>(*port));
    if (c == nullptr || c->err) {
      std::fprintf(stderr, "tidekv-replay: connection %llu: cannot connect to %s\n",
                   static_cast<unsigned long long>(connection), target.c_str());
    }
    uint32_t db = 0;
    for (;;) {
      tidekv::trace::Record r;
      {
        std::unique_lock<std::mutex> lock(w->mu);
        w->cv.wait(lock, [&] { return w->closing || !w->queue.empty(); });
        if (w->queue.empty()) break;
        r = std::move(w->queue.front());
        w->queue.pop_front();
      }
      bool failed = c == nullptr || c->err;
      if (!failed && r.db != db) {
        // The recorded db is where the command ran; follow it like the client did.
        redisReply* sel =
            static_cast<redisReply*>(redisCommand(c, "SELECT %u", static_cast<unsigned>(r.db)));
        if (sel != nullptr) freeReplyObject(sel);
        db = r.db;
      }
      const auto t0 = std::chrono::steady_clock::now();
      redisReply* reply = nullptr;
      if (!failed) {
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& a : r.argv) {
          argv.push_back(a.data());
          lens.push_back(a.size());
        }
        reply = static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
      }
      const auto ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::steady_clock::now() - t0)
                                                .count());
      {
        std::lock_guard<std::mutex> lock(done_mu);
        if (reply == nullptr) failures++;
        if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) errors++;
        if (stats) latencies[tidekv::AsciiLower(r.argv[0])].push_back(ns);
        completed++;
      }
      if (reply != nullptr) freeReplyObject(reply);
      done_cv.notify_all();
    }
    if (c != nullptr) redisFree(c);
  };

  const auto start = std::chrono::steady_clock::now();
  uint64_t first_mono = 0;
  uint64_t last_connection = UINT64_MAX;
  uint64_t records = 0;
  tidekv::trace::Record r;
  for (;;) {
    auto next = reader.Next(&r);
    if (!next.ok()) {
      std::fprintf(stderr, "tidekv-replay: %s\n", next.status().message().c_str());
      break;
    }
    if (!*next) break;
    records++;
    // The server's own records (expiry) and lifecycle records are not requests; nested
    // records are what the EXEC or script that follows them runs on the target itself.
    if (r.type != tidekv::trace::RecordType::kCommand || r.connection == 0 || r.argv.empty()) {
      continue;
    }
    const std::string name = tidekv::AsciiLower(r.argv[0]);
    if (name == "shutdown" || name == "monitor" || name == "quit" || name == "select" ||
        name == "psync" || name == "replconf" || name == "sync" || name == "migrate") {
      // SELECT is replayed from each record's db; MIGRATE would make the server write to the
      // traced target, which may be a live server.
      continue;
    }
    if (speed > 0) {
      if (first_mono == 0) first_mono = r.mono_ns;
      const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(
                                   static_cast<double>(r.mono_ns - first_mono) / speed));
      std::this_thread::sleep_until(due);
    }
    if (r.connection != last_connection) {
      std::unique_lock<std::mutex> lock(done_mu);
      done_cv.wait(lock, [&] { return completed == handed; });
      last_connection = r.connection;
    }
    auto& slot = workers[r.connection];
    if (!slot) {
      slot = std::make_unique<Worker>();
      Worker* w = slot.get();
      const uint64_t id = r.connection;
      w->thread = std::thread([&, w, id] { run_worker(w, id); });
    }
    {
      std::lock_guard<std::mutex> lock(done_mu);
      handed++;
    }
    {
      std::lock_guard<std::mutex> lock(slot->mu);
      slot->queue.push_back(r);
    }
    slot->cv.notify_one();
  }
  for (auto& [id, w] : workers) {
    {
      std::lock_guard<std::mutex> lock(w->mu);
      w->closing = true;
    }
    w->cv.notify_one();
    w->thread.join();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (stats) {
    std::printf("%-16s %10s %10s %10s %10s\n", "command", "count", "p50 us", "p99 us", "max us");
    for (auto& [name, v] : latencies) {
      std::sort(v.begin(), v.end());
      auto at = [&](double q) {
        return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))]) /
               1000.0;
      };
      std::printf("%-16s %10zu %10.1f %10.1f %10.1f\n", name.c_str(), v.size(), at(0.5), at(0.99),
                  static_cast<double>(v.back()) / 1000.0);
    }
  }
  std::printf(
      "sent %llu commands from %llu records over %zu connections in %.3f s (%.0f/s); "
      "%llu error replies, %llu failed sends\n",
      static_cast<unsigned long long>(completed), static_cast<unsigned long long>(records),
      workers.size(), seconds, seconds > 0 ? static_cast<double>(completed) / seconds : 0,
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(failures));
  return failures > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description flags("tidekv-replay FILE [flags]");
  flags.add_options()("help,h", "print this help")(
      "dump", "print the records as text instead of replaying")(
      "data-dir", po::value<std::string>(), "start from this data directory (use a copy)")(
      "no-verify", "replay even when the trace began on a different state")(
      "mismatches", po::value<size_t>()->default_value(10), "how many mismatches to show")(
      "stats", "per-command counts and latency percentiles")(
      "target", po::value<std::string>(), "replay against a live server at HOST:PORT")(
      "speed", po::value<std::string>()->default_value("max"),
      "with --target: N times the recorded pace, or max")(
      "test-break-incr", "test hook: INCR adds 2, so replay must report a mismatch")(
      "file", po::value<std::string>(), "the trace file");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(flags).positional(positional).run(), vm);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tidekv-replay: %s\n", e.what());
    return 2;
  }
  if (vm.count("help") || !vm.count("file")) {
    std::cout << flags << '\n';
    return vm.count("help") ? 0 : 2;
  }
  const std::string file = vm["file"].as<std::string>();
  if (vm.count("dump")) return Dump(file);
  if (vm.count("target")) {
    const std::string speed_text = vm["speed"].as<std::string>();
    double speed = 0;
    if (speed_text != "max") {
      try {
        speed = std::stod(speed_text);
      } catch (...) {
        speed = -1;
      }
      if (!(speed > 0)) {
        std::fprintf(stderr, "tidekv-replay: --speed must be a positive number or max\n");
        return 2;
      }
    }
    return ReplayTarget(file, vm["target"].as<std::string>(), speed, vm.count("stats") > 0);
  }
  tidekv::tools::ReplayOptions options;
  options.trace_path = file;
  if (vm.count("data-dir")) options.data_dir = vm["data-dir"].as<std::string>();
  options.no_verify = vm.count("no-verify") > 0;
  options.show_mismatches = vm["mismatches"].as<size_t>();
  options.stats = vm.count("stats") > 0;
  options.test_break_incr = vm.count("test-break-incr") > 0;
  options.print = [](const std::string& line) { std::puts(line.c_str()); };
  auto result = tidekv::tools::ReplayInProcess(options);
  if (!result.ok()) {
    std::fprintf(stderr, "tidekv-replay: %s\n", result.status().message().c_str());
    return 2;
  }
  tidekv::tools::ReportReplay(options, *result);
  return result->mismatches > 0 ? 1 : 0;
}
