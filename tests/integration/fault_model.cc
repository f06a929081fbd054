#include "tests/integration/fault_model.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "tests/integration/server_process.h"

namespace tidekv::integration::faults {

int64_t WallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string KeyState::Describe() const {
  if (unknown) return exists ? "unknown (exists)" : "unknown";
  if (!exists) return "(absent)";
  std::string out = "'" + value + "'";
  if (expire_lo == 0) return out + " without expiry";
  if (expire_lo == expire_hi) return out + " expiring at " + std::to_string(expire_lo);
  return out + " expiring in [" + std::to_string(expire_lo) + ", " + std::to_string(expire_hi) +
         "]";
}

Liveness LivenessAt(const KeyState& s, int64_t t0, int64_t t1) {
  if (s.unknown) return Liveness::kMaybe;
  if (!s.exists) return Liveness::kGone;
  if (s.expire_lo == 0) return Liveness::kAlive;
  // A key is gone once now >= its expiry; the command's now is within [t0, t1].
  if (t1 < s.expire_lo) return Liveness::kAlive;
  if (t0 >= s.expire_hi) return Liveness::kGone;
  return Liveness::kMaybe;
}

std::string Observed::Describe() const {
  std::string out = value ? "'" + *value + "'" : "(nil)";
  out += " pexpiretime=" + std::to_string(pexpiretime);
  return out + " (read in [" + std::to_string(t0) + ", " + std::to_string(t1) + "])";
}

bool Matches(const KeyState& want, const Observed& got) {
  if (want.unknown) return true;
  const bool present = got.value.has_value();
  if (!want.exists) return !present && got.pexpiretime == -2;
  if (want.expire_lo == 0) {
    return present && *got.value == want.value && got.pexpiretime == -1;
  }
  const bool in_range = got.pexpiretime >= want.expire_lo && got.pexpiretime <= want.expire_hi;
  switch (LivenessAt(want, got.t0, got.t1)) {
    case Liveness::kAlive:
      return present && *got.value == want.value && in_range;
    case Liveness::kGone:
      return !present && got.pexpiretime == -2;
    case Liveness::kMaybe:
      break;
  }
  // It may have expired before the GET, or between the GET and the PEXPIRETIME.
  if (!present) return got.pexpiretime == -2;
  return *got.value == want.value && (in_range || got.pexpiretime == -2);
}

bool SameKey(const Observed& a, const Observed& b) {
  if (a.value == b.value && a.pexpiretime == b.pexpiretime) return true;
  const int64_t last_read = std::max(a.t1, b.t1);
  // `seen` had the key for at least the GET, `other` never: only a key that was expiring
  // around the reads may do that.
  auto expiring = [last_read](const Observed& seen, const Observed& other) {
    return seen.value && !other.value && other.pexpiretime == -2 &&
           (seen.pexpiretime == -2 || (seen.pexpiretime >= 0 && seen.pexpiretime <= last_read));
  };
  if (expiring(a, b) || expiring(b, a)) return true;
  // Both saw the value; one saw it expire before its PEXPIRETIME.
  if (a.value && a.value == b.value) {
    const auto expired_mid_read = [last_read](const Observed& x, const Observed& y) {
      return x.pexpiretime == -2 && y.pexpiretime >= 0 && y.pexpiretime <= last_read;
    };
    return expired_mid_read(a, b) || expired_mid_read(b, a);
  }
  return false;
}

std::string Op::Describe() const {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

namespace {

KeyState FromObserved(const Observed& o) {
  KeyState s;
  if (!o.value || o.pexpiretime == -2) return s;
  s.exists = true;
  s.value = *o.value;
  if (o.pexpiretime >= 0) s.expire_lo = s.expire_hi = o.pexpiretime;
  return s;
}

// The key's value as an integer, when it exists and is one.
bool IntValue(const KeyState& s, int64_t* v) {
  if (!s.exists) return false;
  const auto [end, ec] = std::from_chars(s.value.data(), s.value.data() + s.value.size(), *v);
  return ec == std::errc() && end == s.value.data() + s.value.size();
}

KeyState Unknown(bool exists) {
  KeyState s;
  s.exists = exists;
  s.unknown = true;
  return s;
}

KeyState Fresh(std::string value, int64_t ttl_ms, int64_t t0, int64_t t1) {
  KeyState s;
  s.exists = true;
  s.value = std::move(value);
  if (ttl_ms > 0) {
    s.expire_lo = t0 + ttl_ms;
    s.expire_hi = t1 + ttl_ms;
  }
  return s;
}

// Inclusive ranges of journal positions.
struct Range {
  uint64_t lo = 0;
  uint64_t hi = 0;
};

std::vector<Range> Intersect(const std::vector<Range>& a, const std::vector<Range>& b) {
  std::vector<Range> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const uint64_t lo = std::max(a[i].lo, b[j].lo);
    const uint64_t hi = std::min(a[i].hi, b[j].hi);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].hi < b[j].hi) {
      i++;
    } else {
      j++;
    }
  }
  return out;
}

}  // namespace

Model::Model(std::vector<std::string> keys)
    : keys_(std::move(keys)), states_(keys_.size()), history_(keys_.size()), start_ms_(WallMs()) {}

void Model::Remember(uint32_t key, int64_t t1, const std::string& what) {
  constexpr size_t kKept = 6;
  auto& h = history_[key];
  if (h.size() == kKept) h.erase(h.begin());
  const int64_t ms = t1 - start_ms_;
  h.push_back("t=" + std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1) +
              " #" + std::to_string(seq_) + " " + what + " -> " + states_[key].Describe());
}

std::string Model::History(uint32_t key) const {
  std::string out;
  for (const std::string& h : history_[key]) out += "\n        " + h;
  return out;
}

std::string Model::Apply(const Op& op, const redisReply& r, int64_t t0, int64_t t1) {
  if (r.type == REDIS_REPLY_ERROR) {
    // Not applied; not a write the client could count on.
    return op.Describe() + " answered " + integration::Describe(&r);
  }
  KeyState& s = states_[op.key];
  const KeyState before = s;
  const Liveness live = LivenessAt(s, t0, t1);
  const bool may_live = live != Liveness::kGone;
  const bool may_gone = live != Liveness::kAlive;
  std::string problem;
  auto contradiction = [&](const std::string& expected) {
    problem = op.Describe() + " answered " + integration::Describe(&r) +
              ", but the model expected " + expected + " (the key was " + before.Describe() + ")";
  };
  const bool integer = r.type == REDIS_REPLY_INTEGER;
  const int64_t n = integer ? r.integer : 0;
  switch (op.kind) {
    case Op::Kind::kSet:
      if (integration::Describe(&r) != "OK") contradiction("OK");
      s = Fresh(op.value, op.ttl_ms, t0, t1);
      break;
    case Op::Kind::kIncrBy: {
      if (!integer) {
        contradiction("an integer");
        s = Unknown(true);
        break;
      }
      if (s.unknown) {
        s.exists = true;
        s.value = std::to_string(n);
        break;
      }
      int64_t old = 0;
      const bool has_old = IntValue(s, &old);
      const bool fits_alive = may_live && has_old && old + op.amount == n;
      const bool fits_gone = may_gone && op.amount == n;
      if (fits_alive && !fits_gone) {
        s.value = std::to_string(n);
      } else if (fits_gone && !fits_alive) {
        s = Fresh(std::to_string(n), 0, t0, t1);
      } else {
        if (!fits_alive) {
          contradiction(has_old && may_live
                            ? std::to_string(old + op.amount) +
                                  (may_gone ? " or " + std::to_string(op.amount) : "")
                            : std::to_string(op.amount));
        }
        // (Both fit: 0 + amount near the expiry; which TTL the key kept is not known.)
        s = Unknown(true);
        s.value = std::to_string(n);
      }
      break;
    }
    case Op::Kind::kAppend: {
      if (!integer) {
        contradiction("an integer");
        s = Unknown(true);
        break;
      }
      const auto suffix = static_cast<int64_t>(op.value.size());
      if (s.unknown) {
        // Only a missing key yields the suffix's length (values are never empty).
        if (n == suffix) s = Fresh(op.value, 0, t0, t1);
        break;
      }
      const bool fits_alive =
          may_live && s.exists && static_cast<int64_t>(s.value.size()) + suffix == n;
      const bool fits_gone = may_gone && suffix == n;
      if (fits_alive) {
        s.value += op.value;
      } else if (fits_gone) {
        s = Fresh(op.value, 0, t0, t1);
      } else {
        std::string expected;
        if (may_live && s.exists) expected = std::to_string(s.value.size() + op.value.size());
        if (may_gone) expected += (expected.empty() ? "" : " or ") + std::to_string(suffix);
        contradiction(expected);
        s = Unknown(true);
      }
      break;
    }
    case Op::Kind::kDel:
      if (!integer || n < 0 || n > 1) {
        contradiction("0 or 1");
      } else if (!s.unknown && n == 1 && !may_live) {
        contradiction("0 (the key was gone)");
      } else if (!s.unknown && n == 0 && !may_gone) {
        contradiction("1 (the key existed)");
      }
      s = KeyState{};
      break;
    case Op::Kind::kExpire:
      if (!integer || n < 0 || n > 1) {
        contradiction("0 or 1");
        s = Unknown(true);
      } else if (n == 1) {
        if (!s.unknown && !may_live) contradiction("0 (the key was gone)");
        if (s.unknown || !may_live) {
          s = Unknown(true);
        } else {
          s.expire_lo = t0 + op.ttl_ms;
          s.expire_hi = t1 + op.ttl_ms;
        }
      } else {
        if (!s.unknown && !may_gone) contradiction("1 (the key existed)");
        s = KeyState{};
      }
      break;
  }
  seq_++;
  acked_++;
  journal_.push_back({seq_, op.key, before, s, true, op.Describe()});
  Remember(op.key, t1,
           op.Describe() + " = " + integration::Describe(&r) + (problem.empty() ? "" : " (!)"));
  return problem;
}

void Model::ApplyInDoubt(const Op& op, int64_t t0, int64_t t1) {
  KeyState& s = states_[op.key];
  const KeyState before = s;
  const Liveness live = LivenessAt(s, t0, t1);
  switch (op.kind) {
    case Op::Kind::kSet:
      s = Fresh(op.value, op.ttl_ms, t0, t1);
      break;
    case Op::Kind::kIncrBy: {
      int64_t old = 0;
      if (live == Liveness::kAlive && IntValue(s, &old)) {
        s.value = std::to_string(old + op.amount);
      } else if (live == Liveness::kGone) {
        s = Fresh(std::to_string(op.amount), 0, t0, t1);
      } else {
        s = Unknown(true);
      }
      break;
    }
    case Op::Kind::kAppend:
      if (live == Liveness::kAlive) {
        s.value += op.value;
      } else if (live == Liveness::kGone) {
        s = Fresh(op.value, 0, t0, t1);
      } else {
        s = Unknown(true);
      }
      break;
    case Op::Kind::kDel:
      s = KeyState{};
      break;
    case Op::Kind::kExpire:
      if (live == Liveness::kAlive) {
        s.expire_lo = t0 + op.ttl_ms;
        s.expire_hi = t1 + op.ttl_ms;
      } else if (live == Liveness::kGone) {
        s = KeyState{};
      } else {
        s = Unknown(s.exists);
      }
      break;
  }
  seq_++;
  journal_.push_back({seq_, op.key, before, s, false, op.Describe()});
  Remember(op.key, t1, op.Describe() + " (no reply)");
}

void Model::Adopt(uint32_t key, const Observed& observed) {
  const KeyState before = states_[key];
  states_[key] = FromObserved(observed);
  seq_++;
  journal_.push_back({seq_, key, before, states_[key], true, "(state read back from the primary)"});
  Remember(key, observed.t1, "read back from the node serving writes");
}

Reconciliation Model::Reconcile(uint64_t confirmed, const std::vector<Observed>& observed) {
  Reconciliation out;
  std::vector<std::vector<const JournalEntry*>> per_key(keys_.size());
  for (const JournalEntry& e : journal_) {
    if (e.seq > confirmed) per_key[e.key].push_back(&e);
  }
  // The journal positions p (all writes up to seq p applied, none after) the replica's
  // state is consistent with, narrowed key by key.
  std::vector<Range> common = {{confirmed, seq_}};
  for (uint32_t k = 0; k < keys_.size(); k++) {
    const Observed& got = observed[k];
    const auto& entries = per_key[k];
    std::vector<Range> allowed;
    if (entries.empty()) {
      if (Matches(states_[k], got)) allowed.push_back({confirmed, seq_});
    } else {
      if (Matches(entries.front()->before, got)) {
        allowed.push_back({confirmed, entries.front()->seq - 1});
      }
      for (size_t i = 0; i < entries.size(); i++) {
        const uint64_t hi = i + 1 < entries.size() ? entries[i + 1]->seq - 1 : seq_;
        if (Matches(entries[i]->after, got)) allowed.push_back({entries[i]->seq, hi});
      }
    }
    if (allowed.empty()) {
      std::string want = entries.empty() ? states_[k].Describe()
                                         : entries.front()->before.Describe() + " or later";
      out.contradictions.push_back(keys_[k] + ": the promoted replica has " + got.Describe() +
                                   ", the model allows " + want + " (confirmed up to write " +
                                   std::to_string(confirmed) + "); history:" + History(k));
      continue;
    }
    std::vector<Range> narrowed = Intersect(common, allowed);
    if (narrowed.empty()) {
      out.consistent = false;
      out.contradictions.push_back(keys_[k] + ": the promoted replica has " + got.Describe() +
                                   ", which no journal prefix shared with the other keys "
                                   "explains; history:" +
                                   History(k));
      continue;
    }
    common = std::move(narrowed);
  }
  out.prefix = common.back().hi;
  for (const JournalEntry& e : journal_) {
    if (e.seq <= confirmed) continue;
    if (e.seq <= out.prefix) {
      if (!e.acked) out.in_doubt_kept++;
      continue;
    }
    if (!e.acked || e.before == e.after) continue;
    out.lost_acked++;
    if (out.lost_examples.size() < 5) {
      out.lost_examples.push_back(keys_[e.key] + ": acknowledged write " + std::to_string(e.seq) +
                                  " '" + e.op + "' made it " + e.after.Describe() +
                                  "; the promoted replica has " + observed[e.key].Describe() +
                                  "; history:" + History(e.key));
    }
  }
  for (uint32_t k = 0; k < keys_.size(); k++) {
    if (states_[k] == FromObserved(observed[k])) continue;
    states_[k] = FromObserved(observed[k]);
    Remember(k, observed[k].t1, "read back from the promoted replica");
  }
  journal_.clear();
  return out;
}

}  // namespace tidekv::integration::faults
