// StopSignals: SIGINT and SIGTERM, taken by a thread of their own with sigtimedwait and
// posted to the loop. BlockStopSignals() runs first in main, before any thread exists, so
// every thread inherits a mask that blocks them: a signal sent at any moment stays pending
// until that thread takes it, and none is lost. (asio::signal_set was used before: with
// Boost 1.74 a SIGTERM now and then never reached its handler, the server kept serving, and
// only a second SIGTERM stopped it.)
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "common/asio.h"

namespace tidekv::server {

// Blocks SIGINT and SIGTERM in the calling thread (and the threads it starts later).
void BlockStopSignals();

class StopSignals {
 public:
  explicit StopSignals(asio::io_context& io) : io_(io) {}
  ~StopSignals() { Stop(); }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Calls on_signal(signo) on the loop for every SIGINT or SIGTERM until Stop.
  void Start(std::function<void(int)> on_signal);
  // Takes no more signals (later ones stay pending) and joins the thread.
  void Stop();

 private:
  asio::io_context& io_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace tidekv::server
