#include "replication/source.h"

#include <algorithm>
#include <iterator>
#include <limits>

#include "common/check.h"

namespace tidekv::replication {
namespace {

// Frames are packed until a block would exceed this; a larger frame gets a block of its
// own. 64 KiB keeps the per-block overhead (one allocation, one deque slot) small next to
// the data, while a freed block returns memory in steps small against any sane budget.
constexpr size_t kBlockBytes = 64 * 1024;

}  // namespace

Source::Source(uint64_t budget_bytes, uint64_t next_offset)
    : budget_(budget_bytes),
      first_offset_(next_offset),
      next_offset_(next_offset),
      // Whatever came before next_offset is not ours to keep: treat it as durable.
      durable_next_(next_offset) {}

uint64_t Source::Push(std::string_view frame) {
  // Frame ends are stored as u32 positions inside their block.
  TIDEKV_CHECK(frame.size() <= std::numeric_limits<uint32_t>::max());
  if (blocks_.empty() || blocks_.back().data.size() + frame.size() > kBlockBytes) {
    Block& block = blocks_.emplace_back();
    block.first_offset = next_offset_;
    // One allocation for the block's lifetime: appends below never reallocate.
    block.data.reserve(std::max(kBlockBytes, frame.size()));
    memory_bytes_ += BlockMemory(block);
  }
  Block& block = blocks_.back();
  const uint64_t before = BlockMemory(block);
  block.data.append(frame);
  block.ends.push_back(static_cast<uint32_t>(block.data.size()));
  memory_bytes_ += BlockMemory(block) - before;
  bytes_ += frame.size();
  const uint64_t offset = next_offset_++;
  EvictWhile(durable_next_, budget_);
  return offset;
}

void Source::Reset(uint64_t next_offset) {
  blocks_.clear();
  memory_bytes_ = 0;
  first_offset_ = next_offset;
  next_offset_ = next_offset;
  durable_next_ = next_offset;
  bytes_ = 0;
}

Source::Read Source::FramesFrom(uint64_t offset, size_t max_bytes, std::string* out,
                                uint64_t* next) const {
  *next = offset;
  if (offset < first_offset_) return Read::kTooOld;
  if (offset > next_offset_) return Read::kFuture;
  if (offset == next_offset_) return Read::kOk;

  // The block holding offset: the last one starting at or before it.
  auto it =
      std::upper_bound(blocks_.begin(), blocks_.end(), offset,
                       [](uint64_t off, const Block& block) { return off < block.first_offset; });
  TIDEKV_CHECK(it != blocks_.begin());
  --it;

  size_t appended = 0;
  size_t index = offset - it->first_offset;
  for (; it != blocks_.end(); ++it, index = 0) {
    const Block& block = *it;
    const size_t start = index == 0 ? 0 : block.ends[index - 1];
    // The first frame whose end brings the total to max_bytes is the last one taken; when
    // the block runs out before that, take the rest of it and go on to the next block.
    // (Compared as lengths from start, so max_bytes near SIZE_MAX cannot overflow.)
    const size_t want = max_bytes - appended;
    auto last = std::lower_bound(block.ends.begin() + index, block.ends.end(), want,
                                 [start](uint32_t end, size_t w) { return end - start < w; });
    const bool done = last != block.ends.end();
    if (!done) --last;
    const size_t end = *last;
    out->append(block.data, start, end - start);
    appended += end - start;
    *next = block.first_offset + static_cast<uint64_t>(std::distance(block.ends.begin(), last)) + 1;
    if (done) break;
  }
  return Read::kOk;
}

void Source::SetDurable(uint64_t durable_next) { durable_next_ = durable_next; }

void Source::DropUpTo(uint64_t watermark) {
  EvictWhile(std::min(watermark, durable_next_), std::min(floor_, budget_));
}

void Source::SetBudget(uint64_t budget_bytes) {
  budget_ = budget_bytes;
  EvictWhile(durable_next_, budget_);
}

void Source::EvictOne() {
  Block& block = blocks_.front();
  const size_t start = block.dropped == 0 ? 0 : block.ends[block.dropped - 1];
  bytes_ -= block.ends[block.dropped] - start;
  block.dropped++;
  first_offset_++;
  // The block's memory goes as soon as none of its frames is held any more.
  if (block.dropped == block.ends.size()) {
    memory_bytes_ -= BlockMemory(block);
    blocks_.pop_front();
  }
}

void Source::EvictWhile(uint64_t limit_offset, uint64_t keep_bytes) {
  // frames() > 1: the newest frame always stays (DESIGN.md §4), whatever its size.
  while (frames() > 1 && first_offset_ < limit_offset && bytes_ > keep_bytes) {
    EvictOne();
  }
}

}  // namespace tidekv::replication
