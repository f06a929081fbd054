// Integration-test harness: runs the real tidekv-server binary and talks to it with real
// clients (hiredis, redis-cli, plain sockets), never with tidekv's own parser.
//
// Every wait here is bounded. A ServerProcess always ends its child in its destructor
// (SIGTERM, a bounded wait, then SIGKILL) and the child also gets SIGKILL if the test
// process dies first (PR_SET_PDEATHSIG), so no server outlives a test run. Each server runs
// in its own temporary directory, removed afterwards.
//
// Not thread-safe: one test thread owns each object. Failures are reported by throwing
// std::runtime_error, which Catch2 turns into a failed test with the message; the one
// exception is ~ServerProcess, which records a failed check (it cannot throw) when a server
// that was still running does not exit with status 0 on SIGTERM.
#pragma once

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace tidekv::integration {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Hang guards, not speed checks: a test's deadlines only catch a server that is stuck. They
// are far above anything a healthy server needs on a slow, loaded machine under ASan (a
// Debug build, two test processes per core), so no test fails because the machine is slow.
// How fast something is belongs in tests/bench, never in an assertion here.
inline constexpr auto kStartTimeout = 120s;  // start-up, including recovery of a large dataset
inline constexpr auto kReplyTimeout = 60s;   // one command's reply (SAVE, DEBUG RELOAD, ...)
inline constexpr auto kWaitTimeout = 60s;    // WaitFor: state the server changes on its own
inline constexpr auto kExitTimeout = 60s;    // exit after SHUTDOWN or a signal (LSan included)

// ---- processes -----------------------------------------------------------------------

struct ProcessResult {
  int exit_code = -1;      // exit status, or 128 + signal when killed by a signal
  bool timed_out = false;  // true when the deadline passed and the child was killed
  std::string out;         // everything the child wrote on stdout
  std::string err;         // everything the child wrote on stderr
};

// Runs argv[0] (looked up in PATH) with `input` on stdin; kills it if it runs past `timeout`,
// or as soon as its stdout contains `kill_on_stdout` (when not empty: a server that was
// expected to refuse to start but printed its ready line is stopped at once, not at the
// deadline). Either kill sets timed_out only for the deadline.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::milliseconds timeout = 120s,
                         const std::string& kill_on_stdout = "");

// redis-cli against 127.0.0.1:port with the given arguments.
ProcessResult RunRedisCli(uint16_t port, const std::vector<std::string>& args,
                          const std::string& input = "", std::chrono::milliseconds timeout = 120s);

// Path of the tidekv-server binary under test: fixed at compile time, unless the
// TIDEKV_SERVER_BIN environment variable names another (a candidate build to soak).
const char* ServerBinary();

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// ---- hiredis -------------------------------------------------------------------------

struct RedisContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct RedisReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using RedisConnection = std::unique_ptr<redisContext, RedisContextFree>;
using Reply = std::unique_ptr<redisReply, RedisReplyFree>;

// Connects to 127.0.0.1:port with connect and read/write timeouts; throws on failure.
RedisConnection ConnectRedis(uint16_t port, std::chrono::milliseconds timeout = kReplyTimeout);

// Sends one command (binary-safe arguments) and returns its reply; null when the connection
// failed (c->err says why: REDIS_ERR_EOF for a closed connection).
Reply Command(redisContext* c, const std::vector<std::string>& argv);
// Queues one command without sending it (pipelining); GetReply reads the next reply.
void AppendCommand(redisContext* c, const std::vector<std::string>& argv);
Reply GetReply(redisContext* c);
// Sends one command now without reading its reply (a client that will block or wait).
void SendCommand(redisContext* c, const std::vector<std::string>& argv);

// Short descriptions used in test assertions: "OK", "PONG", "(nil)", "(error) ERR ...",
// "(integer) 3", "[a, b]" — so a failed CHECK prints what the server actually said.
std::string Describe(const redisReply* r);
inline std::string Describe(const Reply& r) { return Describe(r.get()); }
// Sends a command and describes its reply ("(connection error) ..." when there is none).
std::string Call(redisContext* c, const std::vector<std::string>& argv);

// The value of "field:" in an INFO reply text, or "" when absent.
std::string InfoField(const std::string& info, const std::string& field);
// INFO clients blocked_clients, and a bounded wait (kWaitTimeout) until it is n: throws
// with the last value when it never is.
int64_t BlockedClients(redisContext* c);
void WaitBlockedClients(redisContext* c, int64_t n);

// ---- the server ----------------------------------------------------------------------

class ServerProcess {
 public:
  // Starts tidekv-server --port 0 --dir <own temp dir> --bind 127.0.0.1
  // --security.enable_debug_command yes plus `args` (a later flag in `args` wins) and waits
  // for its ready line; throws with the server's stderr if it exits or stays silent past
  // kStartTimeout.
  explicit ServerProcess(std::vector<std::string> args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_.path(); }
  RedisConnection Connect() const { return ConnectRedis(port_); }
  // What the server logged so far (its stderr goes to a file in its directory).
  std::string Log() const;

  void Signal(int signo) const;
  // Waits for the process to exit; returns its status as RunProcess does, or nothing when
  // it is still running at the deadline.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout = kExitTimeout);
  bool running() const { return !exit_code_.has_value(); }

 private:
  // Ends the process if it still runs; returns false if it then did not exit with 0.
  bool Stop();

  TempDir dir_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int stdout_fd_ = -1;
  std::optional<int> exit_code_;
};

// True when a TCP connect to 127.0.0.1:port is refused (nothing listens there).
bool PortClosed(uint16_t port);

// Polls `condition` every few milliseconds until it holds or `timeout` passes; returns its
// last value. For state the server changes on its own (expiry, disconnections).
template <typename Condition>
bool WaitFor(Condition condition, std::chrono::milliseconds timeout = kWaitTimeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

}  // namespace tidekv::integration
