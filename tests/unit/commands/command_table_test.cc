// Walks the command table: the rows must be well-formed, because the dispatcher, COMMAND,
// COMMAND DOCS and docs/commands.md all trust them.
#include "engine/command_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "commands/command_docs.h"
#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

void CheckRow(const CommandSpec& c, bool is_sub) {
  INFO("command " << c.name);
  CHECK(!c.name.empty());
  for (char ch : c.name) CHECK(!(ch >= 'A' && ch <= 'Z'));
  CHECK(c.arity != 0);
  if (is_sub) CHECK((c.arity >= 2 || c.arity <= -2));
  CHECK(!c.group.empty());
  CHECK(!c.since.empty());
  CHECK(!c.summary.empty());
  CHECK(!(HasFlag(c.flags, CommandFlag::kWrite) && HasFlag(c.flags, CommandFlag::kReadOnly)));
  if (c.is_container()) {
    CHECK(c.first_key == 0);
  } else {
    CHECK(c.handler != nullptr);
  }
  if (c.first_key > 0) {
    // A command that takes keys either changes them or only reads them.
    CHECK((HasFlag(c.flags, CommandFlag::kWrite) || HasFlag(c.flags, CommandFlag::kReadOnly)));
    CHECK(c.key_step >= 1);
    CHECK(c.last_key != 0);
    if (c.arity > 0) CHECK(c.first_key < c.arity);
    if (c.last_key > 0) CHECK(c.last_key >= c.first_key);
  } else {
    CHECK(c.last_key == 0);
    CHECK(c.key_step == 0);
  }
  if (HasFlag(c.flags, CommandFlag::kDenyOom)) CHECK(HasFlag(c.flags, CommandFlag::kWrite));
  // Syntax must parse into arguments whenever it is non-empty.
  if (!c.syntax.empty()) CHECK(!ParseSyntax(c.syntax).empty());
}

TEST_CASE("every command row is well-formed", "[command_table]") {
  CommandTable table = BuildCommandTable();
  std::set<std::string> names;
  for (const CommandSpec* c : table.all()) {
    CHECK(names.insert(c->name).second);
    CheckRow(*c, false);
    std::set<std::string> subs;
    for (const auto& sub : c->subcommands) {
      CHECK(subs.insert(sub->name).second);
      CHECK(sub->name.rfind(c->name + "|", 0) == 0);
      CheckRow(*sub, true);
    }
    if (c->is_container() && c->name != "command") {
      CHECK(c->FindSubcommand("help") != nullptr);
    }
  }
  CHECK(table.size() > 60);
}

TEST_CASE("lookups ignore case and resolve subcommands", "[command_table]") {
  CommandTable table = BuildCommandTable();
  REQUIRE(table.Find("GET") != nullptr);
  CHECK(table.Find("gEt") == table.Find("get"));
  CHECK(table.Find("nosuchcommand") == nullptr);
  CHECK(table.Find(std::string(100, 'a')) == nullptr);
  const CommandSpec* client = table.Find("CLIENT");
  REQUIRE(client != nullptr);
  REQUIRE(client->FindSubcommand("LiSt") != nullptr);
  CHECK(client->FindSubcommand("LiSt")->name == "client|list");
  CHECK(client->FindSubcommand("nope") == nullptr);
}

TEST_CASE("syntax strings become COMMAND DOCS argument trees", "[command_table]") {
  SECTION("repeated key") {
    auto args = ParseSyntax("key [key ...]");
    REQUIRE(args.size() == 1);
    CHECK(args[0].name == "key");
    CHECK(args[0].type == "key");
    CHECK(args[0].multiple);
    CHECK_FALSE(args[0].optional);
  }
  SECTION("repeated pairs become a multiple block") {
    auto args = ParseSyntax("key value [key value ...]");
    REQUIRE(args.size() == 1);
    CHECK(args[0].type == "block");
    CHECK(args[0].multiple);
    REQUIRE(args[0].arguments.size() == 2);
    CHECK(args[0].arguments[1].name == "value");
  }
  SECTION("alternatives with tokens") {
    auto args = ParseSyntax("key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]");
    REQUIRE(args.size() == 5);
    CHECK(args[2].type == "oneof");
    CHECK(args[2].optional);
    REQUIRE(args[2].arguments.size() == 2);
    CHECK(args[2].arguments[0].type == "pure-token");
    CHECK(args[2].arguments[0].token == "NX");
    CHECK(args[3].type == "pure-token");
    CHECK(args[3].token == "GET");
    REQUIRE(args[4].arguments.size() == 3);
    CHECK(args[4].arguments[0].name == "seconds");
    CHECK(args[4].arguments[0].token == "EX");
    CHECK(args[4].arguments[0].type == "integer");
    CHECK(args[4].arguments[2].token == "KEEPTTL");
  }
  SECTION("optional token with value") {
    auto args = ParseSyntax("cursor [MATCH pattern] [COUNT count] [TYPE type]");
    REQUIRE(args.size() == 4);
    CHECK(args[1].name == "pattern");
    CHECK(args[1].type == "pattern");
    CHECK(args[1].token == "MATCH");
    CHECK(args[1].optional);
  }
  SECTION("nested repetition") {
    auto args = ParseSyntax("[ID client-id [client-id ...]]");
    REQUIRE(args.size() == 1);
    CHECK(args[0].optional);
    CHECK(args[0].token == "ID");
    CHECK(args[0].multiple);
  }
  SECTION("unbalanced input does not crash") {
    CHECK_NOTHROW(ParseSyntax("[[[ | ] ] ... ]]] |"));
    CHECK(ParseSyntax("").empty());
  }
}

TEST_CASE("docs/commands.md matches the command table", "[command_table]") {
  CommandTable table = BuildCommandTable();
  std::ifstream in(std::string(TIDEKV_SOURCE_DIR) + "/docs/commands.md");
  std::stringstream committed;
  committed << in.rdbuf();
  INFO("regenerate with: make docs (or build/tidekv-docs commands > docs/commands.md)");
  CHECK(committed.str() == RenderCommandsMarkdown(table));
}

TEST_CASE("dispatcher checks arity, unknown commands and subcommands", "[command_table]") {
  EngineFixture f;
  CHECK(f.Run({"GET"}) == "-ERR wrong number of arguments for 'get' command\r\n");
  CHECK(f.Run({"NOSUCH", "a", "b"}) ==
        "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n");
  CHECK(f.Run({"CLIENT"}) == "-ERR wrong number of arguments for 'client' command\r\n");
  CHECK(f.Run({"CLIENT", "bogus"}) == "-ERR unknown subcommand 'bogus'. Try CLIENT HELP.\r\n");
  CHECK(f.Run({"CLIENT", "ID", "x"}) ==
        "-ERR wrong number of arguments for 'client|id' command\r\n");
  CHECK(f.Run({"COMMAND", "COUNT"}) == ":" + std::to_string(f.engine().commands().size()) + "\r\n");
}

TEST_CASE("COMMAND INFO, DOCS, LIST and GETKEYS", "[command_table]") {
  EngineFixture f;
  std::string info = f.Run({"COMMAND", "INFO", "get", "nosuch"});
  CHECK(info.rfind("*2\r\n*10\r\n$3\r\nget\r\n:2\r\n", 0) == 0);
  CHECK(info.find("readonly") != std::string::npos);
  CHECK(info.substr(info.size() - 5) == "$-1\r\n");  // Redis's nil for an unknown name
  std::string docs = f.Run({"COMMAND", "DOCS", "set"});
  CHECK(docs.find("arguments") != std::string::npos);
  CHECK(docs.find("KEEPTTL") != std::string::npos);
  CHECK(f.Run({"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}) ==
        "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  CHECK(f.Run({"COMMAND", "GETKEYS", "PING"}) ==
        "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
  CHECK(f.Run({"COMMAND", "GETKEYS", "PING", "a"}) == "-ERR The command has no key arguments\r\n");
  CHECK(f.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "getr*"}) == "*1\r\n$8\r\ngetrange\r\n");
}

TEST_CASE("COMMAND GETKEYSANDFLAGS reports Redis 7's key-spec flags", "[command_table]") {
  EngineFixture f;
  auto keys = [&](std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"COMMAND", "GETKEYSANDFLAGS"});
    return f.Run(argv);
  };
  CHECK(keys({"SET", "k1", "v1"}) == "*1\r\n*2\r\n$2\r\nk1\r\n*2\r\n+OW\r\n+update\r\n");
  // SET ... GET reads the old value first.
  CHECK(keys({"SET", "k1", "v1", "GET"}) ==
        "*1\r\n*2\r\n$2\r\nk1\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
  CHECK(keys({"LMOVE", "k1", "k2", "left", "right"}) ==
        "*2\r\n*2\r\n$2\r\nk1\r\n*3\r\n+RW\r\n+access\r\n+delete\r\n"
        "*2\r\n$2\r\nk2\r\n*2\r\n+RW\r\n+insert\r\n");
  CHECK(keys({"SORT", "k1", "BY", "w*", "STORE", "k2"}) ==
        "*2\r\n*2\r\n$2\r\nk1\r\n*2\r\n+RO\r\n+access\r\n"
        "*2\r\n$2\r\nk2\r\n*2\r\n+OW\r\n+update\r\n");
  // The destination, then every source: the last group covers the rest.
  CHECK(keys({"ZUNIONSTORE", "d", "2", "a", "b"}) ==
        "*3\r\n*2\r\n$1\r\nd\r\n*2\r\n+OW\r\n+update\r\n"
        "*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"
        "*2\r\n$1\r\nb\r\n*2\r\n+RO\r\n+access\r\n");
  CHECK(keys({"BITFIELD", "k", "GET", "u8", "0"}) ==
        "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+RO\r\n+access\r\n");
  CHECK(keys({"DEL", "a"}) == "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RM\r\n+delete\r\n");
  CHECK(keys({"PING", "a"}) == "-ERR The command has no key arguments\r\n");
  // COMMAND INFO shows one key spec per group with its flags.
  const std::string info = f.Run({"COMMAND", "INFO", "lmove"});
  CHECK(info.find("+RW\r\n+insert\r\n") != std::string::npos);

  // Every row that names keys says how it uses them.
  for (const engine::CommandSpec* c : f.engine().commands().all()) {
    INFO(c->name);
    CHECK((!c->has_keys() || !c->key_flag_sets.empty()));
    for (const auto& sub : c->subcommands) {
      INFO(sub->name);
      CHECK((!sub->has_keys() || !sub->key_flag_sets.empty()));
    }
  }
}

TEST_CASE("replay's reply checks come from the table: volatile, unordered, exact",
          "[command_table]") {
  const CommandTable table = BuildCommandTable();
  auto flags = [&](std::string_view name) { return table.Find(name)->flags; };
  for (std::string_view name :
       {"info", "client", "config", "time", "debug", "object", "hello", "command", "memory"}) {
    CAPTURE(name);
    CHECK(HasFlag(flags(name), CommandFlag::kVolatileReply));
  }
  for (std::string_view name :
       {"hgetall", "hkeys", "hvals", "smembers", "sinter", "sunion", "sdiff"}) {
    CAPTURE(name);
    CHECK(HasFlag(flags(name), CommandFlag::kUnorderedReply));
    CHECK_FALSE(HasFlag(flags(name), CommandFlag::kVolatileReply));
  }
  for (std::string_view name :
       {"spop", "srandmember", "hrandfield", "randomkey", "scan", "keys", "hscan", "sscan"}) {
    CAPTURE(name);
    CHECK(HasFlag(flags(name), CommandFlag::kRandomReply));
    CHECK_FALSE(HasFlag(flags(name), CommandFlag::kVolatileReply));
  }
  for (std::string_view name : {"get", "set", "hget", "sismember", "incr", "del"}) {
    CAPTURE(name);
    CHECK_FALSE(HasFlag(flags(name), CommandFlag::kVolatileReply | CommandFlag::kUnorderedReply |
                                         CommandFlag::kRandomReply));
  }
}

TEST_CASE("COMMAND LIST FILTERBY ACLCAT and COMMAND INFO's movablekeys", "[command_table]") {
  EngineFixture f;
  const std::vector<std::string> scripting =
      Elements(f.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "scripting"}));
  auto has = [](const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  CHECK(has(scripting, "eval"));
  CHECK(has(scripting, "script|kill"));
  CHECK_FALSE(has(scripting, "set"));
  const std::vector<std::string> sortedset =
      Elements(f.Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "sortedset"}));
  CHECK(has(sortedset, "zadd"));
  CHECK_FALSE(has(sortedset, "sadd"));
  // Commands whose key positions depend on their arguments say so; the others do not.
  for (const char* movable : {"zunionstore", "eval", "sort", "sort_ro", "lmpop", "georadius"}) {
    INFO(movable);
    CHECK(has(Elements(f.Run({"COMMAND", "INFO", movable})), "movablekeys"));
  }
  for (const char* fixed : {"set", "mset", "lmove", "blpop", "georadius_ro"}) {
    INFO(fixed);
    CHECK_FALSE(has(Elements(f.Run({"COMMAND", "INFO", fixed})), "movablekeys"));
  }
}

TEST_CASE("CLUSTER answers as a Redis server without cluster support", "[command_table]") {
  EngineFixture f;
  const std::string disabled = Err("ERR This instance has cluster support disabled");
  CHECK(f.Run({"CLUSTER", "INFO"}) == disabled);
  CHECK(f.Run({"CLUSTER", "SLOTS"}) == disabled);
  CHECK(f.Run({"cluster", "keyslot", "k"}) == disabled);
  CHECK(f.Run({"CLUSTER", "INFO", "extra"}) ==
        Err("ERR wrong number of arguments for 'cluster|info' command"));
  // CLUSTER RESET may not run in scripts; CLUSTER INFO may (and fails as above).
  CHECK(f.Run({"EVAL", "return redis.call('cluster', 'reset', 'hard')", "0"})
            .rfind("-ERR This Redis command is not allowed from script", 0) == 0);
  CHECK(f.Run({"EVAL", "return redis.pcall('cluster', 'info')", "0"}) == disabled);
  const std::vector<std::string> help =
      Elements(f.Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help"}));
  CHECK(std::find(help.begin(), help.end(), "cluster|help") != help.end());
  CHECK(std::find(help.begin(), help.end(), "client|help") != help.end());
}

}  // namespace
}  // namespace tidekv::commands
