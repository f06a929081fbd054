#include "engine/command_context.h"

#include <climits>
#include <cmath>

#include "common/strings.h"
#include "engine/blocking.h"
#include "engine/engine.h"

namespace tidekv::engine {

bool CommandContext::ArgIs(size_t i, std::string_view word) const {
  return i < argv.size() && EqualsIgnoreCase(argv[i], word);
}

Entry* CommandContext::LookupRead(std::string_view key) {
  Entry* e = db.Find(key, now_ms);
  KeyspaceStats& stats = engine.keyspace().stats();
  if (e == nullptr) {
    stats.keyspace_misses++;
    return nullptr;
  }
  stats.keyspace_hits++;
  engine.TouchKey(e);
  return e;
}

Entry* CommandContext::LookupWrite(std::string_view key) {
  Entry* e = db.Find(key, now_ms);
  if (e != nullptr) {
    engine.TouchKey(e);
    engine.keyspace().NoteKey(db.index(), key);
  }
  return e;
}

bool CommandContext::DeleteIfEmpty(Entry* entry) {
  if (entry == nullptr || entry->IsString()) return false;
  if (types::OpsFor(entry->type())->length(*entry->object()) != 0) return false;
  db.Erase(entry);
  return true;
}

void CommandContext::Propagate(std::initializer_list<std::string_view> effect) {
  Propagate(std::span<const std::string_view>(effect.begin(), effect.size()));
}

void CommandContext::Propagate(std::span<const std::string_view> effect) {
  propagated = true;
  engine.EmitEffect(&session, session.db, effect);
}

std::optional<int64_t> CommandContext::IntArg(size_t i, std::string_view error) {
  auto v = ParseInt64(argv[i]);
  if (!v) reply.Error(error);
  return v;
}

std::optional<int> CommandContext::DbIndexArg(size_t i, std::string_view custom_error) {
  const std::optional<int64_t> v = ParseInt64(argv[i]);
  if (!v || *v < INT_MIN || *v > INT_MAX) {
    if (!custom_error.empty()) {
      reply.Error(custom_error);
    } else {
      reply.Error(v ? err::kIntRange : err::kNotInteger);
    }
    return std::nullopt;
  }
  if (*v < 0 || *v >= engine.keyspace().num_databases()) {
    reply.Error(err::kDbIndex);
    return std::nullopt;
  }
  return static_cast<int>(*v);
}

std::optional<long double> CommandContext::LongDoubleArg(size_t i) {
  auto v = ParseLongDouble(argv[i]);
  if (!v) reply.Error(err::kNotFloat);
  return v;
}

std::optional<int64_t> CommandContext::TimeoutArg(size_t i) {
  const std::optional<long double> secs = ParseLongDouble(argv[i]);
  if (!secs || !std::isfinite(*secs)) {
    reply.Error("ERR timeout is not a float or out of range");
    return std::nullopt;
  }
  if (*secs < 0) {
    reply.Error("ERR timeout is negative");
    return std::nullopt;
  }
  const long double ms = *secs * 1000;
  if (ms > static_cast<long double>(INT64_MAX / 2)) {
    reply.Error("ERR timeout is out of range");
    return std::nullopt;
  }
  // A positive timeout below a millisecond still waits (Redis rounds it up).
  auto whole = static_cast<int64_t>(ms);
  if (whole == 0 && ms > 0) whole = 1;
  return whole;
}

void CommandContext::Block(std::span<const std::string_view> keys, int64_t timeout_ms,
                           keyspace::ValueType wait_for, TimeoutReply on_timeout) {
  engine.blocking().Block(*this, keys, timeout_ms, wait_for, on_timeout == TimeoutReply::kNullBulk);
}

void CommandContext::BlockStream(std::span<const std::string_view> keys, int64_t timeout_ms,
                                 std::span<const std::string> rerun, std::string_view gone_error) {
  engine.blocking().Block(*this, keys, timeout_ms, keyspace::ValueType::kStream, false, rerun,
                          gone_error);
}

}  // namespace tidekv::engine
