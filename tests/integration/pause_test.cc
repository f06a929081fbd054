// CLIENT PAUSE against the real server ([pause]): held requests wait unrun in their
// connection (counted as blocked clients, flag b) and run in the order they began to wait
// when CLIENT UNPAUSE or the deadline ends the pause; reads and declared read-only scripts
// go on under a WRITE pause; nothing expires meanwhile; a held client may hang up; a paused
// replica applies its primary's writes only after the pause.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

std::string Read(redisContext* c) { return Describe(GetReply(c)); }

}  // namespace

TEST_CASE("a WRITE pause holds writes until CLIENT UNPAUSE, in order, and lets reads run",
          "[integration][pause]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  REQUIRE(Call(admin.get(), {"SET", "k", "before"}) == "OK");
  REQUIRE(Call(admin.get(), {"CLIENT", "PAUSE", "60000", "WRITE"}) == "OK");

  std::vector<RedisConnection> writers;
  for (int i = 0; i < 3; i++) {
    writers.push_back(server.Connect());
    SendCommand(writers.back().get(), {"RPUSH", "order", std::to_string(i)});
    WaitBlockedClients(admin.get(), i + 1);
  }
  // A held client's pipelined read waits behind its write.
  SendCommand(writers[0].get(), {"GET", "k"});
  // Others read, run read-only scripts and get immediate errors.
  RedisConnection reader = server.Connect();
  CHECK(Call(reader.get(), {"GET", "k"}) == "before");
  CHECK(Call(reader.get(), {"EVAL", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", "1",
                            "k"}) == "before");
  CHECK(Call(reader.get(), {"SET", "k"}) ==
        "(error) ERR wrong number of arguments for 'set' command");
  CHECK(Call(reader.get(), {"LLEN", "order"}) == "(integer) 0");
  const std::string list = Call(admin.get(), {"CLIENT", "LIST"});
  CHECK(list.find("flags=b ") != std::string::npos);

  REQUIRE(Call(admin.get(), {"CLIENT", "UNPAUSE"}) == "OK");
  for (int i = 0; i < 3; i++) CHECK(Read(writers[i].get()) == "(integer) " + std::to_string(i + 1));
  CHECK(Read(writers[0].get()) == "before");
  CHECK(Call(admin.get(), {"LRANGE", "order", "0", "-1"}) == "[0, 1, 2]");
  CHECK(BlockedClients(admin.get()) == 0);
}

TEST_CASE("a pause ends by itself at its deadline and ALL holds reads too",
          "[integration][pause]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  RedisConnection client = server.Connect();
  const auto start = Clock::now();
  REQUIRE(Call(admin.get(), {"CLIENT", "PAUSE", "300", "ALL"}) == "OK");
  SendCommand(client.get(), {"GET", "k"});
  RedisConnection other = server.Connect();
  SendCommand(other.get(), {"PING"});
  // INFO from the admin is held as well under ALL: look at the replies instead.
  CHECK(Read(client.get()) == "(nil)");
  CHECK(Read(other.get()) == "PONG");
  CHECK(Clock::now() - start >= 250ms);
  CHECK(BlockedClients(admin.get()) == 0);
}

TEST_CASE("nothing expires during a WRITE pause, and MULTI, EXEC and scripts wait as they write",
          "[integration][pause]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  REQUIRE(Call(admin.get(), {"SET", "short", "v", "PX", "20"}) == "OK");
  const std::string expired_before =
      InfoField(Call(admin.get(), {"INFO", "stats"}), "expired_keys");
  REQUIRE(Call(admin.get(), {"CLIENT", "PAUSE", "60000", "WRITE"}) == "OK");
  REQUIRE(WaitFor([&] { return Call(admin.get(), {"GET", "short"}) == "(nil)"; }));
  std::this_thread::sleep_for(150ms);  // active expiry cycles run meanwhile
  CHECK(Call(admin.get(), {"DBSIZE"}) == "(integer) 1");
  CHECK(InfoField(Call(admin.get(), {"INFO", "stats"}), "expired_keys") == expired_before);

  RedisConnection tx = server.Connect();
  REQUIRE(Call(tx.get(), {"MULTI"}) == "OK");
  REQUIRE(Call(tx.get(), {"GET", "x"}) == "QUEUED");
  CHECK(Call(tx.get(), {"EXEC"}) == "[(nil)]");  // reads only: runs
  RedisConnection script = server.Connect();
  SendCommand(script.get(), {"EVAL", "return redis.call('incr', 'n')", "0"});
  WaitBlockedClients(admin.get(), 1);
  RedisConnection publisher = server.Connect();
  SendCommand(publisher.get(), {"PUBLISH", "ch", "m"});
  WaitBlockedClients(admin.get(), 2);
  // A held client that hangs up leaves the count.
  publisher.reset();
  WaitBlockedClients(admin.get(), 1);

  REQUIRE(Call(admin.get(), {"CLIENT", "UNPAUSE"}) == "OK");
  CHECK(Read(script.get()) == "(integer) 1");
  CHECK(Call(admin.get(), {"GET", "short"}) == "(nil)");
  CHECK(Call(admin.get(), {"DBSIZE"}) == "(integer) 1");  // n; short is gone now
  CHECK(InfoField(Call(admin.get(), {"INFO", "stats"}), "expired_keys") ==
        std::to_string(std::stoll(expired_before) + 1));
}

TEST_CASE("a paused replica holds its primary's writes until the pause ends",
          "[integration][pause][replication]") {
  TempDir data;
  std::unique_ptr<ServerProcess> primary =
      StartServerOn(data.path() / "p", {"--replication.heartbeat_ms", "100"});
  std::unique_ptr<ServerProcess> replica = StartReplicaOn(data.path() / "r", primary->port());
  RedisConnection p = primary->Connect();
  RedisConnection r = replica->Connect();
  REQUIRE(Call(p.get(), {"SET", "k", "before"}) == "OK");
  WaitCaughtUp(*primary, *replica);
  const int64_t offset = ReplInt(r.get(), "master_repl_offset");

  REQUIRE(Call(r.get(), {"CLIENT", "PAUSE", "60000", "WRITE"}) == "OK");
  REQUIRE(Call(p.get(), {"SET", "k", "after"}) == "OK");
  // Several heartbeats later the write still waits (reads run on the replica meanwhile).
  std::this_thread::sleep_for(600ms);
  CHECK(Call(r.get(), {"GET", "k"}) == "before");
  CHECK(ReplInt(r.get(), "master_repl_offset") == offset);
  CHECK(ReplField(r.get(), "master_link_status") == "up");

  REQUIRE(Call(r.get(), {"CLIENT", "UNPAUSE"}) == "OK");
  CHECK(WaitFor([&] { return Call(r.get(), {"GET", "k"}) == "after"; }));
  WaitCaughtUp(*primary, *replica);
}

TEST_CASE("a paused replica reads no more of the stream than it holds, and applies at once after",
          "[integration][pause][replication]") {
  // A heartbeat far longer than the waits below: held frames must not wait for it.
  TempDir data;
  std::unique_ptr<ServerProcess> primary =
      StartServerOn(data.path() / "p", {"--replication.heartbeat_ms", "5000"});
  std::unique_ptr<ServerProcess> replica =
      StartReplicaOn(data.path() / "r", primary->port(), {"--replication.heartbeat_ms", "5000"});
  RedisConnection p = primary->Connect();
  RedisConnection r = replica->Connect();
  REQUIRE(Call(p.get(), {"SET", "warm", "up"}) == "OK");
  WaitCaughtUp(*primary, *replica);
  const auto used_memory = [&] {
    return std::stoll(InfoField(Call(r.get(), {"INFO", "memory"}), "used_memory"));
  };
  const int64_t used_before = used_memory();

  // 32 MiB of writes while the replica is paused: it must not buffer them.
  REQUIRE(Call(r.get(), {"CLIENT", "PAUSE", "60000", "WRITE"}) == "OK");
  const std::string value(64 * 1024, 'v');
  constexpr int kKeys = 512;
  for (int i = 0; i < kKeys; ++i) {
    REQUIRE(Call(p.get(), {"SET", "big:" + std::to_string(i), value}) == "OK");
  }
  std::this_thread::sleep_for(500ms);
  const int64_t grown = used_memory() - used_before;
  INFO("replica used_memory grew by " << grown << " bytes during the pause");
  CHECK(grown < 8 * 1024 * 1024);
  CHECK(Call(r.get(), {"EXISTS", "big:0"}) == "(integer) 0");
  CHECK(ReplField(r.get(), "master_link_status") == "up");

  REQUIRE(Call(r.get(), {"CLIENT", "UNPAUSE"}) == "OK");
  WaitCaughtUp(*primary, *replica);
  CHECK(Call(r.get(), {"DBSIZE"}) == "(integer) " + std::to_string(kKeys + 1));
  CHECK(Call(r.get(), {"STRLEN", "big:" + std::to_string(kKeys - 1)}) ==
        "(integer) " + std::to_string(value.size()));

  // One held write on an otherwise idle link applies within a fraction of the heartbeat
  // after the pause ends (it used to wait for the primary's next bytes).
  REQUIRE(Call(r.get(), {"CLIENT", "PAUSE", "60000", "WRITE"}) == "OK");
  REQUIRE(Call(p.get(), {"SET", "late", "1"}) == "OK");
  std::this_thread::sleep_for(200ms);
  CHECK(Call(r.get(), {"GET", "late"}) == "(nil)");
  REQUIRE(Call(r.get(), {"CLIENT", "UNPAUSE"}) == "OK");
  const auto unpaused = std::chrono::steady_clock::now();
  CHECK(WaitFor([&] { return Call(r.get(), {"GET", "late"}) == "1"; }));
  CHECK(std::chrono::steady_clock::now() - unpaused < 2500ms);
}

}  // namespace tidekv::integration
