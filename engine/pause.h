// ClientPause: CLIENT PAUSE timeout [WRITE | ALL] and CLIENT UNPAUSE (Redis 7.0).
//
// While a pause is on, a client's next request waits, unrun, when the pause holds it: with
// ALL every request, with WRITE the ones that could change the dataset or reach the log
// (write and may-replicate commands, an EXEC whose queue holds one, a script that does not
// declare no-writes). The request stays in the connection's read buffer (the connection
// reads nothing further from that client) and runs as a normal command once the pause ends,
// the waiting clients in the order they began to wait. Requests the dispatcher refuses
// before running (unknown command, wrong number of arguments) are answered at once, as in
// Redis. Nothing else changes the dataset meanwhile: expired keys are reported absent but
// not deleted (no DEL reaches the log) and eviction waits. The pause ends at its deadline
// (the server's timer, or the first command run after it: trace replay has no timer) or
// with CLIENT UNPAUSE. A replica applies none of its primary's frames while paused (the link
// checks active(), server/replica_link.cc), as Redis pauses its master client. Loop thread
// only.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace tidekv::engine {

class Engine;
struct Session;

enum class PauseMode : uint8_t { kNone, kWrite, kAll };

class ClientPause {
 public:
  explicit ClientPause(Engine& engine) : engine_(engine) {}

  // CLIENT PAUSE (deadline in wall-clock ms): during a pause, the later deadline and the
  // stricter mode (kAll over kWrite) win.
  void Start(PauseMode mode, int64_t end_ms);
  // CLIENT UNPAUSE, or the deadline passed: the waiting clients go on (ServerHooks).
  void End();
  // Ends the pause when now_ms is past its deadline.
  void EndIfDue(int64_t now_ms) {
    if (mode_ != PauseMode::kNone && now_ms >= end_ms_) End();
  }

  bool active() const { return mode_ != PauseMode::kNone; }
  PauseMode mode() const { return mode_; }
  int64_t end_ms() const { return end_ms_; }

  // Whether this request, not yet run, must wait for the pause to end (active() only).
  bool Holds(const Session& session, std::span<const std::string_view> argv) const;
  // The client's request waits (Session::waits_for_pause, counted in INFO blocked_clients)
  // until End; Remove when it goes away first.
  void Wait(Session& session);
  void Remove(uint64_t id) { std::erase(waiting_, id); }
  size_t waiting() const { return waiting_.size(); }

 private:
  Engine& engine_;
  PauseMode mode_ = PauseMode::kNone;
  int64_t end_ms_ = 0;
  std::vector<uint64_t> waiting_;  // session ids, in the order they began to wait
};

}  // namespace tidekv::engine
