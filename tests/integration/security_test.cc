// Client trust boundaries (DESIGN.md §9): AUTH, HELLO AUTH, what runs before
// authentication and how much an unauthenticated client can make the server hold,
// cross-protocol (HTTP) requests, protected mode, DEBUG and protected options, and what the
// trace writer refuses to overwrite. Protected mode and the "local" levels need a client
// with a non-loopback address; the test makes one without touching any real network: a
// private network namespace joined to this one by a veth pair, with addresses no other host
// uses.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/persistence_util.h"
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

// ---- before authentication ---------------------------------------------------------------

// Every command of the table (each subcommand of a container), with as many filler
// arguments as its arity asks for, as COMMAND lists them.
std::vector<std::vector<std::string>> EveryCommand(redisContext* c) {
  Reply table = Command(c, {"COMMAND"});
  REQUIRE(table != nullptr);
  REQUIRE(table->type == REDIS_REPLY_ARRAY);
  std::vector<std::vector<std::string>> calls;
  auto call = [](std::vector<std::string> words, long long arity) {
    const size_t want = static_cast<size_t>(arity < 0 ? -arity : arity);
    while (words.size() < want) words.push_back("x");
    return words;
  };
  for (size_t i = 0; i < table->elements; i++) {
    const redisReply* row = table->element[i];
    const std::string name(row->element[0]->str, row->element[0]->len);
    const redisReply* subs = row->elements > 9 ? row->element[9] : nullptr;
    if (subs == nullptr || subs->type != REDIS_REPLY_ARRAY || subs->elements == 0) {
      calls.push_back(call({name}, row->element[1]->integer));
      continue;
    }
    for (size_t j = 0; j < subs->elements; j++) {
      const redisReply* sub = subs->element[j];
      const std::string full(sub->element[0]->str, sub->element[0]->len);
      calls.push_back(call({name, full.substr(full.find('|') + 1)}, sub->element[1]->integer));
    }
  }
  return calls;
}

TEST_CASE("with a password, only AUTH, HELLO AUTH, QUIT and RESET run before authentication",
          "[integration][security]") {
  ServerProcess server({"--security.password", "secret"});
  RedisConnection admin = server.Connect();
  REQUIRE(Call(admin.get(), {"AUTH", "secret"}) == "OK");
  REQUIRE(Call(admin.get(), {"SET", "k", "v"}) == "OK");
  const auto calls = EveryCommand(admin.get());
  REQUIRE(calls.size() > 50);

  RedisConnection stranger = server.Connect();
  size_t refused = 0;
  for (const auto& argv : calls) {
    std::string name = argv[0];
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (name == "auth" || name == "quit" || name == "reset" || name == "hello") continue;
    INFO("unauthenticated: " << argv[0] << (argv.size() > 1 ? " " + argv[1] : ""));
    CHECK(Call(stranger.get(), argv) == "(error) NOAUTH Authentication required.");
    refused++;
  }
  CHECK(refused == calls.size() - 4);
  // The server is still up and nothing changed (SHUTDOWN, FLUSHALL, CONFIG SET... all refused).
  CHECK(Call(admin.get(), {"GET", "k"}) == "v");
  CHECK(Call(admin.get(), {"CONFIG", "GET", "requirepass"}).find("secret") != std::string::npos);

  // The four that do run: HELLO only with AUTH.
  CHECK(Call(stranger.get(), {"HELLO", "2"}).rfind("(error) NOAUTH HELLO must be called", 0) == 0);
  CHECK(Call(stranger.get(), {"AUTH", "wrong"}).rfind("(error) WRONGPASS", 0) == 0);
  CHECK(Call(stranger.get(), {"RESET"}) == "RESET");
  CHECK(Call(stranger.get(), {"QUIT"}) == "OK");
  CHECK(Command(stranger.get(), {"PING"}) == nullptr);
}

TEST_CASE("an unauthenticated client cannot make the server hold memory",
          "[integration][security]") {
  ServerProcess server({"--security.password", "secret"});
  RedisConnection admin = server.Connect();
  REQUIRE(Call(admin.get(), {"AUTH", "secret"}) == "OK");

  SECTION("Redis's limits on argument count and size") {
    RawSocket many(server.port());
    REQUIRE(many.Send("*11\r\n"));
    REQUIRE(many.ReadUntilClosed());
    CHECK(many.received() == "-ERR Protocol error: unauthenticated multibulk length\r\n");

    RawSocket big(server.port());
    REQUIRE(big.Send("*2\r\n$4\r\nAUTH\r\n$16385\r\n"));
    REQUIRE(big.ReadUntilClosed());
    CHECK(big.received() == "-ERR Protocol error: unauthenticated bulk length\r\n");

    // At the limits, requests still parse (and are refused or answered normally).
    RawSocket ten(server.port());
    std::string req = "*10\r\n$3\r\nDEL\r\n";
    for (int i = 1; i < 10; i++) req += "$1\r\nx\r\n";
    CHECK(ten.Roundtrip(req) == "-NOAUTH Authentication required.\r\n");
    const std::string password(16384, 'p');
    CHECK(ten.Roundtrip("*2\r\n$4\r\nAUTH\r\n$16384\r\n" + password + "\r\n")
              .rfind("-WRONGPASS", 0) == 0);
  }

  SECTION("a pipelined AUTH lifts the limits for the requests after it") {
    RawSocket raw(server.port());
    const std::string value(100000, 'v');
    const std::string pipeline =
        "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" +
        std::to_string(value.size()) + "\r\n" + value + "\r\n";
    REQUIRE(raw.Send(pipeline));
    CHECK(raw.ReadReplies(2) == std::vector<std::string>{"+OK\r\n", "+OK\r\n"});
    CHECK(Call(admin.get(), {"STRLEN", "big"}) == "(integer) 100000");
  }

  SECTION("declared sizes reserve nothing before their bytes arrive") {
    // 20 connections each announce a 512 MiB argument and send 1 KiB of it: before AUTH
    // they are cut off at the header; after AUTH the server holds about what was sent.
    const int64_t before = std::stoll(InfoField(InfoText(admin.get(), "memory"), "used_memory"));
    std::vector<std::unique_ptr<RawSocket>> sockets;
    for (int i = 0; i < 20; i++) {
      auto raw = std::make_unique<RawSocket>(server.port());
      const bool authed = i % 2 == 0;
      std::string req = authed ? "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n" : "";
      req += "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n" + std::string(1024, 'z');
      raw->Send(req);
      if (authed) CHECK(raw->ReadReplies(1) == std::vector<std::string>{"+OK\r\n"});
      sockets.push_back(std::move(raw));
    }
    // Let the server read everything that was sent.
    CHECK(Call(admin.get(), {"PING"}) == "PONG");
    const int64_t after = std::stoll(InfoField(InfoText(admin.get(), "memory"), "used_memory"));
    INFO("used_memory " << before << " -> " << after);
    CHECK(after - before < 16ll * 1024 * 1024);
  }
}

TEST_CASE("HTTP-looking requests close the connection with a warning", "[integration][security]") {
  for (const std::string& password : {std::string(), std::string("secret")}) {
    INFO("password '" << password << "'");
    std::vector<std::string> args;
    if (!password.empty()) args = {"--security.password", password};
    ServerProcess server(args);
    // What a web page's fetch() to http://127.0.0.1:<port>/ sends, with a command in the body.
    for (const std::string& request :
         {std::string("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 27\r\n\r\n"
                      "CONFIG SET maxmemory 1000\r\n"),
          std::string("Host: 127.0.0.1\r\nCONFIG SET maxmemory 1000\r\n")}) {
      RawSocket raw(server.port());
      raw.Send(request);
      CHECK(raw.ReadUntilClosed());
      CHECK(raw.received().empty());
    }
    CHECK(server.Log().find("SECURITY ATTACK") != std::string::npos);
    RedisConnection c = server.Connect();
    if (!password.empty()) REQUIRE(Call(c.get(), {"AUTH", password}) == "OK");
    CHECK(Call(c.get(), {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 0]");
  }
}

TEST_CASE("server.timeout keeps a client that is still sending a request",
          "[integration][security]") {
  ServerProcess server({"--server.timeout", "2"});
  RedisConnection idle = server.Connect();
  REQUIRE(Call(idle.get(), {"PING"}) == "PONG");
  RawSocket slow(server.port());
  // A 20 KB value sent 1 KB every 250 ms: about 5 s, more than twice the timeout, without a
  // complete request in between.
  const std::string value(20000, 's');
  REQUIRE(slow.Send("*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$20000\r\n"));
  for (size_t at = 0; at < value.size(); at += 1000) {
    std::this_thread::sleep_for(250ms);
    REQUIRE(slow.Send(value.substr(at, 1000)));
  }
  CHECK(slow.Roundtrip("\r\n") == "+OK\r\n");
  // The idle client was closed meanwhile.
  CHECK(Command(idle.get(), {"PING"}) == nullptr);
}

// ---- DEBUG and protected options -------------------------------------------------------------

constexpr std::string_view kDebugRefused = "(error) ERR DEBUG command not allowed.";

TEST_CASE("DEBUG is refused unless security.enable_debug_command allows it",
          "[integration][security]") {
  ServerProcess off({"--security.enable_debug_command", "no"});
  RedisConnection c = off.Connect();
  for (const std::vector<std::string>& argv : {std::vector<std::string>{"DEBUG", "HELP"},
                                               {"DEBUG", "SLEEP", "0"},
                                               {"DEBUG", "DIGEST"},
                                               {"DEBUG", "RELOAD"},
                                               {"DEBUG", "SET-ACTIVE-EXPIRE", "0"}}) {
    INFO(argv[1]);
    CHECK(Call(c.get(), argv).rfind(std::string(kDebugRefused), 0) == 0);
  }
  CHECK(Call(c.get(), {"CONFIG", "GET", "enable-debug-command"}) == "[enable-debug-command, no]");
  CHECK(Call(c.get(), {"CONFIG", "SET", "enable-debug-command", "yes"})
            .find("can't set immutable config") != std::string::npos);

  ServerProcess local({"--security.enable_debug_command", "local"});
  RedisConnection l = local.Connect();
  CHECK(Call(l.get(), {"DEBUG", "SLEEP", "0"}) == "OK");
}

TEST_CASE("DEBUG SLEEP parses its number strictly and is bounded", "[integration][security]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  for (const char* bad : {"9.2e12", "61", "abc", "-1", "nan", "inf", "1x", " 1"}) {
    INFO("DEBUG SLEEP " << bad);
    CHECK(Call(c.get(), {"DEBUG", "SLEEP", bad}).rfind("(error) ERR", 0) == 0);
  }
  CHECK(Call(c.get(), {"DEBUG", "SLEEP", "0.01"}) == "OK");
  CHECK(Call(c.get(), {"PING"}) == "PONG");
}

TEST_CASE("options that name files change at runtime only as enable_protected_configs allows",
          "[integration][security]") {
  TempDir dir;
  const std::string elsewhere = (dir.path() / "elsewhere.trace").string();
  {
    ServerProcess server;  // the default: no
    RedisConnection c = server.Connect();
    CHECK(Call(c.get(), {"CONFIG", "SET", "trace.path", elsewhere}) ==
          "(error) ERR CONFIG SET failed (possibly related to argument 'trace.path') - can't set "
          "protected config");
    // Options that are not files stay changeable; server.dir and log.file never are.
    CHECK(Call(c.get(), {"CONFIG", "SET", "trace.max_bytes", "1mb"}) == "OK");
    CHECK(Call(c.get(), {"CONFIG", "SET", "dir", dir.path().string()})
              .find("can't set immutable config") != std::string::npos);
    CHECK(
        Call(c.get(), {"CONFIG", "SET", "logfile", elsewhere}).find("can't set immutable config") !=
        std::string::npos);
    CHECK(Call(c.get(), {"CONFIG", "SET", "enable-protected-configs", "yes"})
              .find("can't set immutable config") != std::string::npos);
  }
  for (const char* level : {"yes", "local"}) {
    ServerProcess server({"--security.enable_protected_configs", level});
    RedisConnection c = server.Connect();
    CHECK(Call(c.get(), {"CONFIG", "SET", "trace.path", elsewhere}) == "OK");
  }
}

TEST_CASE("the local levels refuse clients that are not on loopback", "[integration][security]") {
  PrivateNetwork net;
  if (!net.ready()) {
    WARN("skipped: cannot create a network namespace: " << net.error());
    return;
  }
  ServerProcess server({"--bind", "0.0.0.0", "--security.password", "secret",
                        "--security.enable_debug_command", "local",
                        "--security.enable_protected_configs", "local"});
  ProcessResult debug =
      net.RedisCli(server.port(), {"-a", "secret", "--no-auth-warning", "debug", "sleep", "0"});
  INFO("stdout: " << debug.out << "\nstderr: " << debug.err);
  CHECK(debug.out.find("DEBUG command not allowed") != std::string::npos);
  ProcessResult set = net.RedisCli(
      server.port(), {"-a", "secret", "--no-auth-warning", "config", "set", "trace.path", "/x"});
  INFO("stdout: " << set.out << "\nstderr: " << set.err);
  CHECK(set.out.find("can't set protected config") != std::string::npos);
  // The same from loopback is allowed.
  ProcessResult local =
      RunRedisCli(server.port(), {"-a", "secret", "--no-auth-warning", "debug", "sleep", "0"});
  CHECK(local.out == "OK\n");
}

// ---- files the server writes -----------------------------------------------------------------

TEST_CASE("the trace never overwrites a file it did not create or follows a symlink",
          "[integration][security]") {
  TempDir dir;
  const std::filesystem::path victim = dir.path() / "authorized_keys";
  const std::string precious = "ssh-ed25519 AAAA precious\n";
  { std::ofstream(victim) << precious; }
  auto contents = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };

  SECTION("an existing file that is not a trace") {
    ServerProcess server({"--trace-file", victim.string()});
    RedisConnection c = server.Connect();
    CHECK(Call(c.get(), {"SET", "k", "v"}) == "OK");
    const std::string info = InfoText(c.get(), "trace");
    INFO(info);
    CHECK(InfoField(info, "trace_enabled") == "0");
    CHECK(InfoField(info, "trace_error").find("not a trace file") != std::string::npos);
  }
  SECTION("a symbolic link to it") {
    const std::filesystem::path link = dir.path() / "link.trace";
    std::filesystem::create_symlink(victim, link);
    ServerProcess server({"--trace-file", link.string()});
    RedisConnection c = server.Connect();
    CHECK(Call(c.get(), {"SET", "k", "v"}) == "OK");
    CHECK(InfoField(InfoText(c.get(), "trace"), "trace_enabled") == "0");
  }
  SECTION("rotation onto <path>.1 that is not a trace") {
    const std::filesystem::path trace = dir.path() / "t.trace";
    std::filesystem::copy_file(victim, trace.string() + ".1");
    ServerProcess server(
        {"--trace-file", trace.string(), "--trace.max_bytes", "64kb", "--trace.on_full", "rotate"});
    RedisConnection c = server.Connect();
    for (int i = 0; i < 2000; i++) AppendCommand(c.get(), {"SET", "k", std::string(100, 'x')});
    for (int i = 0; i < 2000; i++) REQUIRE(Describe(GetReply(c.get())) == "OK");
    CHECK(WaitFor([&] { return InfoField(InfoText(c.get(), "trace"), "trace_enabled") == "0"; }));
    CHECK(contents(trace.string() + ".1") == precious);
    // The trace it did write is owner-only.
    struct stat st {};
    REQUIRE(::stat(trace.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
  CHECK(contents(victim) == precious);
}

}  // namespace
}  // namespace tidekv::integration

namespace tidekv::integration {
namespace {

TEST_CASE("ACL users: AUTH, HELLO AUTH, NOPERM, CLIENT LIST and DELUSER", "[integration]") {
  ServerProcess server({"--security.password", "secret"});
  RedisConnection admin = server.Connect();
  CHECK(Call(admin.get(), {"AUTH", "secret"}) == "OK");
  CHECK(Call(admin.get(), {"ACL", "SETUSER", "alice", "on", ">pw", "+get", "+set", "+client|list",
                           "~a*"}) == "OK");

  RedisConnection alice = server.Connect();
  CHECK(Call(alice.get(), {"AUTH", "alice", "nope"}).rfind("(error) WRONGPASS", 0) == 0);
  CHECK(Call(alice.get(), {"AUTH", "alice", "pw"}) == "OK");
  CHECK(Call(alice.get(), {"SET", "a1", "v"}) == "OK");
  CHECK(Call(alice.get(), {"GET", "b1"}) ==
        "(error) NOPERM this user has no permissions to access one of the keys used as arguments");
  CHECK(Call(alice.get(), {"DEL", "a1"}) ==
        "(error) NOPERM this user has no permissions to run the 'del' command");
  CHECK(Call(alice.get(), {"CLIENT", "LIST"}).find("user=alice") != std::string::npos);

  // HELLO AUTH logs in, even without the HELLO permission.
  RedisConnection hello = server.Connect();
  Reply r = Command(hello.get(), {"HELLO", "2", "AUTH", "alice", "pw"});
  REQUIRE(r != nullptr);
  CHECK(r->type == REDIS_REPLY_ARRAY);
  CHECK(Call(hello.get(), {"GET", "a1"}) == "v");

  // The refusals are in ACL LOG and INFO.
  CHECK(Call(admin.get(), {"INFO", "stats"}).find("acl_access_denied_auth:1") != std::string::npos);
  Reply log = Command(admin.get(), {"ACL", "LOG", "1"});
  REQUIRE(log != nullptr);
  REQUIRE(log->type == REDIS_REPLY_ARRAY);
  CHECK(log->elements == 1);

  // Deleting the user disconnects its clients.
  CHECK(Call(admin.get(), {"ACL", "DELUSER", "alice"}) == "(integer) 1");
  CHECK(Command(alice.get(), {"PING"}) == nullptr);
  CHECK(Call(admin.get(), {"PING"}) == "PONG");
}

}  // namespace
}  // namespace tidekv::integration
