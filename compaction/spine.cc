#include "compaction/spine.h"

#include <algorithm>
#include <limits>

#include "common/check.h"

namespace tidekv::compaction {

Spine::Spine(std::vector<BatchMeta> batches) : batches_(std::move(batches)) {
  // The manifest decoder already refuses a broken chain; a spine built from anything else
  // that does not chain is a bug in the caller.
  for (size_t i = 0; i < batches_.size(); i++) {
    TIDEKV_CHECK(batches_[i].lower <= batches_[i].upper);
    if (i > 0) TIDEKV_CHECK(batches_[i - 1].upper == batches_[i].lower);
  }
}

void Spine::Append(const BatchMeta& batch) {
  TIDEKV_CHECK(batch.lower <= batch.upper);
  TIDEKV_CHECK(batches_.empty() || batch.lower == upper());
  batches_.push_back(batch);
}

std::optional<MergeTask> Spine::NextMerge(size_t max_inflight) {
  if (inflight() >= max_inflight) return std::nullopt;
  const uint64_t limit = since();
  for (size_t i = 0; i + 1 < batches_.size(); i++) {
    const BatchMeta& older = batches_[i];
    const BatchMeta& newer = batches_[i + 1];
    // Uppers never decrease along the spine, so once one is past the hold, all later
    // pairs are too.
    if (newer.upper > limit) break;
    if (older.level != newer.level) continue;
    if (busy_.count(older.id) != 0 || busy_.count(newer.id) != 0) continue;
    busy_.insert(older.id);
    busy_.insert(newer.id);
    return MergeTask{older, newer, /*into_oldest=*/i == 0};
  }
  return std::nullopt;
}

bool Spine::ApplyMerge(const MergeTask& task, const BatchMeta& merged) {
  auto it = std::find_if(batches_.begin(), batches_.end(),
                         [&](const BatchMeta& b) { return b.id == task.older.id; });
  if (it == batches_.end() || it + 1 == batches_.end() || (it + 1)->id != task.newer.id) {
    return false;
  }
  // The result must cover exactly what it replaces, or the chain would break.
  if (merged.lower != it->lower || merged.upper != (it + 1)->upper) return false;
  *it = merged;
  batches_.erase(it + 1);
  busy_.erase(task.older.id);
  busy_.erase(task.newer.id);
  return true;
}

std::vector<BatchMeta> Spine::ReplaceAll(const BatchMeta& batch) {
  TIDEKV_CHECK(batches_.empty() || batch.lower == lower());
  std::vector<BatchMeta> old;
  old.swap(batches_);
  batches_.push_back(batch);
  busy_.clear();
  return old;
}

void Spine::AbortMerge(const MergeTask& task) {
  busy_.erase(task.older.id);
  busy_.erase(task.newer.id);
}

uint32_t Spine::MergedLevel(const BatchMeta& older, const BatchMeta& newer, uint64_t result_bytes) {
  const uint32_t level = std::max(older.level, newer.level);
  // Rising only when the result outgrew both inputs keeps levels roughly geometric in size:
  // a merge that mostly cancelled out (overwrites, deletes) stays at its level and is
  // merged again with its peers instead of being promoted with little data in it.
  return result_bytes > older.bytes && result_bytes > newer.bytes ? level + 1 : level;
}

uint64_t Spine::AddHold(uint64_t offset) {
  const uint64_t id = next_hold_id_++;
  holds_.emplace(id, offset);
  return id;
}

void Spine::ReleaseHold(uint64_t hold_id) { holds_.erase(hold_id); }

uint64_t Spine::since() const {
  uint64_t lowest = std::numeric_limits<uint64_t>::max();
  for (const auto& [id, offset] : holds_) lowest = std::min(lowest, offset);
  return lowest;
}

}  // namespace tidekv::compaction
