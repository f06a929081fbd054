#include "tests/integration/raw_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

namespace tidekv::integration {

namespace {

// Parses the integer on the header line that starts at `buf[0]` (after the type byte).
// Returns the position after the CRLF, or nothing while the line is incomplete.
std::optional<size_t> HeaderLine(std::string_view buf, int64_t* value) {
  const size_t eol = buf.find("\r\n");
  if (eol == std::string_view::npos) return std::nullopt;
  if (value != nullptr) {
    auto [end, ec] = std::from_chars(buf.data() + 1, buf.data() + eol, *value);
    if (ec != std::errc() || end != buf.data() + eol) {
      throw std::runtime_error("bad RESP length line: " + std::string(buf.substr(0, eol)));
    }
  }
  return eol + 2;
}

}  // namespace

std::optional<size_t> RespReplyLength(std::string_view buf) {
  if (buf.empty()) return std::nullopt;
  int64_t n = 0;
  switch (buf[0]) {
    case '+':
    case '-':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
      return HeaderLine(buf, nullptr);
    case '$':
    case '!':
    case '=': {
      auto header = HeaderLine(buf, &n);
      if (!header || n < 0) return header;  // incomplete, or a RESP2 null ($-1)
      const size_t total = *header + static_cast<size_t>(n) + 2;
      if (buf.size() < total) return std::nullopt;
      return total;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      auto header = HeaderLine(buf, &n);
      if (!header || n < 0) return header;  // incomplete, or a RESP2 null array (*-1)
      // Maps and attributes hold key-value pairs.
      const int64_t elements = (buf[0] == '%' || buf[0] == '|') ? 2 * n : n;
      size_t pos = *header;
      for (int64_t i = 0; i < elements; i++) {
        auto len = RespReplyLength(buf.substr(pos));
        if (!len) return std::nullopt;
        pos += *len;
      }
      // An attribute is followed by the reply it annotates.
      if (buf[0] == '|') {
        auto len = RespReplyLength(buf.substr(pos));
        if (!len) return std::nullopt;
        pos += *len;
      }
      return pos;
    }
  }
  throw std::runtime_error("not a RESP reply: " + std::string(buf.substr(0, 40)));
}

LoopbackListener::LoopbackListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 8) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = std::string("listen: ") + std::strerror(errno);
    Close();
    throw std::runtime_error(error);
  }
  port_ = ntohs(addr.sin_port);
}

void LoopbackListener::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

RawSocket::RawSocket(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
  }
  pollfd pfd{fd_, POLLOUT, 0};
  int err = 0;
  socklen_t len = sizeof err;
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(kReplyTimeout);
  if (poll(&pfd, 1, static_cast<int>(wait.count())) != 1 ||
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    close(fd_);
    throw std::runtime_error(std::string("connect: ") + std::strerror(err ? err : ETIMEDOUT));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) close(fd_);
}

void RawSocket::Pump(std::string_view* pending, int timeout_ms) {
  const bool want_write = pending != nullptr && !pending->empty() && !peer_closed_;
  pollfd pfd{fd_, static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
  if (poll(&pfd, 1, timeout_ms) <= 0) return;
  if (want_write && (pfd.revents & POLLOUT)) {
    ssize_t n = send(fd_, pending->data(), pending->size(), MSG_NOSIGNAL);
    if (n > 0) {
      pending->remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
      peer_closed_ = true;
    }
  }
  if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
    char buf[65536];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      received_.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      peer_closed_ = true;
    }
  }
}

bool RawSocket::Send(std::string_view data, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // The first attempt is a single send() of everything, so the server sees the whole
  // request in as few reads as the kernel allows.
  while (!data.empty() && !peer_closed_ && Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    Pump(&data, static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(100, left.count()))));
  }
  return data.empty();
}

bool RawSocket::ReadUntil(const std::function<bool(const std::string&)>& done,
                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done(received_)) {
    if (peer_closed_ || Clock::now() >= deadline) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    Pump(nullptr, static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(100, left.count()))));
  }
  return true;
}

bool RawSocket::ReadUntilClosed(std::chrono::milliseconds timeout) {
  ReadUntil([](const std::string&) { return false; }, timeout);
  return peer_closed_;
}

std::vector<std::string> RawSocket::ReadReplies(size_t count, std::chrono::milliseconds timeout) {
  std::vector<std::string> replies;
  size_t pos = 0;
  // Frames as bytes arrive, resuming where the last complete reply ended, so reading
  // 10,000 replies stays linear.
  auto frame = [&](const std::string& buf) {
    while (replies.size() < count) {
      auto len = RespReplyLength(std::string_view(buf).substr(pos));
      if (!len) return false;
      replies.emplace_back(buf.substr(pos, *len));
      pos += *len;
    }
    return true;
  };
  const bool complete = ReadUntil(frame, timeout);
  received_.erase(0, pos);
  if (!complete) {
    throw std::runtime_error(
        "expected " + std::to_string(count) + " replies, got " + std::to_string(replies.size()) +
        (peer_closed_ ? " before the server closed the connection" : " before the deadline") +
        "; unframed bytes: " + received_.substr(0, 200));
  }
  return replies;
}

std::string RawSocket::Roundtrip(std::string_view request) {
  if (!Send(request)) throw std::runtime_error("send failed: connection closed or stalled");
  return ReadReplies(1).front();
}

}  // namespace tidekv::integration
