// ACL (engine/acl.h, commands/acl.cc): the SETUSER rule parser, what GETUSER and LIST show,
// and the permission check the dispatcher, EXEC and scripts apply, in process.
#include "engine/acl.h"

#include <catch2/catch.hpp>

#include "common/sha256.h"
#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

// The line ACL LIST shows for one user.
std::string ListLine(EngineFixture& f, std::string_view name) {
  for (const std::string& line : Elements(f.Run({"ACL", "LIST"}))) {
    if (line.starts_with("user " + std::string(name) + " ")) return line;
  }
  return {};
}

TEST_CASE("SHA-256 of ACL passwords", "[acl]") {
  CHECK(Sha256::HexOf("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256::HexOf("123") == "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3");
  // Longer than one block.
  CHECK(Sha256::HexOf(std::string(200, 'a')) ==
        "c2a908d98f5df987ade41b5fce213067efbcc21ef2240212a41e54b5e7c28ae5");
}

TEST_CASE("ACL SETUSER rules and how LIST and GETUSER show them", "[acl]") {
  EngineFixture f;
  CHECK(ListLine(f, "default") == "user default on nopass ~* &* +@all");
  CHECK(f.Run({"ACL", "SETUSER", "bob", "on", ">123", "+@scripting", "+set", "~x*", "&ch*",
               "+config|get"}) == kOk);
  CHECK(ListLine(f, "bob") ==
        "user bob on #a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3 ~x* "
        "resetchannels &ch* -@all +@scripting +set +config|get");
  CHECK(f.Run({"ACL", "SETUSER", "k", "on", "nopass", "+@all", "%R~r*", "%W~w*", "%RW~a*"}) == kOk);
  CHECK(Elements(f.Run({"ACL", "GETUSER", "k"})) ==
        std::vector<std::string>{"flags", "on", "nopass", "passwords", "commands", "+@all", "keys",
                                 "%R~r* %W~w* ~a*", "channels", "", "selectors"});
  CHECK(f.Run({"ACL", "GETUSER", "nobody"}) == kNil);
  // A later rule for the same command replaces the earlier one.
  CHECK(f.Run({"ACL", "SETUSER", "k", "-get", "+get", "-@string"}) == kOk);
  CHECK(ListLine(f, "k").ends_with("+@all +get -@string"));
  CHECK(f.Run({"ACL", "USERS"}) == "*3\r\n" + Bulk("bob") + Bulk("default") + Bulk("k"));

  // Errors name the rule, and leave the user as it was.
  const std::string before = ListLine(f, "bob");
  CHECK(f.Run({"ACL", "SETUSER", "bob", "-get", "+@foo"}) ==
        Err("ERR Error in ACL SETUSER modifier '+@foo': Unknown command or category name in ACL"));
  CHECK(f.Run({"ACL", "SETUSER", "bob", "blah"}) ==
        Err("ERR Error in ACL SETUSER modifier 'blah': Syntax error"));
  CHECK(f.Run({"ACL", "SETUSER", "bob", "%RR~x"}) ==
        Err("ERR Error in ACL SETUSER modifier '%RR~x': Syntax error"));
  CHECK(f.Run({"ACL", "SETUSER", "bob", "+config|get|x"}) ==
        Err("ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a "
            "subcommand is not supported"));
  CHECK(f.Run({"ACL", "SETUSER", "bob", "<nope"}) ==
        Err("ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove "
            "from the user does not exist"));
  CHECK(f.Run({"ACL", "SETUSER", "bob", "#ABC"}).find("must be exactly 64 characters") !=
        std::string::npos);
  CHECK(f.Run({"ACL", "SETUSER", "k", "%R~x"}).find("Adding a pattern after the * pattern") ==
        std::string::npos);  // k has no ~* yet
  CHECK(f.Run({"ACL", "SETUSER", "k", "allkeys", "~x"}).find("'allkeys' flag") !=
        std::string::npos);
  CHECK(f.Run({"ACL", "SETUSER", "a b"}) ==
        Err("ERR Usernames can't contain spaces or null characters"));
  CHECK(ListLine(f, "bob") == before);

  CHECK(f.Run({"ACL", "SETUSER", "bob", "reset"}) == kOk);
  CHECK(ListLine(f, "bob") == "user bob off resetchannels -@all");
  CHECK(f.Run({"ACL", "DELUSER", "default"}) == Err("ERR The 'default' user cannot be removed"));
  CHECK(f.Run({"ACL", "DELUSER", "bob", "nobody"}) == Int(1));
}

TEST_CASE("ACL checks commands, keys and channels with Redis's NOPERM errors", "[acl]") {
  EngineFixture f;
  CHECK(f.Run({"ACL", "SETUSER", "bob", "on", ">pw", "+@read", "+set", "+config|get", "+multi",
               "+exec", "+publish", "+subscribe", "+psubscribe", "+select|0", "%R~r*", "%W~w*",
               "~x*", "&news.*"}) == kOk);
  CHECK(f.Run({"AUTH", "bob", "wrong"}) ==
        Err("WRONGPASS invalid username-password pair or user is disabled."));
  CHECK(f.Run({"AUTH", "bob", "pw"}) == kOk);
  CHECK(f.Run({"ACL", "WHOAMI"}) == Err("NOPERM this user has no permissions to run the "
                                        "'acl|whoami' command"));
  CHECK(f.Run({"GET", "x1"}) == kNil);
  CHECK(f.Run({"GET", "r1"}) == kNil);
  CHECK(f.Run({"GET", "w1"}) ==
        Err("NOPERM this user has no permissions to access one of the keys used as arguments"));
  CHECK(f.Run({"SET", "w1", "v"}) == kOk);
  CHECK(f.Run({"SET", "r1", "v"}).starts_with("-NOPERM this user has no permissions to access"));
  CHECK(f.Run({"DEL", "x1"}) ==
        Err("NOPERM this user has no permissions to run the 'del' command"));
  CHECK(f.Run({"CONFIG", "GET", "maxmemory"}).starts_with("*2"));
  CHECK(f.Run({"CONFIG", "SET", "maxmemory", "0"}) ==
        Err("NOPERM this user has no permissions to run the 'config|set' command"));
  CHECK(f.Run({"SELECT", "0"}) == kOk);
  CHECK(f.Run({"SELECT", "1"}).starts_with("-NOPERM"));
  CHECK(f.Run({"PUBLISH", "news.a", "m"}) == Int(0));
  CHECK(f.Run({"PUBLISH", "sport", "m"}) ==
        Err("NOPERM this user has no permissions to access one of the channels used as "
            "arguments"));
  // A pattern subscription must be one of the user's patterns as written.
  CHECK(f.Run({"PSUBSCRIBE", "news.*x"}).starts_with("-NOPERM"));

  // MULTI: refused while queueing aborts EXEC; rules changed since queueing are checked again.
  CHECK(f.Run({"MULTI"}) == kOk);
  CHECK(f.Run({"DEL", "x1"}).starts_with("-NOPERM"));
  CHECK(f.Run({"EXEC"}) == Err("EXECABORT Transaction discarded because of previous errors."));
  CHECK(f.Run({"MULTI"}) == kOk);
  CHECK(f.Run({"SET", "x1", "v"}) == "+QUEUED\r\n");
  f.engine().acl().SetUser("bob", std::vector<std::string_view>{"-set"});
  const std::string exec = f.Run({"EXEC"});
  CHECK(exec.find("-NOPERM ACLs rules changed between the moment the transaction was "
                  "accumulated and the EXEC call") != std::string::npos);

  // ACL LOG, newest first; the same refusal again counts in its entry.
  f.Run({"GET", "w1"});
  f.Run({"GET", "w1"});
  const auto& log = f.engine().acl().log();
  REQUIRE(log.size() >= 3);
  CHECK(log[0].reason == engine::AclDenial::kKey);
  CHECK(log[0].object == "w1");
  CHECK(log[0].count == 3);  // with the GET w1 refused above
  CHECK(log[0].username == "bob");
  CHECK(log[0].client_info.find("user=bob") != std::string::npos);
  CHECK(log[1].context == engine::AclContext::kMulti);
  CHECK(log[1].object == "set");

  // RESET goes back to the default user.
  CHECK(f.Run({"RESET"}) == "+RESET\r\n");
  CHECK(f.Run({"ACL", "WHOAMI"}) == Bulk("default"));
  CHECK(f.Run({"ACL", "LOG", "1"}).starts_with("*1\r\n"));
  CHECK(f.Run({"ACL", "LOG", "RESET"}) == kOk);
  CHECK(f.Run({"ACL", "LOG"}) == "*0\r\n");
  CHECK(f.Run({"ACL", "DRYRUN", "bob", "GET", "w1"}) ==
        Bulk("This user has no permissions to access the 'w1' key"));
  CHECK(f.Run({"ACL", "DRYRUN", "bob", "DEL", "x"}) ==
        Bulk("This user has no permissions to run the 'del' command"));
  CHECK(f.Run({"ACL", "DRYRUN", "bob", "GET", "x"}) == kOk);
  CHECK(f.Run({"ACL", "DRYRUN", "nobody", "GET", "x"}) == Err("ERR User 'nobody' not found"));
  CHECK(f.Run({"ACL", "LOG"}) == "*0\r\n");  // DRYRUN logs nothing
}

TEST_CASE("scripts run with their caller's permissions", "[acl]") {
  EngineFixture f;
  CHECK(f.Run({"ACL", "SETUSER", "bob", "on", "nopass", "+@scripting", "+set", "~x*"}) == kOk);
  CHECK(f.Run({"AUTH", "bob", "any"}) == kOk);
  CHECK(f.Run({"EVAL", "return redis.call('set', KEYS[1], 1)", "1", "xa"}) == kOk);
  CHECK(f.Run({"EVAL", "return redis.call('set', 'ya', 1)", "0"})
            .starts_with("-ERR The user executing the script can't access at least one of the "
                         "keys mentioned in the command arguments"));
  CHECK(f.Run({"EVAL", "return redis.call('get', 'xa')", "0"})
            .starts_with("-ERR The user executing the script can't run this command or "
                         "subcommand"));
  CHECK(f.Run({"EVAL", "return redis.acl_check_cmd('set', 'xx', 1)", "0"}) == Int(1));
  CHECK(f.Run({"EVAL", "return redis.acl_check_cmd('hset', 'xx', 'f', 1)", "0"}) == kNil);
  CHECK(f.Run({"EVAL", "return redis.acl_check_cmd('nope')", "0"})
            .starts_with("-ERR Invalid command passed to redis.acl_check_cmd()"));
  // Keys passed to EVAL itself are checked before the script runs.
  CHECK(f.Run({"EVAL", "return 1", "1", "ya"})
            .starts_with("-NOPERM this user has no permissions to access one of the keys"));
  REQUIRE(!f.engine().acl().log().empty());
  CHECK(f.engine().acl().log()[1].context == engine::AclContext::kLua);
}

TEST_CASE("requirepass is the default user's password", "[acl]") {
  EngineFixture f;
  f.config().password = "secret";
  f.engine().ApplyConfig();
  CHECK(ListLine(f, "default") == "user default on #" + Sha256::HexOf("secret") + " ~* &* +@all");
  f.engine().AttachDefaultUser(f.session());
  CHECK(f.Run({"GET", "k"}) == Err("NOAUTH Authentication required."));
  CHECK(f.Run({"AUTH", "secret"}) == kOk);
  CHECK(f.Run({"GET", "k"}) == kNil);
  CHECK(f.Run({"ACL", "CAT"}).starts_with("*21\r\n$8\r\nkeyspace\r\n"));
  CHECK(f.Run({"ACL", "CAT", "nope"}) == Err("ERR Unknown category 'nope'"));
  const auto hash = Elements(f.Run({"ACL", "GENPASS", "5"}));
  REQUIRE(hash.size() == 1);
  CHECK(hash[0].size() == 2);
}

}  // namespace
}  // namespace tidekv::commands
