// MULTI / EXEC / DISCARD / WATCH / UNWATCH on the in-process engine, and the atomic group
// their effects form (DESIGN.md §3, §11).
#include <catch2/catch.hpp>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

using V = std::vector<std::string>;
const std::string kQueued = "+QUEUED\r\n";
const std::string kNullArray = "*-1\r\n";

struct Fixture {
  Fixture() {
    f.engine().set_effect_sink(&sink);
    other.id = f.engine().NextSessionId();
  }
  // Runs argv as a second client.
  std::string Other(std::initializer_list<std::string_view> argv) {
    std::string out;
    proto::ReplyBuilder reply(&out);
    std::vector<std::string_view> v(argv);
    f.engine().Execute(other, v, reply);
    return out;
  }
  EngineFixture f;
  RecordingSink sink;
  Session other;
};

TEST_CASE("MULTI queues, EXEC runs the queue and replies each command's reply", "[multi]") {
  Fixture x;
  CHECK(x.f.Run({"MULTI"}) == kOk);
  CHECK(x.f.Run({"SET", "a", "1"}) == kQueued);
  CHECK(x.f.Run({"INCR", "a"}) == kQueued);
  CHECK(x.f.Run({"GET", "a"}) == kQueued);
  CHECK(x.f.Run({"PING"}) == kQueued);
  // Nothing ran yet: another client sees no key.
  CHECK(x.Other({"EXISTS", "a"}) == Int(0));
  CHECK(x.f.Run({"EXEC"}) == "*4\r\n+OK\r\n:2\r\n$1\r\n2\r\n+PONG\r\n");
  CHECK(x.f.Run({"GET", "a"}) == Bulk("2"));
  // The client is out of MULTI again.
  CHECK(x.f.Run({"EXEC"}) == Err("ERR EXEC without MULTI"));
  CHECK(x.f.Run({"DISCARD"}) == Err("ERR DISCARD without MULTI"));
  // An empty transaction replies an empty array.
  x.f.Run({"MULTI"});
  CHECK(x.f.Run({"EXEC"}) == "*0\r\n");
}

TEST_CASE("errors while queueing abort EXEC, errors while running do not", "[multi]") {
  Fixture x;
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "a", "1"});
  CHECK(x.f.Run({"NOSUCH", "x"}).starts_with("-ERR unknown command 'NOSUCH'"));
  CHECK(x.f.Run({"GET"}) == Err("ERR wrong number of arguments for 'get' command"));
  CHECK(x.f.Run({"CONFIG", "NOSUCH"}).starts_with("-ERR unknown subcommand 'NOSUCH'"));
  x.f.Run({"SET", "b", "2"});
  CHECK(x.f.Run({"EXEC"}) == Err("EXECABORT Transaction discarded because of previous errors."));
  CHECK(x.f.Run({"EXISTS", "a", "b"}) == Int(0));
  CHECK(x.sink.Take().empty());
  CHECK(x.f.Run({"PING"}) == "+PONG\r\n");  // out of MULTI

  x.f.Run({"SET", "s", "text"});
  x.sink.Take();
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "a", "1"});
  x.f.Run({"INCR", "s"});
  x.f.Run({"LPUSH", "s", "x"});
  x.f.Run({"SET", "b", "2"});
  CHECK(Elements(x.f.Run({"EXEC"})) ==
        V{"OK", "ERR value is not an integer or out of range",
          "WRONGTYPE Operation against a key holding the wrong kind of value", "OK"});
  CHECK(x.f.Run({"MGET", "a", "b"}) == "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

TEST_CASE("what may not run inside MULTI", "[multi]") {
  Fixture x;
  x.f.Run({"MULTI"});
  CHECK(x.f.Run({"MULTI"}) == Err("ERR MULTI calls can not be nested"));
  CHECK(x.f.Run({"WATCH", "k"}) == Err("ERR WATCH inside MULTI is not allowed"));
  x.f.Run({"SET", "k", "v"});
  // Neither refusal dooms the transaction, as in Redis.
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"OK"});

  x.f.Run({"MULTI"});
  x.f.Run({"SET", "k2", "v"});
  CHECK(x.f.Run({"SAVE"}) == Err("ERR Command not allowed inside a transaction"));
  CHECK(x.f.Run({"SHUTDOWN"}) == Err("ERR Command not allowed inside a transaction"));
  CHECK(x.f.Run({"EXEC"}).starts_with("-EXECABORT"));
  CHECK(x.f.Run({"EXISTS", "k2"}) == Int(0));

  // A refused EXEC ends the transaction at once.
  x.f.Run({"MULTI"});
  CHECK(x.f.Run({"EXEC", "extra"}) ==
        Err("EXECABORT Transaction discarded because of: ERR wrong number of arguments for "
            "'exec' command"));
  CHECK(x.f.Run({"PING"}) == "+PONG\r\n");
}

TEST_CASE("DISCARD drops the queue and the WATCHes", "[multi]") {
  Fixture x;
  x.f.Run({"WATCH", "x"});
  x.f.Run({"SET", "x", "10"});
  x.f.Run({"MULTI"});
  x.f.Run({"INCR", "x"});
  CHECK(x.f.Run({"DISCARD"}) == kOk);
  CHECK(x.f.Run({"GET", "x"}) == Bulk("10"));
  // The dirty flag went with DISCARD: a new transaction runs.
  x.f.Run({"MULTI"});
  x.f.Run({"INCR", "x"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"11"});
  // RESET leaves MULTI too.
  x.f.Run({"MULTI"});
  x.f.Run({"INCR", "x"});
  x.f.Run({"RESET"});
  CHECK(x.f.Run({"EXEC"}) == Err("ERR EXEC without MULTI"));
  CHECK(x.f.Run({"GET", "x"}) == Bulk("11"));
}

TEST_CASE("blocking commands inside MULTI reply at once", "[multi][blocking]") {
  Fixture x;
  x.f.Run({"MULTI"});
  x.f.Run({"BLPOP", "nolist", "0"});
  x.f.Run({"BRPOPLPUSH", "a", "b", "0"});
  x.f.Run({"BZPOPMIN", "z", "0"});
  CHECK(x.f.Run({"EXEC"}) == "*3\r\n*-1\r\n$-1\r\n*-1\r\n");
}

TEST_CASE("WATCH: a change by anyone fails EXEC, none lets it run", "[multi][watch]") {
  Fixture x;
  x.f.Run({"SET", "x", "30"});
  x.f.Run({"WATCH", "a", "x", "z"});
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"PONG"});

  // Another client's write.
  x.f.Run({"WATCH", "x"});
  x.Other({"SET", "x", "40"});
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "x", "mine"});
  CHECK(x.f.Run({"EXEC"}) == kNullArray);
  CHECK(x.f.Run({"GET", "x"}) == Bulk("40"));
  // After EXEC (failed or not) nothing is watched any more.
  x.Other({"SET", "x", "50"});
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"PONG"});

  // Our own write between WATCH and MULTI counts too, and so does EXPIRE.
  x.f.Run({"WATCH", "x"});
  x.f.Run({"EXPIRE", "x", "100"});
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(x.f.Run({"EXEC"}) == kNullArray);

  // UNWATCH forgets.
  x.f.Run({"WATCH", "x"});
  x.Other({"SET", "x", "60"});
  CHECK(x.f.Run({"UNWATCH"}) == kOk);
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"PONG"});

  // A key watched while missing fails once it is created.
  x.f.Run({"WATCH", "fresh"});
  x.Other({"LPUSH", "fresh", "e"});
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(x.f.Run({"EXEC"}) == kNullArray);

  // RESP3: a failed EXEC is a null.
  x.f.session().resp = 3;
  x.f.Run({"WATCH", "x"});
  x.Other({"SET", "x", "70"});
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(x.f.Run({"EXEC"}) == "_\r\n");
  x.f.session().resp = 2;

  // WATCH remembers the database of its key.
  x.f.Run({"SELECT", "5"});
  x.f.Run({"SET", "x", "1"});
  x.f.Run({"WATCH", "x"});
  x.f.Run({"SELECT", "1"});
  x.f.Run({"SET", "x", "2"});
  x.f.Run({"SELECT", "5"});
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"PONG"});
}

TEST_CASE("WATCH: a write that leaves the key as it was does not touch it", "[multi][watch]") {
  Fixture x;
  x.f.Run({"SADD", "src", "a", "b"});
  x.f.Run({"SADD", "dst", "a"});
  x.f.Run({"WATCH", "dst"});
  // The member is already in dst: only src changes.
  CHECK(x.Other({"SMOVE", "src", "dst", "a"}) == Int(1));
  x.f.Run({"MULTI"});
  x.f.Run({"SADD", "dst", "c"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"1"});
  CHECK(x.f.Run({"SCARD", "dst"}) == Int(2));
  CHECK(x.f.Run({"SMEMBERS", "src"}) == "*1\r\n$1\r\nb\r\n");
  // Moved for real, it is a change.
  x.f.Run({"WATCH", "dst"});
  CHECK(x.Other({"SMOVE", "src", "dst", "b"}) == Int(1));
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(x.f.Run({"EXEC"}) == kNullArray);
  CHECK(x.f.Run({"EXISTS", "src"}) == Int(0));
  CHECK(x.f.Run({"SMOVE", "dst", "str", "a"}) == Int(1));
  x.f.Run({"SET", "s", "x"});
  CHECK(x.f.Run({"SMOVE", "dst", "s", "b"}).starts_with("-WRONGTYPE"));
}

TEST_CASE("WATCH and expiry: expiring fails EXEC, a key already stale does not", "[multi][watch]") {
  Fixture x;
  x.f.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"});
  const int64_t t0 = x.f.clock().NowMs();
  // Live when watched, expired by EXEC time (no one removed it yet): EXEC fails.
  x.f.Run({"SET", "k", "1", "PX", "100"});
  x.f.Run({"WATCH", "k"});
  x.f.clock().SetMs(t0 + 200);
  x.f.Run({"MULTI"});
  x.f.Run({"INCR", "k"});
  CHECK(x.f.Run({"EXEC"}) == kNullArray);

  // Already stale when watched: its lazy removal changes nothing.
  x.f.Run({"SET", "s", "1", "PX", "1"});
  x.f.clock().SetMs(t0 + 300);
  x.f.Run({"WATCH", "s"});
  CHECK(x.f.Run({"EXISTS", "s"}) == Int(0));  // deletes it
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"PONG"});

  // Stale when watched, then FLUSHDB: no change either.
  x.f.Run({"SET", "s", "1", "PX", "1"});
  x.f.clock().SetMs(t0 + 400);
  x.f.Run({"WATCH", "s"});
  x.f.Run({"FLUSHDB"});
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"PONG"});

  // A live watched key removed by the expiry cycle fails EXEC.
  x.f.Run({"DEBUG", "SET-ACTIVE-EXPIRE", "1"});
  x.f.Run({"SET", "k", "1", "PX", "100"});
  x.f.Run({"WATCH", "k"});
  x.f.clock().SetMs(t0 + 600);
  for (int i = 0; i < 50 && x.f.engine().keyspace().db(0).size() > 0; i++) {
    x.f.engine().keyspace().ActiveExpireCycle(x.f.clock().NowMs(), 1000, x.f.clock());
  }
  REQUIRE(x.f.engine().keyspace().db(0).size() == 0);
  x.f.Run({"MULTI"});
  x.f.Run({"PING"});
  CHECK(x.f.Run({"EXEC"}) == kNullArray);
}

TEST_CASE("WATCH and whole databases: FLUSHALL, FLUSHDB, SWAPDB", "[multi][watch]") {
  Fixture x;
  auto exec_ping = [&] {
    x.f.Run({"MULTI"});
    x.f.Run({"PING"});
    return x.f.Run({"EXEC"});
  };
  const std::string ran = "*1\r\n+PONG\r\n";
  x.f.Run({"SET", "x", "30"});
  x.f.Run({"WATCH", "x"});
  x.Other({"FLUSHALL"});
  CHECK(exec_ping() == kNullArray);

  x.f.Run({"WATCH", "x"});  // missing: FLUSHALL changes nothing about it
  x.Other({"SET", "other", "1"});
  x.Other({"FLUSHALL"});
  CHECK(exec_ping() == ran);

  x.f.Run({"SET", "x", "30"});
  x.f.Run({"WATCH", "x"});
  x.Other({"FLUSHDB"});
  CHECK(exec_ping() == kNullArray);

  // SWAPDB: the watched key disappears...
  x.f.Run({"SET", "x", "30"});
  x.f.Run({"WATCH", "x"});
  x.Other({"SWAPDB", "0", "1"});
  CHECK(exec_ping() == kNullArray);
  // ...or appears.
  x.f.Run({"FLUSHALL"});
  x.f.Run({"SELECT", "1"});
  x.f.Run({"SET", "x", "30"});
  x.f.Run({"SELECT", "0"});
  x.f.Run({"WATCH", "x"});
  x.Other({"SWAPDB", "0", "1"});
  CHECK(exec_ping() == kNullArray);
  // A key nobody watches in a swapped database changes nothing.
  x.f.Run({"FLUSHALL"});
  x.f.Run({"WATCH", "y"});
  x.Other({"SELECT", "1"});
  x.Other({"SET", "z", "1"});
  x.Other({"SWAPDB", "0", "1"});
  CHECK(exec_ping() == ran);
}

TEST_CASE("EXEC checks the queued commands as a whole: OOM aborts only with a write", "[multi]") {
  Fixture x;
  x.f.Run({"SET", "x", "v"});
  x.f.Run({"MULTI"});
  x.f.Run({"GET", "x"});
  x.f.config().maxmemory = 1;
  CHECK(Elements(x.f.Run({"EXEC"})) == V{"v"});
  x.f.config().maxmemory = 0;

  x.f.Run({"MULTI"});
  x.f.Run({"SET", "x", "1"});
  x.f.config().maxmemory = 1;
  CHECK(x.f.Run({"EXEC"}) ==
        Err("EXECABORT Transaction discarded because of: OOM command not allowed when used "
            "memory > 'maxmemory'."));
  x.f.config().maxmemory = 0;
  CHECK(x.f.Run({"GET", "x"}) == Bulk("v"));

  // Refused while queueing: the transaction is doomed, DISCARD still works.
  x.f.config().maxmemory = 1;
  x.f.Run({"MULTI"});
  CHECK(x.f.Run({"SET", "x", "1"}).starts_with("-OOM"));
  CHECK(x.f.Run({"DISCARD"}) == kOk);
  x.f.config().maxmemory = 0;

  // A write refused by the sink (MISCONF) aborts EXEC the same way.
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "x", "2"});
  x.sink.refuse = "MISCONF cannot write";
  CHECK(x.f.Run({"EXEC"}) ==
        Err("EXECABORT Transaction discarded because of: MISCONF cannot write"));
  x.sink.refuse.clear();
}

TEST_CASE("EXEC's effects are one group, one effect alone needs none", "[multi][effects]") {
  Fixture x;
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "a", "1"});
  x.f.Run({"GET", "a"});
  x.f.Run({"SELECT", "2"});
  x.f.Run({"INCR", "n"});
  x.f.Run({"SET", "e", "v", "EX", "100"});
  x.f.Run({"EXEC"});
  const std::string at = std::to_string(x.f.clock().NowMs() + 100'000);
  CHECK(x.sink.Take() == V{"0: TIDEKV.GROUP 3 0 3 SET a 1 2 2 INCR n 2 5 SET e v PXAT " + at});
  // SELECT inside EXEC stays selected afterwards, as in Redis.
  CHECK(x.f.Run({"GET", "n"}) == Bulk("1"));

  x.f.Run({"MULTI"});
  x.f.Run({"SET", "b", "2"});
  x.f.Run({"GET", "b"});
  x.f.Run({"DEL", "nosuch"});
  x.f.Run({"EXEC"});
  CHECK(x.sink.Take() == V{"2: SET b 2"});

  x.f.Run({"MULTI"});
  x.f.Run({"GET", "b"});
  x.f.Run({"DEL", "nosuch"});
  x.f.Run({"EXEC"});
  CHECK(x.sink.Take().empty());

  // More arguments than one frame may carry: the effects go one by one.
  x.f.config().max_multibulk_len = 10;
  x.f.Run({"MULTI"});
  x.f.Run({"SET", "a", "1"});
  x.f.Run({"SELECT", "0"});
  x.f.Run({"SET", "b", "2"});
  x.f.Run({"SET", "c", "3"});
  x.f.Run({"EXEC"});
  CHECK(x.sink.Take() == V{"2: SET a 1", "0: SET b 2", "0: SET c 3"});
}

TEST_CASE("TIDEKV.GROUP applies whole from frames and is unknown to clients", "[multi][effects]") {
  Fixture x;
  CHECK(x.f.Run({"TIDEKV.GROUP", "1", "0", "3", "SET", "a", "1"})
            .starts_with("-ERR unknown command 'TIDEKV.GROUP'"));
  CHECK(x.f.Run({"COMMAND", "INFO", "tidekv.group"}) == "*1\r\n$-1\r\n");

  Session frames;
  frames.internal = true;
  frames.applies_frames = true;
  auto apply = [&](std::vector<std::string_view> argv) {
    std::string out;
    proto::ReplyBuilder reply(&out);
    x.f.engine().Execute(frames, argv, reply);
    return out;
  };
  CHECK(apply({"TIDEKV.GROUP", "2", "0", "3", "SET", "a", "1", "3", "2", "INCR", "n"}) == kOk);
  CHECK(x.f.Run({"GET", "a"}) == Bulk("1"));
  x.f.Run({"SELECT", "3"});
  CHECK(x.f.Run({"GET", "n"}) == Bulk("1"));
  x.f.Run({"SELECT", "0"});
  CHECK(frames.db == 0);
  // Re-emitted as one group (a replica's own replicas get the same frame shape).
  CHECK(x.sink.Take() == V{"0: TIDEKV.GROUP 2 0 3 SET a 1 3 2 INCR n"});

  // Malformed in any part: nothing applies.
  for (const std::vector<std::string_view>& bad : std::vector<std::vector<std::string_view>>{
           {"TIDEKV.GROUP", "2", "0", "3", "SET", "b", "1", "0", "2", "GET", "a"},
           {"TIDEKV.GROUP", "2", "0", "3", "SET", "b", "1", "99", "2", "INCR", "n"},
           {"TIDEKV.GROUP", "2", "0", "3", "SET", "b", "1", "0", "9", "INCR", "n"},
           {"TIDEKV.GROUP", "1", "0", "3", "SET", "b", "1", "extra"},
           {"TIDEKV.GROUP", "0", "0", "3", "SET", "b", "1"},
           {"TIDEKV.GROUP", "2", "0", "3", "SET", "b", "1", "0", "3", "TIDEKV.GROUP", "1", "x"},
       }) {
    CHECK(apply(bad).starts_with("-ERR malformed group"));
  }
  CHECK(x.f.Run({"EXISTS", "b"}) == Int(0));
  CHECK(x.sink.Take().empty());
}

TEST_CASE("a WATCHing client that goes away is forgotten", "[multi][watch]") {
  Fixture x;
  {
    Session gone;
    gone.id = x.f.engine().NextSessionId();
    std::string out;
    proto::ReplyBuilder reply(&out);
    const std::vector<std::string_view> watch = {"WATCH", "k"};
    x.f.engine().Execute(gone, watch, reply);
    x.f.engine().SessionClosed(gone);
  }
  // Touching the key must not reach the destroyed session.
  CHECK(x.f.Run({"SET", "k", "v"}) == kOk);
  CHECK(x.f.Run({"DEL", "k"}) == Int(1));
}

}  // namespace
}  // namespace tidekv::commands
