// Configured limits: each has a clear error and leaves the server healthy (DESIGN.md §9).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

std::string InfoValue(redisContext* c, const std::string& section, const std::string& field) {
  Reply r = Command(c, {"INFO", section});
  if (r == nullptr || r->str == nullptr) return "";
  return InfoField(std::string(r->str, r->len), field);
}

// A numeric INFO field, or -1 when it is missing.
long long InfoNumber(redisContext* c, const std::string& section, const std::string& field) {
  const std::string text = InfoValue(c, section, field);
  return text.empty() ? -1 : std::stoll(text);
}

TEST_CASE("limits.max_clients refuses the connection past the limit", "[integration]") {
  ServerProcess server({"--limits.max_clients", "5"});
  std::vector<RedisConnection> clients;
  for (int i = 0; i < 5; i++) {
    clients.push_back(server.Connect());
    REQUIRE(Call(clients.back().get(), {"PING"}) == "PONG");
  }

  RawSocket sixth(server.port());
  const bool closed = sixth.ReadUntilClosed();
  CHECK(closed);
  CHECK(sixth.received() == "-ERR max number of clients reached\r\n");
  for (auto& c : clients) CHECK(Call(c.get(), {"PING"}) == "PONG");
  CHECK(InfoValue(clients[0].get(), "stats", "rejected_connections") == "1");

  // A freed slot is usable again once the server has noticed the close.
  clients.pop_back();
  bool admitted = WaitFor([&] {
    RedisConnection c = server.Connect();
    return Call(c.get(), {"PING"}) == "PONG";
  });
  CHECK(admitted);
}

TEST_CASE("limits.client_output_bytes disconnects a client that does not read", "[integration]") {
  ServerProcess server({"--limits.client_output_bytes", "100000"});
  RedisConnection c = server.Connect();
  REQUIRE(Call(c.get(), {"SET", "big", std::string(10 * 1024, 'v')}) == "OK");

  // 5,000 GETs ask for ~50 MB of replies; the client never reads any of them.
  RawSocket greedy(server.port());
  std::string requests;
  for (int i = 0; i < 5000; i++) requests += "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
  greedy.Send(requests);  // may stop early once the server closes the connection

  long long disconnections = -1;
  WaitFor([&] {
    disconnections = InfoNumber(c.get(), "stats", "client_output_limit_disconnections");
    return disconnections >= 1;
  });
  CHECK(disconnections >= 1);
  CHECK(greedy.ReadUntilClosed(30s));
  CHECK(greedy.received().size() < 50'000'000);

  // The server, and the well-behaved client, are fine.
  CHECK(Call(c.get(), {"STRLEN", "big"}) == "(integer) 10240");
  CHECK(WaitFor([&] { return InfoValue(c.get(), "clients", "connected_clients") == "1"; }));
  RedisConnection fresh = server.Connect();
  CHECK(Call(fresh.get(), {"PING"}) == "PONG");
}

TEST_CASE("limits.maxmemory refuses writes with -OOM while reads go on", "[integration]") {
  // In spill mode no write sits in the log store's memtable, which does not count against
  // maxmemory (docs/eviction.md): with it, the room a refused write leaves depends on when
  // the memtable's real size is sampled, and a slow machine may accept many more writes.
  ServerProcess server({"--limits.maxmemory", "16mb", "--logstore.mode", "spill"});
  RedisConnection c = server.Connect();
  REQUIRE(Call(c.get(), {"SET", "first", "still here"}) == "OK");

  // Write 10 KB values in pipelined batches until the server refuses; 100 MB at most.
  const std::string value(10 * 1024, 'm');
  const std::string oom = "(error) OOM command not allowed when used memory > 'maxmemory'.";
  std::string refusal;
  int written = 0;
  for (int batch = 0; batch < 100 && refusal.empty(); batch++) {
    for (int i = 0; i < 100; i++) {
      AppendCommand(c.get(), {"SET", "fill:" + std::to_string(batch * 100 + i), value});
    }
    for (int i = 0; i < 100; i++) {
      const std::string r = Describe(GetReply(c.get()));
      if (r == "OK") {
        written++;
      } else if (refusal.empty()) {
        refusal = r;
      }
    }
  }
  INFO("writes accepted before the refusal: " << written);
  CHECK(refusal == oom);
  CHECK(written > 0);

  CHECK(Call(c.get(), {"GET", "first"}) == "still here");
  CHECK(Call(c.get(), {"STRLEN", "fill:0"}) == "(integer) 10240");
  // Still past the limit, writes keep being refused.
  bool refused_again = false;
  for (int i = 0; i < 200 && !refused_again; i++) {
    refused_again = Call(c.get(), {"SET", "more:" + std::to_string(i), value}) == oom;
  }
  CHECK(refused_again);
  CHECK(Call(c.get(), {"PING"}) == "PONG");
  CHECK(InfoValue(c.get(), "memory", "maxmemory") == "16777216");

  // Freeing memory makes writes possible again.
  CHECK(Call(c.get(), {"FLUSHALL"}) == "OK");
  CHECK(Call(c.get(), {"SET", "another", "v"}) == "OK");
}

}  // namespace
}  // namespace tidekv::integration
