#include "engine/notify.h"

#include <fmt/format.h>

#include <utility>

#include "config/config.h"
#include "engine/engine.h"
#include "engine/pubsub.h"

namespace tidekv::engine {

namespace notify = config::notify;

void KeyspaceNotifier::Configure(std::string_view letters) {
  flags_ = config::ParseKeyspaceEvents(letters).value_or(0);
  // Neither channel kind asked for: nothing to publish whatever the classes.
  if ((flags_ & (notify::kKeyspace | notify::kKeyevent)) == 0) flags_ = 0;
}

std::string_view KeyspaceNotifier::EventOf(const CommandSpec& spec) {
  // Commands whose event is not their own name (Redis's notifyKeyspaceEvent calls).
  static constexpr std::pair<std::string_view, std::string_view> kEvents[] = {
      {"setnx", "set"},
      {"setex", "set"},
      {"psetex", "set"},
      {"mset", "set"},
      {"msetnx", "set"},
      {"getset", "set"},
      {"incr", "incrby"},
      {"decr", "incrby"},
      {"decrby", "incrby"},
      {"getdel", "del"},
      {"unlink", "del"},
      {"migrate", "del"},
      {"bitop", "set"},
      {"bitfield", "setbit"},
      {"pfmerge", "pfadd"},  // Redis 7.0: a merge is a mass add
      {"pfdebug", ""},       // its conversions change the value without an event
      {"hmset", "hset"},
      {"hsetnx", "hset"},
      {"lpushx", "lpush"},
      {"rpushx", "rpush"},
      {"blpop", "lpop"},
      {"brpop", "rpop"},
      {"lmpop", "lpop"},
      {"blmpop", "lpop"},
      {"brpoplpush", "rpop"},
      {"rpoplpush", "rpop"},
      {"blmove", "lmove"},
      {"zincrby", "zincr"},
      {"bzpopmin", "zpopmin"},
      {"bzpopmax", "zpopmax"},
      {"zmpop", "zpopmin"},
      {"bzmpop", "zpopmin"},
      {"pexpire", "expire"},
      {"expireat", "expire"},
      {"pexpireat", "expire"},
      {"renamenx", "rename"},
      {"move", "move_from"},
      {"copy", "copy_to"},
      {"hpexpire", "hexpire"},
      {"hexpireat", "hexpire"},
      {"hpexpireat", "hexpire"},
      {"sort", "sortstore"},
      {"xgroup|create", "xgroup-create"},
      {"xgroup|setid", "xgroup-setid"},
      {"xgroup|destroy", "xgroup-destroy"},
      {"xgroup|createconsumer", "xgroup-createconsumer"},
      {"xgroup|delconsumer", "xgroup-delconsumer"},
      // Commands that raise only the events they Raise (a consumer they create).
      {"xreadgroup", ""},
      {"xclaim", ""},
      {"xautoclaim", ""},
      {"xack", ""}};
  // GEOADD runs a ZADD; GEORADIUS and GEORADIUSBYMEMBER store under one event.
  static constexpr std::pair<std::string_view, std::string_view> kGeoEvents[] = {
      {"geoadd", "zadd"}, {"georadius", "georadiusstore"}, {"georadiusbymember", "georadiusstore"}};
  for (const auto& [name, event] : kEvents) {
    if (spec.name == name) return event;
  }
  for (const auto& [name, event] : kGeoEvents) {
    if (spec.name == name) return event;
  }
  return spec.name;
}

uint32_t KeyspaceNotifier::ClassOf(const CommandSpec& spec) {
  if (spec.name == "sort") return notify::kList;  // sortstore: a list is written
  static constexpr std::pair<std::string_view, uint32_t> kClasses[] = {
      {"string", notify::kString},   {"bitmap", notify::kString}, {"hyperloglog", notify::kString},
      {"list", notify::kList},       {"set", notify::kSet},       {"hash", notify::kHash},
      {"sorted_set", notify::kZSet}, {"geo", notify::kZSet},      {"stream", notify::kStream}};
  for (const auto& [group, flag] : kClasses) {
    if (spec.group == group) return flag;
  }
  return notify::kGeneric;
}

void KeyspaceNotifier::Note(int db, std::string_view key, bool created, bool exists) {
  // A command notes a key several times in a row (found, then re-timed...); a key named
  // twice in its arguments (MSET k 1 k 2) is notified twice, as Redis does.
  if (!changed_.empty() && changed_.back().db == db && changed_.back().key == key) {
    changed_.back().created |= created;
    changed_.back().exists = exists;
    return;
  }
  changed_.push_back({db, std::string(key), created, exists});
}

void KeyspaceNotifier::Publish(const CommandSpec& spec) {
  const std::string_view event = EventOf(spec);
  const uint32_t event_class = ClassOf(spec);
  // Taken first: a message may close a subscriber, whose own notes cannot interleave, but
  // the list must not be in use while anything else runs.
  std::vector<Changed> changed = std::move(changed_);
  changed_.clear();
  for (const Changed& c : changed) {
    if (c.created) Notify(notify::kNew, "new", c.db, c.key);
    // A STORE form whose result is empty deletes its destination: Redis reports only "del".
    if (!event.empty() && (c.exists || !event.ends_with("store"))) {
      Notify(event_class, event, c.db, c.key);
    }
    if (!c.exists && event != "del") Notify(notify::kGeneric, "del", c.db, c.key);
  }
  std::vector<Raised> raised = std::move(raised_);
  raised_.clear();
  for (const Raised& r : raised) Notify(r.event_class, r.event, r.db, r.key);
}

void KeyspaceNotifier::Raise(uint32_t event_class, std::string_view event, int db,
                             std::string_view key) {
  if ((flags_ & event_class) == 0) return;
  raised_.push_back({event_class, std::string(event), db, std::string(key)});
}

void KeyspaceNotifier::Expired(int db, std::string_view key) {
  Notify(notify::kExpired, "expired", db, key);
}

void KeyspaceNotifier::Evicted(int db, std::string_view key) {
  Notify(notify::kEvicted, "evicted", db, key);
}

void KeyspaceNotifier::Notify(uint32_t event_class, std::string_view event, int db,
                              std::string_view key) {
  if ((flags_ & event_class) == 0) return;
  PubSubRegistry& pubsub = engine_.pubsub();
  if (!pubsub.any_channel_listener()) return;
  using Kind = PubSubRegistry::Kind;
  if ((flags_ & notify::kKeyspace) != 0) {
    channel_ = fmt::format("__keyspace@{}__:{}", db, key);
    pubsub.Publish(Kind::kChannel, channel_, event, engine_.hooks());
  }
  if ((flags_ & notify::kKeyevent) != 0) {
    channel_ = fmt::format("__keyevent@{}__:{}", db, event);
    pubsub.Publish(Kind::kChannel, channel_, key, engine_.hooks());
  }
}

}  // namespace tidekv::engine
