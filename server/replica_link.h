// ReplicaLink: a replica's connection to its primary (DESIGN.md §4). One coroutine, top to
// bottom: connect, PING, AUTH, REPLCONF listening-port, REPLCONF capa psync2, PSYNC; then
// either +CONTINUE (frames follow) or +FULLRESYNC (batch files follow, are verified and
// installed, then frames). Frames are applied through the command table at their offsets
// and acknowledged with REPLCONF ACK <next offset>. Any failure closes the socket, is
// logged, and the link retries with backoff until Stop. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/asio.h"
#include "engine/session.h"
#include "persistence/frame_apply.h"
#include "proto/reply.h"

namespace tidekv::server {

using engine::Session;

class Replication;

class ReplicaLink : public std::enable_shared_from_this<ReplicaLink> {
 public:
  ReplicaLink(Replication& replication, std::string host, int64_t port);
  ~ReplicaLink();

  void Start();
  void Stop();

  // ROLE's state word: connect, connecting, handshake, sync, connected.
  const char* state() const { return state_; }
  int64_t last_io_ms() const { return last_io_ms_; }
  bool syncing() const { return syncing_; }
  uint64_t sync_total_bytes() const { return sync_total_bytes_; }
  uint64_t sync_read_bytes() const { return sync_read_bytes_; }

 private:
  asio::awaitable<void> Run();
  // One connection: returns when it ends; *why says how.
  asio::awaitable<void> Connect(std::string* why);
  asio::awaitable<void> Watchdog();
  asio::awaitable<bool> Fill();
  asio::awaitable<bool> ReadLine(std::string* line);
  static std::string Encode(std::initializer_list<std::string_view> argv);
  asio::awaitable<bool> Send(std::string command);
  asio::awaitable<bool> Command(std::string command, std::string* reply);
  asio::awaitable<bool> ReceiveSnapshot(std::string_view header, std::string* why);
  asio::awaitable<bool> Stream(std::string* why);
  // Applies every complete frame in the buffer; false on a frame that cannot apply. Sets
  // held_ when it stopped at a frame that may not apply yet (CLIENT PAUSE, a busy script).
  bool ApplyBuffered(std::string* why, bool* progressed);

  Replication& replication_;
  std::string host_;
  int64_t port_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer backoff_;
  asio::steady_timer watchdog_;
  asio::steady_timer hold_timer_;  // polls for the end of a hold (held_)
  bool stopped_ = false;
  const char* state_ = "connect";
  int64_t last_io_ms_ = 0;
  bool syncing_ = false;
  bool held_ = false;
  uint64_t sync_total_bytes_ = 0;
  uint64_t sync_read_bytes_ = 0;

  std::string in_;  // received bytes; [in_pos_, size) not yet consumed
  size_t in_pos_ = 0;
  persistence::FrameApplier applier_;  // runs the frames
};

}  // namespace tidekv::server
