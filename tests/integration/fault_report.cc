#include "tests/integration/fault_report.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "tests/integration/server_process.h"

namespace tidekv::integration::faults {

std::string Report::Format() const {
  std::ostringstream out;
  out << "fault test report: seed " << seed << ", " << rounds << " rounds\n  faults:";
  for (const auto& [name, n] : faults) out << " [" << name << "] x" << n;
  out << "\n  acknowledged writes " << acked << ", without reply " << in_doubt << ", WAITs "
      << waits << "\n  rolled back with a killed primary (allowed): " << rolled_back
      << "\n  lost or wrong acknowledged writes: " << losses
      << "\n  replica keys differing from the primary: " << divergent_keys << " (plus "
      << divergent_carried << " still differing from an earlier round)"
      << "\n  digest/DBSIZE mismatches: " << digest_mismatches << "\n  syncs logged: full " << full
      << " (justified: new replica " << justified_fresh << ", diverged history "
      << justified_diverged << "; unjustified " << unjustified.size() << "), partial from memory "
      << partial_memory << ", partial from disk " << partial_disk << ", future offset refused "
      << future << "\n  INFO counters summed over processes: " << Show(counters) << "\n";
  auto list = [&out](const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out << "  " << title << ":\n";
    for (const std::string& s : items) out << "    - " << s << "\n";
  };
  list("rolled back (examples)", rollback_examples);
  list("lost or wrong writes (examples)", loss_examples);
  list("divergent keys (examples)", divergence_examples);
  list("digest/DBSIZE mismatches", digest_examples);
  list("unjustified full syncs", unjustified);
  list("anomalies", anomalies);
  list("observations", observations);
  list("timeline", timeline);
  return out.str();
}

std::vector<Observed> ReadKeys(redisContext* c, const std::vector<std::string>& names) {
  constexpr size_t kChunk = 250;
  std::vector<Observed> out(names.size());
  for (size_t begin = 0; begin < names.size(); begin += kChunk) {
    const size_t end = std::min(names.size(), begin + kChunk);
    const int64_t t0 = WallMs();
    for (size_t i = begin; i < end; i++) {
      AppendCommand(c, {"GET", names[i]});
      AppendCommand(c, {"PEXPIRETIME", names[i]});
    }
    for (size_t i = begin; i < end; i++) {
      Reply get = GetReply(c);
      Reply ttl = GetReply(c);
      if (get == nullptr || ttl == nullptr || ttl->type != REDIS_REPLY_INTEGER ||
          (get->type != REDIS_REPLY_STRING && get->type != REDIS_REPLY_NIL)) {
        throw std::runtime_error("reading " + names[i] + ": GET answered " + Describe(get) +
                                 ", PEXPIRETIME " + Describe(ttl) + " " + c->errstr);
      }
      if (get->type == REDIS_REPLY_STRING) out[i].value = std::string(get->str, get->len);
      out[i].pexpiretime = ttl->integer;
    }
    const int64_t t1 = WallMs();
    for (size_t i = begin; i < end; i++) {
      out[i].t0 = t0;
      out[i].t1 = t1;
    }
  }
  return out;
}

}  // namespace tidekv::integration::faults
