// Spine: the ordered list of batches and the rule that decides which to merge, after
// differential dataflow's spine (and Materialize persist's): merge the oldest adjacent
// pair of equal level whose newer upper is at or below `since`; the result's level rises
// (max + 1) only when it is larger (bytes) than both inputs, else it keeps the level; a
// merge into the oldest batch drops tombstones and expired states.
//
// since and holds: since() is the smallest held offset (no holds: unbounded). A full sync
// in progress holds the batches it ships by holding their upper, so no merge replaces them
// while they are read.
//
// In-flight merges: a task's inputs are marked busy until ApplyMerge or AbortMerge, and
// NextMerge never hands out busy batches; at most max_inflight tasks exist. ApplyMerge
// replaces the inputs only if they are still adjacent in the spine (they always are with
// this rule, but the check guards against future callers). Pure data structure: no I/O,
// no threads; the server runs it on the loop thread and the merge itself on the pool.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "compaction/batch.h"

namespace tidekv::compaction {

struct MergeTask {
  BatchMeta older;
  BatchMeta newer;
  bool into_oldest = false;  // older is the first batch of the spine
};

class Spine {
 public:
  // batches oldest first, contiguous (checked), e.g. from a decoded manifest.
  explicit Spine(std::vector<BatchMeta> batches = {});

  const std::vector<BatchMeta>& batches() const { return batches_; }
  uint64_t lower() const { return batches_.empty() ? 0 : batches_.front().lower; }
  // Offset the next sealed batch must start at (0 when empty).
  uint64_t upper() const { return batches_.empty() ? 0 : batches_.back().upper; }

  // Adds a newly sealed batch; its lower must equal upper() (or the spine is empty).
  // Checked (TIDEKV_CHECK): a gap or overlap would make the durable image wrong.
  void Append(const BatchMeta& batch);

  // Replaces every batch by one that holds the whole state up to its upper (a full
  // snapshot); its lower must be lower() (any when empty). Merges in flight are forgotten
  // (ApplyMerge then refuses them); holds stay. Returns the replaced batches.
  std::vector<BatchMeta> ReplaceAll(const BatchMeta& batch);

  // The next merge to run, or nullopt. Marks the inputs busy.
  std::optional<MergeTask> NextMerge(size_t max_inflight);
  // Replaces the task's inputs by merged (level given by the caller per the rule, see
  // MergedLevel). Returns false, changing nothing, when the inputs are no longer adjacent
  // or merged does not cover exactly [older.lower, newer.upper); the inputs then stay busy
  // until the caller calls AbortMerge (and deletes the merged file).
  bool ApplyMerge(const MergeTask& task, const BatchMeta& merged);
  // Forgets a task that failed; its inputs become eligible again.
  void AbortMerge(const MergeTask& task);
  size_t inflight() const { return busy_.size() / 2; }

  // The level a merge result gets: max(levels) + 1 when result_bytes exceeds both inputs'
  // bytes, else max(levels).
  static uint32_t MergedLevel(const BatchMeta& older, const BatchMeta& newer,
                              uint64_t result_bytes);

  // since holds.
  uint64_t AddHold(uint64_t offset);  // returns a hold id
  void ReleaseHold(uint64_t hold_id);
  uint64_t since() const;  // UINT64_MAX without holds

 private:
  std::vector<BatchMeta> batches_;
  std::set<uint64_t> busy_;             // batch ids in flight
  std::map<uint64_t, uint64_t> holds_;  // hold id -> offset
  uint64_t next_hold_id_ = 1;
};

}  // namespace tidekv::compaction
