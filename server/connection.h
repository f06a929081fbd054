// Connection: one client socket. A coroutine reads bytes, parses every complete request in
// them, runs each through the Engine, and writes all the replies of that read in one write
// (pipelining). Output from elsewhere (MONITOR feed) is queued with Send and flushed by the
// same writer. Loop thread only; owned by the Server's connection list.
//
// Memory bounds: the query buffer may hold at most limits.max_query_buffer_bytes of one
// unfinished request; pending output past limits.client_output_bytes closes the connection
// (with a log line). While a write is in flight the reader waits, so a client that sends
// but does not read is held back by TCP rather than buffered without bound.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/asio.h"
#include "engine/engine.h"
#include "engine/session.h"
#include "proto/reply.h"
#include "proto/resp.h"
#include "server/drain_read.h"

namespace tidekv::server {

using engine::Engine;
using engine::Session;

class Server;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Server& server, asio::ip::tcp::socket socket, uint64_t id);
  ~Connection();

  // The connection's life: runs until the peer leaves, an error, or Close.
  asio::awaitable<void> Run();

  // Closes the socket; Run then ends and the server forgets the connection.
  void Close(std::string_view reason);
  bool closed() const { return closed_; }

  // Queues bytes for the client from outside its own request handling (pub/sub messages,
  // MONITOR feed); the server writes them once per loop turn (Server::FlushPendingSends).
  void Send(std::string_view bytes);
  // Writes what Send queued (Server::FlushPendingSends, once per loop turn).
  void FlushSent() {
    send_flush_queued_ = false;
    Flush();
  }

  // Completes a blocked command (Session::blocked): writes its reply and lets the client's
  // next requests run.
  void Unblock(const std::function<void(proto::ReplyBuilder&)>& write_reply);
  // CLIENT PAUSE ended: the request it held runs now (engine/pause.h).
  void ResumeAfterPause();

  Session& session() { return session_; }
  // The socket, for replication to take over after PSYNC.
  asio::ip::tcp::socket& socket() { return socket_; }
  const Session& session() const { return session_; }
  // Server cron: releases an idle client's empty query buffer and trims one much larger than
  // its recent requests (Redis's clientsCronResizeQueryBuffer).
  void QueryBufferCron(int64_t now_ms);
  size_t query_buffer_bytes() const { return in_end_ - in_start_; }
  size_t query_buffer_capacity() const { return in_.size(); }
  size_t output_bytes() const { return out_.size() + sending_.size(); }

 private:
  // Parses and executes every complete request in the input buffer. Returns false when the
  // connection must close (protocol error, QUIT, limits).
  bool ProcessInput();
  // Writes out_ now if the socket takes it; otherwise starts the writer coroutine.
  void Flush();
  asio::awaitable<void> WriteLoop();
  bool CheckOutputLimit();

  Server& server_;
  DrainSocket socket_;
  Session session_;
  proto::RequestParser parser_;

  // Requests parsed ahead of execution (see ProcessInput).
  static constexpr size_t kBatch = 16;
  static constexpr size_t kKeepArgs = 4096;  // a larger argv is freed once its request ran
  struct Pending {
    std::vector<std::string_view> argv;
    size_t end = 0;  // input offset just past this request
    Engine::Prepared prepared;
  };
  std::array<Pending, kBatch> batch_;

  std::vector<char> in_;  // bytes [in_start_, in_end_) are unparsed input
  size_t in_start_ = 0;
  size_t in_end_ = 0;
  size_t in_peak_ = 0;             // most bytes buffered since the last QueryBufferCron
  bool reading_ = false;           // Run waits in a read into in_
  bool resize_requested_ = false;  // QueryBufferCron cancelled that read: resize to resize_to_
  size_t resize_to_ = 0;
  void ResizeInputBuffer(size_t size);

  std::string out_;  // replies not yet handed to the socket
  // While one of this client's commands runs: the ranges of out_ that Send appended (pub/sub
  // messages the client published to itself), which CLIENT REPLY OFF keeps.
  bool executing_ = false;
  std::vector<std::pair<size_t, size_t>> sent_during_;
  std::string sending_;  // the buffer the writer coroutine is writing
  proto::ReplyBuilder reply_;
  // Whether the reader must wait before handling more input.
  bool MustPause() const {
    return writing_ || held_ || session_.blocked || session_.waits_for_pause;
  }
  // While blocked on keys (or held by CLIENT PAUSE) the connection reads nothing; this notices the
  // peer hanging up (it then leaves the blocking registry), as Redis does for its blocked clients.
  void WatchHangup();
  bool hangup_watch_ = false;
  // Holds the replies of a batch that wrote until persistence says those writes may be
  // acknowledged (in the log's WAL file; fsynced with fsync = "always").
  void HoldUntilDurable();

  bool writing_ = false;
  bool send_flush_queued_ = false;  // the server will flush Send's bytes (QueueSendFlush)
  bool held_ = false;               // replies held until durable
  bool closed_ = false;
  asio::steady_timer drained_;  // cancelled when whatever the reader waits for is done
};

}  // namespace tidekv::server
