// Dict: the keyspace's hash table of Entry pointers, a ds::ScanTable (see ds/scan_table.h
// for the layout and the SCAN guarantee). Entries are owned by Database, never by the
// table. Loop thread only.
#pragma once

#include <cstdint>
#include <string_view>

#include "ds/scan_table.h"
#include "keyspace/entry.h"

namespace tidekv::keyspace {

using Dict = ds::ScanTable<Entry>;

inline uint64_t HashKey(std::string_view k) { return ds::HashBytes(k); }

}  // namespace tidekv::keyspace
