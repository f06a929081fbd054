#include "server/stop_signals.h"

#include <pthread.h>

#include <csignal>
#include <ctime>
#include <utility>

namespace tidekv::server {

namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  const sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void StopSignals::Start(std::function<void(int)> on_signal) {
  stop_ = false;
  thread_ = std::thread([this, on_signal = std::move(on_signal)] {
    const sigset_t set = StopSet();
    // Blocked here too (a test process that did not call BlockStopSignals still gets the
    // signal here, when this thread is the one it is delivered to).
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    const timespec step{1, 0};  // a bound only: Stop wakes the thread with a signal
    while (!stop_.load()) {
      const int signo = sigtimedwait(&set, nullptr, &step);
      if (signo > 0 && !stop_.load()) asio::post(io_, [on_signal, signo] { on_signal(signo); });
    }
  });
}

void StopSignals::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  // A signal for this thread alone: its sigtimedwait returns at once and sees stop_.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

}  // namespace tidekv::server
