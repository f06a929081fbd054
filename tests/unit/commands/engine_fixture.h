// EngineFixture: runs commands against an in-process Engine (no sockets), with a manual
// clock, and returns the raw RESP reply bytes. The way command families are unit-tested.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "commands/commands.h"
#include "common/clock.h"
#include "config/config.h"
#include "engine/engine.h"
#include "engine/session.h"
#include "proto/reply.h"

namespace tidekv::commands {

class EngineFixture {
 public:
  // DEBUG (DIGEST, SET-ACTIVE-EXPIRE) is how the unit tests look inside: allowed here.
  EngineFixture() : config_(DebugAllowed()), engine_(config_, clock_, BuildCommandTable()) {
    session_.id = engine_.NextSessionId();
  }

  // Runs one command; returns its RESP reply ("+OK\r\n", ":1\r\n", "$-1\r\n", ...).
  std::string Run(std::initializer_list<std::string_view> argv) {
    return Run(std::vector<std::string_view>(argv));
  }
  std::string Run(const std::vector<std::string_view>& argv) {
    std::string out;
    proto::ReplyBuilder reply(&out);
    reply.set_resp3(session_.resp == 3);
    engine_.Execute(session_, argv, reply);
    return out;
  }
  std::string Run(const std::vector<std::string>& argv) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    return Run(views);
  }

  ManualClock& clock() { return clock_; }
  Engine& engine() { return engine_; }
  Session& session() { return session_; }
  config::Config& config() { return config_; }

 private:
  static config::Config DebugAllowed() {
    config::Config c;
    c.enable_debug_command = "yes";
    return c;
  }
  ManualClock clock_;
  config::Config config_;
  Engine engine_;
  Session session_;
};

// RESP helpers for expectations.
inline std::string Bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}
inline std::string Int(long long v) { return ":" + std::to_string(v) + "\r\n"; }
inline const std::string kOk = "+OK\r\n";
inline const std::string kNil = "$-1\r\n";

}  // namespace tidekv::commands
