// Many clients at once, and the commands that look at or act on other clients: CLIENT
// LIST/ID/SETNAME/GETNAME/INFO/KILL and MONITOR.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/raw_socket.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

std::string Text(const Reply& r) {
  return r != nullptr && r->str != nullptr ? std::string(r->str, r->len) : std::string();
}

// The value of "field=" in a CLIENT LIST / CLIENT INFO line.
std::string ClientField(const std::string& line, const std::string& field) {
  std::smatch m;
  if (std::regex_search(line, m, std::regex("(^| )" + field + "=([^ \n]*)"))) return m[2];
  return "";
}

TEST_CASE("1,000 concurrent clients each SET and GET their own key", "[integration]") {
  ServerProcess server;
  constexpr int kClients = 1000;

  std::vector<RedisConnection> clients;
  clients.reserve(kClients);
  for (int i = 0; i < kClients; i++) {
    // A failure here (EMFILE in the server shows up as a refused or reset connection)
    // names the client number in the exception.
    clients.push_back(server.Connect());
  }
  // Every client has its requests queued before any reply is read, so the server holds all
  // 1,000 sessions with work in flight at the same time.
  for (int i = 0; i < kClients; i++) {
    const std::string n = std::to_string(i);
    AppendCommand(clients[i].get(), {"SET", "client:" + n, "value:" + n});
    AppendCommand(clients[i].get(), {"GET", "client:" + n});
  }
  int failures = 0;
  for (int i = 0; i < kClients; i++) {
    const std::string set = Describe(GetReply(clients[i].get()));
    const std::string get = Describe(GetReply(clients[i].get()));
    if ((set != "OK" || get != "value:" + std::to_string(i)) && failures++ < 5) {
      FAIL_CHECK("client " << i << ": SET -> " << set << ", GET -> " << get);
    }
  }
  CHECK(failures == 0);

  RedisConnection observer = server.Connect();
  Reply info = Command(observer.get(), {"INFO", "clients"});
  REQUIRE(info != nullptr);
  CHECK(std::stoll(InfoField(Text(info), "connected_clients")) >= kClients + 1);
  CHECK(Call(observer.get(), {"DBSIZE"}) == "(integer) " + std::to_string(kClients));
  INFO(server.Log().substr(0, 2000));
  CHECK(server.Log().find("accept failed") == std::string::npos);
}

TEST_CASE("CLIENT ID, SETNAME, GETNAME, INFO and LIST", "[integration]") {
  ServerProcess server;
  RedisConnection a = server.Connect();
  RedisConnection b = server.Connect();

  Reply id_a = Command(a.get(), {"CLIENT", "ID"});
  Reply id_b = Command(b.get(), {"CLIENT", "ID"});
  REQUIRE(id_a != nullptr);
  REQUIRE(id_b != nullptr);
  REQUIRE(id_a->type == REDIS_REPLY_INTEGER);
  CHECK(id_a->integer > 0);
  CHECK(id_a->integer != id_b->integer);

  CHECK(Call(a.get(), {"CLIENT", "GETNAME"}) == "(nil)");
  CHECK(Call(a.get(), {"CLIENT", "SETNAME", "worker-a"}) == "OK");
  CHECK(Call(a.get(), {"CLIENT", "GETNAME"}) == "worker-a");
  CHECK(Call(a.get(), {"CLIENT", "SETNAME", "has space"}).rfind("(error) ERR", 0) == 0);

  const std::string info = Text(Command(a.get(), {"CLIENT", "INFO"}));
  INFO("CLIENT INFO: " << info);
  CHECK(ClientField(info, "id") == std::to_string(id_a->integer));
  CHECK(ClientField(info, "name") == "worker-a");
  CHECK(ClientField(info, "addr").rfind("127.0.0.1:", 0) == 0);
  CHECK(ClientField(info, "laddr") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(ClientField(info, "db") == "0");
  CHECK(ClientField(info, "cmd") == "client|info");

  const std::string list = Text(Command(b.get(), {"CLIENT", "LIST"}));
  INFO("CLIENT LIST: " << list);
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = list.find('\n', start)) != std::string::npos;
       start = end + 1) {
    lines.push_back(list.substr(start, end - start));
  }
  CHECK(lines.size() == 2);
  bool found_a = false;
  for (const std::string& line : lines) {
    if (ClientField(line, "id") == std::to_string(id_a->integer)) {
      found_a = true;
      CHECK(ClientField(line, "name") == "worker-a");
    }
  }
  CHECK(found_a);
  const std::string only_b =
      Text(Command(b.get(), {"CLIENT", "LIST", "ID", std::to_string(id_b->integer)}));
  CHECK(ClientField(only_b, "id") == std::to_string(id_b->integer));
  CHECK(std::count(only_b.begin(), only_b.end(), '\n') == 1);
}

TEST_CASE("CLIENT KILL by ID and by ADDR closes the other connection", "[integration]") {
  ServerProcess server;
  RedisConnection killer = server.Connect();
  RedisConnection by_id = server.Connect();
  RedisConnection by_addr = server.Connect();
  RedisConnection by_old_form = server.Connect();

  Reply id = Command(by_id.get(), {"CLIENT", "ID"});
  REQUIRE(id != nullptr);
  const std::string addr = ClientField(Text(Command(by_addr.get(), {"CLIENT", "INFO"})), "addr");
  const std::string old_addr =
      ClientField(Text(Command(by_old_form.get(), {"CLIENT", "INFO"})), "addr");
  REQUIRE_FALSE(addr.empty());

  // A killed client learns of it by reading: wait for a reply nobody asked for, which can
  // only end with the server closing the connection (EOF), not with a timeout.
  auto sees_eof = [](redisContext* c) {
    Reply r = GetReply(c);
    INFO("hiredis: err=" << c->err << " " << c->errstr);
    return r == nullptr && c->err == REDIS_ERR_EOF;
  };

  CHECK(Call(killer.get(), {"CLIENT", "KILL", "ID", std::to_string(id->integer)}) == "(integer) 1");
  CHECK(sees_eof(by_id.get()));

  CHECK(Call(killer.get(), {"CLIENT", "KILL", "ADDR", addr}) == "(integer) 1");
  CHECK(sees_eof(by_addr.get()));

  CHECK(Call(killer.get(), {"CLIENT", "KILL", old_addr}) == "OK");
  CHECK(sees_eof(by_old_form.get()));

  CHECK(Call(killer.get(), {"CLIENT", "KILL", "ID", std::to_string(id->integer)}) == "(integer) 0");
  CHECK(Call(killer.get(), {"CLIENT", "KILL", "127.0.0.1:1"}) == "(error) ERR No such client");
  CHECK(Call(killer.get(), {"PING"}) == "PONG");
  // The server forgets killed clients: only the killer is left.
  CHECK(WaitFor([&] {
    Reply info = Command(killer.get(), {"INFO", "clients"});
    return InfoField(Text(info), "connected_clients") == "1";
  }));
}

TEST_CASE("server.timeout closes idle clients only", "[integration]") {
  ServerProcess server({"--server.timeout", "3"});
  RedisConnection idle = server.Connect();
  RedisConnection busy = server.Connect();
  REQUIRE(Call(idle.get(), {"PING"}) == "PONG");

  // The busy client keeps talking (every 100 ms, far inside the 3 s timeout) for longer than
  // the timeout; the idle one says nothing.
  const auto start = Clock::now();
  bool busy_ok = true;
  while (Clock::now() - start < 7s) {
    busy_ok = busy_ok && Call(busy.get(), {"PING"}) == "PONG";
    std::this_thread::sleep_for(100ms);
  }
  CHECK(busy_ok);
  Reply r = GetReply(idle.get());  // nothing was sent: only a close can end this read
  CHECK(r == nullptr);
  CHECK(idle->err == REDIS_ERR_EOF);
}

TEST_CASE("memory falls back once a large request's value is unlinked", "[integration]") {
  // A 100,000-argument SADD grows the connection's argument array, the log's chunk buffer,
  // the log's memtable and the keyspace. Once the set is unlinked (freed on the lazy-free
  // thread) and a seal made the log obsolete, none of it is kept: used_memory returns near
  // where it started while the same client keeps asking, as Redis's lazyfree test expects.
  ServerProcess server;
  RedisConnection c = server.Connect();
  auto used = [&] {
    return std::stoll(InfoField(Text(Command(c.get(), {"INFO", "memory"})), "used_memory"));
  };
  const int64_t before = used();
  std::vector<std::string> sadd = {"SADD", "big"};
  for (int i = 0; i < 100000; i++) sadd.push_back(std::to_string(i));
  REQUIRE(Call(c.get(), sadd) == "(integer) 100000");
  const int64_t peak = used();
  CHECK(peak > before + 4'000'000);
  REQUIRE(Call(c.get(), {"UNLINK", "big"}) == "(integer) 1");
  int64_t now = peak;
  CHECK(WaitFor([&] {
    now = used();
    return now < before + 256 * 1024;
  }));
  INFO("used_memory " << before << " -> " << peak << " -> " << now);
  CHECK(Call(c.get(), {"SCARD", "big"}) == "(integer) 0");
}

TEST_CASE("MONITOR streams the commands of other clients", "[integration]") {
  ServerProcess server;
  RedisConnection monitor = server.Connect();
  RedisConnection client = server.Connect();
  const std::string client_addr =
      ClientField(Text(Command(client.get(), {"CLIENT", "INFO"})), "addr");

  CHECK(Call(monitor.get(), {"MONITOR"}) == "OK");
  // Lower case, as redis-cli sends what the user typed: the monitor shows arguments as they
  // arrived, and the format below is Redis's.
  CHECK(Call(client.get(), {"set", "k", "v"}) == "OK");
  CHECK(Call(client.get(), {"set", "quoted", std::string("a\"b\r\n\x01", 6)}) == "OK");

  // The monitor may also see other commands first; look for ours within a few lines.
  const std::regex set_line(R"(^\d{10,}\.\d{6} \[0 127\.0\.0\.1:(\d+)\] "set" "k" "v"$)");
  std::vector<std::string> seen;
  bool found = false, found_quoted = false;
  for (int i = 0; i < 10 && !(found && found_quoted); i++) {
    Reply r = GetReply(monitor.get());
    if (r == nullptr) break;
    REQUIRE(r->type == REDIS_REPLY_STATUS);
    const std::string line = Text(r);
    seen.push_back(line);
    std::smatch m;
    if (std::regex_match(line, m, set_line)) {
      found = true;
      CHECK("127.0.0.1:" + m[1].str() == client_addr);
    }
    if (line.find(R"("set" "quoted" "a\"b\r\n\x01")") != std::string::npos) found_quoted = true;
  }
  std::string all;
  for (const std::string& line : seen) all += line + "\n";
  INFO("monitor lines:\n" << all);
  CHECK(found);
  CHECK(found_quoted);
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  REQUIRE_FALSE(seen.empty());
  CHECK(std::abs(std::stoll(seen.front()) - now) < 60);
}

TEST_CASE("MONITOR shows EVAL and FCALL before the commands they run, and MULTI/EXEC in order",
          "[integration][script]") {
  ServerProcess server;
  RedisConnection monitor = server.Connect();
  RedisConnection client = server.Connect();
  CHECK(Call(client.get(), {"FUNCTION", "LOAD",
                            "#!lua name=test\nredis.register_function('test', function() "
                            "return redis.call('set', 'foo', 'bar') end)"}) == "test");
  const std::string addr = ClientField(Text(Command(client.get(), {"CLIENT", "INFO"})), "addr");
  CHECK(Call(monitor.get(), {"MONITOR"}) == "OK");
  CHECK(Call(client.get(), {"eval", "return redis.call('set', KEYS[1], 'v')", "1", "k"}) == "OK");
  CHECK(Call(client.get(), {"fcall", "test", "0"}) == "OK");
  CHECK(Call(client.get(), {"multi"}) == "OK");
  CHECK(Call(client.get(), {"incr", "n"}) == "QUEUED");
  CHECK(Describe(Command(client.get(), {"exec"})) == "[(integer) 1]");
  // Each line without its timestamp: "[db addr] args".
  std::vector<std::string> lines;
  for (int i = 0; i < 7; i++) {
    Reply r = GetReply(monitor.get());
    REQUIRE(r != nullptr);
    const std::string line = Text(r);
    lines.push_back(line.substr(line.find(' ') + 1));
  }
  const std::string me = "[0 " + addr + "] ";
  CHECK(lines == std::vector<std::string>{
                     me + R"x("eval" "return redis.call('set', KEYS[1], 'v')" "1" "k")x",
                     R"([0 lua] "set" "k" "v")", me + R"("fcall" "test" "0")",
                     R"([0 lua] "set" "foo" "bar")", me + R"("multi")", me + R"("incr" "n")",
                     me + R"("exec")"});
}

TEST_CASE("CLIENT REPLY OFF, SKIP and ON drop replies, not the commands",
          "[integration][clients]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  AppendCommand(c.get(), {"CLIENT", "REPLY", "OFF"});
  AppendCommand(c.get(), {"SET", "a", "1"});
  AppendCommand(c.get(), {"GET", "a"});
  AppendCommand(c.get(), {"CLIENT", "REPLY", "ON"});
  // The first reply that comes back is ON's.
  CHECK(Describe(GetReply(c.get())) == "OK");
  CHECK(Call(c.get(), {"GET", "a"}) == "1");
  AppendCommand(c.get(), {"CLIENT", "REPLY", "SKIP"});
  AppendCommand(c.get(), {"INCR", "a"});
  AppendCommand(c.get(), {"GET", "a"});
  CHECK(Describe(GetReply(c.get())) == "2");
  CHECK(Call(c.get(), {"CLIENT", "REPLY", "MAYBE"}) == "(error) ERR syntax error");

  // Pub/sub confirmations and messages are pushes, kept under REPLY OFF in RESP2 too.
  RedisConnection sub = server.Connect();
  AppendCommand(sub.get(), {"CLIENT", "REPLY", "OFF"});
  AppendCommand(sub.get(), {"PSUBSCRIBE", "news.*"});
  CHECK(Describe(GetReply(sub.get())) == "[psubscribe, news.*, (integer) 1]");
  CHECK(Call(c.get(), {"PUBLISH", "news.1", "hi"}) == "(integer) 1");
  CHECK(Describe(GetReply(sub.get())) == "[pmessage, news.*, news.1, hi]");

  // A RESP3 client publishing to itself under REPLY OFF gets the message, not the count.
  RawSocket self(server.port());
  CHECK(self.Roundtrip("HELLO 3\r\n").rfind("%", 0) == 0);
  CHECK(self.Roundtrip("SUBSCRIBE ch\r\n") == ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n");
  REQUIRE(self.Send("CLIENT REPLY OFF\r\nPUBLISH ch x\r\nCLIENT REPLY ON\r\n"));
  CHECK(self.ReadReplies(2) ==
        std::vector<std::string>{">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n", "+OK\r\n"});
}

}  // namespace
}  // namespace tidekv::integration
