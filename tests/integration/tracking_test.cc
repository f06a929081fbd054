// Client-side caching against the real server ([tracking]): RESP3 clients on a raw socket
// (exact push bytes; hiredis 0.14 cannot parse RESP3), RESP2 clients redirecting to a hiredis
// subscriber of __redis__:invalidate, BCAST prefixes, NOLOOP, invalidations held until the
// client's own reply, FLUSHALL's null, the key limit, a broken redirect, CLIENT LIST and
// INFO, and writes a replica applies from its primary.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

// A RESP3 ["invalidate", [keys...]] push.
std::string Invalidate(const std::vector<std::string>& keys) {
  std::string out = ">2\r\n" + BulkOf("invalidate") + "*" + std::to_string(keys.size()) + "\r\n";
  for (const std::string& k : keys) out += BulkOf(k);
  return out;
}

// A RESP3 client with tracking on (extra options after ON).
struct Resp3Client {
  RawSocket socket;
  Resp3Client(uint16_t port, const std::vector<std::string>& options) : socket(port) {
    socket.Roundtrip(Resp({"HELLO", "3"}));
    std::vector<std::string> argv{"CLIENT", "TRACKING", "on"};
    argv.insert(argv.end(), options.begin(), options.end());
    REQUIRE(socket.Roundtrip(Resp(argv)) == "+OK\r\n");
  }
  // Sends one request and returns the next `count` replies (pushes included), in order.
  std::vector<std::string> Run(const std::vector<std::string>& argv, size_t count = 1) {
    REQUIRE(socket.Send(Resp(argv)));
    return socket.ReadReplies(count);
  }
};

int64_t ClientId(redisContext* c) { return Command(c, {"CLIENT", "ID"})->integer; }

std::string Info(redisContext* c, const std::string& field) {
  Reply r = Command(c, {"INFO", "everything"});
  REQUIRE(r != nullptr);
  return InfoField(std::string(r->str, r->len), field);
}

}  // namespace

TEST_CASE("RESP3 clients get one invalidation per read key, after their own replies",
          "[integration][tracking]") {
  ServerProcess server;
  RedisConnection other = server.Connect();
  Resp3Client t(server.port(), {});
  CHECK(Call(other.get(), {"MSET", "a", "1", "b", "2"}) == "OK");
  CHECK(t.Run({"MGET", "a", "b"}) == std::vector<std::string>{"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"});

  // Another client's change: one push per key, once.
  CHECK(Call(other.get(), {"SET", "a", "x"}) == "OK");
  CHECK(Call(other.get(), {"SET", "a", "y"}) == "OK");
  CHECK(t.Run({"PING"}, 2) == std::vector<std::string>{Invalidate({"a"}), "+PONG\r\n"});

  // The client's own change: its reply first, then the invalidation (also inside EXEC).
  CHECK(t.Run({"HDEL", "nohash", "f"}) == std::vector<std::string>{":0\r\n"});
  CHECK(t.Run({"INCR", "b"}, 2) == std::vector<std::string>{":3\r\n", Invalidate({"b"})});
  t.Run({"GET", "b"});
  t.Run({"MULTI"});
  t.Run({"INCR", "b"});
  CHECK(t.Run({"EXEC"}, 2) == std::vector<std::string>{"*1\r\n:4\r\n", Invalidate({"b"})});

  // Expiry invalidates, and a script's read tracks the keys it declared.
  t.Run({"EVAL", "return redis.call('get', 'zzz')", "1", "declared"});
  CHECK(Call(other.get(), {"SET", "declared", "v", "PX", "30"}) == "OK");
  CHECK(t.socket.ReadReplies(1) == std::vector<std::string>{Invalidate({"declared"})});
  t.Run({"GET", "declared"});
  CHECK(t.socket.ReadReplies(1, kWaitTimeout) ==
        std::vector<std::string>{Invalidate({"declared"})});

  // FLUSHALL: a null invalidation, even with nothing left to flush.
  CHECK(Call(other.get(), {"FLUSHALL"}) == "OK");
  CHECK(t.socket.ReadReplies(1) ==
        std::vector<std::string>{">2\r\n" + BulkOf("invalidate") + "_\r\n"});
  CHECK(Info(other.get(), "tracking_clients") == "1");
  CHECK(Info(other.get(), "tracking_total_keys") == "0");
}

TEST_CASE("RESP2 clients redirect invalidations to a subscriber of __redis__:invalidate",
          "[integration][tracking]") {
  ServerProcess server;
  RedisConnection redir = server.Connect();
  RedisConnection tracker = server.Connect();
  RedisConnection tracker2 = server.Connect();
  RedisConnection other = server.Connect();
  const std::string redir_id = std::to_string(ClientId(redir.get()));
  CHECK(Call(redir.get(), {"SUBSCRIBE", "__redis__:invalidate"}) ==
        "[subscribe, __redis__:invalidate, (integer) 1]");
  CHECK(Call(tracker.get(), {"CLIENT", "TRACKING", "on", "REDIRECT", redir_id, "NOLOOP"}) == "OK");
  CHECK(Call(tracker2.get(), {"CLIENT", "TRACKING", "on", "REDIRECT", redir_id}) == "OK");
  CHECK(Call(tracker.get(), {"CLIENT", "GETREDIR"}) == "(integer) " + redir_id);

  CHECK(Call(tracker.get(), {"MGET", "k1", "k2"}) == "[(nil), (nil)]");
  CHECK(Call(tracker2.get(), {"GET", "k3"}) == "(nil)");
  CHECK(Info(other.get(), "tracking_total_keys") == "3");
  CHECK(Info(other.get(), "tracking_clients") == "2");
  // NOLOOP: the tracker's own write is not announced to it; the other client's is.
  CHECK(Call(tracker.get(), {"SET", "k1", "mine"}) == "OK");
  CHECK(Call(other.get(), {"SET", "k2", "theirs"}) == "OK");
  CHECK(Call(other.get(), {"SET", "k3", "theirs"}) == "OK");
  CHECK(Describe(GetReply(redir.get())) == "[message, __redis__:invalidate, [k2]]");
  CHECK(Describe(GetReply(redir.get())) == "[message, __redis__:invalidate, [k3]]");

  // CLIENT LIST shows t and the redirect.
  Reply list = Command(other.get(), {"CLIENT", "LIST"});
  const std::string clients(list->str, list->len);
  CHECK(clients.find("flags=t db=0") != std::string::npos);
  CHECK(clients.find("redir=" + redir_id + " ") != std::string::npos);

  // The key limit: past it, keys are invalidated until the table is back under it.
  CHECK(Call(tracker2.get(), {"MGET", "x1", "x2", "x3"}) == "[(nil), (nil), (nil)]");
  CHECK(Call(other.get(), {"CONFIG", "SET", "tracking-table-max-keys", "1"}) == "OK");
  CHECK(Describe(GetReply(redir.get())).find("[message, __redis__:invalidate, [x") == 0);
  CHECK(Describe(GetReply(redir.get())).find("[message, __redis__:invalidate, [x") == 0);
  CHECK(Info(other.get(), "tracking_total_keys") == "1");

  // FLUSHDB: a null, once per tracking client.
  CHECK(Call(other.get(), {"FLUSHDB"}) == "OK");
  CHECK(Describe(GetReply(redir.get())) == "[message, __redis__:invalidate, (nil)]");
  CHECK(Describe(GetReply(redir.get())) == "[message, __redis__:invalidate, (nil)]");

  // The redirect target goes: the flag R, broken_redirect, and no message anywhere.
  CHECK(Call(tracker2.get(), {"GET", "gone"}) == "(nil)");
  redir.reset();
  CHECK(WaitFor([&] {
    Reply r = Command(other.get(), {"CLIENT", "LIST"});
    return std::string(r->str, r->len).find("id=" + redir_id + " ") == std::string::npos;
  }));
  CHECK(Call(other.get(), {"SET", "gone", "1"}) == "OK");
  CHECK(Call(tracker2.get(), {"CLIENT", "TRACKINGINFO"}) ==
        "[flags, [on, broken_redirect], redirect, (integer) " + redir_id + ", prefixes, []]");
  list = Command(other.get(), {"CLIENT", "LIST", "ID", std::to_string(ClientId(tracker2.get()))});
  CHECK(std::string(list->str, list->len).find("flags=tR ") != std::string::npos);

  // RESET turns tracking off.
  CHECK(Call(tracker2.get(), {"RESET"}) == "RESET");
  CHECK(Call(tracker2.get(), {"CLIENT", "GETREDIR"}) == "(integer) -1");
  CHECK(Info(other.get(), "tracking_clients") == "1");
}

TEST_CASE("BCAST announces every change under the client's prefixes", "[integration][tracking]") {
  ServerProcess server;
  RedisConnection other = server.Connect();
  Resp3Client t(server.port(), {"BCAST", "PREFIX", "a:", "PREFIX", "b:", "NOLOOP"});
  // One message per prefix with all of its keys a command changed.
  CHECK(Call(other.get(), {"MSET", "a:2", "1", "a:1", "1", "b:1", "1", "c:1", "1"}) == "OK");
  CHECK(t.Run({"PING"}, 3) ==
        std::vector<std::string>{Invalidate({"a:1", "a:2"}), Invalidate({"b:1"}), "+PONG\r\n"});
  // NOLOOP leaves out the client's own changes.
  CHECK(t.Run({"SET", "a:3", "1"}) == std::vector<std::string>{"+OK\r\n"});
  CHECK(t.Run({"PING"}) == std::vector<std::string>{"+PONG\r\n"});
  CHECK(Info(other.get(), "tracking_total_prefixes") == "2");
  Reply list = Command(other.get(), {"CLIENT", "LIST"});
  CHECK(std::string(list->str, list->len).find("flags=tB ") != std::string::npos);
}

TEST_CASE("Writes a replica applies invalidate what its clients read",
          "[integration][tracking][replication]") {
  TempDir data;
  std::unique_ptr<ServerProcess> primary = StartServerOn(data.path() / "p", kNoTimedSeals);
  std::unique_ptr<ServerProcess> replica = StartReplicaOn(data.path() / "r", primary->port());
  WaitLinkUp(*replica);
  RedisConnection on_primary = primary->Connect();
  CHECK(Call(on_primary.get(), {"SET", "shared", "1"}) == "OK");
  WaitCaughtUp(*primary, *replica);
  Resp3Client t(replica->port(), {});
  CHECK(t.Run({"GET", "shared"}) == std::vector<std::string>{"$1\r\n1\r\n"});
  CHECK(Call(on_primary.get(), {"SET", "shared", "2"}) == "OK");
  CHECK(t.socket.ReadReplies(1, kWaitTimeout) == std::vector<std::string>{Invalidate({"shared"})});
}

}  // namespace tidekv::integration
