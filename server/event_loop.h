// RunEventLoop: the loop thread's io_context.run(), with adaptive busy polling.
//
// A server that sleeps in epoll_wait as soon as it has nothing to do makes every client
// request pay for waking it up: on loopback the client's send runs the wake-up (and, on a
// VM, the inter-processor interrupt) in the client's own time. With one request in flight per
// connection (-P 1) that cost is most of what the client spends per request, so the client,
// not the server, sets the pace. Polling for a few microseconds before sleeping avoids it:
// requests that arrive within the window are picked up by a non-blocking epoll_wait.
//
// The window adapts the way KVM's halt polling does: it starts at busy_poll_us; when the loop
// had to sleep and the sleep lasted longer than busy_poll_us (requests come farther apart than
// polling could bridge), the window halves, down to nothing; when the sleep was shorter (a
// longer window would have caught the request), it doubles, up to busy_poll_us. A sparse load
// therefore costs no polling, and a busy server spends on polling only the gaps it would have
// slept through. busy_poll_us = 0 sleeps at once, as io_context::run() does. The value is
// read on every sleep, so CONFIG SET takes effect at once.
//
// Polling is also paid for by work: it may spend at most a quarter of the time the loop spent
// running handlers (SpinBudget). When the client, not the server, is the bottleneck, every
// gap is short and the window alone would keep the loop spinning all the time, at one core's
// CPU for any request rate; the budget bounds that cost at 1.25x the work.
//
// before_idle runs each time the loop ran every ready handler, before it polls or sleeps
// again (Redis's beforeSleep): the server writes there the output queued for other clients
// (pub/sub messages), one write per client for everything that turn produced. A loop that is
// never idle still calls it after every kHandlersPerIdleCall handlers, so that output waits
// a bounded time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>

#include "common/asio.h"

namespace tidekv::server {

struct EventLoopStats {
  uint64_t sleeps = 0;     // blocking waits for an event
  uint64_t poll_hits = 0;  // events found while polling, i.e. sleeps avoided
  int64_t window_us = 0;   // current polling window
};

inline constexpr size_t kHandlersPerIdleCall = 64;

// Runs `io` until it stops (no work left, or stop()).
void RunEventLoop(asio::io_context& io, const int64_t& busy_poll_us, EventLoopStats* stats,
                  const std::function<void()>& before_idle);

// Runs every handler ready now (as io.poll()), then before_idle; also after every
// kHandlersPerIdleCall handlers. Returns the number of handlers run.
size_t PollReady(asio::io_context& io, const std::function<void()>& before_idle);

// The adaptation rule: the window after a sleep of slept_us with the current window and the
// configured maximum (halves after a long sleep, down to 0; doubles after a short one, from
// a small first step, up to max).
int64_t NextPollWindow(int64_t window, int64_t slept_us, int64_t max);

// The polling budget: polling may spend a share of the time the loop spent working, carried
// over between idle moments and capped at max_us. Returns the budget (ns) after worked_ns of
// work and spun_ns of polling.
int64_t SpinBudget(int64_t budget_ns, int64_t worked_ns, int64_t spun_ns, int64_t max_us);

}  // namespace tidekv::server
