// Pipelining: many requests written before any reply is read must all be answered, in
// order, whether they come from hiredis or as one big write of mixed inline and multibulk
// requests.
#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

TEST_CASE("10,000 pipelined hiredis commands are answered in order", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  // Three kinds of command interleaved, so a reply out of place cannot look right: SET of a
  // fresh key, GET of the key set just before, INCR of a shared counter.
  constexpr int kCommands = 10000;
  for (int i = 0; i < kCommands; i++) {
    const std::string n = std::to_string(i);
    switch (i % 3) {
      case 0:
        AppendCommand(c.get(), {"SET", "key:" + n, "value:" + n});
        break;
      case 1:
        AppendCommand(c.get(), {"GET", "key:" + std::to_string(i - 1)});
        break;
      case 2:
        AppendCommand(c.get(), {"INCR", "counter"});
        break;
    }
  }
  int counter = 0;
  int wrong = 0;
  for (int i = 0; i < kCommands; i++) {
    Reply r = GetReply(c.get());
    REQUIRE(r != nullptr);
    std::string expected;
    switch (i % 3) {
      case 0:
        expected = "OK";
        break;
      case 1:
        expected = "value:" + std::to_string(i - 1);
        break;
      case 2:
        expected = "(integer) " + std::to_string(++counter);
        break;
    }
    const std::string got = Describe(r);
    if (got != expected && wrong++ < 5) {
      FAIL_CHECK("reply " << i << ": expected '" << expected << "', got '" << got << "'");
    }
  }
  CHECK(wrong == 0);
  CHECK(Call(c.get(), {"GET", "counter"}) == std::to_string(counter));
}

TEST_CASE("10,000 inline and multibulk PINGs in one write get 10,000 replies", "[integration]") {
  ServerProcess server;
  RawSocket raw(server.port());

  // Alternate the two request syntaxes so the parser switches between them mid-buffer.
  constexpr int kRequests = 10000;
  std::string requests;
  for (int i = 0; i < kRequests; i++) {
    requests += i % 2 == 0 ? "PING\r\n" : "*1\r\n$4\r\nPING\r\n";
  }
  REQUIRE(raw.Send(requests));
  std::vector<std::string> replies = raw.ReadReplies(kRequests);
  int wrong = 0;
  for (const std::string& reply : replies) wrong += reply != "+PONG\r\n";
  CHECK(wrong == 0);

  // Exactly 10,000: nothing more arrives, and the connection still works afterwards.
  CHECK_FALSE(raw.ReadUntil([](const std::string& b) { return !b.empty(); }, 200ms));
  CHECK(raw.received().empty());
  CHECK(raw.Roundtrip("*2\r\n$4\r\nECHO\r\n$3\r\nend\r\n") == "$3\r\nend\r\n");
}

}  // namespace
}  // namespace tidekv::integration
