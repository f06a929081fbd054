// CLIENT TRACKING in process: the option checks and their Redis error texts, what the
// tracking table remembers (reads, OPTIN/OPTOUT with CLIENT CACHING, scripts' declared keys,
// EXEC) and forgets (a change, FLUSHALL, the key limit, the last client leaving), and
// CLIENT TRACKINGINFO / GETREDIR. Messages need a server: tests/integration/tracking_test.cc.
#include <catch2/catch.hpp>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {

namespace {

size_t TrackedKeys(EngineFixture& f) { return f.engine().tracking().total_keys(); }

}  // namespace

TEST_CASE("CLIENT TRACKING checks its options as Redis does", "[commands][tracking]") {
  EngineFixture f;
  CHECK(f.Run({"CLIENT", "TRACKING", "maybe"}) == Err("ERR syntax error"));
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "bogus"}) == Err("ERR syntax error"));
  CHECK(f.Run({"CLIENT", "TRACKING", "off", "bogus"}) == Err("ERR syntax error"));
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "PREFIX", "a"}) ==
        Err("ERR PREFIX option requires BCAST mode to be enabled"));
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "BCAST", "OPTIN"}) ==
        Err("ERR OPTIN and OPTOUT are not compatible with BCAST"));
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"}) ==
        Err("ERR You can't use both OPTIN and OPTOUT"));
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "REDIRECT", "9999"}) ==
        Err("ERR The client ID you want redirect to does not exist"));
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "REDIRECT", "x"}) ==
        Err("ERR value is not an integer or out of range"));
  const std::string self = std::to_string(f.session().id);
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "REDIRECT", self, "REDIRECT", self}) ==
        Err("ERR A client can only redirect to a single other client"));
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOOBAR", "PREFIX", "FOO"}) ==
        Err("ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a "
            "single client must not overlap."));
  CHECK(f.engine().tracking().clients() == 0);

  CHECK(f.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR"}) == kOk);
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "FO"}) ==
        Err("ERR Prefix 'FO' overlaps with an existing prefix 'FOO'. Prefixes for a single "
            "client must not overlap."));
  CHECK(f.Run({"CLIENT", "TRACKING", "on"}) ==
        Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
            "and then re-enabling it with a different mode."));
  // More prefixes add to the ones the client has.
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "baz"}) == kOk);
  CHECK(f.engine().tracking().total_prefixes() == 3);
  CHECK(Elements(f.Run({"CLIENT", "TRACKINGINFO"})) ==
        std::vector<std::string>{"flags", "on", "bcast", "redirect", "0", "prefixes", "BAR", "FOO",
                                 "baz"});
  CHECK(f.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(f.engine().tracking().total_prefixes() == 0);

  CHECK(f.Run({"CLIENT", "TRACKING", "on", "OPTIN"}) == kOk);
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "OPTOUT"}) ==
        Err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
            "and then re-enabling it with a different mode."));
  CHECK(f.Run({"CLIENT", "CACHING", "no"}) ==
        Err("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."));
  CHECK(f.Run({"CLIENT", "CACHING", "maybe"}) == Err("ERR syntax error"));
  CHECK(f.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(f.Run({"CLIENT", "CACHING", "yes"}) ==
        Err("ERR CLIENT CACHING can be called only when the client is in tracking mode with "
            "OPTIN or OPTOUT mode enabled"));
}

TEST_CASE("Tracking remembers reads until the key changes", "[commands][tracking]") {
  EngineFixture f;
  CHECK(f.Run({"CLIENT", "GETREDIR"}) == Int(-1));
  CHECK(f.Run({"CLIENT", "TRACKING", "on"}) == kOk);
  CHECK(f.Run({"CLIENT", "GETREDIR"}) == Int(0));
  CHECK(f.engine().tracking().clients() == 1);
  f.Run({"MSET", "a", "1", "b", "2"});
  CHECK(TrackedKeys(f) == 0);  // writes are not reads
  f.Run({"MGET", "a", "b", "c"});
  CHECK(TrackedKeys(f) == 3);
  CHECK(f.engine().tracking().total_items() == 3);
  f.Run({"INCR", "a"});
  CHECK(TrackedKeys(f) == 2);
  // Expiry is a change too.
  f.Run({"PEXPIRE", "b", "10"});
  CHECK(TrackedKeys(f) == 1);
  f.Run({"GET", "b"});
  f.clock().AdvanceMs(20);
  CHECK(f.Run({"GET", "b"}) == kNil);
  CHECK(TrackedKeys(f) == 2);  // b went (lazily) and was read again; c remains
  f.Run({"FLUSHALL"});
  CHECK(TrackedKeys(f) == 0);

  // Reads inside EXEC are tracked; a script's read tracks the keys it declared.
  f.Run({"MULTI"});
  f.Run({"GET", "x"});
  CHECK(Elements(f.Run({"EXEC"})) == std::vector<std::string>{"(nil)"});
  CHECK(TrackedKeys(f) == 1);
  f.Run({"EVAL", "return redis.call('get', 'other')", "2", "k1", "k2"});
  CHECK(TrackedKeys(f) == 3);
  f.Run({"EVAL", "return redis.call('set', 'other', 1)", "1", "k3"});
  CHECK(TrackedKeys(f) == 3);  // no read: nothing remembered

  // The key limit invalidates keys until the table is back under it.
  f.config().tracking_table_max_keys = 1;
  f.Run({"PING"});
  CHECK(TrackedKeys(f) == 1);
  f.config().tracking_table_max_keys = 1'000'000;

  // The last tracking client leaving drops the table.
  CHECK(f.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(TrackedKeys(f) == 0);
  CHECK(f.engine().tracking().clients() == 0);
}

TEST_CASE("OPTIN and OPTOUT follow CLIENT CACHING for one command", "[commands][tracking]") {
  EngineFixture f;
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "OPTIN"}) == kOk);
  f.Run({"GET", "a"});
  CHECK(TrackedKeys(f) == 0);
  CHECK(f.Run({"CLIENT", "CACHING", "yes"}) == kOk);
  CHECK(
      Elements(f.Run({"CLIENT", "TRACKINGINFO"})) ==
      std::vector<std::string>{"flags", "on", "optin", "caching-yes", "redirect", "0", "prefixes"});
  f.Run({"GET", "a"});
  CHECK(TrackedKeys(f) == 1);
  f.Run({"GET", "b"});  // the window was one command
  CHECK(TrackedKeys(f) == 1);

  CHECK(f.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP"}) == kOk);
  f.Run({"GET", "a"});
  CHECK(TrackedKeys(f) == 1);
  CHECK(f.Run({"CLIENT", "CACHING", "no"}) == kOk);
  f.Run({"GET", "b"});
  CHECK(TrackedKeys(f) == 1);
  f.Run({"GET", "c"});
  CHECK(TrackedKeys(f) == 2);
  CHECK(Elements(f.Run({"CLIENT", "TRACKINGINFO"})) ==
        std::vector<std::string>{"flags", "on", "optout", "noloop", "redirect", "0", "prefixes"});

  // BCAST remembers nothing per read; RESET turns tracking off.
  CHECK(f.Run({"CLIENT", "TRACKING", "off"}) == kOk);
  CHECK(f.Run({"CLIENT", "TRACKING", "on", "BCAST"}) == kOk);
  f.Run({"GET", "a"});
  CHECK(TrackedKeys(f) == 0);
  CHECK(f.Run({"RESET"}) == "+RESET\r\n");
  CHECK(f.session().tracking == 0);
  CHECK(f.engine().tracking().clients() == 0);
  CHECK(Elements(f.Run({"CLIENT", "TRACKINGINFO"})) ==
        std::vector<std::string>{"flags", "off", "redirect", "-1", "prefixes"});
}

}  // namespace tidekv::commands
