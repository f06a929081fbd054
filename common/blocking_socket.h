// BlockingSocket: a TCP client connection whose every operation gives up after a timeout,
// for the one place a command talks to another server synchronously on the loop thread
// (MIGRATE, commands/migrate.cc), as Redis's connBlockingConnect / syncWrite / syncReadLine.
//
// The descriptor is non-blocking and each call waits with poll() until its own deadline,
// so a dead, unreachable or silent peer holds the caller at most that long per call. Name
// resolution (getaddrinfo) is not bounded by the timeout; numeric addresses never wait on
// it. Writes never raise SIGPIPE. No Asio (engine/ and commands/ must not include it).
// Owned and used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidekv {

class BlockingSocket {
 public:
  enum class Io : uint8_t {
    kOk,
    kTimeout,  // the deadline passed first
    kError,    // the peer closed, reset, or the call failed
  };

  BlockingSocket() = default;
  ~BlockingSocket() { Close(); }
  BlockingSocket(const BlockingSocket&) = delete;
  BlockingSocket& operator=(const BlockingSocket&) = delete;

  // Connects to host:port (a name, or a numeric IPv4 / IPv6 address), trying each address
  // the name resolves to until one connects, all within timeout_ms. Closes any previous
  // connection first. Returns whether it connected.
  bool Connect(const std::string& host, uint16_t port, int64_t timeout_ms);
  bool open() const { return fd_ >= 0; }
  void Close();

  // Writes all of data within timeout_ms.
  Io Write(std::string_view data, int64_t timeout_ms);
  // Reads one line within timeout_ms into *line, without its "\r\n" (or "\n"). A line
  // longer than max_bytes is an error (the stream is not what the caller expects). Bytes
  // after the line stay buffered for the next call.
  Io ReadLine(std::string* line, int64_t timeout_ms, size_t max_bytes);

 private:
  // Waits until the descriptor is ready for `events` or deadline_ns (steady clock) passes.
  Io Wait(short events, int64_t deadline_ns) const;

  int fd_ = -1;
  std::string in_;  // received bytes not yet returned as lines
};

}  // namespace tidekv
