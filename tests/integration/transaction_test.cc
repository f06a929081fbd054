// Transactions against the real server ([multi]): EXEC's effects are one atomic group in
// the log, in the replication stream and at recovery, so no node ever shows half of one,
// through kill -9 of a primary and of its replica mid-stream; WATCH across clients; a traced
// MULTI workload replays without a mismatch.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/replay_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

// Reads "a" and "b" together from whichever server `port` names, reconnecting as servers
// die and come back, until `stop`: every transaction increments both, so a read that
// finds them different saw half of one.
struct PairWatcher {
  std::atomic<uint16_t>* port;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> reads{0};
  std::atomic<uint64_t> torn{0};
  std::string first_torn;
  std::thread thread;

  explicit PairWatcher(std::atomic<uint16_t>* p) : port(p) {
    thread = std::thread([this] { Run(); });
  }
  ~PairWatcher() { Stop(); }
  void Stop() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  void Run() {
    while (!stop) {
      redisContext* c = redisConnectWithTimeout("127.0.0.1", port->load(), {1, 0});
      if (c == nullptr || c->err != 0) {
        if (c != nullptr) redisFree(c);
        std::this_thread::sleep_for(20ms);
        continue;
      }
      const timeval tv{5, 0};
      redisSetTimeout(c, tv);
      while (!stop) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "MGET a b"));
        if (r == nullptr) break;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
          const std::string a = r->element[0]->str != nullptr ? r->element[0]->str : "(nil)";
          const std::string b = r->element[1]->str != nullptr ? r->element[1]->str : "(nil)";
          if (a != b && torn++ == 0) first_torn = a + " vs " + b;
          reads++;
        }
        freeReplyObject(r);
      }
      redisFree(c);
    }
  }
};

// Runs MULTI / INCR a / SET last i / INCR b / EXEC against `port` until `stop` or the
// connection dies; counts the EXECs the server acknowledged.
struct TxWriter {
  uint16_t port;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> acked{0};
  std::thread thread;

  explicit TxWriter(uint16_t p) : port(p) {
    thread = std::thread([this] { Run(); });
  }
  ~TxWriter() { Stop(); }
  void Stop() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
  void Run() {
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port, {5, 0});
    if (c == nullptr || c->err != 0) {
      if (c != nullptr) redisFree(c);
      return;
    }
    const timeval tv{30, 0};
    redisSetTimeout(c, tv);
    for (int64_t i = 0; !stop; i++) {
      const std::string n = std::to_string(i);
      redisAppendCommand(c, "MULTI");
      redisAppendCommand(c, "INCR a");
      redisAppendCommand(c, "SET last %s", n.c_str());
      redisAppendCommand(c, "INCR b");
      redisAppendCommand(c, "EXEC");
      bool ok = true;
      for (int k = 0; k < 5 && ok; k++) {
        void* reply = nullptr;
        if (redisGetReply(c, &reply) != REDIS_OK || reply == nullptr) {
          ok = false;
          break;
        }
        auto* r = static_cast<redisReply*>(reply);
        if (k == 4 && (r->type != REDIS_REPLY_ARRAY || r->elements != 3)) ok = false;
        freeReplyObject(r);
      }
      if (!ok) break;
      acked++;
    }
    redisFree(c);
  }
};

int64_t IntOf(redisContext* c, const std::string& key) {
  const std::string v = Call(c, {"GET", key});
  return v == "(nil)" ? 0 : std::stoll(v);
}

TEST_CASE("no node shows half a transaction, through kill -9 of a primary and its replica",
          "[integration][multi][replication]") {
  TempDir dir;
  const fs::path pdata = dir.path() / "p";
  const fs::path rdata = dir.path() / "r";
  auto primary = StartServerOn(pdata);
  TcpProxy proxy(primary->port());  // the replica follows the primary's restarts through it
  auto replica = StartReplicaOn(rdata, proxy.port());
  WaitLinkUp(*replica);
  std::atomic<uint16_t> pport{primary->port()};
  std::atomic<uint16_t> rport{replica->port()};
  PairWatcher on_primary(&pport);
  PairWatcher on_replica(&rport);
  auto run_until_acked = [&](uint16_t port, int64_t count) {
    TxWriter writer(port);
    REQUIRE(WaitFor([&] { return writer.acked >= count; }));
    return writer.acked.load();
  };

  // Transactions stream to the replica, which is killed in the middle and comes back.
  int64_t acked = 0;
  {
    TxWriter writer(primary->port());
    REQUIRE(WaitFor([&] { return writer.acked >= 1500; }));
    KillHard(*replica);
    REQUIRE(WaitFor([&] { return writer.acked >= 3000; }));
    replica = StartReplicaOn(rdata, proxy.port());
    rport = replica->port();
    REQUIRE(WaitFor([&] { return writer.acked >= 4500; }));
    // The primary dies with transactions in flight: each is in the log whole or not at all.
    KillHard(*primary);
    writer.Stop();
    acked = writer.acked;
  }
  primary = StartServerOn(pdata);
  pport = primary->port();
  proxy.SetTarget(primary->port());
  proxy.CutAll();
  RedisConnection p = primary->Connect();
  const int64_t a = IntOf(p.get(), "a");
  INFO("acknowledged " << acked << ", recovered a=" << a);
  CHECK(a == IntOf(p.get(), "b"));
  CHECK(a >= acked);  // every acknowledged EXEC was in the log before its reply
  CHECK(IntOf(p.get(), "last") == a - 1);

  // More transactions after the restart; the replica resumes and converges.
  acked += run_until_acked(primary->port(), 1000);
  WaitCaughtUp(*primary, *replica);
  const auto digests = Digests({primary.get(), replica.get()});
  CHECK(digests[1] == digests[0]);
  RedisConnection r = replica->Connect();
  CHECK(IntOf(r.get(), "a") == IntOf(r.get(), "b"));

  on_primary.Stop();
  on_replica.Stop();
  INFO("primary reads " << on_primary.reads << ", replica reads " << on_replica.reads);
  CHECK(on_primary.reads > 0);
  CHECK(on_replica.reads > 0);
  CHECK(on_primary.torn == 0);
  CHECK(on_replica.torn == 0);
  CHECK(on_replica.first_torn == "");
}

TEST_CASE("WATCH sees other clients' writes, expiry and FLUSHALL, EXEC replies as Redis",
          "[integration][multi]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  RedisConnection other = server.Connect();
  REQUIRE(Call(c.get(), {"SET", "k", "1"}) == "OK");
  REQUIRE(Call(c.get(), {"WATCH", "k"}) == "OK");
  REQUIRE(Call(other.get(), {"INCR", "k"}) == "(integer) 2");
  REQUIRE(Call(c.get(), {"MULTI"}) == "OK");
  REQUIRE(Call(c.get(), {"INCR", "k"}) == "QUEUED");
  // CLIENT LIST shows the open transaction: flags x, then d for the dirty WATCH (Redis's order).
  const std::string list = Call(other.get(), {"CLIENT", "LIST"});
  CHECK(list.find("flags=xd") != std::string::npos);
  CHECK(list.find("multi=1") != std::string::npos);
  CHECK(Call(c.get(), {"EXEC"}) == "(nil)");
  CHECK(Call(c.get(), {"GET", "k"}) == "2");

  // A key that expires between WATCH and EXEC fails it.
  REQUIRE(Call(c.get(), {"SET", "t", "v", "PX", "50"}) == "OK");
  REQUIRE(Call(c.get(), {"WATCH", "t"}) == "OK");
  std::this_thread::sleep_for(100ms);
  REQUIRE(Call(c.get(), {"MULTI"}) == "OK");
  REQUIRE(Call(c.get(), {"PING"}) == "QUEUED");
  CHECK(Call(c.get(), {"EXEC"}) == "(nil)");

  REQUIRE(Call(c.get(), {"WATCH", "k"}) == "OK");
  REQUIRE(Call(other.get(), {"FLUSHALL"}) == "OK");
  REQUIRE(Call(c.get(), {"MULTI"}) == "OK");
  REQUIRE(Call(c.get(), {"SET", "k", "mine"}) == "QUEUED");
  CHECK(Call(c.get(), {"EXEC"}) == "(nil)");
  CHECK(Call(c.get(), {"EXISTS", "k"}) == "(integer) 0");
}

TEST_CASE("a client blocked on a key is served after the EXEC that pushed to it",
          "[integration][multi][blocking]") {
  ServerProcess server;
  RedisConnection waiter = server.Connect();
  RedisConnection c = server.Connect();
  AppendCommand(waiter.get(), {"BLPOP", "q", "0"});
  REQUIRE(redisBufferWrite(waiter.get(), nullptr) == REDIS_OK);
  REQUIRE(WaitFor([&] {
    return InfoField(Call(c.get(), {"INFO", "clients"}), "blocked_clients") == "1";
  }));
  REQUIRE(Call(c.get(), {"MULTI"}) == "OK");
  REQUIRE(Call(c.get(), {"RPUSH", "q", "x"}) == "QUEUED");
  REQUIRE(Call(c.get(), {"RPUSH", "q", "y"}) == "QUEUED");
  REQUIRE(Call(c.get(), {"LLEN", "q"}) == "QUEUED");
  // The waiter is not served between the transaction's commands: LLEN saw both elements.
  CHECK(Call(c.get(), {"EXEC"}) == "[(integer) 1, (integer) 2, (integer) 2]");
  CHECK(Describe(GetReply(waiter.get())) == "[q, x]");
  CHECK(Call(c.get(), {"LRANGE", "q", "0", "-1"}) == "[y]");
}

TEST_CASE("a replica refuses a transaction's writes when queued and runs its reads",
          "[integration][multi][replication]") {
  TempDir dir;
  auto primary = StartServerOn(dir.path() / "p");
  auto replica = StartReplicaOn(dir.path() / "r", primary->port());
  RedisConnection p = primary->Connect();
  REQUIRE(Call(p.get(), {"SET", "k", "v"}) == "OK");
  WaitCaughtUp(*primary, *replica);
  RedisConnection r = replica->Connect();
  REQUIRE(Call(r.get(), {"MULTI"}) == "OK");
  CHECK(Call(r.get(), {"SET", "x", "1"}).rfind("(error) READONLY", 0) == 0);
  CHECK(Call(r.get(), {"EXEC"}).rfind("(error) EXECABORT", 0) == 0);
  REQUIRE(Call(r.get(), {"MULTI"}) == "OK");
  REQUIRE(Call(r.get(), {"GET", "k"}) == "QUEUED");
  CHECK(Call(r.get(), {"EXEC"}) == "[v]");
}

TEST_CASE("a traced MULTI / WATCH workload replays without a mismatch",
          "[integration][multi][trace]") {
  TempDir dir;
  const fs::path trace = dir.path() / "multi.trace";
  size_t commands = 0;
  const std::string digest = Record(trace, [&](ServerProcess& server) {
    RedisConnection c = server.Connect();
    RedisConnection other = server.Connect();
    auto run = [&](redisContext* conn, const Argv& argv) {
      const std::string reply = Call(conn, argv);
      INFO(argv[0] << " answered " << reply);
      REQUIRE(reply.rfind("(connection error)", 0) != 0);
      commands++;
      return reply;
    };
    for (int i = 0; i < 200; i++) {
      const std::string n = std::to_string(i);
      run(c.get(), {"WATCH", "w" + std::to_string(i % 5)});
      if (i % 3 == 0) run(other.get(), {"INCR", "w" + std::to_string(i % 5)});
      run(c.get(), {"MULTI"});
      run(c.get(), {"INCR", "w" + std::to_string(i % 5)});
      run(c.get(), {"RPUSH", "l", n});
      run(c.get(), {"ZADD", "z", n, "m" + std::to_string(i % 17)});
      // An absolute expiry: a relative one would differ on the target the trace replays to.
      run(c.get(), {"SET", "e" + n, "v", "PXAT", "4102444800000"});
      if (i % 7 == 0) run(c.get(), {"NOSUCH"});         // aborts this EXEC
      if (i % 11 == 0) run(c.get(), {"CLIENT", "ID"});  // a volatile reply inside
      if (i % 13 == 0) run(c.get(), {"SELECT", std::to_string(i % 3)});
      run(c.get(), {"LRANGE", "l", "-3", "-1"});
      run(c.get(), {"EXEC"});
      if (i % 17 == 0) {
        run(c.get(), {"MULTI"});
        run(c.get(), {"DEL", "l"});
        run(c.get(), {"DISCARD"});
      }
    }
  });
  CheckReplays(trace, digest, commands / 2);
}

}  // namespace
}  // namespace tidekv::integration
