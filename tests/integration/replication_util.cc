#include "tests/integration/replication_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <stdexcept>

namespace tidekv::integration {

namespace fs = std::filesystem;

std::unique_ptr<ServerProcess> StartReplicaOn(const fs::path& data, uint16_t primary_port,
                                              std::vector<std::string> args) {
  args.push_back("--replicaof");
  args.push_back("127.0.0.1:" + std::to_string(primary_port));
  return StartServerOn(data, std::move(args));
}

std::string ReplInfo(redisContext* c) { return InfoText(c, "replication"); }

std::string ReplField(redisContext* c, const std::string& field) {
  return InfoField(ReplInfo(c), field);
}

int64_t ReplInt(redisContext* c, const std::string& field) {
  return InfoInt(c, field, "replication");
}

std::string LogTail(const ServerProcess& server, size_t bytes) {
  const std::string log = server.Log();
  return log.size() > bytes ? "..." + log.substr(log.size() - bytes) : log;
}

void WaitLinkUp(const ServerProcess& replica, std::chrono::milliseconds timeout) {
  RedisConnection c = replica.Connect();
  if (!WaitFor([&] { return ReplField(c.get(), "master_link_status") == "up"; }, timeout)) {
    throw std::runtime_error("replica on port " + std::to_string(replica.port()) +
                             " did not reach master_link_status:up in " +
                             std::to_string(timeout.count()) + " ms; INFO replication:\n" +
                             ReplInfo(c.get()) + "\nlog:\n" + LogTail(replica));
  }
}

void WaitCaughtUp(const ServerProcess& primary, const ServerProcess& replica,
                  std::chrono::milliseconds timeout) {
  RedisConnection p = primary.Connect();
  RedisConnection r = replica.Connect();
  const bool ok = WaitFor(
      [&] {
        const int64_t target = ReplInt(p.get(), "master_repl_offset");
        const std::string info = ReplInfo(r.get());
        return InfoField(info, "master_link_status") == "up" &&
               InfoField(info, "master_repl_offset") == std::to_string(target);
      },
      timeout);
  if (!ok) {
    throw std::runtime_error(
        "replica on port " + std::to_string(replica.port()) + " did not catch up with port " +
        std::to_string(primary.port()) + " within " + std::to_string(timeout.count()) +
        " ms\nprimary INFO replication:\n" + ReplInfo(p.get()) + "\nreplica INFO replication:\n" +
        ReplInfo(r.get()) + "\nprimary log:\n" + LogTail(primary) + "\nreplica log:\n" +
        LogTail(replica));
  }
}

void WaitCronTick(redisContext* c) {
  auto dbsize = [c] {
    Reply n = Command(c, {"DBSIZE"});
    if (n == nullptr || n->type != REDIS_REPLY_INTEGER) {
      throw std::runtime_error("DBSIZE answered " + Describe(n));
    }
    return n->integer;
  };
  const int64_t before = dbsize();
  const std::string set = Call(c, {"SET", "tidekv-test:cron-tick", "x", "PX", "1"});
  if (set != "OK") throw std::runtime_error("SET answered " + set);
  if (!WaitFor([&] { return dbsize() == before; })) {
    throw std::runtime_error("no cron tick reclaimed an expired key");
  }
}

std::vector<std::string> Digests(const std::vector<const ServerProcess*>& servers) {
  std::vector<std::string> digests;
  for (const ServerProcess* s : servers) {
    RedisConnection c = s->Connect();
    digests.push_back(Digest(c.get()));
  }
  return digests;
}

std::vector<int64_t> DbSizes(redisContext* c, int dbs) {
  std::vector<int64_t> sizes;
  for (int db = 0; db < dbs; db++) {
    Reply sel = Command(c, {"SELECT", std::to_string(db)});
    if (Describe(sel) != "OK") throw std::runtime_error("SELECT answered " + Describe(sel));
    Reply n = Command(c, {"DBSIZE"});
    if (n == nullptr || n->type != REDIS_REPLY_INTEGER) {
      throw std::runtime_error("DBSIZE answered " + Describe(n));
    }
    sizes.push_back(n->integer);
  }
  Command(c, {"SELECT", "0"});
  return sizes;
}

SyncCounters CountersIn(const std::string& info) {
  auto get = [&](const char* field) {
    const std::string value = InfoField(info, field);
    if (value.empty()) throw std::runtime_error(std::string("INFO replication has no ") + field);
    return std::stoll(value);
  };
  return {get("sync_full"), get("sync_partial_ok"), get("sync_partial_from_disk"),
          get("sync_partial_err"), get("frames_sent_from_disk")};
}

SyncCounters Counters(redisContext* c) { return CountersIn(ReplInfo(c)); }

std::string Show(const SyncCounters& s) {
  return "sync_full=" + std::to_string(s.full) +
         " sync_partial_ok=" + std::to_string(s.partial_ok) +
         " sync_partial_from_disk=" + std::to_string(s.from_disk) +
         " sync_partial_err=" + std::to_string(s.err) +
         " frames_sent_from_disk=" + std::to_string(s.frames_from_disk);
}

// ---- TcpProxy ----------------------------------------------------------------------------

namespace {

constexpr size_t kProxyBuffer = 256 * 1024;

std::runtime_error SystemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

void NonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A blocking connect to 127.0.0.1:port (a loopback connect answers at once); -1 on failure.
int ConnectLoopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  NonBlocking(fd);
  return fd;
}

struct ProxyPair {
  int client = -1;
  int upstream = -1;
  std::string to_client;
  std::string to_upstream;
  uint64_t down = 0;  // bytes read from the target for this connection
  bool dead = false;
};

// Reads what is available from fd into *buf, at most `room` bytes; false on EOF or error.
bool ReadInto(int fd, std::string* buf, size_t room, size_t* got) {
  *got = 0;
  if (room == 0) return true;
  char chunk[65536];
  const ssize_t n = read(fd, chunk, std::min(room, sizeof chunk));
  if (n > 0) {
    buf->append(chunk, static_cast<size_t>(n));
    *got = static_cast<size_t>(n);
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  return false;
}

// Writes what it can of *buf; false on error.
bool WriteFrom(int fd, std::string* buf) {
  if (buf->empty()) return true;
  const ssize_t n = send(fd, buf->data(), buf->size(), MSG_NOSIGNAL);
  if (n > 0) {
    buf->erase(0, static_cast<size_t>(n));
    return true;
  }
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
}

void ClosePair(ProxyPair& p) {
  if (p.client >= 0) close(p.client);
  if (p.upstream >= 0) close(p.upstream);
  p.client = p.upstream = -1;
  p.dead = true;
}

}  // namespace

TcpProxy::TcpProxy(uint16_t target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw SystemError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const auto error = SystemError("proxy listen");
    close(listen_fd_);
    throw error;
  }
  port_ = ntohs(addr.sin_port);
  NonBlocking(listen_fd_);
  if (pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    const auto error = SystemError("pipe2");
    close(listen_fd_);
    throw error;
  }
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  stop_.store(true);
  const char b = 's';
  (void)!write(wake_pipe_[1], &b, 1);
  thread_.join();
  close(listen_fd_);
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
}

void TcpProxy::CutAll() {
  const uint64_t want = cut_requested_.fetch_add(1) + 1;
  const char b = 'c';
  (void)!write(wake_pipe_[1], &b, 1);
  if (!WaitFor([&] { return cut_done_.load() >= want; })) {
    throw std::runtime_error("the proxy did not cut its connections within 60 s");
  }
}

void TcpProxy::Run() {
  std::list<ProxyPair> pairs;
  std::vector<pollfd> fds;
  std::vector<ProxyPair*> owners;  // fds[i] belongs to owners[i] (nullptr: listener, pipe)
  while (!stop_.load()) {
    const uint64_t cuts = cut_requested_.load();
    if (cuts != cut_done_.load()) {
      for (ProxyPair& p : pairs) ClosePair(p);
      pairs.clear();
      cut_done_.store(cuts);
    }
    const uint64_t limit = limit_.load();
    fds.clear();
    owners.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    owners.push_back(nullptr);
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    owners.push_back(nullptr);
    bool stalled = false;
    for (ProxyPair& p : pairs) {
      short client_events = 0, upstream_events = 0;
      if (p.to_upstream.size() < kProxyBuffer) client_events |= POLLIN;
      if (!p.to_client.empty()) client_events |= POLLOUT;
      if (p.to_client.size() < kProxyBuffer && p.down < limit) upstream_events |= POLLIN;
      if (!p.to_upstream.empty()) upstream_events |= POLLOUT;
      if (p.down >= limit) stalled = true;
      fds.push_back({p.client, client_events, 0});
      owners.push_back(&p);
      fds.push_back({p.upstream, upstream_events, 0});
      owners.push_back(&p);
    }
    stalled_.store(stalled);
    // A short timeout so that a raised limit takes effect without a wake-up.
    if (poll(fds.data(), fds.size(), 10) < 0 && errno != EINTR) break;

    if (fds[1].revents & POLLIN) {
      char drain[64];
      while (read(wake_pipe_[0], drain, sizeof drain) > 0) {
      }
    }
    if (fds[0].revents & POLLIN) {
      for (;;) {
        const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (client < 0) break;
        const int upstream = refusing_.load() ? -1 : ConnectLoopback(target_port_.load());
        if (upstream < 0) {
          close(client);  // the target is down: the client sees the connection close
          continue;
        }
        const int one = 1;
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        accepted_.fetch_add(1);
        ProxyPair p;
        p.client = client;
        p.upstream = upstream;
        pairs.push_back(std::move(p));
      }
    }
    for (size_t i = 2; i < fds.size(); i++) {
      ProxyPair& p = *owners[i];
      if (p.dead || fds[i].revents == 0) continue;
      const bool is_client = fds[i].fd == p.client;
      bool ok = true;
      size_t got = 0;
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (is_client) {
          ok = ReadInto(p.client, &p.to_upstream, kProxyBuffer - p.to_upstream.size(), &got);
        } else if (p.down >= limit) {
          // Held at the limit: only a closed or failed target ends it (no busy loop on HUP).
          ok = (fds[i].revents & (POLLHUP | POLLERR)) == 0;
        } else {
          const uint64_t room = std::min<uint64_t>(
              kProxyBuffer - std::min(kProxyBuffer, p.to_client.size()), limit - p.down);
          ok = ReadInto(p.upstream, &p.to_client, static_cast<size_t>(room), &got);
          p.down += got;
          downstream_.fetch_add(got);
        }
      }
      if (ok) ok = WriteFrom(p.client, &p.to_client) && WriteFrom(p.upstream, &p.to_upstream);
      if (!ok) {
        // Hand over what is already read, best effort, then close both sides.
        WriteFrom(p.client, &p.to_client);
        WriteFrom(p.upstream, &p.to_upstream);
        ClosePair(p);
      }
    }
    pairs.remove_if([](const ProxyPair& p) { return p.dead; });
  }
  for (ProxyPair& p : pairs) ClosePair(p);
}

}  // namespace tidekv::integration
