// Blocking commands against the real server ([blocking]): clients blocked on keys
// (BLPOP, BRPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP) are woken in the order they blocked by
// whatever makes a key ready, time out, are unblocked by CLIENT UNBLOCK, leave when they
// disconnect, and what a woken command did reaches the log, replicas and the trace in its
// non-blocking form.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

void WaitBlocked(redisContext* c, int64_t n) { WaitBlockedClients(c, n); }
void Send(redisContext* c, const std::vector<std::string>& argv) { SendCommand(c, argv); }

std::string Read(redisContext* c) { return Describe(GetReply(c)); }

}  // namespace

TEST_CASE("a client blocked on an empty list is woken by a push from another client",
          "[integration][blocking]") {
  ServerProcess server;
  RedisConnection waiter = server.Connect();
  RedisConnection admin = server.Connect();
  Send(waiter.get(), {"BLPOP", "nokey", "q", "0"});
  WaitBlocked(admin.get(), 1);
  const std::string list = Call(admin.get(), {"CLIENT", "LIST"});
  CHECK(list.find("flags=b ") != std::string::npos);
  CHECK(list.find("cmd=blpop") != std::string::npos);
  CHECK(Call(admin.get(), {"RPUSH", "q", "job1", "job2"}) == "(integer) 2");
  CHECK(Read(waiter.get()) == "[q, job1]");
  CHECK(BlockedClients(admin.get()) == 0);
  // The woken pop took one element; the connection works on as before.
  CHECK(Call(admin.get(), {"LRANGE", "q", "0", "-1"}) == "[job2]");
  CHECK(Call(waiter.get(), {"PING"}) == "PONG");
}

TEST_CASE("clients blocked on one key are served in the order they blocked",
          "[integration][blocking]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  std::vector<RedisConnection> waiters;
  for (int i = 0; i < 4; i++) {
    waiters.push_back(server.Connect());
    Send(waiters.back().get(), {i % 2 == 0 ? "BLPOP" : "BRPOP", "q", "0"});
    WaitBlocked(admin.get(), i + 1);
  }
  // One push of three elements serves the first three waiters, each from its own end.
  CHECK(Call(admin.get(), {"RPUSH", "q", "a", "b", "c"}) == "(integer) 3");
  CHECK(Read(waiters[0].get()) == "[q, a]");  // BLPOP: left
  CHECK(Read(waiters[1].get()) == "[q, c]");  // BRPOP: right
  CHECK(Read(waiters[2].get()) == "[q, b]");
  CHECK(BlockedClients(admin.get()) == 1);
  CHECK(Call(admin.get(), {"EXISTS", "q"}) == "(integer) 0");
  CHECK(Call(admin.get(), {"LPUSH", "q", "d"}) == "(integer) 1");
  CHECK(Read(waiters[3].get()) == "[q, d]");
  CHECK(BlockedClients(admin.get()) == 0);
}

TEST_CASE("a blocked client times out with a null reply, never before its timeout",
          "[integration][blocking]") {
  ServerProcess server;
  RedisConnection waiter = server.Connect();
  RedisConnection admin = server.Connect();
  const auto start = Clock::now();
  CHECK(Call(waiter.get(), {"BLPOP", "q", "0.3"}) == "(nil)");
  CHECK(Clock::now() - start >= 300ms);
  CHECK(Call(waiter.get(), {"BZPOPMIN", "z", "0.05"}) == "(nil)");
  CHECK(Call(waiter.get(), {"BLMOVE", "q", "r", "LEFT", "RIGHT", "0.05"}) == "(nil)");
  CHECK(BlockedClients(admin.get()) == 0);
  // Malformed timeouts are refused before anything blocks.
  CHECK(Call(waiter.get(), {"BLPOP", "q", "-1"}) == "(error) ERR timeout is negative");
  CHECK(Call(waiter.get(), {"BLPOP", "q", "abc"}) ==
        "(error) ERR timeout is not a float or out of range");
}

TEST_CASE("CLIENT UNBLOCK ends a wait as a timeout or with an error", "[integration][blocking]") {
  ServerProcess server;
  RedisConnection waiter = server.Connect();
  RedisConnection admin = server.Connect();
  const std::string id = Describe(Command(waiter.get(), {"CLIENT", "ID"})).substr(10);
  Send(waiter.get(), {"BRPOP", "q", "0"});
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"CLIENT", "UNBLOCK", id, "TIMEOUT"}) == "(integer) 1");
  CHECK(Read(waiter.get()) == "(nil)");
  Send(waiter.get(), {"BZPOPMAX", "z", "0"});
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"CLIENT", "UNBLOCK", id, "ERROR"}) == "(integer) 1");
  CHECK(Read(waiter.get()) == "(error) UNBLOCKED client unblocked via CLIENT UNBLOCK");
  // Not blocked any more: nothing to unblock; a bad reason is refused.
  CHECK(Call(admin.get(), {"CLIENT", "UNBLOCK", id}) == "(integer) 0");
  CHECK(Call(admin.get(), {"CLIENT", "UNBLOCK", id, "MAYBE"}) ==
        "(error) ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
}

TEST_CASE("a blocked client that disconnects leaves the queue and takes nothing",
          "[integration][blocking]") {
  ServerProcess server;
  RedisConnection admin = server.Connect();
  {
    RedisConnection gone = server.Connect();
    Send(gone.get(), {"BLPOP", "q", "0"});
    WaitBlocked(admin.get(), 1);
  }  // closes the socket
  WaitBlocked(admin.get(), 0);
  CHECK(Call(admin.get(), {"RPUSH", "q", "kept"}) == "(integer) 1");
  CHECK(Call(admin.get(), {"LRANGE", "q", "0", "-1"}) == "[kept]");
}

TEST_CASE("keys made ready by RENAME, MOVE, SWAPDB and ZADD wake their waiters, other types do not",
          "[integration][blocking]") {
  ServerProcess server;
  RedisConnection waiter = server.Connect();
  RedisConnection admin = server.Connect();

  // A string under the key is not what BLPOP waits for: the client stays blocked.
  Send(waiter.get(), {"BLPOP", "q", "0"});
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"SET", "q", "text"}) == "OK");
  CHECK(Call(admin.get(), {"DEL", "q"}) == "(integer) 1");
  CHECK(BlockedClients(admin.get()) == 1);
  // A list renamed onto the key wakes it.
  CHECK(Call(admin.get(), {"RPUSH", "src", "r1"}) == "(integer) 1");
  CHECK(Call(admin.get(), {"RENAME", "src", "q"}) == "OK");
  CHECK(Read(waiter.get()) == "[q, r1]");

  // MOVE from another database.
  Send(waiter.get(), {"BRPOP", "m", "0"});
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"SELECT", "1"}) == "OK");
  CHECK(Call(admin.get(), {"RPUSH", "m", "moved"}) == "(integer) 1");
  CHECK(Call(admin.get(), {"MOVE", "m", "0"}) == "(integer) 1");
  CHECK(Read(waiter.get()) == "[m, moved]");

  // SWAPDB brings a whole database in.
  CHECK(Call(admin.get(), {"RPUSH", "s", "swapped"}) == "(integer) 1");
  CHECK(Call(admin.get(), {"SELECT", "0"}) == "OK");
  Send(waiter.get(), {"BLPOP", "s", "0"});
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"SWAPDB", "0", "1"}) == "OK");
  CHECK(Read(waiter.get()) == "[s, swapped]");

  // Sorted sets: BZPOPMIN and BZMPOP are woken by ZADD.
  Send(waiter.get(), {"BZPOPMIN", "z1", "z2", "0"});
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"ZADD", "z2", "5", "five", "1", "one"}) == "(integer) 2");
  CHECK(Read(waiter.get()) == "[z2, one, 1]");
  Send(waiter.get(), {"BZMPOP", "0", "1", "z3", "MAX", "COUNT", "2"});
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"ZADD", "z3", "1", "a", "2", "b", "3", "c"}) == "(integer) 3");
  CHECK(Read(waiter.get()) == "[z3, [[c, 3], [b, 2]]]");
}

TEST_CASE("requests pipelined behind a blocking command run after it completes",
          "[integration][blocking]") {
  ServerProcess server;
  RedisConnection waiter = server.Connect();
  RedisConnection admin = server.Connect();
  AppendCommand(waiter.get(), {"BLPOP", "q", "0"});
  AppendCommand(waiter.get(), {"LLEN", "q"});
  AppendCommand(waiter.get(), {"PING"});
  int done = 0;
  while (!done) REQUIRE(redisBufferWrite(waiter.get(), &done) == REDIS_OK);
  WaitBlocked(admin.get(), 1);
  CHECK(Call(admin.get(), {"RPUSH", "q", "x", "y"}) == "(integer) 2");
  CHECK(Read(waiter.get()) == "[q, x]");
  CHECK(Read(waiter.get()) == "(integer) 1");
  CHECK(Read(waiter.get()) == "PONG");
}

TEST_CASE("a woken BLMOVE reaches the log and a replica as LMOVE and chains to the next waiter",
          "[integration][blocking][replication]") {
  TempDir data;
  std::unique_ptr<ServerProcess> primary = StartServerOn(data.path() / "p", kNoTimedSeals);
  std::unique_ptr<ServerProcess> replica = StartReplicaOn(data.path() / "r", primary->port());
  WaitLinkUp(*replica);
  RedisConnection admin = primary->Connect();
  // Later writes stay in the log, so the restart below replays the woken command's effect.
  WaitFirstSeal(admin.get());
  RedisConnection mover = primary->Connect();
  RedisConnection popper = primary->Connect();
  // The mover waits on src and moves into dst, where the popper waits.
  Send(popper.get(), {"BLPOP", "dst", "0"});
  WaitBlocked(admin.get(), 1);
  Send(mover.get(), {"BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"});
  WaitBlocked(admin.get(), 2);
  CHECK(Call(admin.get(), {"RPUSH", "src", "a", "b"}) == "(integer) 2");
  CHECK(Read(mover.get()) == "b");
  CHECK(Read(popper.get()) == "[dst, b]");
  CHECK(Call(admin.get(), {"LRANGE", "src", "0", "-1"}) == "[a]");
  CHECK(Call(admin.get(), {"EXISTS", "dst"}) == "(integer) 0");
  WaitCaughtUp(*primary, *replica);
  {
    RedisConnection r = replica->Connect();
    CHECK(Call(r.get(), {"LRANGE", "src", "0", "-1"}) == "[a]");
    CHECK(Call(r.get(), {"EXISTS", "dst"}) == "(integer) 0");
  }
  const std::vector<std::string> digests = Digests({primary.get(), replica.get()});
  CHECK(digests[0] == digests[1]);
  // Recovery replays the logged effects: a blocking command in the log would apply nothing.
  KillHard(*primary);
  primary = StartServerOn(data.path() / "p", kNoTimedSeals);
  RedisConnection after = primary->Connect();
  CHECK(Call(after.get(), {"LRANGE", "src", "0", "-1"}) == "[a]");
  CHECK(Call(after.get(), {"EXISTS", "dst"}) == "(integer) 0");
  CHECK(Describe(Command(after.get(), {"DEBUG", "DIGEST"})) == digests[0]);
}

TEST_CASE("a traced workload with blocked, woken and timed-out clients replays without a mismatch",
          "[integration][blocking][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "blocking.trace";
  const std::string digest = Record(trace, [&](ServerProcess& server) {
    RedisConnection admin = server.Connect();
    std::vector<RedisConnection> waiters;
    for (int round = 0; round < 20; round++) {
      waiters.clear();
      for (int i = 0; i < 3; i++) {
        waiters.push_back(server.Connect());
        const std::string key = "k" + std::to_string(round);
        switch (i) {
          case 0:
            Send(waiters.back().get(), {"BLPOP", key, "0"});
            break;
          case 1:
            Send(waiters.back().get(), {"BLMOVE", key, "moved", "LEFT", "RIGHT", "0"});
            break;
          default:
            Send(waiters.back().get(), {"BZPOPMAX", "z" + key, "0"});
        }
        WaitBlocked(admin.get(), i + 1);
      }
      const std::string key = "k" + std::to_string(round);
      CHECK(Call(admin.get(), {"RPUSH", key, "a" + std::to_string(round), "b", "c"}) ==
            "(integer) 3");
      CHECK(Call(admin.get(), {"ZADD", "z" + key, std::to_string(round), "m"}) == "(integer) 1");
      for (RedisConnection& w : waiters) CHECK(Read(w.get()).substr(0, 1) != "(");
      // And one that times out.
      CHECK(Call(waiters[0].get(), {"BRPOP", "empty", "0.01"}) == "(nil)");
    }
  });
  // Every round's six replies (the pushes, the three woken waiters, the timeout) compare.
  CheckReplays(trace, digest, 20 * 6);
}

}  // namespace tidekv::integration
