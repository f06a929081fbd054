// CONFIG SET that must reach the network side (port, bind: the listeners move, or nothing
// changes when they cannot) and CONFIG REWRITE of the --config file.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_CASE("CONFIG SET port moves the listener, or fails and changes nothing", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  const uint16_t old_port = server.port();

  // A port someone else listens on: Redis's error, and every value of the call rolls back.
  LoopbackListener busy;
  CHECK(Call(c.get(), {"CONFIG", "SET", "maxmemory", "10000001", "port",
                       std::to_string(busy.port()), "client-query-buffer-limit", "10m"}) ==
        "(error) ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen "
        "on this port");
  CHECK(Call(c.get(), {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 0]");
  CHECK(Call(c.get(), {"CONFIG", "GET", "port"}) == "[port, " + std::to_string(old_port) + "]");
  CHECK(Call(server.Connect().get(), {"PING"}) == "PONG");

  // A free port: the server listens there, stops listening on the old one, and the clients
  // already connected stay.
  LoopbackListener probe;
  const uint16_t new_port = probe.port();
  probe.Close();
  CHECK(Call(c.get(), {"CONFIG", "SET", "port", std::to_string(new_port)}) == "OK");
  CHECK(Call(c.get(), {"CONFIG", "GET", "port"}) == "[port, " + std::to_string(new_port) + "]");
  CHECK(Call(ConnectRedis(new_port).get(), {"PING"}) == "PONG");
  CHECK(WaitFor([&] { return PortClosed(old_port); }));
  CHECK(Call(c.get(), {"PING"}) == "PONG");
  const std::string info = Call(c.get(), {"INFO", "server"});
  CHECK(InfoField(info, "tcp_port") == std::to_string(new_port));

  // bind too: the same port on another address list.
  CHECK(Call(c.get(), {"CONFIG", "SET", "bind", "127.0.0.1 127.0.0.2"}) == "OK");
  CHECK(Call(ConnectRedis(new_port).get(), {"PING"}) == "PONG");
  CHECK(Call(c.get(), {"CONFIG", "SET", "bind", "10.255.255.1"}) ==
        "(error) ERR CONFIG SET failed (possibly related to argument 'bind') - Failed to bind "
        "to specified addresses.");
  CHECK(Call(c.get(), {"CONFIG", "GET", "bind"}) == "[bind, 127.0.0.1 127.0.0.2]");
  CHECK(Call(ConnectRedis(new_port).get(), {"PING"}) == "PONG");
  CHECK(Call(c.get(), {"CONFIG", "SET", "daemonize", "yes"}) ==
        "(error) ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
        "immutable config");
}

TEST_CASE("CONFIG REWRITE updates the --config file and a restart reads it back", "[integration]") {
  TempDir files;
  const std::filesystem::path path = files.path() / "tidekv.toml";
  {
    std::ofstream out(path);
    out << "# written by hand\n[server]\nhz = 10  # background ticks\n\n[limits]\n"
           "maxmemory = \"1mb\"\n";
  }
  {
    ServerProcess server({"--config", path.string()});
    RedisConnection c = server.Connect();
    CHECK(Call(c.get(), {"CONFIG", "SET", "hz", "25", "save", "900 1"}) == "OK");
    CHECK(Call(c.get(), {"CONFIG", "REWRITE"}) == "OK");
    const std::string text = ReadFile(path);
    INFO(text);
    CHECK(text.rfind("# written by hand\n[server]\nhz = 25  # background ticks\n", 0) == 0);
    CHECK(text.find("maxmemory = \"1mb\"\n") != std::string::npos);
    CHECK(text.find("[compaction]\nsave = \"900 1\"\n") != std::string::npos);
  }
  ServerProcess again({"--config", path.string()});
  RedisConnection c = again.Connect();
  CHECK(Call(c.get(), {"CONFIG", "GET", "hz"}) == "[hz, 25]");
  CHECK(Call(c.get(), {"CONFIG", "GET", "save"}) == "[save, 900 1]");
  CHECK(Call(c.get(), {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 1048576]");

  ServerProcess without;
  CHECK(Call(without.Connect().get(), {"CONFIG", "REWRITE"}) ==
        "(error) ERR The server is running without a config file");
}

}  // namespace
}  // namespace tidekv::integration
