// A scripted fake primary for testing a replica's trust boundary: a real tidekv-server started
// with --replicaof 127.0.0.1:<HostilePrimary::port()> connects to it, and a script chosen by
// the test answers the handshake and then sends whatever it likes (wrong offsets, crafted
// batch files, non-write commands as frames, absurd sizes), reading the replica's
// REPLCONF ACKs and noticing when the replica drops the link.
//
// Everything is encoded here from docs/replication.md and proto/frame.h (frames, +BATCH
// shipping, CRC32C), independently of the product's code: the test talks to the server only
// over sockets.
//
// Threads: the HostilePrimary owns one thread that accepts connections one at a time and runs
// the script for each on that thread (connection n = 0, 1, ...; the replica reconnects with
// backoff after every dropped link). A PrimaryPeer belongs to the script that got it. The
// test thread only waits (WaitScripts) and reads what the scripts recorded (under the
// object's own lock, or through values the test synchronises with WaitScripts).
//
// Every wait is bounded (deadlines from server_process.h: hang guards, never speed checks)
// and the destructor stops and joins the thread: a script blocked in a PrimaryPeer call
// gets a StopRequested exception within a few milliseconds.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/server_process.h"

namespace tidekv::integration {

// ---- encoders (docs/replication.md, proto/frame.h) ----------------------------------------

// CRC-32C (Castagnoli), chainable: Crc32cOf(b, Crc32cOf(a)) == Crc32cOf(a + b).
uint32_t Crc32cOf(std::string_view data, uint32_t crc = 0);
// A RESP array of bulk strings (what a client or the replica sends).
std::string RespArray(const std::vector<std::string>& argv);
// One replication frame: *2\r\n:<offset>\r\n<argv> for db 0, *3\r\n:<offset>\r\n:<db>\r\n<argv>.
std::string FrameBytes(uint64_t offset, int db, const std::vector<std::string>& argv);
// A well-formed history id: 40 lower-case hex characters that depend only on seed.
std::string HexReplid(uint64_t seed);

// One batch file as the primary ships it:
//   +BATCH <name> <declared bytes> <lower> <upper> <level>\r\n
//   $<n>\r\n<n bytes>\r\n ...            (n <= 65536)
//   +CRC32C <crc of the bytes>\r\n       (or crc_line, verbatim, when set)
struct ShippedBatch {
  std::string name = "batch-00000000000000000001.sst";
  std::string bytes;
  uint64_t lower = 0;
  uint64_t upper = 0;
  uint32_t level = 0;
  std::optional<uint64_t> declared_bytes;  // the header's size; bytes.size() when unset
  std::optional<std::string> crc_line;     // replaces the correct CRC line (without CRLF)
};

// Thrown inside a script when the HostilePrimary is being destroyed.
struct StopRequested : std::runtime_error {
  StopRequested() : std::runtime_error("hostile primary stopping") {}
};

// ---- one connection from the replica ----------------------------------------------------

class PrimaryPeer {
 public:
  PrimaryPeer(int fd, const std::atomic<bool>* stop);
  ~PrimaryPeer();
  PrimaryPeer(const PrimaryPeer&) = delete;
  PrimaryPeer& operator=(const PrimaryPeer&) = delete;

  // Answers the replica's handshake (AUTH and REPLCONF -> +OK, PING -> +PONG) until PSYNC
  // arrives and returns PSYNC's arguments {replid, offset}. Throws when the replica sends
  // anything else, closes, or stays silent past kReplyTimeout.
  std::vector<std::string> Handshake();
  // Reads the next command the replica sends; nothing when it closed or the deadline passed.
  std::optional<std::vector<std::string>> ReadCommand(std::chrono::milliseconds timeout);

  // Writes all of `bytes` (reading what the replica sends meanwhile). False when the replica
  // closed the connection first (or the deadline passed); the rest is not sent.
  bool Send(std::string_view bytes, std::chrono::milliseconds timeout = kReplyTimeout);
  // Sends one batch as above; false when the replica closed the connection meanwhile.
  bool SendBatch(const ShippedBatch& batch);

  // Reads (recording acks) until the replica closes the connection or `done()` holds (checked
  // after every read and every few milliseconds), up to `timeout`. Returns true when the
  // replica closed the connection, false when done() held; throws at the deadline.
  bool ClosedBefore(const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = kWaitTimeout);
  // Same, with done = "an ack of at least `offset` arrived".
  bool ClosedBeforeAck(uint64_t offset, std::chrono::milliseconds timeout = kWaitTimeout);
  // Reads until the replica closes the connection; false at the deadline.
  bool WaitClosed(std::chrono::milliseconds timeout = kWaitTimeout);

  bool closed() const { return closed_; }
  // Every REPLCONF ACK offset the replica sent, in order.
  const std::vector<uint64_t>& acks() const { return acks_; }
  std::optional<uint64_t> last_ack() const {
    return acks_.empty() ? std::nullopt : std::optional<uint64_t>(acks_.back());
  }

 private:
  // Waits up to `slice_ms` for the socket to be readable (and writable when want_write),
  // reads what is there and records acks; throws StopRequested when asked to stop.
  void Pump(int slice_ms, bool want_write, bool* writable);
  // Consumes complete commands after the handshake, recording REPLCONF ACKs.
  void TakeAcks();

  int fd_ = -1;
  const std::atomic<bool>* stop_;
  std::string in_;
  bool closed_ = false;
  bool streaming_ = false;  // past PSYNC: whatever arrives is acks
  std::vector<uint64_t> acks_;
};

// ---- the listener ------------------------------------------------------------------------

class HostilePrimary {
 public:
  // script(peer, n) runs for the n-th accepted connection (n from 0); the connection is
  // closed when it returns. An exception other than StopRequested is recorded (failure()).
  using Script = std::function<void(PrimaryPeer& peer, int n)>;
  explicit HostilePrimary(Script script);
  ~HostilePrimary();
  HostilePrimary(const HostilePrimary&) = delete;
  HostilePrimary& operator=(const HostilePrimary&) = delete;

  uint16_t port() const { return port_; }
  // Waits until `count` scripts have returned (kSync-sized hang guard by default) and throws
  // std::runtime_error with the first script failure, if any. False at the deadline.
  bool WaitScripts(int count, std::chrono::milliseconds timeout = std::chrono::seconds(180));
  int scripts_done() const;
  std::string failure() const;

 private:
  void Run();

  Script script_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::condition_variable changed_;
  int done_ = 0;
  std::string failure_;
  std::thread thread_;
};

// A script for connections after the attack: completes the handshake and refuses PSYNC, so
// the replica keeps retrying (with backoff) without getting anything.
void RefusePsync(PrimaryPeer& peer);

// ---- what the tests observe of a process -------------------------------------------------

// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM); nothing when the process is gone.
std::optional<uint64_t> ProcStatusKib(pid_t pid, const std::string& field);

}  // namespace tidekv::integration
