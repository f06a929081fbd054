// Randomized fault test (DESIGN.md §4, §5, §6): a primary and two replicas, each replica
// linked to the primary through its own TcpProxy and each node on its own data directory,
// take a seeded random mix of writes (SET with and without PX/EX, INCR/INCRBY, APPEND, DEL,
// EXPIRE/PEXPIRE) while one fault per round strikes: kill -9 of a replica or of the primary
// (then the most advanced replica is promoted and the others follow it), a clean restart of
// either, a planned failover, a cut link, or a link held down until the primary's memory
// backlog (64 KiB here) no longer has the replica's offset.
//
// A model (fault_model.h) follows every acknowledged write and checks each reply. After a
// primary is killed, the promoted replica must hold some prefix of the writes that includes
// all that WAIT confirmed; the writes after that prefix are counted as rolled back, which is
// allowed. At the end of each round (every node up, links up, replicas caught up) every key
// is read on every node: the primary must match the model, the replicas the primary, and
// DEBUG DIGEST and DBSIZE must agree. Every full sync a primary logged is classified as
// justified (a new replica, or an old primary whose history diverged from the promoted
// one's: ahead of the promotion offset) or not (the primary continues the history the
// replica asks for, and the log is far below logstore.retention_bytes).
//
// TIDEKV_FAULT_ROUNDS (default 7, one per fault kind) and TIDEKV_FAULT_SEED (default: two
// fixed seeds) set the run; TIDEKV_FAULT_KEEP=<dir> keeps the data directories and logs of a
// run that found something. tests/faults/soak.sh runs long ones. Every wait is a hang guard.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/fault_cluster.h"
#include "tests/integration/fault_model.h"
#include "tests/integration/fault_report.h"
#include "tests/integration/persistence_util.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration::faults {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kStringKeys = 1500;
constexpr uint32_t kCounterKeys = 300;
// A few hot keys take a large share of the writes, so that expiring keys get extended,
// appended to and incremented often (the interesting cases for recovery and replication).
constexpr uint32_t kHotStrings = 40;
constexpr uint32_t kHotCounters = 10;
constexpr int kWaitMs = 50'000;  // WAIT's hang guard, below the client's 60 s read timeout

enum class Fault {
  kKillReplica,
  kRestartReplica,
  kKillPrimary,
  kRestartPrimary,
  kFailover,
  kCutLink,
  kHoldLink
};
constexpr Fault kAllFaults[] = {Fault::kKillReplica,    Fault::kRestartReplica, Fault::kKillPrimary,
                                Fault::kRestartPrimary, Fault::kFailover,       Fault::kCutLink,
                                Fault::kHoldLink};

const char* Name(Fault f) {
  switch (f) {
    case Fault::kKillReplica:
      return "kill -9 of a replica";
    case Fault::kRestartReplica:
      return "clean restart of a replica";
    case Fault::kKillPrimary:
      return "kill -9 of the primary";
    case Fault::kRestartPrimary:
      return "clean restart of the primary";
    case Fault::kFailover:
      return "planned failover";
    case Fault::kCutLink:
      return "link cut";
    case Fault::kHoldLink:
      return "link held down past the memory backlog";
  }
  return "?";
}

std::vector<std::string> KeyNames() {
  std::vector<std::string> keys;
  for (uint32_t i = 0; i < kStringKeys; i++) keys.push_back("s:" + std::to_string(i));
  for (uint32_t i = 0; i < kCounterKeys; i++) keys.push_back("c:" + std::to_string(i));
  return keys;
}

class FaultRun {
 public:
  FaultRun(uint64_t seed, int rounds, const fs::path& root)
      : rng_(seed),
        cluster_(root, {"--replication.backlog_bytes", "65536"}),
        model_(KeyNames()),
        confirmed_(Cluster::kNodes, 0),
        diverged_at_(Cluster::kNodes, -1) {
    report_.seed = seed;
    report_.rounds = rounds;
  }

  // Runs every round; with a non-empty `keep`, a run that found something leaves the
  // nodes' data directories and logs there.
  Report Run(const fs::path& keep);

 private:
  uint64_t Uniform(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  void SleepMs(uint64_t lo, uint64_t hi) {
    std::this_thread::sleep_for(std::chrono::milliseconds(Uniform(lo, hi)));
  }
  int AnyReplica() {
    const std::vector<int> r = cluster_.replicas();
    return r[Uniform(0, r.size() - 1)];
  }
  std::string Where() const { return "round " + std::to_string(round_) + " after " + last_fault_; }
  void Note(const std::string& what) {
    const int64_t ms = WallMs() - start_ms_;
    report_.timeline.push_back("t=" + std::to_string(ms / 1000) + "." +
                               std::to_string(1000 + ms % 1000).substr(1) + " round " +
                               std::to_string(round_) + ": " + what);
  }

  Op NextOp();
  void WriteBatch(bool kill_primary);
  void WaitReplicas();
  void Round();
  void FailOverAfterKill(int old);
  void CheckAlive();
  void EndRound();
  void Verify();
  void CompareDigests(bool divergence_known);
  void ClassifySyncs();

  std::mt19937_64 rng_;
  Cluster cluster_;
  Model model_;
  Report report_;
  RedisConnection writer_;
  std::vector<uint64_t> confirmed_;   // per node: the last write seq it acknowledged to WAIT
  std::vector<int64_t> diverged_at_;  // per node: an old primary's history is shared up to
  std::vector<Fault> deck_;
  uint64_t ops_ = 0;  // writes generated (names the values; independent of timing)
  std::set<std::pair<int, uint32_t>> divergent_;  // (node, key) found differing
  int64_t start_ms_ = WallMs();
  int round_ = 0;
  std::string last_fault_ = "start-up";
};

Op FaultRun::NextOp() {
  Op op;
  ops_++;
  const bool counter = Chance(0.3);
  const bool hot = Chance(0.4);
  if (counter) {
    op.key =
        kStringKeys + static_cast<uint32_t>(Uniform(0, (hot ? kHotCounters : kCounterKeys) - 1));
  } else {
    op.key = static_cast<uint32_t>(Uniform(0, (hot ? kHotStrings : kStringKeys) - 1));
  }
  const std::string& key = model_.keys()[op.key];
  // A TTL: short (1-10 s, so keys expire during the run) or long.
  auto ttl = [&](bool seconds_allowed) {
    const bool seconds = seconds_allowed && Chance(0.5);
    if (Chance(0.2)) {
      op.ttl_ms = 3'600'000;
    } else {
      op.ttl_ms = seconds ? static_cast<int64_t>(Uniform(1, 10)) * 1000
                          : static_cast<int64_t>(Uniform(1000, 10'000));
    }
    return seconds;
  };
  auto set = [&](std::string value, double ttl_share) {
    op.kind = Op::Kind::kSet;
    op.value = std::move(value);
    op.argv = {"SET", key, op.value};
    if (Chance(ttl_share)) {
      const bool seconds = ttl(true);
      op.argv.push_back(seconds ? "EX" : "PX");
      op.argv.push_back(std::to_string(seconds ? op.ttl_ms / 1000 : op.ttl_ms));
    }
  };
  auto expire = [&] {
    op.kind = Op::Kind::kExpire;
    const bool seconds = ttl(true);
    op.argv = {seconds ? "EXPIRE" : "PEXPIRE", key,
               std::to_string(seconds ? op.ttl_ms / 1000 : op.ttl_ms)};
  };
  const uint64_t r = Uniform(0, 99);
  if (counter) {
    if (r < 35) {
      op.kind = Op::Kind::kIncrBy;
      op.amount = 1;
      op.argv = {"INCR", key};
    } else if (r < 65) {
      op.kind = Op::Kind::kIncrBy;
      op.amount = static_cast<int64_t>(Uniform(0, 100)) - 50;
      op.argv = {"INCRBY", key, std::to_string(op.amount)};
    } else if (r < 75) {
      set(std::to_string(static_cast<int64_t>(Uniform(0, 2000)) - 1000), 0.7);
    } else if (r < 90) {
      expire();
    } else {
      op.kind = Op::Kind::kDel;
      op.argv = {"DEL", key};
    }
  } else {
    if (r < 40) {
      set("v" + std::to_string(ops_) + "-" + std::to_string(Uniform(0, 99999)), 0.5);
    } else if (r < 65) {
      op.kind = Op::Kind::kAppend;
      op.value = "+" + std::to_string(Uniform(0, 999));
      op.argv = {"APPEND", key, op.value};
    } else if (r < 85) {
      expire();
    } else {
      op.kind = Op::Kind::kDel;
      op.argv = {"DEL", key};
    }
  }
  return op;
}

void FaultRun::WriteBatch(bool kill_primary) {
  // A kill lands in a long pipeline. The primary is stopped (SIGSTOP) before the last part
  // of it is sent, so that those writes surely get no reply, then killed.
  const size_t n = kill_primary ? Uniform(800, 2000) : Uniform(50, 150);
  const size_t unsent = kill_primary ? Uniform(0, 300) : 0;  // small: it waits in the socket
  std::vector<Op> ops;
  for (size_t i = 0; i < n; i++) ops.push_back(NextOp());
  redisContext* c = writer_.get();
  auto flush = [&] {
    int done = 0;
    while (!done) {
      if (redisBufferWrite(c, &done) != REDIS_OK) {
        throw std::runtime_error(std::string("writing to the primary: ") + c->errstr);
      }
    }
  };
  const int64_t t0 = WallMs();
  for (size_t i = 0; i < n - unsent; i++) AppendCommand(c, ops[i].argv);
  size_t read_before_kill = n;
  if (kill_primary) {
    flush();
    read_before_kill = Uniform(0, (n - unsent) / 4);
  }
  std::vector<uint32_t> contradicted;
  for (size_t i = 0; i < n; i++) {
    if (kill_primary && i == read_before_kill) {
      const int p = cluster_.primary();
      cluster_.node(p).process->Signal(SIGSTOP);
      for (size_t j = n - unsent; j < n; j++) AppendCommand(c, ops[j].argv);
      flush();
      cluster_.Kill(p, /*sample=*/false);
      Note("killed primary " + cluster_.node(p).name + " after " + std::to_string(i) + " of " +
           std::to_string(n) + " pipelined replies (the last " + std::to_string(unsent) +
           " sent while it was stopped)");
    }
    Reply r = GetReply(c);
    const int64_t t1 = WallMs();
    if (r == nullptr) {
      if (!kill_primary || i < read_before_kill) {
        throw std::runtime_error(Where() + ": the primary connection failed: " + c->errstr + "\n" +
                                 cluster_.Describe());
      }
      for (size_t j = i; j < n; j++) model_.ApplyInDoubt(ops[j], t0, t1);
      report_.in_doubt += n - i;
      break;
    }
    if (r->type == REDIS_REPLY_ERROR) {
      Report::Add(&report_.anomalies,
                  Where() + ": " + ops[i].Describe() + " answered " + Describe(r));
      continue;
    }
    const std::string problem = model_.Apply(ops[i], *r, t0, t1);
    if (!problem.empty()) {
      report_.losses++;
      Report::Add(&report_.loss_examples, Where() + ", on primary " +
                                              cluster_.node(cluster_.primary()).name + ": " +
                                              problem + "; history:" + model_.History(ops[i].key));
      contradicted.push_back(ops[i].key);
    }
  }
  report_.acked = model_.acked();
  if (kill_primary || contradicted.empty()) return;
  // The model follows the primary from here, so that one lost write is reported once.
  std::vector<std::string> names;
  for (uint32_t k : contradicted) names.push_back(model_.keys()[k]);
  const std::vector<Observed> got = ReadKeys(c, names);
  for (size_t i = 0; i < contradicted.size(); i++) model_.Adopt(contradicted[i], got[i]);
}

void FaultRun::WaitReplicas() {
  std::vector<int> reachable;
  for (int r : cluster_.replicas()) {
    if (cluster_.up(r) && !cluster_.node(r).link->refusing()) reachable.push_back(r);
  }
  if (reachable.empty()) return;
  const std::string want = std::to_string(reachable.size());
  Reply w = Command(writer_.get(), {"WAIT", want, std::to_string(kWaitMs)});
  report_.waits++;
  if (w == nullptr || w->type != REDIS_REPLY_INTEGER) {
    throw std::runtime_error(Where() + ": WAIT answered " + Describe(w));
  }
  if (w->integer == static_cast<long long>(reachable.size())) {
    for (int r : reachable) confirmed_[static_cast<size_t>(r)] = model_.seq();
  } else {
    Report::Add(&report_.anomalies, Where() + ": WAIT " + want + " " + std::to_string(kWaitMs) +
                                        " answered " + Describe(w) + "\n" + cluster_.Describe());
  }
}

void FaultRun::CheckAlive() {
  for (int i = 0; i < Cluster::kNodes; i++) {
    const std::string name = cluster_.node(i).name;
    if (const std::optional<int> code = cluster_.Exited(i)) {
      Note(name + " exited on its own with code " + std::to_string(*code));
      Report::Add(&report_.anomalies, Where() + ": " + name + " exited on its own with code " +
                                          std::to_string(*code) + "; log:\n" +
                                          cluster_.node(i).last_log_tail);
      cluster_.Restart(i);
      if (i == cluster_.primary()) writer_ = cluster_.Connect(i);
    }
  }
}

void FaultRun::FailOverAfterKill(int old) {
  // The replicas keep whatever reached them; wait until their links are down so that
  // their offsets are final, then promote the one that has the most.
  std::vector<int> candidates;
  for (int i = 0; i < Cluster::kNodes; i++) {
    if (i != old) candidates.push_back(i);
  }
  int best = -1;
  int64_t best_offset = -1;
  std::string offsets;
  for (int r : candidates) {
    RedisConnection c = cluster_.Connect(r);
    if (!WaitFor([&] { return ReplField(c.get(), "master_link_status") != "up"; })) {
      throw std::runtime_error(Where() + ": " + cluster_.node(r).name +
                               " still reports its link up after its primary was killed");
    }
    const int64_t offset = ReplInt(c.get(), "master_repl_offset");
    offsets += cluster_.node(r).name + "=" + std::to_string(offset) + " ";
    if (offset > best_offset) {  // (not random on a tie: the seed alone fixes the sequence)
      best = r;
      best_offset = offset;
    }
  }
  cluster_.Promote(best);
  const Identity* id = cluster_.IdentityAt(best, WallMs());
  diverged_at_[static_cast<size_t>(old)] = id != nullptr ? id->second_offset : best_offset;
  Note("promoted " + cluster_.node(best).name + " at offset " + std::to_string(best_offset) +
       " (replicas had: " + offsets + ")");
  writer_ = cluster_.Connect(best);
  const std::vector<Observed> got = ReadKeys(writer_.get(), model_.keys());
  const Reconciliation rec = model_.Reconcile(confirmed_[static_cast<size_t>(best)], got);
  report_.rolled_back += rec.lost_acked;
  Note("the promoted replica holds writes up to #" + std::to_string(rec.prefix) +
       " (WAIT had confirmed #" + std::to_string(confirmed_[static_cast<size_t>(best)]) + "); " +
       std::to_string(rec.lost_acked) + " acknowledged writes rolled back, " +
       std::to_string(rec.in_doubt_kept) + " unanswered ones kept");
  for (const std::string& e : rec.lost_examples) {
    Report::Add(&report_.rollback_examples,
                Where() + ", promoted " + cluster_.node(best).name + ": " + e);
  }
  report_.losses += rec.contradictions.size();
  for (const std::string& e : rec.contradictions) {
    Report::Add(&report_.loss_examples,
                Where() + ", promoted " + cluster_.node(best).name + ": " + e);
  }
  for (int r : candidates) {
    if (r != best) {
      cluster_.Follow(r);
      Note(cluster_.node(r).name + " follows " + cluster_.node(best).name);
    }
  }
}

void FaultRun::Round() {
  if (deck_.empty()) {
    deck_.assign(std::begin(kAllFaults), std::end(kAllFaults));
    std::shuffle(deck_.begin(), deck_.end(), rng_);
  }
  const Fault fault = deck_.back();
  deck_.pop_back();
  report_.faults[Name(fault)]++;
  const int batches = static_cast<int>(Uniform(12, 20));
  const int fault_at = static_cast<int>(Uniform(2, 5));
  std::function<void()> heal;
  std::function<bool()> heal_now;  // checked after each batch while a heal is pending
  for (int b = 0; b < batches || heal; b++) {
    bool wrote = false;
    if (b == fault_at) {
      const int p = cluster_.primary();
      switch (fault) {
        case Fault::kKillReplica:
        case Fault::kRestartReplica: {
          const int r = AnyReplica();
          const bool kill = fault == Fault::kKillReplica;
          last_fault_ = std::string(kill ? "kill -9" : "clean restart") + " of replica " +
                        cluster_.node(r).name;
          Note(last_fault_);
          if (kill) {
            cluster_.Kill(r);
          } else if (const std::string why = cluster_.Shutdown(r); !why.empty()) {
            Report::Add(&report_.anomalies, Where() + ": " + why);
          }
          const int until = b + static_cast<int>(Uniform(0, 5));
          heal_now = [this, until, b = &b] { return *b >= until; };
          heal = [this, r] {
            SleepMs(0, 3000);  // keys written with short TTLs expire meanwhile
            cluster_.Restart(r);
            Note("restarted " + cluster_.node(r).name);
          };
          break;
        }
        case Fault::kKillPrimary: {
          last_fault_ = "kill -9 of primary " + cluster_.node(p).name;
          // Sometimes the replicas fall behind first (their links stall and what was in
          // flight is lost with the primary), so acknowledged writes after the last WAIT
          // are really lost and the model must roll them back.
          const bool stall = Chance(0.6);
          if (stall) {
            for (int r : cluster_.replicas()) cluster_.node(r).link->SetDownstreamLimit(0);
            const int extra = static_cast<int>(Uniform(1, 3));
            for (int i = 0; i < extra; i++) WriteBatch(false);
            Note("stalled both replica links, then " + std::to_string(extra) +
                 " batches acknowledged by the primary alone");
          }
          WriteBatch(/*kill_primary=*/true);
          wrote = true;
          if (stall) {
            for (int r : cluster_.replicas()) {
              cluster_.node(r).link->CutAll();
              cluster_.node(r).link->ClearDownstreamLimit();
            }
          }
          FailOverAfterKill(p);
          last_fault_ += " and promotion of " + cluster_.node(cluster_.primary()).name;
          const int until = b + static_cast<int>(Uniform(0, 4));
          heal_now = [this, until, b = &b] { return *b >= until; };
          heal = [this, p] {
            SleepMs(0, 2000);
            cluster_.Restart(p);  // as a replica of the new primary
            Note("restarted " + cluster_.node(p).name + " as a replica");
          };
          break;
        }
        case Fault::kRestartPrimary: {
          last_fault_ = "clean restart of primary " + cluster_.node(p).name;
          Note(last_fault_);
          if (Chance(0.5)) WaitReplicas();
          writer_.reset();
          if (const std::string why = cluster_.Shutdown(p); !why.empty()) {
            Report::Add(&report_.anomalies, Where() + ": " + why);
          }
          SleepMs(0, 2000);
          cluster_.Restart(p);
          writer_ = cluster_.Connect(p);
          Note("restarted " + cluster_.node(p).name);
          break;
        }
        case Fault::kFailover: {
          for (int r : cluster_.replicas()) {
            WaitCaughtUp(*cluster_.node(p).process, *cluster_.node(r).process);
          }
          const int next = AnyReplica();
          last_fault_ =
              "planned failover from " + cluster_.node(p).name + " to " + cluster_.node(next).name;
          Note(last_fault_);
          cluster_.Promote(next);
          // The old primary may still log frames (expiry DELs) after the replicas caught up,
          // and stream them to the other replica until it follows the promoted one: then
          // their histories really part from the promoted one's (as Redis's would: a
          // replica asking past the promotion offset of the old history needs a full sync).
          const Identity* id = cluster_.IdentityAt(next, WallMs());
          for (int i = 0; i < Cluster::kNodes; i++) {
            if (i != next)
              diverged_at_[static_cast<size_t>(i)] = id != nullptr ? id->second_offset : -1;
          }
          for (int i = 0; i < Cluster::kNodes; i++) {
            if (i != next) cluster_.Follow(i);
          }
          writer_ = cluster_.Connect(next);
          break;
        }
        case Fault::kCutLink: {
          const bool both = Chance(0.3);
          const int r = AnyReplica();
          last_fault_ =
              both ? std::string("cut of both links") : "link cut of " + cluster_.node(r).name;
          Note(last_fault_);
          for (int i : cluster_.replicas()) {
            if (both || i == r) cluster_.node(i).link->CutAll();
          }
          break;
        }
        case Fault::kHoldLink: {
          const int r = AnyReplica();
          last_fault_ = "link of " + cluster_.node(r).name + " held down";
          TcpProxy& link = *cluster_.node(r).link;
          link.SetRefusing(true);
          link.CutAll();
          RedisConnection rc = cluster_.Connect(r);
          if (!WaitFor([&] { return ReplField(rc.get(), "master_link_status") != "up"; })) {
            throw std::runtime_error(Where() + ": the link stayed up");
          }
          const int64_t held_at = ReplInt(rc.get(), "master_repl_offset");
          Note(last_fault_ + " at offset " + std::to_string(held_at));
          // A fixed number of batches (not "until the backlog has moved on", which would make
          // the rest of the run depend on timing): 25+ batches of ~100 frames are well over the
          // 64 KiB backlog, and the heal checks that it did move on.
          const int until = b + static_cast<int>(Uniform(25, 35));
          heal_now = [until, b = &b] { return *b >= until; };
          heal = [this, r, held_at] {
            RedisConnection pc = cluster_.Connect(cluster_.primary());
            const int64_t first = ReplInt(pc.get(), "backlog_first_offset");
            if (first <= held_at) {
              Report::Add(&report_.anomalies, Where() + ": the memory backlog still starts at " +
                                                  std::to_string(first) +
                                                  ", not past the held replica's offset " +
                                                  std::to_string(held_at));
            }
            cluster_.node(r).link->SetRefusing(false);
            Note("released the link of " + cluster_.node(r).name + "; backlog starts at " +
                 std::to_string(first));
          };
          break;
        }
      }
    }
    if (!wrote) WriteBatch(false);
    if (heal && heal_now()) {
      heal();
      heal = nullptr;
      heal_now = nullptr;
    }
    cluster_.Sample();
    CheckAlive();
    if (b % 3 == 2) WaitReplicas();
    SleepMs(0, 40);
  }
}

void FaultRun::EndRound() {
  for (int i = 0; i < Cluster::kNodes; i++) {
    if (!cluster_.up(i)) cluster_.Restart(i);
    cluster_.node(i).link->SetRefusing(false);
  }
  CheckAlive();
  const int p = cluster_.primary();
  for (int r : cluster_.replicas()) {
    WaitCaughtUp(*cluster_.node(p).process, *cluster_.node(r).process);
  }
  Verify();
  cluster_.Sample();
  ClassifySyncs();
  for (int r : cluster_.replicas()) confirmed_[static_cast<size_t>(r)] = model_.seq();
  model_.Settle();
  std::fill(diverged_at_.begin(), diverged_at_.end(), -1);
}

void FaultRun::Verify() {
  const int p = cluster_.primary();
  std::vector<std::vector<Observed>> got(Cluster::kNodes);
  for (int i = 0; i < Cluster::kNodes; i++) {
    RedisConnection c = cluster_.Connect(i);
    got[static_cast<size_t>(i)] = ReadKeys(c.get(), model_.keys());
  }
  const auto& primary = got[static_cast<size_t>(p)];
  for (uint32_t k = 0; k < model_.keys().size(); k++) {
    if (Matches(model_.state(k), primary[k])) continue;
    report_.losses++;
    Report::Add(&report_.loss_examples,
                Where() + ": " + model_.keys()[k] + " on primary " + cluster_.node(p).name +
                    ": expected " + model_.state(k).Describe() + ", found " +
                    primary[k].Describe() + "; history:" + model_.History(k));
    model_.Adopt(k, primary[k]);
  }
  bool divergent = false;
  for (int r : cluster_.replicas()) {
    const auto& replica = got[static_cast<size_t>(r)];
    for (uint32_t k = 0; k < model_.keys().size(); k++) {
      if (SameKey(primary[k], replica[k])) continue;
      divergent = true;
      if (!divergent_.insert({r, k}).second) {
        report_.divergent_carried++;
        continue;
      }
      report_.divergent_keys++;
      Report::Add(&report_.divergence_examples,
                  Where() + ": " + model_.keys()[k] + " on replica " + cluster_.node(r).name +
                      " is " + replica[k].Describe() + ", on primary " + cluster_.node(p).name +
                      " " + primary[k].Describe() + "; history:" + model_.History(k));
    }
  }
  CompareDigests(divergent);
}

// DEBUG DIGEST leaves out keys expired at the moment it runs, so two nodes read a few
// milliseconds apart may differ while a key expires: this polls. DBSIZE counts expired keys
// not yet deleted; reading every key on the primary (as Verify does) deletes those, and the
// DEL frames reach the replicas, so with equal offsets DBSIZE must be equal exactly.
void FaultRun::CompareDigests(bool divergence_known) {
  const int p = cluster_.primary();
  std::vector<RedisConnection> conns;
  for (int i = 0; i < Cluster::kNodes; i++) conns.push_back(cluster_.Connect(i));
  auto offsets = [&] {
    std::vector<int64_t> o;
    for (auto& c : conns) o.push_back(ReplInt(c.get(), "master_repl_offset"));
    return o;
  };
  std::string last;
  int stable_mismatches = 0;
  int size_mismatches = 0;
  const auto deadline = Clock::now() + kSyncTimeout;
  while (true) {
    // Reclaim what expired since the last look, on the primary, so DBSIZE can agree.
    ReadKeys(conns[static_cast<size_t>(p)].get(), model_.keys());
    for (int r : cluster_.replicas()) {
      WaitCaughtUp(*cluster_.node(p).process, *cluster_.node(r).process);
    }
    const std::vector<int64_t> before = offsets();
    std::vector<std::string> digests;
    std::vector<int64_t> sizes;
    for (auto& c : conns) {
      digests.push_back(Digest(c.get()));
      sizes.push_back(DbSizes(c.get(), 1)[0]);
    }
    const std::vector<int64_t> after = offsets();
    const bool stable = before == after && std::all_of(after.begin(), after.end(),
                                                       [&](int64_t o) { return o == after[0]; });
    const bool same_digest =
        std::all_of(digests.begin(), digests.end(), [&](const auto& d) { return d == digests[0]; });
    const bool same_size =
        std::all_of(sizes.begin(), sizes.end(), [&](int64_t s) { return s == sizes[0]; });
    if (stable && same_digest && same_size) return;
    last.clear();
    for (int i = 0; i < Cluster::kNodes; i++) {
      last += cluster_.node(i).name + " digest " + digests[static_cast<size_t>(i)] + " dbsize " +
              std::to_string(sizes[static_cast<size_t>(i)]) + " offset " +
              std::to_string(after[static_cast<size_t>(i)]) + "; ";
    }
    if (stable && !same_size) size_mismatches++;
    if (stable && !same_digest) stable_mismatches++;
    // DBSIZE does not depend on the clock: three stable readings settle it. A digest
    // mismatch is final only once the per-key comparison has shown the divergence.
    if (size_mismatches >= 3 || (divergence_known && stable_mismatches >= 3)) break;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(50ms);
  }
  report_.digest_mismatches++;
  Report::Add(&report_.digest_examples, Where() + ": " + last);
}

void FaultRun::ClassifySyncs() {
  for (const SyncEvent& e : cluster_.TakeSyncEvents()) {
    switch (e.kind) {
      case SyncEvent::Kind::kPartialMemory:
        report_.partial_memory++;
        continue;
      case SyncEvent::Kind::kPartialDisk:
        report_.partial_disk++;
        continue;
      case SyncEvent::Kind::kFuture:
        report_.future++;
        Report::Add(&report_.anomalies,
                    Where() + ": " + cluster_.node(e.primary).name + " refused a PSYNC: " + e.line);
        continue;
      case SyncEvent::Kind::kFull:
        break;
    }
    report_.full++;
    if (e.asked_id == "?") {
      report_.justified_fresh++;
      continue;
    }
    const Identity* id = cluster_.IdentityAt(e.primary, e.wall_ms);
    const bool same_history =
        id != nullptr && (e.asked_id == id->replid ||
                          (e.asked_id == id->replid2 && e.asked_offset <= id->second_offset));
    const int64_t diverged = e.replica >= 0 ? diverged_at_[static_cast<size_t>(e.replica)] : -1;
    if (!same_history && diverged >= 0 && e.asked_offset > diverged) {
      report_.justified_diverged++;
      if (last_fault_.rfind("planned failover", 0) == 0) {
        Report::Add(&report_.observations,
                    Where() + ": " + cluster_.node(e.replica).name +
                        " (the old primary or a replica still following it) asked for offset " +
                        std::to_string(e.asked_offset) + ", past the promotion offset " +
                        std::to_string(diverged) +
                        " (the old primary logged frames after the replicas had caught up: "
                        "expiry DELs), so it needed a full sync");
      }
      continue;
    }
    const std::string replica = e.replica >= 0 ? cluster_.node(e.replica).name : "?";
    std::string why = Where() + ": " + replica + " got a full sync from " +
                      cluster_.node(e.primary).name + " asking for offset " +
                      std::to_string(e.asked_offset) + " of " + e.asked_id + "; ";
    if (id == nullptr) {
      why += "no identity recorded for the primary";
    } else if (same_history) {
      why += "that history continues on the primary (replid " + id->replid + ", replid2 " +
             id->replid2 + " up to " + std::to_string(id->second_offset) +
             "), so only a log that no longer held the offset explains it, with the log far "
             "below logstore.retention_bytes; ";
      if (id->promoted && e.asked_id == id->replid2) {
        why += "the primary was promoted at offset " + std::to_string(id->second_offset) +
               " and the replica asks for the history before that, not ahead of it: the "
               "promoted node's backlog starts where its first replica attached, and its log "
               "was truncated by its own seals while it was a replica";
      } else if (e.slot_known) {
        why += "the primary process had a slot for this replica";
      } else if (e.slot_known_before_restart) {
        why +=
            "the primary had served this replica before it restarted, and its new process "
            "had no slot for it";
      } else {
        why += "the primary never served this replica";
      }
      if (cluster_.up(e.primary)) {
        RedisConnection c = cluster_.Connect(e.primary);
        const std::string info = ReplInfo(c.get());
        why += "; primary now: logstore_first_offset=" + InfoField(info, "logstore_first_offset") +
               " logstore_bytes=" + InfoField(info, "logstore_bytes") +
               " backlog_first_offset=" + InfoField(info, "backlog_first_offset") +
               " master_repl_offset=" + InfoField(info, "master_repl_offset") + " " +
               Show(CountersIn(info));
      }
    } else {
      why += "the primary does not continue that history (replid " + id->replid + ", replid2 " +
             id->replid2 + " up to " + std::to_string(id->second_offset) +
             ") but the test knows of no divergence for this replica (diverged at " +
             std::to_string(diverged) + ")";
    }
    report_.unjustified.push_back(why + "\n      log: " + e.line);
  }
}

Report FaultRun::Run(const fs::path& keep) {
  try {
    cluster_.Start();
    writer_ = cluster_.Connect(cluster_.primary());
    for (int r : cluster_.replicas()) {
      WaitCaughtUp(*cluster_.node(cluster_.primary()).process, *cluster_.node(r).process);
    }
    for (round_ = 1; round_ <= report_.rounds; round_++) {
      Round();
      EndRound();
    }
    last_fault_ = "the last round";
    for (int i = 0; i < Cluster::kNodes; i++) {
      // Shut down the replicas first, so the primary's log holds no unsent frames.
      const int n = (cluster_.primary() + 1 + i) % Cluster::kNodes;
      if (const std::string why = cluster_.Shutdown(n); !why.empty()) {
        Report::Add(&report_.anomalies, "final shutdown: " + why);
      }
    }
    ClassifySyncs();
  } catch (const std::exception& e) {
    report_.anomalies.push_back(Where() + ": the run stopped: " + e.what());
  }
  report_.counters = cluster_.CounterTotals();
  report_.acked = model_.acked();
  const bool found = report_.losses + report_.divergent_keys + report_.digest_mismatches +
                         report_.unjustified.size() + report_.anomalies.size() >
                     0;
  if (found && !keep.empty()) {
    const fs::path to = keep / ("seed-" + std::to_string(report_.seed));
    try {
      cluster_.SaveArtifacts(to);
      std::ofstream(to / "report.txt") << report_.Format();
      std::cout << "fault test: data directories and logs kept in " << to.string() << std::endl;
    } catch (const std::exception& e) {
      std::cout << "fault test: could not keep the artifacts: " << e.what() << std::endl;
    }
  }
  return report_;
}

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::stoull(v) : fallback;
}

TEST_CASE("a primary and two replicas keep every acknowledged write through random faults",
          "[integration][replication][faults]") {
  // One round per fault kind by default: each seed meets every kind once, in its own order.
  const int rounds = static_cast<int>(EnvOr("TIDEKV_FAULT_ROUNDS", std::size(kAllFaults)));
  std::vector<uint64_t> seeds = {20240611, 7};
  if (std::getenv("TIDEKV_FAULT_SEED") != nullptr) seeds = {EnvOr("TIDEKV_FAULT_SEED", 0)};
  for (const uint64_t seed : seeds) {
    std::cout << "fault test: seed " << seed << ", " << rounds << " rounds" << std::endl;
    const auto start = Clock::now();
    TempDir dir;
    FaultRun run(seed, rounds, dir.path());
    const char* keep = std::getenv("TIDEKV_FAULT_KEEP");
    const Report report = run.Run(keep != nullptr ? keep : "");
    std::cout << report.Format() << "  took "
              << std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count()
              << " s" << std::endl;
    INFO("seed " << seed << " (rerun with TIDEKV_FAULT_SEED=" << seed
                 << " TIDEKV_FAULT_ROUNDS=" << rounds << ")\n"
                 << report.Format());
    CHECK(report.losses == 0);
    CHECK(report.divergent_keys == 0);
    CHECK(report.digest_mismatches == 0);
    CHECK(report.unjustified.empty());
    CHECK(report.anomalies.empty());
  }
}

}  // namespace
}  // namespace tidekv::integration::faults
