// Signal: lets a coroutine on the loop wait for a callback (or for a timeout). Notify may
// come before the wait; it is remembered until the next Wait consumes it. Loop thread only.
#pragma once

#include <chrono>

#include "common/asio.h"

namespace tidekv::server {

class Signal {
 public:
  explicit Signal(const asio::any_io_executor& executor) : timer_(executor) {}

  void Notify() {
    notified_ = true;
    timer_.cancel();
  }

  // True when notified, false when the timeout passed first.
  asio::awaitable<bool> Wait(std::chrono::milliseconds timeout) {
    if (!notified_) {
      timer_.expires_after(timeout);
      boost::system::error_code ec;
      co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    const bool notified = notified_;
    notified_ = false;
    co_return notified;
  }

 private:
  asio::steady_timer timer_;
  bool notified_ = false;
};

}  // namespace tidekv::server
