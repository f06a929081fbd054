// EngineFixture: runs commands against an in-process Engine (no sockets), with a manual
// clock, and returns the raw RESP reply bytes. The way command families are unit-tested.
#pragma once

#include <algorithm>
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
    engine_.AttachDefaultUser(session_);
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
inline std::string Err(std::string_view msg) { return "-" + std::string(msg) + "\r\n"; }

// The leaves of a reply, in order, flattening arrays, maps, sets and pushes: bulk and simple
// strings as their text, integers as their digits, nulls as "(nil)".
inline std::vector<std::string> Elements(std::string_view resp) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < resp.size()) {
    const size_t end = resp.find("\r\n", pos);
    if (end == std::string_view::npos) break;
    const char type = resp[pos];
    const std::string line(resp.substr(pos + 1, end - pos - 1));
    pos = end + 2;
    if (type == '$' && line != "-1") {
      const size_t n = std::stoul(line);
      out.emplace_back(resp.substr(pos, n));
      pos += n + 2;
    } else if (type == '$' || type == '_') {
      out.emplace_back("(nil)");
    } else if (type == '+' || type == ':' || type == '-') {
      out.push_back(line);
    }
    // '*', '%', '~', '>' headers: their elements follow.
  }
  return out;
}

// Elements() as a sorted list, for replies whose order is unspecified (sets, hashes).
inline std::vector<std::string> Sorted(std::string_view resp) {
  std::vector<std::string> v = Elements(resp);
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace tidekv::commands
