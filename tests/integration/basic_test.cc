// Everyday commands against a real server over hiredis: strings, binary safety, expiry in
// real time, databases, and full keyspace iteration.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <string_view>

#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

TEST_CASE("PING, SET/GET, MGET and INCR", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  CHECK(Call(c.get(), {"PING"}) == "PONG");
  CHECK(Call(c.get(), {"PING", "hello"}) == "hello");
  CHECK(Call(c.get(), {"SET", "k1", "v1"}) == "OK");
  CHECK(Call(c.get(), {"GET", "k1"}) == "v1");
  CHECK(Call(c.get(), {"GET", "missing"}) == "(nil)");
  CHECK(Call(c.get(), {"SET", "k2", "v2"}) == "OK");
  CHECK(Call(c.get(), {"MGET", "k1", "missing", "k2"}) == "[v1, (nil), v2]");

  CHECK(Call(c.get(), {"INCR", "counter"}) == "(integer) 1");
  CHECK(Call(c.get(), {"INCR", "counter"}) == "(integer) 2");
  CHECK(Call(c.get(), {"INCRBY", "counter", "40"}) == "(integer) 42");
  CHECK(Call(c.get(), {"GET", "counter"}) == "42");
  CHECK(Call(c.get(), {"INCR", "k1"}) == "(error) ERR value is not an integer or out of range");
}

TEST_CASE("keys and values are binary safe", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  // NUL, CR, LF and high bytes in both the key and the value, including a lone "\r\n"
  // that an inline-protocol reader would take for the end of the request.
  const std::string key("bin\0key\r\n", 9);
  std::string value("a\0b\r\nc\r\n\0", 9);
  for (int i = 0; i < 256; i++) value.push_back(static_cast<char>(i));
  REQUIRE(Call(c.get(), {"SET", key, value}) == "OK");

  Reply r = Command(c.get(), {"GET", key});
  REQUIRE(r != nullptr);
  REQUIRE(r->type == REDIS_REPLY_STRING);
  CHECK(std::string(r->str, r->len) == value);
  CHECK(Call(c.get(), {"STRLEN", key}) == "(integer) " + std::to_string(value.size()));
  CHECK(Call(c.get(), {"EXISTS", std::string("bin\0key", 7)}) == "(integer) 0");

  const std::string empty;
  CHECK(Call(c.get(), {"SET", "empty", empty}) == "OK");
  r = Command(c.get(), {"GET", "empty"});
  REQUIRE(r != nullptr);
  CHECK(r->type == REDIS_REPLY_STRING);
  CHECK(r->len == 0);
}

TEST_CASE("a 32 MB value round-trips intact", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  std::string value(32 << 20, '\0');
  for (size_t i = 0; i < value.size(); i++) value[i] = static_cast<char>((i * 131) >> 3);
  REQUIRE(Call(c.get(), {"SET", "big", value}) == "OK");
  Reply r = Command(c.get(), {"GET", "big"});
  REQUIRE(r != nullptr);
  REQUIRE(r->type == REDIS_REPLY_STRING);
  CHECK(r->len == value.size());
  CHECK(std::string_view(r->str, r->len) == value);
  CHECK(Call(c.get(), {"APPEND", "big", "!"}) == "(integer) " + std::to_string(value.size() + 1));
  CHECK(Call(c.get(), {"GETRANGE", "big", "-2", "-1"}) == value.substr(value.size() - 1) + "!");
}

TEST_CASE("QUIT answers OK and closes the connection", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();
  CHECK(Call(c.get(), {"QUIT"}) == "OK");
  CHECK(GetReply(c.get()) == nullptr);
  CHECK(c->err == REDIS_ERR_EOF);
}

TEST_CASE("EXPIRE, TTL and PTTL follow real time", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  CHECK(Call(c.get(), {"SET", "persistent", "v"}) == "OK");
  CHECK(Call(c.get(), {"TTL", "persistent"}) == "(integer) -1");
  CHECK(Call(c.get(), {"PTTL", "missing"}) == "(integer) -2");

  CHECK(Call(c.get(), {"SET", "long", "v"}) == "OK");
  CHECK(Call(c.get(), {"EXPIRE", "long", "100"}) == "(integer) 1");
  Reply ttl = Command(c.get(), {"TTL", "long"});
  REQUIRE(ttl != nullptr);
  CHECK(ttl->integer >= 99);
  CHECK(ttl->integer <= 100);

  // The key lives 1 s: it is there while less than that passed since the SET was sent (on
  // any machine the first reads come well within it; the check says so whatever the speed).
  const auto set_at = Clock::now();
  CHECK(Call(c.get(), {"SET", "short", "v", "PX", "1000"}) == "OK");
  Reply pttl = Command(c.get(), {"PTTL", "short"});
  const std::string value = Call(c.get(), {"GET", "short"});
  const bool in_time = Clock::now() - set_at < 1000ms;
  REQUIRE(pttl != nullptr);
  CHECK((pttl->integer > 0 || !in_time));
  CHECK(pttl->integer <= 1000);
  CHECK((value == "v" || !in_time));

  // Poll rather than sleep: the key must vanish after 1 s, and not before.
  bool gone = WaitFor([&] { return Call(c.get(), {"GET", "short"}) == "(nil)"; });
  const auto elapsed = Clock::now() - set_at;
  CHECK(gone);
  CHECK(elapsed >= 990ms);
  CHECK(Call(c.get(), {"TTL", "short"}) == "(integer) -2");
  CHECK(Call(c.get(), {"EXISTS", "short"}) == "(integer) 0");

  CHECK(Call(c.get(), {"PEXPIRE", "long", "150"}) == "(integer) 1");
  CHECK(WaitFor([&] { return Call(c.get(), {"EXISTS", "long"}) == "(integer) 0"; }));
  CHECK(Call(c.get(), {"GET", "persistent"}) == "v");
}

TEST_CASE("active expiry removes keys nobody reads", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  // The cycle is off while the keys are written, so the count before it runs does not
  // depend on how fast this machine writes 210 keys.
  REQUIRE(Call(c.get(), {"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == "OK");
  for (int i = 0; i < 200; i++) {
    AppendCommand(c.get(), {"SET", "volatile:" + std::to_string(i), "v", "PX", "100"});
  }
  for (int i = 0; i < 10; i++) AppendCommand(c.get(), {"SET", "kept:" + std::to_string(i), "v"});
  for (int i = 0; i < 210; i++) REQUIRE(Describe(GetReply(c.get())) == "OK");
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 210");
  REQUIRE(Call(c.get(), {"DEBUG", "SET-ACTIVE-EXPIRE", "1"}) == "OK");

  // DBSIZE counts without touching keys, so only the server's own cycle can bring it down.
  std::string dbsize;
  bool drained = WaitFor([&] {
    dbsize = Call(c.get(), {"DBSIZE"});
    return dbsize == "(integer) 10";
  });
  INFO("last DBSIZE: " << dbsize);
  CHECK(drained);
  Reply info = Command(c.get(), {"INFO", "stats"});
  REQUIRE(info != nullptr);
  CHECK(std::stoll(InfoField(std::string(info->str, info->len), "expired_keys")) >= 200);
}

TEST_CASE("SELECT, DBSIZE and FLUSHALL", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  CHECK(Call(c.get(), {"SET", "a", "0"}) == "OK");
  CHECK(Call(c.get(), {"SELECT", "1"}) == "OK");
  CHECK(Call(c.get(), {"GET", "a"}) == "(nil)");
  CHECK(Call(c.get(), {"SET", "a", "1"}) == "OK");
  CHECK(Call(c.get(), {"SET", "b", "1"}) == "OK");
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 2");
  CHECK(Call(c.get(), {"SELECT", "0"}) == "OK");
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 1");
  CHECK(Call(c.get(), {"GET", "a"}) == "0");
  CHECK(Call(c.get(), {"SELECT", "16"}) == "(error) ERR DB index is out of range");

  // Another connection starts in database 0, whatever this one selected.
  RedisConnection other = server.Connect();
  CHECK(Call(c.get(), {"SELECT", "1"}) == "OK");
  CHECK(Call(other.get(), {"GET", "a"}) == "0");

  CHECK(Call(other.get(), {"FLUSHALL"}) == "OK");
  CHECK(Call(c.get(), {"DBSIZE"}) == "(integer) 0");
  CHECK(Call(other.get(), {"DBSIZE"}) == "(integer) 0");
}

TEST_CASE("KEYS and a full SCAN return every one of 5,000 keys", "[integration]") {
  ServerProcess server;
  RedisConnection c = server.Connect();

  constexpr int kKeys = 5000;
  std::set<std::string> expected;
  for (int i = 0; i < kKeys; i++) {
    std::string key = "key:" + std::to_string(i);
    AppendCommand(c.get(), {"SET", key, "v"});
    expected.insert(key);
  }
  AppendCommand(c.get(), {"SET", "other", "v"});
  for (int i = 0; i <= kKeys; i++) REQUIRE(Describe(GetReply(c.get())) == "OK");

  Reply keys = Command(c.get(), {"KEYS", "key:*"});
  REQUIRE(keys != nullptr);
  REQUIRE(keys->type == REDIS_REPLY_ARRAY);
  std::set<std::string> from_keys;
  for (size_t i = 0; i < keys->elements; i++) {
    from_keys.emplace(keys->element[i]->str, keys->element[i]->len);
  }
  CHECK(keys->elements == kKeys);
  CHECK(from_keys == expected);

  // SCAN may return a key more than once (when the table resizes) but never skips one.
  // The iteration count is bounded so a cursor that never returns to 0 fails the test.
  for (const char* match : {"", "key:*"}) {
    std::set<std::string> seen;
    std::string cursor = "0";
    int calls = 0;
    do {
      std::vector<std::string> args = {"SCAN", cursor, "COUNT", "100"};
      if (*match) args.insert(args.end(), {"MATCH", match});
      Reply page = Command(c.get(), args);
      REQUIRE(page != nullptr);
      REQUIRE(page->type == REDIS_REPLY_ARRAY);
      REQUIRE(page->elements == 2);
      cursor.assign(page->element[0]->str, page->element[0]->len);
      const redisReply* batch = page->element[1];
      for (size_t i = 0; i < batch->elements; i++) {
        seen.emplace(batch->element[i]->str, batch->element[i]->len);
      }
    } while (cursor != "0" && ++calls < 100000);
    INFO("MATCH '" << match << "' after " << calls << " calls");
    CHECK(cursor == "0");
    if (*match) {
      CHECK(seen == expected);
    } else {
      CHECK(seen.size() == kKeys + 1);
      CHECK(seen.count("other") == 1);
    }
  }
}

}  // namespace
}  // namespace tidekv::integration
