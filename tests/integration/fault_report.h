// What one run of the fault test (fault_test.cc) found, and the bulk key reads it compares
// nodes with. Single-threaded.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/fault_model.h"
#include "tests/integration/replication_util.h"

namespace tidekv::integration::faults {

struct Report {
  uint64_t seed = 0;
  int rounds = 0;
  std::map<std::string, int> faults;
  uint64_t acked = 0;
  uint64_t in_doubt = 0;
  uint64_t waits = 0;
  uint64_t rolled_back = 0;  // acknowledged after the last WAIT, lost with a killed primary
  std::vector<std::string> rollback_examples;
  uint64_t losses = 0;  // acknowledged writes missing or wrong where nothing allows it
  std::vector<std::string> loss_examples;
  uint64_t divergent_keys = 0;  // a replica's key differs from the primary's
  std::vector<std::string> divergence_examples;
  int digest_mismatches = 0;
  std::vector<std::string> digest_examples;
  SyncCounters counters;
  int full = 0, partial_memory = 0, partial_disk = 0, future = 0;
  int justified_fresh = 0, justified_diverged = 0;
  std::vector<std::string> unjustified;
  std::vector<std::string> anomalies;  // crashes, unclean exits, short WAITs, error replies
  std::vector<std::string> timeline;   // faults and recoveries, with times
  // Worth knowing, not failures (an old primary ahead of the promotion offset after a
  // planned failover: it kept expiring keys after the replicas had caught up).
  std::vector<std::string> observations;
  uint64_t divergent_carried = 0;  // keys that already differed in an earlier round

  static void Add(std::vector<std::string>* list, const std::string& what) {
    constexpr size_t kExamples = 8;
    if (list->size() < kExamples) list->push_back(what);
  }
  std::string Format() const;
};

// GET and PEXPIRETIME of every key, pipelined; each key's reads lie within [t0, t1]. Throws
// when a reply is missing or of the wrong type.
std::vector<Observed> ReadKeys(redisContext* c, const std::vector<std::string>& names);

}  // namespace tidekv::integration::faults
