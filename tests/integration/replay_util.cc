#include "tests/integration/replay_util.h"

#include <catch2/catch.hpp>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_summary.h"

namespace tidekv::integration {

namespace fs = std::filesystem;

ProcessResult RunReplay(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {TIDEKV_REPLAY_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, "", std::chrono::seconds(300));
}

std::string Output(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         "\nstdout:\n" + r.out.substr(0, 6000) + "\nstderr:\n" + r.err.substr(0, 6000);
}

std::string Record(const fs::path& trace, const std::function<void(ServerProcess&)>& workload) {
  ServerProcess server({"--trace-file", trace.string()});
  workload(server);
  RedisConnection c = server.Connect();
  const std::string digest = Digest(c.get());
  const std::string info = InfoText(c.get(), "trace");
  INFO(info);
  REQUIRE(InfoField(info, "trace_dropped") == "0");
  REQUIRE(InfoField(info, "trace_error").empty());
  c.reset();
  ShutdownClean(server);
  return digest;
}

void CheckReplays(const fs::path& trace, const std::string& digest, size_t min_compared,
                  bool target_too) {
  const ProcessResult r = RunReplay({trace.string()});
  {
    INFO(Output(r));
    CHECK(r.exit_code == 0);
    const Summary s = ParseSummary(r.out);
    REQUIRE(s.found);
    CHECK(s.mismatches == 0);
    CHECK(s.compared >= min_compared);
    CHECK(r.out.find("digest " + digest) != std::string::npos);
  }
  if (!target_too) return;
  ServerProcess fresh;
  const ProcessResult t =
      RunReplay({trace.string(), "--target", "127.0.0.1:" + std::to_string(fresh.port())});
  INFO(Output(t));
  CHECK(t.exit_code == 0);
  CHECK(t.out.find(", 0 failed sends") != std::string::npos);
  RedisConnection c = fresh.Connect();
  CHECK(Digest(c.get()) == digest);
}

}  // namespace tidekv::integration
