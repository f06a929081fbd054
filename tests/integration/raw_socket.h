// A plain TCP connection for tests that must control the exact bytes on the wire: garbage
// requests, one huge write, RESP3 replies hiredis 0.14 cannot parse. Replies are framed by
// RespReplyLength below, written for the tests and independent of tidekv's parser.
//
// Every call takes a deadline; nothing blocks past it. One thread owns each object.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/server_process.h"

namespace tidekv::integration {

// Length of the first complete RESP2/RESP3 reply in `buf`, or nothing while it is
// incomplete. Throws std::runtime_error on bytes that cannot start a reply.
std::optional<size_t> RespReplyLength(std::string_view buf);

// A request as a RESP array of bulk strings, and one bulk string: the bytes a test sends
// over a RawSocket, and expected replies.
inline std::string Resp(const std::vector<std::string>& argv) {
  std::string out = "*" + std::to_string(argv.size()) + "\r\n";
  for (const std::string& a : argv) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}
inline std::string BulkOf(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// A socket listening on 127.0.0.1 at a port the kernel picked, that never accepts: a
// connect to it succeeds (the kernel's backlog) and nothing is ever answered. For a port
// that is taken, a peer that stays silent, or (after Close) a port nothing listens on.
// Closed on destruction; throws when the kernel refuses.
class LoopbackListener {
 public:
  LoopbackListener();
  ~LoopbackListener() { Close(); }
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  uint16_t port() const { return port_; }
  void Close();

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class RawSocket {
 public:
  // Connects to 127.0.0.1:port; throws on failure.
  explicit RawSocket(uint16_t port);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // Writes all of `data`, reading whatever arrives meanwhile into received() so that neither
  // side can stall on a full buffer. Returns false if the peer closed or the deadline passed
  // first.
  bool Send(std::string_view data, std::chrono::milliseconds timeout = kReplyTimeout);

  // Reads until done(received()) holds, the peer closes, or the deadline passes; returns
  // whether done held.
  bool ReadUntil(const std::function<bool(const std::string&)>& done,
                 std::chrono::milliseconds timeout = kReplyTimeout);
  // Reads until the peer closes the connection (EOF or reset); returns whether it did.
  bool ReadUntilClosed(std::chrono::milliseconds timeout = kReplyTimeout);
  // Reads `count` complete replies and removes them from received(); throws if they do not
  // arrive in time.
  std::vector<std::string> ReadReplies(size_t count,
                                       std::chrono::milliseconds timeout = kReplyTimeout);
  // Sends one request and returns its single reply.
  std::string Roundtrip(std::string_view request);

  const std::string& received() const { return received_; }
  void ClearReceived() { received_.clear(); }
  bool peer_closed() const { return peer_closed_; }

 private:
  // One poll round: write from `pending` if it is given and writable, read if readable.
  void Pump(std::string_view* pending, int timeout_ms);

  int fd_ = -1;
  std::string received_;
  bool peer_closed_ = false;
};

}  // namespace tidekv::integration
