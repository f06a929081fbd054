#include "persistence/element_rows.h"

#include <fmt/format.h>

#include <memory>

#include "types/value.h"

namespace tidekv::persistence {

using keyspace::Entry;

namespace {

// The row type's ops when it is a collection that has element rows.
const types::TypeOps* ElementOps(uint8_t stored_type) {
  const types::TypeOps* ops = types::OpsFor(stored_type);
  return ops != nullptr && ops->type != types::ValueType::kString && ops->create != nullptr
             ? ops
             : nullptr;
}

// Applies one element without noting it as a change (it is what the batches already hold).
Status Apply(const types::TypeOps& ops, types::Value& v, std::string_view element,
             std::string_view payload, bool remove) {
  std::unique_ptr<types::ElementLog> held = ops.swap_element_log(v, nullptr);
  Status s = ops.apply_element(v, element, payload, remove);
  ops.swap_element_log(v, std::move(held));
  return s;
}

}  // namespace

Status ElementRowLoader::Header(int db, std::string_view key, const compaction::KeyState& state,
                                const compaction::ElementHeader& header) {
  const types::TypeOps* ops = ElementOps(state.type);
  if (ops == nullptr) return Status::Corruption("element header for a type without element rows");
  std::string batch_key = compaction::BatchKey(db, key);
  keyspace::Database& database = ks_.db(db);
  Entry* e = database.Peek(key, INT64_MIN);
  types::ElementLog* log = nullptr;
  if (e != nullptr && !e->IsString() && e->type() == ops->type) {
    log = ops->element_log(*e->object());
  }
  if (log == nullptr || log->generation != header.generation || log->owner != batch_key) {
    // A new generation: the rows that follow describe the whole value.
    if (e == nullptr) e = database.Insert(key, 0);
    types::Value* v = ops->create(header.count);
    e->SetObject(ops->type, v);
    auto fresh = std::make_unique<types::ElementLog>();
    fresh->generation = header.generation;
    fresh->owner = batch_key;
    ops->swap_element_log(*v, std::move(fresh));
  }
  database.SetExpire(e, state.expire_at_ms);
  expected_[std::move(batch_key)] = header.count;
  return Status::Ok();
}

Status ElementRowLoader::Element(std::string_view batch_key, std::string_view encoded_state) {
  auto parts = compaction::SplitElementRowKey(batch_key);
  auto state = compaction::DecodeKeyState(encoded_state);
  std::optional<compaction::ElementValue> value;
  if (state.ok()) value = compaction::DecodeElementValue(state->value);
  if (!parts || !state.ok() || !value || parts->db >= ks_.num_databases()) {
    return Status::Corruption("malformed element row");
  }
  Entry* e = ks_.db(parts->db).Peek(parts->key, INT64_MIN);
  if (e == nullptr || e->IsString() || static_cast<uint8_t>(e->type()) != state->type) {
    return Status::Ok();  // stale: its key's newer state is not this collection
  }
  const types::TypeOps* ops = types::OpsFor(e->type());
  types::ElementLog* log = ops->element_log(*e->object());
  if (log == nullptr || log->generation != value->generation) return Status::Ok();  // stale
  return Apply(*ops, *e->object(), parts->element, value->payload, state->tombstone);
}

void ElementRowLoader::KeyRow(int db, std::string_view key) {
  if (!expected_.empty()) expected_.erase(compaction::BatchKey(db, key));
}

Status ElementRowLoader::Finish() {
  for (const auto& [batch_key, count] : expected_) {
    auto [db, key] = compaction::SplitBatchKey(batch_key);
    Entry* e = ks_.db(db).Peek(key, INT64_MIN);
    const size_t have =
        e == nullptr || e->IsString() ? 0 : types::OpsFor(e->type())->length(*e->object());
    if (have != count) {
      return Status::Corruption(fmt::format(
          "key '{}' in db {} holds {} elements after its element rows, its header says {}",
          key.substr(0, 64), db, have, count));
    }
    ks_.db(db).TrackFieldExpiry(e);
  }
  expected_.clear();
  return Status::Ok();
}

bool ElementRowWellFormed(std::string_view batch_key, std::string_view encoded_state,
                          int databases) {
  auto parts = compaction::SplitElementRowKey(batch_key);
  auto state = compaction::DecodeKeyState(encoded_state);
  if (!parts || !state.ok() || parts->db >= databases) return false;
  auto value = compaction::DecodeElementValue(state->value);
  const types::TypeOps* ops = ElementOps(state->type);
  if (!value || ops == nullptr) return false;
  if (state->tombstone) return true;
  // The payload must be one the type accepts: try it on a scratch value.
  types::Value* scratch = ops->create(0);
  const bool ok = ops->apply_element(*scratch, parts->element, value->payload, false).ok();
  ops->destroy(scratch);
  return ok;
}

}  // namespace tidekv::persistence
