// The stock redis-cli against tidekv: one-shot commands, output modes, database selection
// and --pipe mass insertion.
#include <catch2/catch.hpp>
#include <string>

#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

TEST_CASE("redis-cli one-shot commands, --raw and -n", "[integration]") {
  ServerProcess server;
  const uint16_t port = server.port();

  ProcessResult set = RunRedisCli(port, {"set", "k", "v"});
  INFO("stderr: " << set.err);
  CHECK(set.exit_code == 0);
  CHECK(set.out == "OK\n");
  CHECK(RunRedisCli(port, {"get", "k"}).out == "v\n");
  CHECK(RunRedisCli(port, {"incr", "n"}).out == "1\n");

  // --no-raw forces the human format even though stdout is a pipe; --raw prints the bytes.
  CHECK(RunRedisCli(port, {"--no-raw", "incr", "n"}).out == "(integer) 2\n");
  CHECK(RunRedisCli(port, {"--no-raw", "get", "k"}).out == "\"v\"\n");
  CHECK(RunRedisCli(port, {"--no-raw", "get", "missing"}).out == "(nil)\n");
  CHECK(RunRedisCli(port, {"set", "lines", "one\ntwo"}).out == "OK\n");
  CHECK(RunRedisCli(port, {"--raw", "get", "lines"}).out == "one\ntwo\n");
  CHECK(RunRedisCli(port, {"--no-raw", "get", "lines"}).out == "\"one\\ntwo\"\n");
  CHECK(RunRedisCli(port, {"--raw", "mget", "k", "lines"}).out == "v\none\ntwo\n");

  CHECK(RunRedisCli(port, {"-n", "3", "set", "in3", "x"}).out == "OK\n");
  CHECK(RunRedisCli(port, {"-n", "3", "get", "in3"}).out == "x\n");
  CHECK(RunRedisCli(port, {"-n", "3", "dbsize"}).out == "1\n");
  CHECK(RunRedisCli(port, {"get", "in3"}).out == "\n");  // nil prints as an empty line raw

  RedisConnection c = server.Connect();
  CHECK(Call(c.get(), {"SELECT", "3"}) == "OK");
  CHECK(Call(c.get(), {"GET", "in3"}) == "x");

  ProcessResult error = RunRedisCli(port, {"--no-raw", "incr", "k"});
  CHECK(error.out == "(error) ERR value is not an integer or out of range\n");
}

TEST_CASE("redis-cli --pipe inserts 10,000 keys", "[integration]") {
  ServerProcess server;
  std::string input;
  for (int i = 0; i < 10000; i++) {
    const std::string key = "pipe:" + std::to_string(i);
    const std::string value = "value:" + std::to_string(i);
    input += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
             std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  ProcessResult pipe = RunRedisCli(server.port(), {"--pipe"}, input, 60s);
  INFO("stdout: " << pipe.out << "\nstderr: " << pipe.err);
  CHECK_FALSE(pipe.timed_out);
  CHECK(pipe.exit_code == 0);
  CHECK(pipe.out.find("errors: 0, replies: 10000") != std::string::npos);

  RedisConnection c = server.Connect();
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 10000");
  CHECK(Call(c.get(), {"GET", "pipe:9999"}) == "value:9999");
}

}  // namespace
}  // namespace tidekv::integration
