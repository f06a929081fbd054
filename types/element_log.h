// ElementLog: what a large collection remembers for its element rows (DESIGN.md §6,
// "Collections in batches"). Once a seal has written the value as element rows under a
// generation, the value notes every element it changes, so the next seal writes only those.
// Absent (nullptr in the value) while the value is sealed whole. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tidekv::types {

struct ElementLog {
  uint64_t generation = 0;  // of the rows in the batches (the seal's upper offset)
  std::string owner;        // the batch key (database and key) the rows were written under
  std::unordered_set<std::string> changed;
};

}  // namespace tidekv::types
