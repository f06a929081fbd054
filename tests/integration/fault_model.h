// The fault test's model of the dataset (fault_test.cc): what every key must hold after the
// writes the primary acknowledged, checked against replies as they come and against every
// node after each fault.
//
// Expiry is tracked as an interval. The server turns a relative TTL into an absolute time
// with the wall clock it reads once per command, somewhere between the moment the client
// sent the command and the moment its reply arrived; the same machine's wall clock taken
// before sending (t0) and after the reply (t1) bounds it, so the model keeps
// [t0 + ttl, t1 + ttl] and judges liveness at a read within [t0, t1] as alive, gone, or
// "maybe" (only then is either answer accepted). No bound depends on machine speed: a slow
// reply widens the interval, it never makes a correct answer look wrong.
//
// The replies disambiguate what the model cannot know in advance (INCRBY returns the new
// value, APPEND the new length, DEL and EXPIRE whether the key was there), and a reply that
// contradicts a definite state is a lost or wrong write.
//
// A journal of the writes since the last Settle() (every node caught up) lets the model
// roll back after a primary is killed: the promoted replica must hold exactly the state
// after some prefix of the journal that includes everything WAIT confirmed (Reconcile).
//
// Single-threaded.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tidekv::integration::faults {

// The wall clock in ms since the Unix epoch: the server's expiry clock.
int64_t WallMs();

// What the model knows about one key.
struct KeyState {
  bool exists = false;
  // The model cannot tell (an ambiguous reply): matches anything until a SET or DEL.
  bool unknown = false;
  std::string value;
  // 0: no expiry; otherwise the absolute expiry time is within [expire_lo, expire_hi].
  int64_t expire_lo = 0;
  int64_t expire_hi = 0;

  bool operator==(const KeyState& o) const {
    return exists == o.exists && unknown == o.unknown && value == o.value &&
           expire_lo == o.expire_lo && expire_hi == o.expire_hi;
  }
  bool operator!=(const KeyState& o) const { return !(*this == o); }
  std::string Describe() const;
};

enum class Liveness { kAlive, kGone, kMaybe };
// Whether the key exists for a command the server ran at some time within [t0, t1] ms.
Liveness LivenessAt(const KeyState& s, int64_t t0, int64_t t1);

// A node's answer for one key: GET and PEXPIRETIME, both read within [t0, t1].
struct Observed {
  std::optional<std::string> value;
  int64_t pexpiretime = -2;  // -2: no key, -1: no expiry
  int64_t t0 = 0;
  int64_t t1 = 0;
  std::string Describe() const;
};
// True when `got` is a possible reading of a key in state `want`.
bool Matches(const KeyState& want, const Observed& got);
// Two nodes' readings of one key agree, up to the key expiring between the two reads.
bool SameKey(const Observed& a, const Observed& b);

// One write of the workload.
struct Op {
  enum class Kind { kSet, kIncrBy, kAppend, kDel, kExpire };
  Kind kind = Kind::kSet;
  uint32_t key = 0;
  std::string value;   // SET value, APPEND suffix
  int64_t amount = 0;  // INCRBY
  int64_t ttl_ms = 0;  // SET (0: no expiry) and EXPIRE
  std::vector<std::string> argv;
  std::string Describe() const;
};

// A write the journal holds.
struct JournalEntry {
  uint64_t seq = 0;  // 1-based position among all writes sent
  uint32_t key = 0;
  KeyState before;
  KeyState after;
  bool acked = false;  // a reply came (otherwise the primary died first)
  std::string op;
};

// The outcome of reconciling the model with a promoted replica.
struct Reconciliation {
  bool consistent = true;      // one journal prefix explains every key
  uint64_t prefix = 0;         // the longest such prefix (a seq)
  uint64_t lost_acked = 0;     // acknowledged writes after the confirmed point it lacks
  uint64_t in_doubt_kept = 0;  // writes without a reply that it has
  std::vector<std::string> lost_examples;
  // Keys no candidate state explains (a write before the confirmed point is missing, or a
  // value no write produced).
  std::vector<std::string> contradictions;
};

class Model {
 public:
  explicit Model(std::vector<std::string> keys);

  const std::vector<std::string>& keys() const { return keys_; }
  const KeyState& state(uint32_t key) const { return states_[key]; }
  // Writes sent so far (the seq of the last one).
  uint64_t seq() const { return seq_; }
  uint64_t acked() const { return acked_; }

  // Applies op, which the primary ran within [t0, t1] and answered with `reply`. Returns ""
  // or why the reply contradicts the model (the model then follows the reply).
  std::string Apply(const Op& op, const redisReply& reply, int64_t t0, int64_t t1);
  // op was sent within [t0, t1] but no reply came: it may or may not have been applied.
  // The model assumes it was until Reconcile() says otherwise.
  void ApplyInDoubt(const Op& op, int64_t t0, int64_t t1);

  // After a primary was killed and `observed` (one per key) was read from the replica
  // promoted in its place, which had confirmed every write up to seq `confirmed`: finds the
  // journal prefix it holds and makes its state the model's.
  Reconciliation Reconcile(uint64_t confirmed, const std::vector<Observed>& observed);
  // The node serving writes is known to hold `observed` for `key` (after a contradiction):
  // the model follows it.
  void Adopt(uint32_t key, const Observed& observed);
  // Every node holds everything written: the journal is no longer needed.
  void Settle() { journal_.clear(); }
  // The last writes of `key` with their times (relative to the model's creation), replies
  // and the state they left, oldest first: for failure messages.
  std::string History(uint32_t key) const;

 private:
  void Remember(uint32_t key, int64_t t1, const std::string& what);

  std::vector<std::string> keys_;
  std::vector<KeyState> states_;
  std::vector<JournalEntry> journal_;
  std::vector<std::vector<std::string>> history_;
  int64_t start_ms_;
  uint64_t seq_ = 0;
  uint64_t acked_ = 0;
};

}  // namespace tidekv::integration::faults
