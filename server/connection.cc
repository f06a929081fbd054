#include "server/connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "common/strings.h"
#include "engine/acl.h"
#include "engine/blocking.h"
#include "engine/engine.h"
#include "engine/pubsub.h"
#include "persistence/persistence.h"
#include "server/replication.h"
#include "server/server.h"
#include "trace/format.h"

namespace tidekv::server {

namespace {

constexpr size_t kReadChunk = 16 * 1024;    // free space wanted before each read
constexpr size_t kFreeAbove = 1024 * 1024;  // empty buffers larger than this are freed at once
// The query buffer's trimming (QueryBufferCron), by Redis's rules: a buffer wasting more than
// kResizeSlack is released after kIdleReleaseMs without a request, and one over
// kResizeThreshold that is more than twice the largest input buffered during the last cron
// period shrinks to that peak.
constexpr size_t kResizeSlack = 4 * 1024;
constexpr size_t kResizeThreshold = 32 * 1024;
constexpr int64_t kIdleReleaseMs = 2000;

std::string EndpointText(const asio::ip::tcp::endpoint& ep) {
  auto addr = ep.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  return addr.to_string() + ":" + std::to_string(ep.port());
}

// "POST" and "Host:" start what a web browser sends (Redis's securityWarningCommand).
bool LooksLikeHttp(std::string_view word) {
  return EqualsIgnoreCase(word, "POST") || EqualsIgnoreCase(word, "Host:");
}

proto::ParserLimits LimitsFrom(const config::Config& c) {
  proto::ParserLimits limits;
  limits.max_bulk_bytes = static_cast<uint64_t>(c.max_bulk_bytes);
  limits.max_multibulk_len = static_cast<uint64_t>(c.max_multibulk_len);
  return limits;
}

}  // namespace

Connection::Connection(Server& server, asio::ip::tcp::socket socket, uint64_t id)
    : server_(server),
      socket_(std::move(socket)),
      parser_(LimitsFrom(server.config())),
      reply_(&out_),
      drained_(socket_.get_executor()) {
  session_.id = id;
  server_.engine().AttachDefaultUser(session_);
  session_.created_ms = server_.engine().clock().NowMs();
  session_.last_interaction_ms = session_.created_ms;
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    session_.addr = EndpointText(remote);
    session_.loopback = IsLoopback(remote.address());
  }
  auto local = socket_.local_endpoint(ec);
  if (!ec) session_.laddr = EndpointText(local);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (server_.config().tcp_keepalive > 0) {
    socket_.set_option(asio::socket_base::keep_alive(true), ec);
  }
  // Non-blocking so Flush can try a direct write before falling back to an async one.
  socket_.non_blocking(true, ec);
  drained_.expires_at(asio::steady_timer::time_point::max());
  in_.resize(kReadChunk);
}

Connection::~Connection() = default;

asio::awaitable<void> Connection::Run() {
  auto self = shared_from_this();
  const config::Config& config = server_.config();
  while (!closed_) {
    if (session_.psync_requested) {
      // PSYNC: once the replies before it left, replication owns the socket.
      boost::system::error_code ec;
      while ((writing_ || held_) && !closed_) {
        co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (!closed_ && server_.replication() != nullptr) {
        co_await server_.replication()->ServeReplica(self);
      }
      break;
    }
    // Make room for the next read: drop consumed bytes, then grow for a large argument.
    if (in_start_ == in_end_) {
      in_start_ = in_end_ = 0;
      // A very large buffer goes at once; smaller excess waits for QueryBufferCron.
      if (in_.size() > kFreeAbove) ResizeInputBuffer(kReadChunk);
    }
    // A declared bulk length is a promise, not bytes: room for it is reserved only as its
    // bytes arrive (at most twice what is buffered, plus a read), so a client cannot make
    // the server hold memory it never sends; a large argument still costs O(log n) moves.
    const size_t buffered = in_end_ - in_start_;
    const size_t needed = std::max(buffered + kReadChunk,
                                   std::min(parser_.bytes_needed(), 2 * buffered + kReadChunk));
    if (in_.size() - in_start_ < needed) {
      if (in_start_ > 0) {
        std::memmove(in_.data(), in_.data() + in_start_, in_end_ - in_start_);
        in_end_ -= in_start_;
        in_start_ = 0;
      }
      if (in_.size() < needed) in_.resize(std::max(needed, in_.size() * 2));
    }

    boost::system::error_code ec;
    reading_ = true;
    size_t n =
        co_await socket_.async_read_drain(asio::buffer(in_.data() + in_end_, in_.size() - in_end_),
                                          asio::redirect_error(asio::use_awaitable, ec));
    reading_ = false;
    const bool resize = std::exchange(resize_requested_, false);
    if (ec == asio::error::operation_aborted && resize && !closed_) {
      // QueryBufferCron cancelled the read to resize the idle, empty buffer (nothing was read).
      ResizeInputBuffer(resize_to_);
      if (in_.empty()) {
        // Released: wait for the next request without a buffer.
        co_await socket_.async_wait(asio::socket_base::wait_read,
                                    asio::redirect_error(asio::use_awaitable, ec));
        if (ec) break;
      }
      continue;
    }
    if (ec || n == 0) break;
    in_end_ += n;
    in_peak_ = std::max(in_peak_, in_end_ - in_start_);
    server_.net_stats().input_bytes += n;
    // A client still sending (a large value, slowly) is not idle (server.timeout).
    session_.last_interaction_ms = server_.engine().clock().NowMs();

    const uint64_t writes_before = session_.write_count;
    bool keep_open = ProcessInput();
    if (session_.write_count != writes_before) HoldUntilDurable();
    Flush();
    if (session_.psync_requested) continue;
    if (!keep_open) {
      // Let the last replies (e.g. the protocol error) reach the client before closing.
      while (writing_ && !closed_) {
        co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    if (in_end_ - in_start_ > static_cast<size_t>(config.max_query_buffer_bytes)) {
      server_.net_stats().query_buffer_limit_disconnections++;
      ModuleLogger("net")->warn(
          "closing client id={} addr={}: query buffer of {} bytes is "
          "past limits.max_query_buffer_bytes ({})",
          session_.id, session_.addr, in_end_ - in_start_, config.max_query_buffer_bytes);
      break;
    }
    // Back-pressure: read the next requests only once the replies so far left (and any
    // blocked command or durability wait is over); then run what is already buffered.
    for (;;) {
      while (MustPause() && !closed_ && !session_.psync_requested) {
        if (session_.blocked_on_keys || session_.waits_for_pause) WatchHangup();
        co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      if (closed_ || session_.psync_requested || in_start_ == in_end_ || parser_.bytes_needed() > 0)
        break;
      const uint64_t before = session_.write_count;
      if (!ProcessInput()) {
        Flush();
        while (writing_ && !closed_) {
          co_await drained_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        Close("request handled");
        break;
      }
      if (session_.write_count != before) HoldUntilDurable();
      Flush();
      if (!MustPause()) break;
    }
  }
  Close("connection ended");
  server_.Remove(this);
}

// Requests are handled in batches of up to kBatch: parse them all, prefetch their keys'
// slots, then their entries, then execute them in order. A pipelined client thus waits on
// memory once per batch rather than twice per request. The argv views of a batch point
// into in_, which nothing changes until the batch ran.
bool Connection::ProcessInput() {
  Engine& engine = server_.engine();
  reply_.set_resp3(session_.resp == 3);
  const char* const in_begin = in_.data();
  while (in_start_ < in_end_ && !closed_) {
    size_t n = 0;
    size_t pos = in_start_;
    proto::ParseStatus status = proto::ParseStatus::kComplete;
    // Before AUTH the parser enforces Redis's small limits, and requests run one at a time
    // so that the request after a successful AUTH is parsed with the normal ones.
    const bool unauthenticated = !session_.authenticated && engine.acl().default_needs_auth();
    parser_.set_unauthenticated(unauthenticated);
    const size_t batch = unauthenticated ? 1 : kBatch;
    while (n < batch && pos < in_end_) {
      Pending& p = batch_[n];
      size_t consumed = 0;
      status = parser_.Parse(std::string_view(in_begin + pos, in_end_ - pos), &p.argv, &consumed);
      pos += consumed;
      if (status != proto::ParseStatus::kComplete) break;
      p.end = pos;
      n++;
      // An inline request with quoted words keeps them in the parser, valid only until the
      // next Parse: run it before parsing further.
      const char* arg0 = p.argv[0].data();
      if (arg0 < in_begin || arg0 >= in_begin + in_end_) break;
    }

    if (n > 1) {
      for (size_t i = 0; i < n; i++) batch_[i].prepared = engine.Prepare(session_, batch_[i].argv);
      for (size_t i = 0; i < n; i++) engine.PrefetchEntry(session_, batch_[i].prepared);
    } else if (n == 1) {
      batch_[0].prepared = {};
    }
    // The requests of one batch run at one instant: one clock read per batch.
    const int64_t now_us = n > 0 ? engine.clock().NowUs() : 0;
    for (size_t i = 0; i < n; i++) {
      if (LooksLikeHttp(batch_[i].argv[0])) {
        // A browser page can make a client send "POST / HTTP/1.1" and headers to a server
        // on loopback (cross-protocol scripting): close without running anything, as Redis.
        ModuleLogger("net")->warn(
            "Possible SECURITY ATTACK detected: client id={} addr={} sent '{}', which looks "
            "like HTTP (cross-protocol scripting from a web page?). Connection closed.",
            session_.id, session_.addr, batch_[i].argv[0].substr(0, 16));
        Close("HTTP request");
        return false;
      }
      if (engine.pause().active() && engine.pause().Holds(session_, batch_[i].argv)) [[unlikely]] {
        // CLIENT PAUSE: this request and the ones after it stay in the buffer, unrun.
        engine.pause().Wait(session_);
        parser_.Reset();
        return true;
      }
      const size_t reply_start = out_.size();
      const uint64_t pushes_before = reply_.pushes();
      executing_ = true;
      engine.Execute(session_, batch_[i].argv, reply_, batch_[i].prepared.spec, now_us);
      executing_ = false;
      if (session_.replies_off || session_.skip_replies > 0) {
        // CLIENT REPLY OFF / SKIP: the reply is dropped (a blocked command's comes later),
        // but not pushes (subscribe confirmations, in RESP2 as well, and messages the client
        // published to itself), as in Redis.
        const bool push = reply_.pushes() != pushes_before;
        if (!session_.blocked && !push && out_.size() > reply_start) {
          std::string kept;
          for (const auto& [from, to] : sent_during_) {
            if (from >= reply_start && to <= out_.size()) kept.append(out_, from, to - from);
          }
          out_.resize(reply_start);
          out_ += kept;
        }
        if (session_.skip_replies > 0) session_.skip_replies--;
      }
      sent_during_.clear();
      in_start_ = batch_[i].end;
      if (session_.blocked) {
        // The rest of the batch runs after the blocked command completes; the parser
        // forgets how far it read ahead and starts again from in_start_ then.
        parser_.Reset();
        return true;
      }
      // A request with thousands of arguments leaves no lasting argument array behind.
      if (batch_[i].argv.capacity() > kKeepArgs)
        std::vector<std::string_view>().swap(batch_[i].argv);
      reply_.set_resp3(session_.resp == 3);
      if (session_.close_after_reply || closed_) return false;
      if (!CheckOutputLimit()) return false;
    }

    if (status == proto::ParseStatus::kIncomplete) {
      in_start_ = pos;  // also drops empty requests skipped before the partial one
      return true;
    }
    if (status == proto::ParseStatus::kError) {
      server_.net_stats().protocol_errors++;
      ModuleLogger("net")->info("closing client id={} addr={}: {}", session_.id, session_.addr,
                                parser_.error());
      reply_.Error("ERR " + parser_.error());
      return false;
    }
  }
  return !closed_;
}

bool Connection::CheckOutputLimit() {
  // A subscriber has its own limit class (Redis's client-output-buffer-limit pubsub).
  const bool pubsub = session_.subscribed();
  const auto limit = static_cast<size_t>(pubsub ? server_.config().client_output_pubsub_bytes
                                                : server_.config().client_output_bytes);
  if (limit == 0 || output_bytes() <= limit) return true;
  server_.net_stats().client_output_limit_disconnections++;
  ModuleLogger("net")->warn(
      "closing client id={} addr={}: {} bytes of output pending, past {} ({})", session_.id,
      session_.addr, output_bytes(),
      pubsub ? "limits.client_output_pubsub_bytes" : "limits.client_output_bytes", limit);
  out_.clear();
  Close("client output limit");
  return false;
}

void Connection::Send(std::string_view bytes) {
  if (closed_) return;
  if (executing_) sent_during_.emplace_back(out_.size(), out_.size() + bytes.size());
  out_.append(bytes);
  if (!CheckOutputLimit() || send_flush_queued_) return;
  // Written once per loop turn, when the loop has nothing else ready (as Redis writes in
  // beforeSleep), not once per message: a PUBLISH burst (or a MONITOR feed) to this client
  // becomes one write.
  send_flush_queued_ = true;
  server_.QueueSendFlush(session_.id);
}

void Connection::HoldUntilDurable() {
  Persistence* persistence = server_.persistence();
  if (persistence == nullptr || !persistence->MustWaitFor(session_.last_write_offset)) return;
  held_ = true;
  std::weak_ptr<Connection> weak = weak_from_this();
  persistence->WaitDurable(session_.last_write_offset, [weak] {
    if (auto self = weak.lock()) {
      self->held_ = false;
      self->Flush();
      self->drained_.cancel();
    }
  });
}

void Connection::Unblock(const std::function<void(proto::ReplyBuilder&)>& write_reply) {
  if (closed_ || !session_.blocked) return;
  reply_.set_resp3(session_.resp == 3);
  session_.blocked = false;
  const uint64_t writes_before = session_.write_count;
  // A woken blocking command runs again in write_reply: it may write (its reply then waits
  // for durability like any write's) or block once more.
  write_reply(reply_);
  if (session_.write_count != writes_before) HoldUntilDurable();
  if (!CheckOutputLimit()) return;
  Flush();
  if (!session_.blocked) drained_.cancel();
}

void Connection::ResumeAfterPause() {
  if (closed_ || !session_.waits_for_pause) return;
  session_.waits_for_pause = false;
  if (!MustPause()) drained_.cancel();
}

void Connection::WatchHangup() {
  if (hangup_watch_) return;
  hangup_watch_ = true;
  std::weak_ptr<Connection> weak = weak_from_this();
  socket_.async_wait(asio::socket_base::wait_read, [weak](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->hangup_watch_ = false;
    if (ec || self->closed_ ||
        !(self->session_.blocked_on_keys || self->session_.waits_for_pause)) {
      return;
    }
    char c;
    const ssize_t n = ::recv(self->socket_.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      self->Close("peer closed while blocked");
    }
    // Bytes instead: the client pipelined more requests; they are read once the wait ends.
  });
}

void Connection::Flush() {
  if (writing_ || held_ || closed_ || out_.empty()) return;
  boost::system::error_code ec;
  size_t n = socket_.write_some(asio::buffer(out_), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    Close("write error");
    return;
  }
  server_.net_stats().output_bytes += n;
  if (n == out_.size()) {
    out_.clear();
    if (out_.capacity() > kFreeAbove) std::string().swap(out_);
    return;
  }
  out_.erase(0, n);
  writing_ = true;
  asio::co_spawn(socket_.get_executor(), WriteLoop(), [](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        ModuleLogger("net")->error("writer failed: {}", ex.what());
      }
    }
  });
}

asio::awaitable<void> Connection::WriteLoop() {
  auto self = shared_from_this();
  while (!out_.empty() && !closed_) {
    sending_.swap(out_);
    boost::system::error_code ec;
    size_t n = co_await asio::async_write(socket_, asio::buffer(sending_),
                                          asio::redirect_error(asio::use_awaitable, ec));
    server_.net_stats().output_bytes += n;
    sending_.clear();
    if (sending_.capacity() > kFreeAbove) std::string().swap(sending_);
    if (ec) {
      Close("write error");
      break;
    }
  }
  writing_ = false;
  drained_.cancel();
}

void Connection::QueryBufferCron(int64_t now_ms) {
  const size_t buffered = in_end_ - in_start_;
  const size_t capacity = in_.size();
  // Only a buffer wasting a few KiB, and only while the reader waits on an empty one: the
  // pending read is cancelled and Run resizes before reading again.
  if (reading_ && buffered == 0 && !closed_ && !writing_ && capacity > kResizeSlack) {
    if (now_ms - session_.last_interaction_ms > kIdleReleaseMs) {
      resize_to_ = 0;  // idle: no buffer until the next request arrives
    } else if (capacity > kResizeThreshold && capacity / 2 > in_peak_) {
      resize_to_ = std::max(in_peak_, kReadChunk);  // larger than recent requests need
    } else {
      resize_to_ = capacity;
    }
    if (resize_to_ != capacity) {
      resize_requested_ = true;
      boost::system::error_code ec;
      socket_.cancel(ec);
    }
  }
  in_peak_ = buffered;  // the next period's peak starts from what is buffered now
}

void Connection::ResizeInputBuffer(size_t size) {
  in_start_ = in_end_ = 0;  // only called with an empty buffer
  if (size == 0) {
    std::vector<char>().swap(in_);
  } else {
    in_.resize(size);
    in_.shrink_to_fit();
  }
}

void Connection::Close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  ModuleLogger("net")->debug("client id={} addr={} closed: {}", session_.id, session_.addr, reason);
  if (session_.monitor) server_.RemoveMonitor(session_.id);
  server_.engine().SessionClosed(session_);
  if (server_.engine().recorder() != nullptr) {
    server_.engine().TraceEvent(trace::RecordType::kDisconnect, session_.id,
                                fmt::format("reason={}", reason));
  }
  boost::system::error_code ec;
  socket_.shutdown(asio::socket_base::shutdown_both, ec);
  socket_.close(ec);
  drained_.cancel();
}

}  // namespace tidekv::server
