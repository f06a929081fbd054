// Loading large collections from their element rows (DESIGN.md §6, "Collections in
// batches"; compaction/batch.h has the row format). Batches load oldest first and, within
// one, every key row comes before every element row, so a header row sets up the value
// (kept when it continues the generation already loaded, else a new empty one) and the
// element rows that follow add, replace or remove its elements. Rows of another generation
// are stale and skipped. At the end every value must hold as many elements as its last
// header says. Loop thread (recovery) only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "compaction/batch.h"
#include "keyspace/keyspace.h"

namespace tidekv::persistence {

class ElementRowLoader {
 public:
  explicit ElementRowLoader(keyspace::Keyspace& ks) : ks_(ks) {}

  // A key row whose (live) state value is an element header.
  Status Header(int db, std::string_view key, const compaction::KeyState& state,
                const compaction::ElementHeader& header);
  // An element row (key and state as read).
  Status Element(std::string_view batch_key, std::string_view encoded_state);
  // Any other row of a key (a whole value or a tombstone): it left the element form.
  void KeyRow(int db, std::string_view key);
  // After every batch: counts match the headers; field expiries are tracked.
  Status Finish();

 private:
  keyspace::Keyspace& ks_;
  std::unordered_map<std::string, uint64_t> expected_;  // batch key -> header count
};

// Whether one element row of a batch shipped by a primary is well-formed: its key parses, its
// database exists, its state's value holds a generation and a payload the type accepts.
bool ElementRowWellFormed(std::string_view batch_key, std::string_view encoded_state,
                          int databases);

}  // namespace tidekv::persistence
