#include "common/blocking_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

namespace tidekv {

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t DeadlineNs(int64_t timeout_ms) { return NowNs() + timeout_ms * 1'000'000; }

}  // namespace

void BlockingSocket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  in_.clear();
}

BlockingSocket::Io BlockingSocket::Wait(short events, int64_t deadline_ns) const {
  for (;;) {
    const int64_t left_ns = deadline_ns - NowNs();
    if (left_ns <= 0) return Io::kTimeout;
    pollfd p{.fd = fd_, .events = events, .revents = 0};
    // Rounded up, so a sub-millisecond remainder still waits instead of spinning.
    const int n = ::poll(&p, 1, static_cast<int>((left_ns + 999'999) / 1'000'000));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Io::kError;
    if (n == 0) continue;  // the loop re-checks the deadline
    // Readiness, or an error / hang-up the next call reports with its errno.
    return Io::kOk;
  }
}

bool BlockingSocket::Connect(const std::string& host, uint16_t port, int64_t timeout_ms) {
  Close();
  const int64_t deadline = DeadlineNs(timeout_ms);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return false;
  }
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    fd_ = fd;
    bool connected = ::connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    if (!connected && errno == EINPROGRESS && Wait(POLLOUT, deadline) == Io::kOk) {
      int error = 0;
      socklen_t len = sizeof error;
      connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
    }
    if (!connected) Close();
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return false;
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return true;
}

BlockingSocket::Io BlockingSocket::Write(std::string_view data, int64_t timeout_ms) {
  if (fd_ < 0) return Io::kError;
  const int64_t deadline = DeadlineNs(timeout_ms);
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (const Io w = Wait(POLLOUT, deadline); w != Io::kOk) return w;
      continue;
    }
    return Io::kError;
  }
  return Io::kOk;
}

BlockingSocket::Io BlockingSocket::ReadLine(std::string* line, int64_t timeout_ms,
                                            size_t max_bytes) {
  if (fd_ < 0) return Io::kError;
  const int64_t deadline = DeadlineNs(timeout_ms);
  size_t scanned = 0;
  for (;;) {
    const size_t nl = in_.find('\n', scanned);
    if (nl != std::string::npos) {
      const size_t end = nl > 0 && in_[nl - 1] == '\r' ? nl - 1 : nl;
      line->assign(in_, 0, end);
      in_.erase(0, nl + 1);
      return Io::kOk;
    }
    if (in_.size() > max_bytes) return Io::kError;
    scanned = in_.size();
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return Io::kError;  // the peer closed
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Io::kError;
    if (const Io w = Wait(POLLIN, deadline); w != Io::kOk) return w;
  }
}

}  // namespace tidekv
