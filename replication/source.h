// Source: the primary's memory backlog of encoded replication frames (DESIGN.md §4).
//
// Frames arrive in offset order (Push) and are kept within a byte budget. A replica that
// resumes at some offset reads the frames from there (FramesFrom); when that offset is
// older than the backlog it is served from the log store instead (TooOld), and an offset
// beyond what we have ever produced means the peer claims a history we never had (Future).
//
// Eviction never loses history: a frame is evicted (oldest first, while over budget) only
// once it is in the log store (below the durable offset given to SetDurable), and the
// newest frame is always kept. DropUpTo releases frames every replica has acked, so memory
// follows the slowest replica rather than the budget when all are caught up, except for a
// floor (SetFloor) of the newest frames kept as Redis keeps its fixed backlog: a replica this
// node does not know yet (a former primary rejoining after a failover) can still resume.
//
// Storage: frames are packed into blocks of about 64 KiB (one allocation per block, not per
// frame) with each frame's end position; offsets are implicit (block first offset + index).
// Loop thread only; no locking.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::replication {

class Source {
 public:
  // next_offset: the offset the first pushed frame will have.
  explicit Source(uint64_t budget_bytes, uint64_t next_offset = 0);

  // Appends the encoded frame for offset next_offset() (the caller encoded it with that
  // offset) and evicts old frames if over budget. Returns the frame's offset.
  uint64_t Push(std::string_view frame);

  // Forgets every frame and continues at next_offset (a full sync installed a new history,
  // or the node switched to a new replid). first_offset() == next_offset() afterwards.
  void Reset(uint64_t next_offset);

  enum class Read { kOk, kTooOld, kFuture };
  // Appends to *out the frames from `offset` on, whole frames only, stopping once at least
  // max_bytes were appended (always at least one frame when one is available). *next is
  // the offset after the last frame appended (== offset when none). kTooOld: offset is
  // below first_offset(); kFuture: offset is above next_offset(). offset == next_offset()
  // is kOk with nothing appended (caught up).
  Read FramesFrom(uint64_t offset, size_t max_bytes, std::string* out, uint64_t* next) const;

  // Frames below durable_next are in the log store and may be evicted. Only records the
  // offset: the eviction itself happens on the next Push, SetBudget or DropUpTo.
  void SetDurable(uint64_t durable_next);
  // Frames below watermark are not needed by any replica: evicts those that are durable,
  // even under budget (never the newest frame).
  void DropUpTo(uint64_t watermark);
  // Changes the budget (CONFIG SET replication.backlog_bytes); evicts as Push would.
  void SetBudget(uint64_t budget_bytes);
  // Bytes of the newest frames DropUpTo keeps (capped by the budget); 0 by default.
  void SetFloor(uint64_t floor_bytes) { floor_ = floor_bytes; }

  uint64_t first_offset() const { return first_offset_; }  // oldest frame held
  uint64_t next_offset() const { return next_offset_; }    // offset the next Push gets
  uint64_t frames() const { return next_offset_ - first_offset_; }
  uint64_t bytes() const { return bytes_; }  // frame bytes held
  // Heap bytes the blocks hold (their reserved data and frame-end arrays).
  uint64_t memory_bytes() const { return memory_bytes_; }
  uint64_t budget() const { return budget_; }
  uint64_t durable_next() const { return durable_next_; }

 private:
  struct Block {
    uint64_t first_offset = 0;
    size_t dropped = 0;          // frames at the front already evicted
    std::string data;            // frames back to back
    std::vector<uint32_t> ends;  // end position of each frame in data
  };
  static uint64_t BlockMemory(const Block& block) {
    return block.data.capacity() + block.ends.capacity() * sizeof(uint32_t);
  }
  // Evicts the oldest frame; the caller checked it may go.
  void EvictOne();
  // Evicts oldest first while the oldest is below limit_offset and bytes() > keep_bytes,
  // always keeping the newest frame.
  void EvictWhile(uint64_t limit_offset, uint64_t keep_bytes);

  std::deque<Block> blocks_;
  uint64_t budget_;
  uint64_t floor_ = 0;
  uint64_t first_offset_;
  uint64_t next_offset_;
  uint64_t durable_next_ = 0;
  uint64_t bytes_ = 0;
  uint64_t memory_bytes_ = 0;
};

}  // namespace tidekv::replication
