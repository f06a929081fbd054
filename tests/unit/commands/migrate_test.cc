// MIGRATE (commands/migrate.cc) through the in-process engine: Redis 7.0's argument errors
// and their order, +NOKEY without a connection, COMMAND GETKEYS / GETKEYSANDFLAGS / INFO as
// redis-server 7.0.15 answers them, and the conversation with a scripted target on a
// loopback socket: AUTH2, SELECT only when the database changes, RESTORE with the TTL left
// and REPLACE, the DEL effect of exactly the acknowledged keys, the retry on a fresh
// connection when the cached one was closed, and no retry after a timeout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

// Parses one whole RESP array of bulk strings from the front of `in`: its arguments and the
// bytes it took, or 0 bytes when more are needed.
size_t ParseCommand(const std::string& in, std::vector<std::string>* argv) {
  argv->clear();
  size_t pos = 0;
  auto line = [&](std::string* out) {
    const size_t end = in.find("\r\n", pos);
    if (end == std::string::npos) return false;
    *out = in.substr(pos, end - pos);
    pos = end + 2;
    return true;
  };
  std::string header;
  if (!line(&header) || header.empty() || header[0] != '*') return 0;
  const size_t n = std::stoul(header.substr(1));
  for (size_t i = 0; i < n; i++) {
    std::string len;
    if (!line(&len)) return 0;
    const size_t size = std::stoul(len.substr(1));
    if (in.size() < pos + size + 2) return 0;
    argv->push_back(in.substr(pos, size));
    pos += size + 2;
  }
  return pos;
}

// A target server on 127.0.0.1 answering each command with what `respond` returns (nothing:
// no answer), one connection at a time; it records the commands it got as text.
class ScriptedTarget {
 public:
  using Respond = std::function<std::string(const std::vector<std::string>&)>;
  explicit ScriptedTarget(Respond respond) : respond_(std::move(respond)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener_, 8) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = std::to_string(ntohs(a.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedTarget() {
    stop_ = true;
    thread_.join();
    if (client_ >= 0) ::close(client_);
    ::close(listener_);
  }
  ScriptedTarget(const ScriptedTarget&) = delete;
  ScriptedTarget& operator=(const ScriptedTarget&) = delete;

  const std::string& port() const { return port_; }
  int accepted() const { return accepted_; }
  std::vector<std::string> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(commands_, {});
  }
  // Closes the current connection (as a target restarting would), and waits until it did.
  void HangUp() {
    hang_up_ = true;
    for (int i = 0; i < 500 && hang_up_; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    REQUIRE(!hang_up_);
  }

 private:
  void Serve() {
    std::string in;
    while (!stop_) {
      if (hang_up_) {
        if (client_ >= 0) ::close(client_);
        client_ = -1;
        hang_up_ = false;
      }
      pollfd fds[2] = {{listener_, POLLIN, 0}, {client_, POLLIN, 0}};
      if (::poll(fds, client_ >= 0 ? 2 : 1, 10) <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        if (client_ >= 0) ::close(client_);
        client_ = ::accept(listener_, nullptr, nullptr);
        in.clear();
        accepted_++;
        continue;
      }
      char buf[65536];
      const ssize_t n = ::recv(client_, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(client_);
        client_ = -1;
        continue;
      }
      in.append(buf, static_cast<size_t>(n));
      std::vector<std::string> argv;
      while (size_t used = ParseCommand(in, &argv)) {
        in.erase(0, used);
        std::string text;
        for (const std::string& a : argv) text += (text.empty() ? "" : " ") + a;
        {
          std::lock_guard<std::mutex> lock(mu_);
          commands_.push_back(text);
        }
        const std::string reply = respond_(argv);
        // Catch2's checks are not for other threads: a failed send shows as a failed MIGRATE.
        if (!reply.empty()) ::send(client_, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
    }
  }

  Respond respond_;
  int listener_ = -1;
  int client_ = -1;
  std::string port_;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  std::atomic<bool> hang_up_ = false;
  std::atomic<int> accepted_ = 0;
  std::mutex mu_;
  std::vector<std::string> commands_;
};

std::string AllOk(const std::vector<std::string>&) { return "+OK\r\n"; }

// Each command cut after its first three words (RESTORE's payload is binary and long).
std::vector<std::string> Heads(std::vector<std::string> commands) {
  for (std::string& c : commands) {
    size_t end = 0;
    for (int words = 0; words < 3 && end != std::string::npos; words++) {
      end = c.find(' ', end == 0 ? 0 : end + 1);
    }
    if (end != std::string::npos) c.resize(end);
  }
  return commands;
}

}  // namespace

TEST_CASE("MIGRATE argument errors, in Redis's order", "[migrate]") {
  EngineFixture f;
  f.Run({"SET", "k", "v"});
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "0"}) ==
        Err("ERR wrong number of arguments for 'migrate' command"));
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "0", "10", "bogus"}) == Err("ERR syntax error"));
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "0", "10", "AUTH"}) == Err("ERR syntax error"));
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "0", "10", "AUTH2", "u"}) ==
        Err("ERR syntax error"));
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "0", "10", "KEYS", "a"}) ==
        Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string"));
  // Options first, then the timeout, then the database.
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "x", "y", "bogus"}) == Err("ERR syntax error"));
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "x", "y"}) ==
        Err("ERR value is not an integer or out of range"));
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "x", "10"}) ==
        Err("ERR value is not an integer or out of range"));
  // No key to move: +NOKEY, before any connection.
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "nokey", "0", "10"}) == "+NOKEY\r\n");
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "", "0", "10", "KEYS", "a", "b"}) == "+NOKEY\r\n");
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "", "0", "10", "KEYS"}) == "+NOKEY\r\n");
  // Nothing listens on port 1 (or the port is not a number): the connection fails.
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "1", "k", "0", "100"}) ==
        Err("IOERR error or timeout connecting to the client"));
  CHECK(f.Run({"MIGRATE", "127.0.0.1", "port", "k", "0", "100"}) ==
        Err("IOERR error or timeout connecting to the client"));
  CHECK(f.Run({"GET", "k"}) == Bulk("v"));
}

TEST_CASE("MIGRATE's keys and row as redis-server 7.0.15 reports them", "[migrate]") {
  EngineFixture f;
  using V = std::vector<std::string>;
  auto keys = [&](std::vector<std::string_view> args) {
    std::vector<std::string_view> argv = {"COMMAND", "GETKEYS", "MIGRATE"};
    argv.insert(argv.end(), args.begin(), args.end());
    return f.Run(argv);
  };
  CHECK(Elements(keys({"h", "1", "k", "0", "10"})) == V{"k"});
  CHECK(Elements(keys({"h", "1", "", "0", "10"})) == V{""});
  CHECK(Elements(keys({"h", "1", "", "0", "10", "KEYS", "a", "b", "c"})) == V{"a", "b", "c"});
  CHECK(Elements(keys({"h", "1", "", "0", "10", "AUTH", "keys", "KEYS", "a"})) == V{"a"});
  CHECK(Elements(keys({"h", "1", "", "0", "10", "AUTH2", "u", "keys", "KEYS", "a"})) == V{"a"});
  CHECK(Elements(keys({"h", "1", "", "0", "10", "KEYS"})) == V{""});
  CHECK(Elements(keys({"h", "1", "k", "0", "10", "COPY", "REPLACE"})) == V{"k"});
  CHECK(Elements(keys({"h", "1", "", "0", "10", "copy", "keys", "a", "keys", "b"})) ==
        V{"a", "keys", "b"});
  // A key and KEYS, or an unknown option before KEYS: invalid, as Redis's getkeys says.
  CHECK(keys({"h", "1", "x", "0", "10", "KEYS", "a", "b"}) ==
        Err("ERR Invalid arguments specified for command"));
  CHECK(keys({"h", "1", "k", "0", "10", "bogus", "KEYS", "a"}) ==
        Err("ERR Invalid arguments specified for command"));
  CHECK(keys({"h", "1", "k", "0"}) == Err("ERR Invalid number of arguments specified for command"));
  CHECK(Elements(f.Run({"COMMAND", "GETKEYSANDFLAGS", "MIGRATE", "h", "1", "", "0", "10", "KEYS",
                        "a", "b"})) ==
        V{"a", "RW", "access", "delete", "b", "RW", "access", "delete"});
  const std::vector<std::string> info = Elements(f.Run({"COMMAND", "INFO", "MIGRATE"}));
  const V head(info.begin(), info.begin() + 11);
  // Redis's categories (it lists them as @keyspace @write @slow @dangerous).
  CHECK(head == V{"migrate", "-6", "write", "movablekeys", "3", "3", "1", "@write", "@keyspace",
                  "@dangerous", "@slow"});
  const V specs(info.begin() + 11, info.end());
  CHECK(specs ==
        V{"flags",   "RW",      "access",  "delete",     "begin_search", "type",      "index",
          "spec",    "index",   "3",       "find_keys",  "type",         "range",     "spec",
          "lastkey", "0",       "keystep", "1",          "limit",        "0",         "flags",
          "RW",      "access",  "delete",  "incomplete", "begin_search", "type",      "keyword",
          "spec",    "keyword", "KEYS",    "startfrom",  "-2",           "find_keys", "type",
          "range",   "spec",    "lastkey", "-1",         "keystep",      "1",         "limit",
          "0"});
}

TEST_CASE("MIGRATE talks to its target as Redis does", "[migrate]") {
  EngineFixture f;
  RecordingSink sink;
  f.engine().set_effect_sink(&sink);
  ScriptedTarget target(AllOk);
  f.clock().SetMs(1'700'000'000'000);
  f.Run({"SET", "s", "v"});
  f.Run({"HSET", "h", "f", "1"});
  f.Run({"PEXPIRE", "h", "5000"});
  sink.Take();
  f.clock().SetMs(1'700'000'001'000);
  const std::string port = target.port();
  CHECK(f.Run({"MIGRATE", "127.0.0.1", port, "", "5", "1000", "REPLACE", "AUTH2", "u", "pw", "KEYS",
               "s", "nokey", "h"}) == kOk);
  CHECK(Heads(target.Take()) ==
        std::vector<std::string>{"AUTH u pw", "SELECT 5", "RESTORE s 0", "RESTORE h 4000"});
  CHECK(sink.Take() == std::vector<std::string>{"0: DEL s h"});
  CHECK(f.Run({"EXISTS", "s", "h"}) == Int(0));
  CHECK(f.Run({"INFO", "stats"}).find("migrate_cached_sockets:1\r\n") != std::string::npos);

  // The cached connection is reused, without SELECT for the same database; COPY deletes
  // nothing and has no effect.
  f.Run({"SET", "s", "v"});
  sink.Take();
  CHECK(f.Run({"MIGRATE", "127.0.0.1", port, "s", "5", "1000", "COPY"}) == kOk);
  CHECK(Heads(target.Take()) == std::vector<std::string>{"RESTORE s 0"});
  CHECK(sink.Take().empty());
  CHECK(f.Run({"EXISTS", "s"}) == Int(1));
  CHECK(target.accepted() == 1);

  // The target closed the cached connection: one retry on a new one.
  target.HangUp();
  CHECK(f.Run({"MIGRATE", "127.0.0.1", port, "s", "5", "1000"}) == kOk);
  CHECK(target.accepted() == 2);
  // SELECT again: a new connection's database is not known.
  CHECK(Heads(target.Take()) == std::vector<std::string>{"SELECT 5", "RESTORE s 0"});

  // Idle for more than 10 s: closed (the server's cron, or the next MIGRATE).
  f.engine().migrate_targets().CloseIdle(f.clock().NowMs() + 10'001);
  CHECK(f.Run({"INFO", "stats"}).find("migrate_cached_sockets:0\r\n") != std::string::npos);
}

TEST_CASE("MIGRATE deletes only the keys the target acknowledged", "[migrate]") {
  EngineFixture f;
  RecordingSink sink;
  f.engine().set_effect_sink(&sink);
  ScriptedTarget target([](const std::vector<std::string>& argv) -> std::string {
    if (argv[0] == "RESTORE" && argv[1] == "b")
      return "-BUSYKEY Target key name already exists.\r\n";
    return "+OK\r\n";
  });
  f.Run({"MSET", "a", "1", "b", "2", "c", "3"});
  sink.Take();
  CHECK(f.Run({"MIGRATE", "127.0.0.1", target.port(), "", "0", "1000", "KEYS", "a", "b", "c"}) ==
        Err("ERR Target instance replied with error: BUSYKEY Target key name already exists."));
  CHECK(sink.Take() == std::vector<std::string>{"0: DEL a c"});
  CHECK(f.Run({"EXISTS", "a", "b", "c"}) == Int(1));
  // The selected database is forgotten after an error: SELECT again next time.
  target.Take();
  CHECK(f.Run({"MIGRATE", "127.0.0.1", target.port(), "b", "0", "1000"}) ==
        Err("ERR Target instance replied with error: BUSYKEY Target key name already exists."));
  CHECK(Heads(target.Take()) == std::vector<std::string>{"SELECT 0", "RESTORE b 0"});
}

TEST_CASE("MIGRATE deletes nothing on replies that are not Redis's", "[migrate]") {
  EngineFixture f;
  // A proxy that answers anything with HTTP (as some sandboxes' egress proxies do).
  ScriptedTarget proxy([](const std::vector<std::string>&) -> std::string {
    return "HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n";
  });
  f.Run({"SET", "k", "v"});
  CHECK(f.Run({"MIGRATE", "127.0.0.1", proxy.port(), "k", "0", "1000"}) ==
        Err("ERR Target instance replied with error: unexpected reply 'HTTP/1.1 400 Bad "
            "Request'"));
  CHECK(f.Run({"GET", "k"}) == Bulk("v"));
  // The stream is not trusted again: the connection is closed.
  CHECK(f.Run({"INFO", "stats"}).find("migrate_cached_sockets:0\r\n") != std::string::npos);

  // A refused AUTH: the RESTOREs ran unauthenticated, so nothing counts as moved.
  ScriptedTarget guarded([](const std::vector<std::string>& argv) -> std::string {
    if (argv[0] == "AUTH") return "-WRONGPASS invalid username-password pair\r\n";
    return "+OK\r\n";
  });
  CHECK(f.Run({"MIGRATE", "127.0.0.1", guarded.port(), "k", "0", "1000", "AUTH", "x"}) ==
        Err("ERR Target instance replied with error: WRONGPASS invalid username-password pair"));
  CHECK(f.Run({"GET", "k"}) == Bulk("v"));
}

TEST_CASE("MIGRATE gives up after its timeout without retrying", "[migrate]") {
  EngineFixture f;
  ScriptedTarget silent([](const std::vector<std::string>&) { return std::string(); });
  f.Run({"SET", "k", "v"});
  const auto start = std::chrono::steady_clock::now();
  CHECK(f.Run({"MIGRATE", "127.0.0.1", silent.port(), "k", "0", "100"}) ==
        Err("IOERR error or timeout reading to target instance"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // a hang guard
  CHECK(silent.accepted() == 1);
  CHECK(f.Run({"GET", "k"}) == Bulk("v"));
  CHECK(f.Run({"INFO", "stats"}).find("migrate_cached_sockets:0\r\n") != std::string::npos);
}

TEST_CASE("MIGRATE connects nowhere once the targets are disabled (replay)", "[migrate]") {
  EngineFixture f;
  ScriptedTarget target(AllOk);
  f.engine().migrate_targets().Disable();
  f.Run({"SET", "k", "v"});
  CHECK(f.Run({"MIGRATE", "127.0.0.1", target.port(), "k", "0", "1000"}) ==
        Err("IOERR error or timeout connecting to the client"));
  CHECK(target.accepted() == 0);
  CHECK(f.Run({"GET", "k"}) == Bulk("v"));
}

}  // namespace tidekv::commands
