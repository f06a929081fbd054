// DrainSocket: a TCP socket whose reads tell Asio's reactor when they drained the kernel's
// receive queue, so that the next read waits for readiness instead of trying a recv first.
//
// Why: Asio's epoll reactor is edge-triggered and reads speculatively: a read is attempted
// at once unless the reactor knows the socket is exhausted, which its own receive operation
// reports only at end of stream. A client with one request in flight has not sent the next
// one when the server loops back to read, so every request cost a recv that failed with
// EAGAIN: 3.5 system calls per request instead of Redis's ~2.3 (perf stat, RPUSH -P 1).
// A recv that returns fewer bytes than asked for found the queue empty at that moment; saying
// "done and exhausted" for it makes the reactor clear its speculation flag, which the next
// edge-triggered readiness event sets again, so no readiness is lost: it is the reactor's own
// mechanism, used for one more case.
//
// This reaches into Asio's reactor internals (boost::asio::detail), which change between
// Boost releases: it is used only with the Boost version it was written and tested against
// (Debian 12's 1.74); any other version falls back to async_read_some.
#pragma once

#include <sys/socket.h>

#include <boost/version.hpp>
#include <cerrno>
#include <cstddef>
#include <utility>

#include "common/asio.h"

#if BOOST_VERSION == 107400 && defined(BOOST_ASIO_HAS_EPOLL) && !defined(BOOST_ASIO_HAS_IO_URING)
#define TIDEKV_DRAIN_READ 1
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#endif

namespace tidekv::server {

#ifdef TIDEKV_DRAIN_READ
namespace drain_detail {

// One read: performed by the reactor (speculatively or on readiness), completed through the
// scheduler like Asio's own operations. At most one is outstanding per socket.
template <typename Handler>
class ReadOp : public asio::detail::reactor_op {
 public:
  ReadOp(int fd, asio::mutable_buffer buffer, Handler&& handler)
      : reactor_op(boost::system::error_code(), &ReadOp::Perform, &ReadOp::Complete),
        fd_(fd),
        buffer_(buffer),
        handler_(std::move(handler)) {}

 private:
  static status Perform(reactor_op* base) {
    auto* op = static_cast<ReadOp*>(base);
    for (;;) {
      const ssize_t n = ::recv(op->fd_, op->buffer_.data(), op->buffer_.size(), MSG_DONTWAIT);
      if (n > 0) {
        op->bytes_transferred_ = static_cast<size_t>(n);
        return op->bytes_transferred_ < op->buffer_.size() ? done_and_exhausted : done;
      }
      if (n == 0) {
        op->ec_ = asio::error::eof;
        return done_and_exhausted;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return not_done;
      op->ec_ = boost::system::error_code(errno, asio::error::get_system_category());
      return done;
    }
  }

  // owner is null when the io_context is destroyed with the operation pending: the handler
  // (and the coroutine it holds) is destroyed without running.
  static void Complete(void* owner, asio::detail::operation* base,
                       const boost::system::error_code& /*ec*/, std::size_t /*bytes*/) {
    auto* op = static_cast<ReadOp*>(base);
    Handler handler(std::move(op->handler_));
    const boost::system::error_code ec = op->ec_;
    const std::size_t n = op->bytes_transferred_;
    delete op;
    if (owner != nullptr) std::move(handler)(ec, n);
  }

  int fd_;
  asio::mutable_buffer buffer_;
  Handler handler_;
};

}  // namespace drain_detail
#endif

class DrainSocket : public asio::ip::tcp::socket {
 public:
  explicit DrainSocket(asio::ip::tcp::socket&& socket) : asio::ip::tcp::socket(std::move(socket)) {}

  // As async_read_some for a non-empty buffer on a non-blocking socket; completes with
  // asio::error::eof at end of stream.
  template <typename Token>
  auto async_read_drain(asio::mutable_buffer buffer, Token&& token) {
#ifdef TIDEKV_DRAIN_READ
    return asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, asio::mutable_buffer buf) {
          using Op = drain_detail::ReadOp<decltype(handler)>;
          auto& impl = impl_.get_implementation();
          auto* op = new Op(impl.socket_, buf, std::move(handler));
          Reactor().start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, op,
                             /*is_continuation=*/false, /*allow_speculative=*/true);
        },
        token, buffer);
#else
    return async_read_some(buffer, std::forward<Token>(token));
#endif
  }

 private:
#ifdef TIDEKV_DRAIN_READ
  asio::detail::reactor& Reactor() {
    if (reactor_ == nullptr) {
      reactor_ = &asio::use_service<asio::detail::reactor>(
          asio::query(get_executor(), asio::execution::context));
    }
    return *reactor_;
  }
  asio::detail::reactor* reactor_ = nullptr;
#endif
};

}  // namespace tidekv::server
