// The option table itself and the text conversions shared by CONFIG GET/SET and the flags.

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "config/config.h"

namespace tidekv::config {
namespace {

// A valid value different from the default (when the option has more than one), as text.
std::string OtherValue(const OptionSpec& option) {
  const Config defaults;
  const std::string current = GetOption(defaults, option);
  switch (option.type) {
    case OptionType::kBool:
      return current == "yes" ? "no" : "yes";
    case OptionType::kInt:
    case OptionType::kBytes: {
      const std::string max = std::to_string(option.max);
      return current == max ? std::to_string(option.min) : max;
    }
    case OptionType::kString:
      if (option.key == "replication.replicaof") return "127.0.0.1:6380";       // validated
      if (option.key == "trace.sample") return "db=1";                          // validated
      if (option.key == "server.notify_keyspace_events") return "AKE";          // canonical
      if (option.key == "compaction.save") return "100 5";                      // validated
      if (option.key == "limits.maxmemory_clients") return "5%";                // validated
      if (option.key == "latency.tracking_info_percentiles") return "0 99.99";  // validated
      return current + "-changed";
    case OptionType::kEnum: {
      for (std::string_view choice : option.choices) {
        if (choice != current) return std::string(choice);
      }
      return current;
    }
  }
  return {};
}

TEST_CASE("the option table is consistent", "[config][options]") {
  const Config defaults;
  std::set<std::string> names;
  for (const OptionSpec& option : Options()) {
    INFO(option.key);
    // Keys and Redis names are unique, case-insensitively, across both namespaces.
    CHECK(names.insert(AsciiLower(option.key)).second);
    if (!option.redis_name.empty()) CHECK(names.insert(AsciiLower(option.redis_name)).second);
    CHECK(!option.doc.empty());
    CHECK(option.doc.find('\n') == std::string_view::npos);
    const std::string_view section = option.key.substr(0, option.key.find('.'));
    CHECK((section == "server" || section == "limits" || section == "security" ||
           section == "replication" || section == "logstore" || section == "compaction" ||
           section == "encoding" || section == "trace" || section == "log" ||
           section == "scripting" || section == "latency" || section == "debug"));
    switch (option.type) {
      case OptionType::kBool:
        CHECK(std::holds_alternative<bool Config::*>(option.field));
        break;
      case OptionType::kInt:
      case OptionType::kBytes: {
        REQUIRE(std::holds_alternative<int64_t Config::*>(option.field));
        CHECK(option.min <= option.max);
        const int64_t value = defaults.*std::get<int64_t Config::*>(option.field);
        CHECK(value >= option.min);
        CHECK(value <= option.max);
        break;
      }
      case OptionType::kString:
        CHECK(std::holds_alternative<std::string Config::*>(option.field));
        break;
      case OptionType::kEnum: {
        REQUIRE(std::holds_alternative<std::string Config::*>(option.field));
        REQUIRE(!option.choices.empty());
        const std::string& value = defaults.*std::get<std::string Config::*>(option.field);
        CHECK(std::find(option.choices.begin(), option.choices.end(), value) !=
              option.choices.end());
        break;
      }
    }
    // The default passes the option's own validation.
    Config copy;
    CHECK(SetOption(&copy, option, GetOption(defaults, option)).ok());
    CHECK(copy == defaults);
  }
  CHECK(Options().size() == 76);
}

TEST_CASE("options carry the Redis names CONFIG GET/SET use", "[config][options]") {
  const std::vector<std::pair<std::string_view, std::string_view>> expected = {
      {"bind", "server.bind"},
      {"port", "server.port"},
      {"dir", "server.dir"},
      {"databases", "server.databases"},
      {"hz", "server.hz"},
      {"tcp-backlog", "server.tcp_backlog"},
      {"timeout", "server.timeout"},
      {"tcp-keepalive", "server.tcp_keepalive"},
      {"proto-max-bulk-len", "limits.max_bulk_bytes"},
      {"client-query-buffer-limit", "limits.max_query_buffer_bytes"},
      {"maxclients", "limits.max_clients"},
      {"maxmemory", "limits.maxmemory"},
      {"maxmemory-policy", "limits.maxmemory_policy"},
      {"requirepass", "security.password"},
      {"protected-mode", "security.protected_mode"},
      {"loglevel", "log.level"},
      {"logfile", "log.file"},
  };
  for (const auto& [redis, key] : expected) {
    INFO(redis);
    const OptionSpec* option = FindOption(redis);
    REQUIRE(option != nullptr);
    CHECK(option->key == key);
    CHECK(option->redis_name == redis);
  }
  CHECK(FindOption("limits.max_multibulk_len")->redis_name.empty());
  CHECK(FindOption("limits.client_output_bytes")->redis_name.empty());
}

TEST_CASE("FindOption matches keys and Redis names in any case", "[config][options]") {
  for (const OptionSpec& option : Options()) {
    INFO(option.key);
    CHECK(FindOption(option.key) == &option);
    const std::string upper = [&] {
      std::string s(option.key);
      for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return s;
    }();
    CHECK(FindOption(upper) == &option);
    if (!option.redis_name.empty()) CHECK(FindOption(option.redis_name) == &option);
  }
  CHECK(FindOption("MaxMemory") == FindOption("limits.maxmemory"));
  CHECK(FindOption("Server.Port") == FindOption("port"));
  CHECK(FindOption("nosuch") == nullptr);
  CHECK(FindOption("") == nullptr);
  CHECK(FindOption("port ") == nullptr);
  CHECK(FindOption("server.") == nullptr);
}

TEST_CASE("runtime flags", "[config][options]") {
  for (std::string_view key : {"server.dir", "server.databases", "server.tcp_backlog",
                               "server.daemonize", "log.file", "logstore.mode"}) {
    INFO(key);
    CHECK_FALSE(FindOption(key)->runtime);
  }
  for (std::string_view key :
       {"server.bind", "server.port", "logstore.fsync", "compaction.save", "server.hz",
        "server.timeout", "server.tcp_keepalive", "server.busy_poll_us", "limits.max_bulk_bytes",
        "limits.max_multibulk_len", "limits.max_query_buffer_bytes", "limits.max_clients",
        "limits.client_output_bytes", "limits.maxmemory", "limits.maxmemory_policy",
        "security.password", "security.protected_mode", "log.level"}) {
    INFO(key);
    CHECK(FindOption(key)->runtime);
  }
}

TEST_CASE("SetOption then GetOption round-trips every option", "[config][options]") {
  for (const OptionSpec& option : Options()) {
    INFO(option.key);
    Config config;
    const std::string value = OtherValue(option);
    REQUIRE(SetOption(&config, option, value).ok());
    CHECK(GetOption(config, option) == value);
    if (option.type != OptionType::kEnum || option.choices.size() > 1) {
      CHECK_FALSE(config == Config{});
    }
    // What GetOption prints, SetOption accepts and gives the same Config back.
    Config again;
    REQUIRE(SetOption(&again, option, GetOption(config, option)).ok());
    CHECK(again == config);
  }
}

TEST_CASE("GetOption formats", "[config][options]") {
  Config config;
  CHECK(GetOption(config, *FindOption("port")) == "6379");
  CHECK(GetOption(config, *FindOption("proto-max-bulk-len")) == "536870912");
  CHECK(GetOption(config, *FindOption("protected-mode")) == "yes");
  CHECK(GetOption(config, *FindOption("bind")) == "0.0.0.0");
  CHECK(GetOption(config, *FindOption("requirepass")).empty());
  CHECK(GetOption(config, *FindOption("loglevel")) == "info");
  config.protected_mode = false;
  CHECK(GetOption(config, *FindOption("protected-mode")) == "no");
}

TEST_CASE("ParseBytes follows Redis's units", "[config][options]") {
  CHECK(ParseBytes("0") == 0);
  CHECK(ParseBytes("123") == 123);
  CHECK(ParseBytes("123b") == 123);
  CHECK(ParseBytes("100k") == 100'000);
  CHECK(ParseBytes("64kb") == 64 * 1024);
  CHECK(ParseBytes("2m") == 2'000'000);
  CHECK(ParseBytes("512mb") == 512ll * 1024 * 1024);
  CHECK(ParseBytes("1g") == 1'000'000'000);
  CHECK(ParseBytes("1gb") == 1024ll * 1024 * 1024);
  CHECK(ParseBytes("1GB") == 1024ll * 1024 * 1024);
  CHECK(ParseBytes("1Gb") == 1024ll * 1024 * 1024);
  CHECK(ParseBytes("3K") == 3000);
  CHECK(ParseBytes("-1") == -1);  // syntax is fine; bounds reject it later
  CHECK(ParseBytes("9223372036854775807") == INT64_MAX);
  for (std::string_view bad : {"", "mb", "1.5gb", "1 gb", " 1", "1tb", "1kib", "0x10", "+1", "01",
                               "1mbb", "9223372036854775808", "9000000000gb", "-"}) {
    INFO(bad);
    CHECK_FALSE(ParseBytes(bad).has_value());
  }
}

TEST_CASE("ParseBool accepts yes/no/true/false in any case", "[config][options]") {
  CHECK(ParseBool("yes") == true);
  CHECK(ParseBool("YES") == true);
  CHECK(ParseBool("True") == true);
  CHECK(ParseBool("no") == false);
  CHECK(ParseBool("No") == false);
  CHECK(ParseBool("FALSE") == false);
  for (std::string_view bad : {"", "1", "0", "on", "off", "y", "n", "yes ", "truee"}) {
    INFO(bad);
    CHECK_FALSE(ParseBool(bad).has_value());
  }
}

TEST_CASE("SetOption parses each type", "[config][options]") {
  Config config;
  REQUIRE(SetOption(&config, *FindOption("maxmemory"), "1gb").ok());
  CHECK(config.maxmemory == 1024ll * 1024 * 1024);
  REQUIRE(SetOption(&config, *FindOption("maxmemory"), "100k").ok());
  CHECK(config.maxmemory == 100'000);
  REQUIRE(SetOption(&config, *FindOption("proto-max-bulk-len"), "4gb").ok());
  CHECK(config.max_bulk_bytes == 4ll * 1024 * 1024 * 1024);
  REQUIRE(SetOption(&config, *FindOption("protected-mode"), "No").ok());
  CHECK_FALSE(config.protected_mode);
  REQUIRE(SetOption(&config, *FindOption("port"), "0").ok());
  CHECK(config.port == 0);
  REQUIRE(SetOption(&config, *FindOption("requirepass"), "s3cret with spaces").ok());
  CHECK(config.password == "s3cret with spaces");
  REQUIRE(SetOption(&config, *FindOption("requirepass"), "").ok());
  CHECK(config.password.empty());
  REQUIRE(SetOption(&config, *FindOption("maxmemory-policy"), "NOEVICTION").ok());
  CHECK(config.maxmemory_policy == "noeviction");
}

TEST_CASE("log level accepts its names and Redis's", "[config][options]") {
  const OptionSpec& level = *FindOption("loglevel");
  const std::vector<std::pair<std::string_view, std::string_view>> cases = {
      {"trace", "trace"}, {"debug", "debug"},       {"info", "info"},    {"warn", "warn"},
      {"error", "error"}, {"critical", "critical"}, {"off", "off"},      {"verbose", "debug"},
      {"notice", "info"}, {"warning", "warn"},      {"WARNING", "warn"}, {"Debug", "debug"},
  };
  for (const auto& [text, stored] : cases) {
    INFO(text);
    Config config;
    REQUIRE(SetOption(&config, level, text).ok());
    CHECK(config.log_level == stored);
    CHECK(GetOption(config, level) == stored);
  }
}

TEST_CASE("SetOption rejects bad text and leaves the config unchanged", "[config][options]") {
  struct Case {
    std::string_view option;
    std::string_view value;
    std::string_view message;
  };
  const std::vector<Case> cases = {
      {"port", "abc", "'abc' is not an integer"},
      {"port", "", "'' is not an integer"},
      {"port", "1.5", "'1.5' is not an integer"},
      {"port", "70000", "70000 is out of range [0, 65535]"},
      {"port", "-1", "-1 is out of range [0, 65535]"},
      {"databases", "0", "0 is out of range [1, 1024]"},
      {"databases", "1025", "1025 is out of range [1, 1024]"},
      {"hz", "0", "0 is out of range [1, 500]"},
      {"hz", "501", "501 is out of range [1, 500]"},
      {"maxclients", "1000001", "1000001 is out of range [1, 1000000]"},
      {"maxmemory", "-1", "-1 is below the minimum 0"},
      {"maxmemory", "12xb", "'12xb' is not a byte size"},
      {"maxmemory", "1.5gb", "'1.5gb' is not a byte size"},
      {"proto-max-bulk-len", "5gb", "5gb (5368709120) is out of range [1048576, 4294967296]"},
      {"proto-max-bulk-len", "0", "0 is out of range [1048576, 4294967296]"},
      {"protected-mode", "maybe", "'maybe' is not a boolean (use yes/no or true/false)"},
      {"loglevel", "loud", "'loud' is not one of: trace, debug, info, warn, error, critical, off"},
      {"loglevel", "debgu", "(did you mean debug?)"},
      {"maxmemory-policy", "allkeys-lfru",
       "'allkeys-lfru' is not one of: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
       "allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
      {"bind", "", "must not be empty"},
      {"dir", "", "must not be empty"},
      {"port", "1\n2", "'1\\x0a2' is not an integer"},
  };
  for (const Case& c : cases) {
    INFO(c.option << " = " << c.value);
    Config config;
    const Status status = SetOption(&config, *FindOption(c.option), c.value);
    CHECK_FALSE(status.ok());
    CHECK_THAT(status.message(), Catch::Contains(std::string(c.message)));
    CHECK(status.message().find('\n') == std::string::npos);
    CHECK(config == Config{});
  }
}

}  // namespace
}  // namespace tidekv::config

namespace tidekv::config {
namespace {

TEST_CASE("replication.replicaof must be host:port", "[config][options]") {
  const OptionSpec& option = *FindOption("replication.replicaof");
  Config config;
  CHECK(SetOption(&config, option, "10.0.0.5:6379").ok());
  CHECK(config.replicaof == "10.0.0.5:6379");
  CHECK(SetOption(&config, option, "primary:7000").ok());
  CHECK(SetOption(&config, option, "").ok());  // empty: this node is a primary
  CHECK(SetOption(&config, option, "primary").message() == "must be host:port");
  CHECK(SetOption(&config, option, ":6379").message() == "must be host:port");
  CHECK(SetOption(&config, option, "primary:0").message() ==
        "must be host:port with a port in 1..65535");
  CHECK(SetOption(&config, option, "primary:http").message() ==
        "must be host:port with a port in 1..65535");
}

TEST_CASE("trace.sample accepts group, db and prefix filters", "[config][options]") {
  const OptionSpec& option = *FindOption("trace.sample");
  Config config;
  CHECK(SetOption(&config, option, "group=string db=0 prefix=user: prefix=session:").ok());
  CHECK(SetOption(&config, option, "").ok());
  CHECK(SetOption(&config, option, "db=x").message() == "db=<n> needs a database number");
  CHECK(SetOption(&config, option, "key=abc").message() ==
        "filters are group=<name>, db=<n> or prefix=<text>, separated by spaces");
  CHECK(SetOption(&config, option, "prefix=").message() ==
        "filters are group=<name>, db=<n> or prefix=<text>, separated by spaces");
}

TEST_CASE("notify-keyspace-events takes Redis's letters and shows them in Redis's order",
          "[config][options]") {
  CHECK(ParseKeyspaceEvents("") == 0u);
  CHECK(ParseKeyspaceEvents("Kg") == (notify::kKeyspace | notify::kGeneric));
  CHECK_FALSE(ParseKeyspaceEvents("KEq").has_value());
  CHECK_FALSE(ParseKeyspaceEvents("ka").has_value());  // letters are case-sensitive
  // A covers g$lshzxetd, not m (key miss) or n (new key).
  CHECK((*ParseKeyspaceEvents("A") & notify::kKeyMiss) == 0);
  CHECK((*ParseKeyspaceEvents("A") & notify::kNew) == 0);
  const OptionSpec* option = FindOption("notify-keyspace-events");
  REQUIRE(option != nullptr);
  CHECK(option->runtime);
  Config c;
  // What Redis's own suite sets and reads back.
  for (const auto& [given, shown] :
       std::vector<std::pair<std::string, std::string>>{{"gKE", "gKE"},
                                                        {"$lshzxeKE", "$lshzxeKE"},
                                                        {"KA", "AK"},
                                                        {"EA", "AE"},
                                                        {"nEzg", "gzEn"},
                                                        {"", ""}}) {
    INFO(given);
    REQUIRE(SetOption(&c, *option, given).ok());
    CHECK(GetOption(c, *option) == shown);
  }
  const Status bad = SetOption(&c, *option, "Kw");
  CHECK_FALSE(bad.ok());
  CHECK(bad.message() == "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  CHECK(GetOption(c, *option).empty());
}

}  // namespace
}  // namespace tidekv::config
