// Stream commands (commands/stream*.cc) through the in-process engine: IDs and their
// errors, ranges, trimming, XSETID, consumer groups, and the effects that keep replicas and
// the log converged (concrete IDs, exact trims, XCLAIM per delivery).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"
#include "tests/unit/commands/recording_sink.h"

namespace tidekv::commands {
namespace {

using V = std::vector<std::string>;

struct Fixture {
  Fixture() { f.engine().set_effect_sink(&sink); }
  std::string Run(std::initializer_list<std::string_view> argv) { return f.Run(argv); }
  std::vector<std::string> Take() { return std::exchange(sink.effects, {}); }
  EngineFixture f;
  RecordingSink sink;
};

TEST_CASE("XADD IDs: explicit, partial, automatic, and their errors", "[stream]") {
  Fixture x;
  CHECK(x.Run({"XADD", "s", "5-5", "a", "1"}) == Bulk("5-5"));
  CHECK(x.Run({"XADD", "s", "5-*", "a", "1"}) == Bulk("5-6"));
  CHECK(x.Run({"XADD", "s", "7", "a", "1"}) == Bulk("7-0"));
  CHECK(x.Run({"XADD", "s", "6", "a", "1"}) ==
        Err("ERR The ID specified in XADD is equal or smaller than the target stream top item"));
  CHECK(x.Run({"XADD", "t", "0-0", "a", "1"}) ==
        Err("ERR The ID specified in XADD must be greater than 0-0"));
  CHECK(x.Run({"XADD", "s", "abc", "a", "1"}) ==
        Err("ERR Invalid stream ID specified as stream command argument"));
  CHECK(x.Run({"XADD", "s", "*", "a"}) == Err("ERR wrong number of arguments for 'xadd' command"));
  CHECK(x.Run({"XADD", "s", "7-18446744073709551615", "a", "1"}) == Bulk("7-18446744073709551615"));
  CHECK(x.Run({"XADD", "s", "7-*", "a", "1"}) == Err("ERR Elements are too large to be stored"));
  CHECK(x.Run({"XADD", "s", "MAXLEN", "=", "1", "LIMIT", "5", "*", "a", "1"}) ==
        Err("ERR syntax error, LIMIT cannot be used without the special ~ option"));
  CHECK(x.Run({"XADD", "s", "MAXLEN", "1", "MINID", "2", "*", "a", "1"}) ==
        Err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible"));
  CHECK(x.Run({"XADD", "s", "LIMIT", "5", "*", "a", "1"}) ==
        Err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"));
  CHECK(x.Run({"XADD", "s", "MAXLEN", "-1", "*", "a", "1"}) ==
        Err("ERR The MAXLEN argument must be >= 0."));
  CHECK(x.Run({"XADD", "nokey", "NOMKSTREAM", "*", "a", "1"}) == "$-1\r\n");
  CHECK(x.Run({"EXISTS", "nokey"}) == ":0\r\n");
  x.f.clock().SetMs(1000);
  CHECK(x.Run({"XADD", "auto", "*", "a", "1"}) == Bulk("1000-0"));
  CHECK(x.Run({"XADD", "auto", "*", "a", "1"}) == Bulk("1000-1"));
  CHECK(x.Run({"XADD", "s", "18446744073709551615-18446744073709551615", "a", "1"}) ==
        Bulk("18446744073709551615-18446744073709551615"));
  CHECK(x.Run({"XADD", "s", "*", "a", "1"}) ==
        Err("ERR The stream has exhausted the last possible ID, unable to add more items"));
  CHECK(x.Run({"TYPE", "s"}) == "+stream\r\n");
  CHECK(x.Run({"OBJECT", "ENCODING", "s"}) == Bulk("stream"));
  x.Run({"SET", "str", "v"});
  CHECK(x.Run({"XADD", "str", "*", "a", "1"}).starts_with("-WRONGTYPE"));
  CHECK(x.Run({"XLEN", "str"}).starts_with("-WRONGTYPE"));
}

TEST_CASE("XRANGE and XREVRANGE with COUNT and exclusive bounds", "[stream]") {
  Fixture x;
  for (int i = 1; i <= 5; i++) x.Run({"XADD", "s", std::to_string(i) + "-1", "f", "v"});
  CHECK(Elements(x.Run({"XRANGE", "s", "-", "+", "COUNT", "2"})) ==
        V{"1-1", "f", "v", "2-1", "f", "v"});
  CHECK(Elements(x.Run({"XRANGE", "s", "(2-1", "(4-1"})) == V{"3-1", "f", "v"});
  CHECK(Elements(x.Run({"XREVRANGE", "s", "+", "4", "COUNT", "1"})) == V{"5-1", "f", "v"});
  CHECK(x.Run({"XREVRANGE", "s", "+", "-", "COUNT", "0"}) == "*-1\r\n");
  CHECK(x.Run({"XRANGE", "s", "(-", "+"}) ==
        Err("ERR Invalid stream ID specified as stream command argument"));
  CHECK(x.Run({"XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"}) ==
        Err("ERR invalid start ID for the interval"));
  CHECK(x.Run({"XRANGE", "s", "-", "(0-0"}) == Err("ERR invalid end ID for the interval"));
  CHECK(x.Run({"XRANGE", "s", "-", "+", "FOO"}) == Err("ERR syntax error"));
  CHECK(x.Run({"XRANGE", "nokey", "-", "+"}) == "*0\r\n");
  CHECK(x.Run({"XLEN", "s"}) == ":5\r\n");
}

TEST_CASE("XDEL, XTRIM and XSETID, with their effects", "[stream]") {
  Fixture x;
  for (int i = 1; i <= 5; i++) x.Run({"XADD", "s", std::to_string(i), "f", "v"});
  x.f.clock().SetMs(9000);
  x.Run({"XADD", "s", "MAXLEN", "~", "2", "*", "f", "v"});  // one node: nothing goes
  x.Run({"XADD", "s", "MAXLEN", "4", "*", "f", "v"});
  CHECK(x.Run({"XDEL", "s", "4", "99"}) == ":1\r\n");
  CHECK(x.Run({"XTRIM", "s", "MINID", "9000"}) == ":1\r\n");
  CHECK(x.Run({"XTRIM", "s", "MAXLEN", "100"}) == ":0\r\n");
  CHECK(x.Run({"XLEN", "s"}) == ":2\r\n");
  const V effects = x.Take();
  REQUIRE(effects.size() == 9);
  CHECK(effects[5] == "0: XADD s 9000-0 f v");
  CHECK(effects[6] == "0: XADD s MAXLEN = 4 9000-1 f v");
  CHECK(effects[7] == "0: XDEL s 4 99");
  CHECK(effects[8] == "0: XTRIM s MAXLEN = 2");
  CHECK(x.Run({"XSETID", "s", "4"}) ==
        Err("ERR The ID specified in XSETID is smaller than the target stream top item"));
  CHECK(x.Run({"XSETID", "s", "1"}) ==
        Err("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id"));
  CHECK(x.Run({"XSETID", "nokey", "1"}) == Err("ERR no such key"));
  CHECK(x.Run({"XSETID", "s", "9999", "ENTRIESADDED", "1"}) ==
        Err("ERR The entries_added specified in XSETID is smaller than the target stream length"));
  CHECK(x.Run({"XSETID", "s", "9999", "ENTRIESADDED", "-1", "MAXDELETEDID", "0"}) ==
        Err("ERR entries_added must be positive"));
  CHECK(x.Run({"XSETID", "s", "9999", "1-1"}) == Err("ERR syntax error"));
  CHECK(x.Run({"XSETID", "s", "9999", "ENTRIESADDED", "50", "MAXDELETEDID", "10"}) == "+OK\r\n");
  const V info = Elements(x.Run({"XINFO", "STREAM", "s"}));
  CHECK(info[0] == "length");
  CHECK(info[1] == "2");
  CHECK(info[6] == "last-generated-id");
  CHECK(info[7] == "9999-0");
  CHECK(info[9] == "10-0");
  CHECK(info[11] == "50");
}

TEST_CASE("consumer groups: XREADGROUP, XACK, XPENDING and their effects", "[stream]") {
  Fixture x;
  x.f.clock().SetMs(5000);
  x.Run({"XADD", "s", "1", "a", "1"});
  x.Run({"XADD", "s", "2", "b", "2"});
  CHECK(x.Run({"XGROUP", "CREATE", "s", "g", "$"}) == "+OK\r\n");
  CHECK(x.Run({"XGROUP", "CREATE", "s", "g", "$"}) ==
        Err("BUSYGROUP Consumer Group name already exists"));
  CHECK(x.Run({"XGROUP", "CREATE", "nokey", "g", "$"})
            .starts_with("-ERR The XGROUP subcommand requires the key to exist."));
  CHECK(x.Run({"XGROUP", "SETID", "s", "g", "0"}) == "+OK\r\n");
  x.Take();
  CHECK(Elements(x.Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"})) ==
        V{"s", "1-0", "a", "1"});
  CHECK(x.Take() == V{"0: XCLAIM s g alice 0 1-0 TIME 5000 RETRYCOUNT 1 FORCE JUSTID LASTID 1-0"});
  x.Run({"XREADGROUP", "GROUP", "g", "bob", "NOACK", "STREAMS", "s", ">"});
  CHECK(x.Take() == V{"0: XGROUP CREATECONSUMER s g bob", "0: XGROUP SETID s g 2-0 ENTRIESREAD 2"});
  CHECK(x.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "$"})
            .starts_with("-ERR The $ ID is meaningless"));
  CHECK(x.Run({"XREADGROUP", "GROUP", "nog", "alice", "STREAMS", "s", ">"}) ==
        Err("NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"));
  // Nothing new: a null reply (no BLOCK); the history of alice is her pending entry.
  CHECK(x.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"}) == "*-1\r\n");
  CHECK(Elements(x.Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0"})) ==
        V{"s", "1-0", "a", "1"});
  CHECK(Elements(x.Run({"XPENDING", "s", "g"})) == V{"1", "1-0", "1-0", "alice", "1"});
  x.f.clock().SetMs(5100);
  CHECK(Elements(x.Run({"XPENDING", "s", "g", "IDLE", "50", "-", "+", "10"})) ==
        V{"1-0", "alice", "100", "2"});
  CHECK(x.Run({"XPENDING", "s", "g", "-", "+", "10", "nobody"}) == "*0\r\n");
  CHECK(x.Run({"XPENDING", "s", "nog"}) == Err("NOGROUP No such key 's' or consumer group 'nog'"));
  x.Take();
  CHECK(Elements(x.Run({"XCLAIM", "s", "g", "carol", "10", "1-0", "JUSTID"})) == V{"1-0"});
  CHECK(x.Take() == V{"0: XCLAIM s g carol 0 1-0 TIME 5100 RETRYCOUNT 2 FORCE JUSTID LASTID 2-0"});
  CHECK(x.Run({"XCLAIM", "s", "g", "carol", "0", "1-0", "BOGUS"}) ==
        Err("ERR Unrecognized XCLAIM option 'BOGUS'"));
  CHECK(x.Run({"XAUTOCLAIM", "s", "g", "dave", "0", "0", "COUNT", "0"}) ==
        Err("ERR COUNT must be > 0"));
  x.Run({"XDEL", "s", "1"});
  CHECK(Elements(x.Run({"XAUTOCLAIM", "s", "g", "dave", "0", "0"})) == V{"0-0", "1-0"});
  CHECK(x.Run({"XACK", "s", "g", "1-0"}) == ":0\r\n");
  CHECK(x.Run({"XACK", "s", "g", "bad"}) ==
        Err("ERR Invalid stream ID specified as stream command argument"));
  const V groups = Elements(x.Run({"XINFO", "GROUPS", "s"}));
  CHECK(groups == V{"name", "g", "consumers", "3", "pending", "0", "last-delivered-id", "2-0",
                    "entries-read", "2", "lag", "0"});
  CHECK(x.Run({"XGROUP", "DELCONSUMER", "s", "g", "alice"}) == ":0\r\n");
  CHECK(x.Run({"XGROUP", "CREATECONSUMER", "s", "g", "alice"}) == ":1\r\n");
  CHECK(x.Run({"XGROUP", "CREATECONSUMER", "s", "g", "alice"}) == ":0\r\n");
  CHECK(x.Run({"XGROUP", "CREATECONSUMER", "s", "g", "zed"}) == ":1\r\n");
  CHECK(x.Run({"XGROUP", "DESTROY", "s", "g"}) == ":1\r\n");
  CHECK(x.Run({"XGROUP", "DESTROY", "s", "g"}) == ":0\r\n");
  CHECK(x.Run({"XINFO", "CONSUMERS", "s", "g"}) ==
        Err("NOGROUP No such consumer group 'g' for key name 's'"));
}

TEST_CASE("XREAD serves what is newer, $ and blocking inside MULTI", "[stream]") {
  Fixture x;
  x.Run({"XADD", "a", "1", "f", "v"});
  x.Run({"XADD", "b", "2", "f", "v"});
  CHECK(Elements(x.Run({"XREAD", "COUNT", "5", "STREAMS", "a", "b", "0", "2"})) ==
        V{"a", "1-0", "f", "v"});
  CHECK(x.Run({"XREAD", "STREAMS", "a", "$"}) == "*-1\r\n");
  CHECK(x.Run({"XREAD", "STREAMS", "a", "b", "c"}) ==
        Err("ERR Unbalanced 'xread' list of streams: for each stream key an ID or '$' must be "
            "specified."));
  CHECK(x.Run({"XREAD", "STREAMS", "a", ">"}).starts_with("-ERR The > ID can be specified"));
  CHECK(x.Run({"XREAD", "BLOCK", "-1", "STREAMS", "a", "$"}) == Err("ERR timeout is negative"));
  x.Run({"MULTI"});
  x.Run({"XREAD", "BLOCK", "0", "STREAMS", "a", "$"});
  CHECK(x.Run({"EXEC"}) == "*1\r\n*-1\r\n");
  CHECK(Elements(x.Run({"COMMAND", "GETKEYS", "XREAD", "COUNT", "1", "STREAMS", "a", "b", "0",
                        "0"})) == V{"a", "b"});
  CHECK(Elements(x.Run({"COMMAND", "GETKEYS", "XGROUP", "CREATE", "k", "g", "$"})) == V{"k"});
}

TEST_CASE("COPY, DUMP/RESTORE and DEBUG DIGEST-VALUE keep streams whole", "[stream]") {
  Fixture x;
  x.Run({"XADD", "s", "1", "f", "v"});
  x.Run({"XGROUP", "CREATE", "s", "g", "0"});
  x.Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  CHECK(x.Run({"COPY", "s", "t"}) == ":1\r\n");
  CHECK(x.Run({"DEBUG", "DIGEST-VALUE", "s"}) == x.Run({"DEBUG", "DIGEST-VALUE", "t"}));
  const std::string dump = Elements(x.Run({"DUMP", "s"}))[0];
  CHECK(x.Run({"RESTORE", "u", "0", dump}) == "+OK\r\n");
  CHECK(x.Run({"DEBUG", "DIGEST-VALUE", "u"}) == x.Run({"DEBUG", "DIGEST-VALUE", "s"}));
  CHECK(Elements(x.Run({"XPENDING", "u", "g"}))[0] == "1");
}

}  // namespace
}  // namespace tidekv::commands
