// SkipList: elements (a double score and member bytes) ordered by score, then by member
// bytewise, with O(log n) insert, erase, rank and rank lookup (Redis's zskiplist: levels
// drawn with p = 1/4, at most 32, and a span per link counting the elements it skips).
//
// Memory: one allocation per element, holding the score, the backward link, the forward
// links of its levels, the spans of its levels above the first (a level-0 link always spans
// one element, so it is not stored) and the member bytes inline. An element of level 1 is a
// 32-byte header plus its member (Redis: a node of 40 bytes plus a separate sds string).
// Spans are 32-bit: a list holds fewer than 2^32 elements.
//
// Nodes are stable: an element keeps its node (and address) until it is erased, also when
// its score changes, so an index keyed on nodes (a ScanTable<SkipList::Node>, whose key is
// the member: no second copy of it) stays valid. The list owns and frees its nodes.
// Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ds/hash.h"
#include "ds/zrange.h"

namespace tidekv::ds {

class SkipList {
 public:
  static constexpr int kMaxLevel = 32;

  class Node {
   public:
    double score() const { return score_; }
    std::string_view member() const { return {MemberBytes(), len_}; }
    Node* next() const { return forward_[0]; }
    Node* prev() const { return backward_; }
    // For a ScanTable<Node> indexing the list by member: the key is the member, and the hash
    // is computed from it (not stored: 8 bytes per element saved).
    std::string_view key() const { return member(); }
    uint64_t hash() const { return HashBytes(member()); }
    void Prefetch() const { __builtin_prefetch(this); }

   private:
    friend class SkipList;
    Node() = default;
    uint32_t span(int i) const { return i == 0 ? 1 : Spans()[i - 1]; }
    void set_span(int i, uint32_t v) {
      if (i > 0) Spans()[i - 1] = v;
    }
    uint32_t* Spans() const {
      return reinterpret_cast<uint32_t*>(const_cast<Node**>(forward_) + level_);
    }
    const char* MemberBytes() const {
      return reinterpret_cast<const char*>(Spans() + (level_ - 1));
    }

    double score_ = 0;
    Node* backward_ = nullptr;
    uint32_t len_ = 0;
    uint8_t level_ = 0;
    // Followed by: Node* forward_[level_]; uint32_t spans[level_ - 1]; char member[len_].
    Node* forward_[];
  };

  SkipList();
  ~SkipList();
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  size_t size() const { return length_; }
  Node* First() const { return header_->forward_[0]; }
  Node* Last() const { return tail_; }

  // Inserts an element whose member is not in the list (the caller's index knows).
  Node* Insert(double score, std::string_view member);
  // Unlinks and frees n.
  void Erase(Node* n);
  // Gives n a new score, moving it where the order wants it (the node stays the same).
  void UpdateScore(Node* n, double score);

  // n's 1-based rank (position from the lowest element).
  size_t Rank(const Node* n) const;
  // The element of 1-based rank `rank`, nullptr outside 1..size().
  Node* AtRank(size_t rank) const;

  // The first / last element inside the range, nullptr when none is.
  Node* FirstInRange(const ScoreRange& range) const;
  Node* LastInRange(const ScoreRange& range) const;
  Node* FirstInRange(const LexRange& range) const;
  Node* LastInRange(const LexRange& range) const;

  // Heap bytes held by the nodes (the allocator's sizes), kept as nodes come and go.
  size_t MemoryBytes() const { return bytes_; }

 private:
  static Node* Allocate(int level, double score, std::string_view member, size_t* bytes);
  static int RandomLevel();
  // Links x (its level, score and member set) at its place in the order.
  void Link(Node* x);
  // Unlinks x without freeing it.
  void Unlink(Node* x);
  void Free(Node* x);

  Node* header_;
  Node* tail_ = nullptr;
  size_t length_ = 0;
  size_t bytes_ = 0;
  int level_ = 1;
};

}  // namespace tidekv::ds
