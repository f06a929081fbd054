// Malformed requests: the sender gets "-ERR Protocol error: ..." and is disconnected; every
// other client carries on as if nothing happened (DESIGN.md §9).
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

struct BadRequest {
  const char* what;
  std::string bytes;
  const char* error;  // the reply's expected start
};

TEST_CASE("protocol errors close only the offending connection", "[integration]") {
  ServerProcess server;
  RedisConnection bystander = server.Connect();
  REQUIRE(Call(bystander.get(), {"SET", "counter", "0"}) == "OK");

  const BadRequest requests[] = {
      {"non-numeric multibulk length", "*abc\r\n", "-ERR Protocol error: invalid multibulk length"},
      {"negative bulk length", "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length"},
      {"2 GB bulk length", "*1\r\n$2147483648\r\n", "-ERR Protocol error: invalid bulk length"},
      {"huge multibulk length", "*99999999999\r\n",
       "-ERR Protocol error: invalid multibulk length"},
      {"argument without '$'", "*2\r\n$3\r\nGET\r\nfoo\r\n", "-ERR Protocol error: expected '$'"},
      {"bulk without CRLF", "*1\r\n$4\r\nPINGxx", "-ERR Protocol error: "},
      {"unbalanced quotes inline", "SET \"abc def\r\n",
       "-ERR Protocol error: unbalanced quotes in request"},
      {"64 KB+ inline line without a newline", std::string(70000, 'x'),
       "-ERR Protocol error: too big inline request"},
  };
  // One server for all of them: the bystander must outlive every bad client in turn.
  int incr = 0;
  for (const BadRequest& bad : requests) {
    INFO("case: " << bad.what);
    RawSocket raw(server.port());
    // A good request first: its reply must still arrive, before the error. The send may
    // end early when the server closes on the bad bytes; the checks below are what count.
    raw.Send("PING\r\n" + bad.bytes);
    const bool closed = raw.ReadUntilClosed();
    INFO("received: " << raw.received());
    CHECK(closed);
    CHECK(raw.received().rfind(std::string("+PONG\r\n") + bad.error, 0) == 0);
    CHECK(raw.received().size() >= 2);
    CHECK(raw.received().substr(raw.received().size() - 2) == "\r\n");
    CHECK(std::count(raw.received().begin(), raw.received().end(), '\n') == 2);

    // The other client neither noticed nor lost anything.
    CHECK(Call(bystander.get(), {"INCR", "counter"}) == "(integer) " + std::to_string(++incr));
    CHECK(Call(bystander.get(), {"PING"}) == "PONG");
  }
  CHECK(WaitFor([&] {
    Reply i = Command(bystander.get(), {"INFO", "clients"});
    return i != nullptr && InfoField(std::string(i->str, i->len), "connected_clients") == "1";
  }));
}

TEST_CASE("odd but valid requests keep the connection open", "[integration]") {
  ServerProcess server;
  RawSocket raw(server.port());
  // As in Redis: a line not starting with '*' is an inline command, even "$-5"; empty lines
  // and empty or null multibulks are skipped; an empty command name is an unknown command.
  REQUIRE(raw.Send("$-5\r\n\r\n*0\r\n*-1\r\n*1\r\n$0\r\n\r\nPING\n"));
  std::vector<std::string> replies = raw.ReadReplies(3);
  CHECK(replies[0].rfind("-ERR unknown command '$-5'", 0) == 0);
  CHECK(replies[1].rfind("-ERR unknown command ''", 0) == 0);
  CHECK(replies[2] == "+PONG\r\n");
  CHECK(raw.Roundtrip("PING\r\n") == "+PONG\r\n");
}

TEST_CASE("a request split into many tiny writes is still understood", "[integration]") {
  ServerProcess server;
  RawSocket raw(server.port());
  const std::string request =
      "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
  for (char byte : request) {
    REQUIRE(raw.Send(std::string(1, byte)));
    // Give the server a chance to read each byte on its own.
    std::this_thread::sleep_for(1ms);
  }
  std::vector<std::string> replies = raw.ReadReplies(2);
  CHECK(replies[0] == "+OK\r\n");
  CHECK(replies[1] == "$5\r\nhello\r\n");
}

TEST_CASE("limits.max_bulk_bytes refuses a larger argument", "[integration]") {
  ServerProcess server({"--limits.max_bulk_bytes", "1mb"});  // the smallest allowed
  RedisConnection bystander = server.Connect();

  // At the limit: accepted.
  RedisConnection c = server.Connect();
  CHECK(Call(c.get(), {"SET", "k", std::string(1 << 20, 'x')}) == "OK");
  CHECK(Call(c.get(), {"STRLEN", "k"}) == "(integer) 1048576");

  // One byte over: refused as soon as the length is read, and the connection is closed.
  RawSocket raw(server.port());
  REQUIRE(raw.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"));
  const bool closed = raw.ReadUntilClosed();
  INFO("received: " << raw.received());
  CHECK(closed);
  CHECK(raw.received() == "-ERR Protocol error: invalid bulk length\r\n");

  // Through hiredis: the server closes the connection once it has read the length, so the
  // client either reads the error or, still sending the 2 MiB, fails with a broken pipe or a
  // reset (Redis does the same). Either way this connection is gone.
  Reply r = Command(c.get(), {"SET", "k", std::string(2 << 20, 'y')});
  INFO("hiredis: err=" << c->err << " " << c->errstr);
  if (r != nullptr) {
    CHECK(Describe(r) == "(error) ERR Protocol error: invalid bulk length");
  } else {
    CHECK((c->err == REDIS_ERR_IO || c->err == REDIS_ERR_EOF));
  }
  CHECK(Command(c.get(), {"PING"}) == nullptr);

  CHECK(Call(bystander.get(), {"STRLEN", "k"}) == "(integer) 1048576");
  CHECK(Call(bystander.get(), {"PING"}) == "PONG");
}

}  // namespace
}  // namespace tidekv::integration
