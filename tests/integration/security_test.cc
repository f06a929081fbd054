// AUTH, HELLO AUTH and protected mode. Protected mode needs a client with a non-loopback
// address; the test makes one without touching any real network: a private network
// namespace joined to this one by a veth pair, with addresses no other host uses.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

TEST_CASE("AUTH with security.password", "[integration]") {
  ServerProcess server({"--security.password", "secret"});
  RedisConnection c = server.Connect();

  CHECK(Call(c.get(), {"PING"}) == "(error) NOAUTH Authentication required.");
  CHECK(Call(c.get(), {"GET", "k"}) == "(error) NOAUTH Authentication required.");
  CHECK(Call(c.get(), {"AUTH", "wrong"}).rfind("(error) WRONGPASS ", 0) == 0);
  CHECK(Call(c.get(), {"AUTH", "nobody", "secret"}).rfind("(error) WRONGPASS ", 0) == 0);
  CHECK(Call(c.get(), {"SET", "k", "v"}) == "(error) NOAUTH Authentication required.");
  CHECK(Call(c.get(), {"AUTH", "secret"}) == "OK");
  CHECK(Call(c.get(), {"PING"}) == "PONG");
  CHECK(Call(c.get(), {"SET", "k", "v"}) == "OK");

  // Authentication belongs to the connection, not to the client's address.
  RedisConnection other = server.Connect();
  CHECK(Call(other.get(), {"GET", "k"}) == "(error) NOAUTH Authentication required.");
  CHECK(Call(other.get(), {"AUTH", "default", "secret"}) == "OK");
  CHECK(Call(other.get(), {"GET", "k"}) == "v");
  // RESET forgets it again.
  CHECK(Call(other.get(), {"RESET"}) == "RESET");
  CHECK(Call(other.get(), {"GET", "k"}) == "(error) NOAUTH Authentication required.");

  // HELLO 2 with a wrong password is refused and leaves the connection unauthenticated.
  RedisConnection hello2 = server.Connect();
  CHECK(
      Call(hello2.get(), {"HELLO", "2", "AUTH", "default", "nope"}).rfind("(error) WRONGPASS", 0) ==
      0);
  CHECK(Call(hello2.get(), {"HELLO", "2"}).rfind("(error) NOAUTH", 0) == 0);
  Reply hello = Command(hello2.get(), {"HELLO", "2", "AUTH", "default", "secret"});
  REQUIRE(hello != nullptr);
  CHECK(hello->type == REDIS_REPLY_ARRAY);
  CHECK(Call(hello2.get(), {"GET", "k"}) == "v");
}

TEST_CASE("HELLO 3 AUTH authenticates and switches to RESP3", "[integration]") {
  ServerProcess server({"--security.password", "secret"});
  RawSocket raw(server.port());

  CHECK(raw.Roundtrip("GET k\r\n") == "-NOAUTH Authentication required.\r\n");
  const std::string hello = raw.Roundtrip("HELLO 3 AUTH default secret\r\n");
  INFO("HELLO reply: " << hello);
  CHECK(hello.rfind("%", 0) == 0);
  CHECK(hello.find("$5\r\nproto\r\n:3\r\n") != std::string::npos);
  CHECK(raw.Roundtrip("GET k\r\n") == "_\r\n");
}

TEST_CASE("redis-cli -a authenticates", "[integration]") {
  ServerProcess server({"--security.password", "secret"});

  ProcessResult denied = RunRedisCli(server.port(), {"ping"});
  CHECK(denied.out.find("NOAUTH") != std::string::npos);

  ProcessResult ok = RunRedisCli(server.port(), {"-a", "secret", "--no-auth-warning", "ping"});
  INFO("stdout: " << ok.out << "stderr: " << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "PONG\n");

  ProcessResult wrong = RunRedisCli(server.port(), {"-a", "bad", "--no-auth-warning", "ping"});
  CHECK((wrong.out + wrong.err).find("WRONGPASS") != std::string::npos);
}

TEST_CASE("AUTH without a configured password is an error", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  CHECK(Call(c.get(), {"PING"}) == "PONG");
  CHECK(Call(c.get(), {"AUTH", "x"}).rfind("(error) ERR AUTH <password> called without", 0) == 0);
}

// A network namespace with one end of a veth pair in it; the other end stays here. Traffic
// between them never leaves the machine. Everything is removed in the destructor, and the
// names carry this process's id so parallel runs cannot collide.
class PrivateNetwork {
 public:
  PrivateNetwork() {
    const int pid = static_cast<int>(getpid());
    const std::string id = std::to_string(pid);
    ns_ = "tkns" + id;
    host_link_ = "tkv0" + id;
    ns_link_ = "tkv1" + id;
    // A /30 inside 10.203.0.0/16 picked from the pid: .1 here, .2 in the namespace.
    const std::string prefix = "10.203." + std::to_string((pid / 64) % 256) + ".";
    const int base = (pid % 64) * 4;
    host_address_ = prefix + std::to_string(base + 1);
    ns_address_ = prefix + std::to_string(base + 2);

    if (geteuid() != 0) {
      error_ = "not running as root";
      return;
    }
    if (RunProcess({"ip", "-V"}, "", 5s).exit_code != 0) {
      error_ = "no 'ip' command (iproute2)";
      return;
    }
    Cleanup();  // leftovers of a crashed run with the same pid
    const std::vector<std::vector<std::string>> steps = {
        {"ip", "netns", "add", ns_},
        {"ip", "link", "add", host_link_, "type", "veth", "peer", "name", ns_link_},
        {"ip", "link", "set", ns_link_, "netns", ns_},
        {"ip", "addr", "add", host_address_ + "/30", "dev", host_link_},
        {"ip", "link", "set", host_link_, "up"},
        {"ip", "netns", "exec", ns_, "ip", "addr", "add", ns_address_ + "/30", "dev", ns_link_},
        {"ip", "netns", "exec", ns_, "ip", "link", "set", ns_link_, "up"},
        {"ip", "netns", "exec", ns_, "ip", "link", "set", "lo", "up"},
    };
    for (const auto& step : steps) {
      ProcessResult r = RunProcess(step, "", 10s);
      if (r.exit_code != 0) {
        error_ = "'" + Join(step) + "' failed (" + std::to_string(r.exit_code) + "): " + r.err;
        return;
      }
    }
    ready_ = true;
  }

  ~PrivateNetwork() { Cleanup(); }

  bool ready() const { return ready_; }
  const std::string& error() const { return error_; }
  const std::string& ns_address() const { return ns_address_; }

  // redis-cli run inside the namespace against the host end of the pair.
  ProcessResult RedisCli(uint16_t port, const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {
        "ip", "netns", "exec", ns_, "redis-cli", "-h", host_address_, "-p", std::to_string(port)};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, "", 15s);
  }

 private:
  static std::string Join(const std::vector<std::string>& words) {
    std::string out;
    for (const std::string& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
  }

  void Cleanup() {
    // Deleting the namespace destroys the veth end inside it, and with it the pair; the
    // explicit link delete covers a failure before the end was moved.
    RunProcess({"ip", "netns", "del", ns_}, "", 10s);
    RunProcess({"ip", "link", "del", host_link_}, "", 10s);
  }

  std::string ns_, host_link_, ns_link_, host_address_, ns_address_, error_;
  bool ready_ = false;
};

TEST_CASE("protected mode refuses non-loopback clients when no password is set", "[integration]") {
  PrivateNetwork net;
  if (!net.ready()) {
    WARN("skipped: cannot create a network namespace: " << net.error());
    return;
  }
  ServerProcess server({"--bind", "0.0.0.0"});

  ProcessResult remote = net.RedisCli(server.port(), {"ping"});
  INFO("remote stdout: " << remote.out << "\nremote stderr: " << remote.err);
  CHECK((remote.out + remote.err).find("DENIED") != std::string::npos);
  CHECK(remote.out.find("PONG") == std::string::npos);

  ProcessResult local = RunRedisCli(server.port(), {"ping"});
  CHECK(local.out == "PONG\n");

  RedisConnection c = server.Connect();
  Reply info = Command(c.get(), {"INFO", "stats"});
  REQUIRE(info != nullptr);
  CHECK(InfoField(std::string(info->str, info->len), "rejected_connections") == "1");
}

TEST_CASE("with a password, non-loopback clients are accepted and must AUTH", "[integration]") {
  PrivateNetwork net;
  if (!net.ready()) {
    WARN("skipped: cannot create a network namespace: " << net.error());
    return;
  }
  ServerProcess server({"--bind", "0.0.0.0", "--security.password", "secret"});

  ProcessResult anonymous = net.RedisCli(server.port(), {"ping"});
  INFO("stdout: " << anonymous.out << "\nstderr: " << anonymous.err);
  CHECK(anonymous.out.find("NOAUTH") != std::string::npos);
  CHECK(anonymous.out.find("DENIED") == std::string::npos);

  ProcessResult authed =
      net.RedisCli(server.port(), {"-a", "secret", "--no-auth-warning", "client", "info"});
  INFO("stdout: " << authed.out << "\nstderr: " << authed.err);
  CHECK(authed.exit_code == 0);
  // The server saw the namespace's address, so this really was a non-loopback client.
  CHECK(authed.out.find("addr=" + net.ns_address() + ":") != std::string::npos);
}

}  // namespace
}  // namespace tidekv::integration
