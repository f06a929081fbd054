// tidekv-server: parse the command line and config file, set up logging, listen, serve.
// Start-up errors print one line naming what is wrong and exit non-zero.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <random>

#include "common/clock.h"
#include "common/logging.h"
#include "common/version.h"
#include "config/config.h"
#include "ds/hash.h"
#include "server/crash_report.h"
#include "server/server.h"
#include "server/stop_signals.h"

using namespace tidekv;

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  // Before any thread exists, so that every thread inherits the mask (server/stop_signals.h).
  server::BlockStopSignals();

  auto command_line = config::ParseCommandLine(argc, argv);
  if (!command_line.ok()) {
    std::fprintf(stderr, "tidekv-server: %s\n", command_line.status().message().c_str());
    return 1;
  }
  const config::CommandLine& cl = *command_line;
  if (cl.help) {
    std::fputs(cl.usage.c_str(), stdout);
    return 0;
  }
  if (cl.version) {
    std::printf("tidekv-server %.*s (Redis protocol %.*s)\n", static_cast<int>(kVersion.size()),
                kVersion.data(), static_cast<int>(kRedisCompatVersion.size()),
                kRedisCompatVersion.data());
    return 0;
  }
  if (cl.dump_config) {
    std::fputs(config::RenderToml(cl.config, true).c_str(), stdout);
    return 0;
  }

  if (Status s = SetupLogging(cl.config.log_level, cl.config.log_file); !s.ok()) {
    std::fprintf(stderr, "tidekv-server: %s\n", s.message().c_str());
    return 1;
  }
  server::InstallCrashReport(cl.config.log_file);
  auto log = ModuleLogger("server");
  // Table layouts follow this seed (ds/hash.h); chosen before any table exists.
  std::random_device random;
  ds::SetHashSeed((uint64_t{random()} << 32) | random());

  std::error_code ec;
  std::filesystem::create_directories(cl.config.dir, ec);
  if (ec) {
    std::fprintf(stderr, "tidekv-server: server.dir %s: cannot create: %s\n", cl.config.dir.c_str(),
                 ec.message().c_str());
    return 1;
  }

  config::Config effective = cl.config;
  server::FitClientsToFileLimit(&effective);
  server::Server server(effective, SystemClock::Instance());
  server.set_config_path(cl.config_path);
  if (Status s = server.Recover(cl.accept_data_loss); !s.ok()) {
    log->critical("cannot load the data directory: {}", s.message());
    std::fprintf(stderr, "tidekv-server: %s\n", s.message().c_str());
    return 1;
  }
  if (Status s = server.Listen(); !s.ok()) {
    log->critical("{}", s.message());
    std::fprintf(stderr, "tidekv-server: %s\n", s.message().c_str());
    return 1;
  }
  log->info("tidekv {} starting: pid={} config={} bind={} port={} dir={} databases={}", kVersion,
            getpid(), cl.config_path.empty() ? "(defaults)" : cl.config_path, cl.config.bind,
            server.port(), cl.config.dir, cl.config.databases);
  if (cl.config.password.empty() && cl.config.protected_mode) {
    log->info("protected mode: no password set, only loopback clients are accepted");
  }
  // One machine-readable line on stdout, so scripts and tests started with --port 0 can
  // learn the port without racing for a free one.
  std::printf("tidekv-server ready: port=%u pid=%d\n", server.port(), getpid());
  std::fflush(stdout);
  log->info("ready to accept connections on port {}", server.port());
  return server.Run();
}
