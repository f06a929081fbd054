// OrderTree: elements (a double score and member bytes) ordered by score, then by member
// bytewise, in a B+tree whose internal nodes count the elements under each child (an
// order-statistic B+tree): O(log n) insert, erase, re-score, rank and rank lookup, like
// SkipList, with far fewer cache misses per operation (a descent reads about one node per
// level, each a few cache lines, instead of chasing one pointer per skipped element).
//
// Layout. Elements are heap records of their own (Elem: score, member length and member
// bytes inline, one allocation each) that keep their address for life, also across
// UpdateScore, so an index keyed on them (a ScanTable<OrderTree::Elem>, whose key is the
// member: no second copy of it) stays valid. Leaves hold {score, Elem*} entries inline (the
// scores in one array, the pointers in another), so a descent compares scores without
// touching elements; only equal scores look at member bytes. Internal nodes hold, per child,
// the child pointer, the number of elements under it and a separator: the exact smallest
// (score, Elem*) of that child's subtree (the first child's is not kept), so an element can
// be found again from its own score and member. Leaves are doubly linked for iteration.
// Nodes are whole cache lines, allocated 64-byte aligned through operator new; every node
// but the root is at least half full (erase borrows from or merges with a sibling).
//
// Memory per element: the Elem (12 bytes + member, in the allocator's size class) and a
// 16-byte leaf entry; leaves run ~80% full after random inserts (a full leaf first hands
// entries to a sibling with room, and splits only when neither has any), ~93% after inserts
// in order, and internal nodes add under 1 byte. With 12-byte members under mimalloc: 52
// bytes an element (50 loaded in order) against SkipList's 53 (a node is 24 bytes + 12 per
// level, 1.33 levels on average, + member). tests/bench/order_tree_bench.cc measures both.
//
// Elements are not found by member here: the caller keeps an index (a sorted set's
// ScanTable) and guarantees members are unique. Not thread-safe (the loop thread owns it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "ds/hash.h"
#include "ds/zrange.h"

namespace tidekv::ds {

class OrderTree {
 public:
  // Node sizes (bytes, multiples of 64; 62 entries a leaf, 36 children an internal node).
  // Chosen with tests/bench/order_tree_bench.cc (docs/performance.md, "Ordered structure
  // for large sorted sets"). mimalloc gives a 64-byte-aligned 2048-byte block 2560 bytes.
  static constexpr size_t kLeafBytes = 1024;
  static constexpr size_t kInnerBytes = 1024;

  class Elem {
   public:
    double score() const { return score_; }
    std::string_view member() const { return {bytes_, len_}; }
    // For a ScanTable<Elem> indexing the tree by member: the key is the member, and the hash
    // is computed from it (not stored).
    std::string_view key() const { return member(); }
    uint64_t hash() const { return HashBytes(member()); }
    void Prefetch() const { __builtin_prefetch(this); }

   private:
    friend class OrderTree;
    Elem() = default;
    double score_ = 0;
    uint32_t len_ = 0;
    char bytes_[];  // len_ bytes
  };

 private:
  struct alignas(64) Leaf {
    static constexpr uint32_t kCap = (kLeafBytes - 24) / 16;
    Leaf* prev;
    Leaf* next;
    uint32_t n;
    double scores[kCap];
    Elem* elems[kCap];
  };
  struct alignas(64) Inner {
    static constexpr uint32_t kCap = (kInnerBytes - 8) / 28;
    uint32_t n;
    uint32_t counts[kCap];  // elements under each child
    double keys[kCap];      // separators: the smallest score under each child ([0] unused)
    Elem* key_elems[kCap];  // ... and its element (for equal scores)
    void* children[kCap];   // Inner* above the lowest level, else Leaf*
  };
  static_assert(sizeof(Leaf) == kLeafBytes && sizeof(Inner) == kInnerBytes);
  static constexpr uint32_t kLeafMin = Leaf::kCap / 2;
  static constexpr uint32_t kInnerMin = Inner::kCap / 2;
  static constexpr int kMaxHeight = 24;  // a height of 24 holds far more than 2^32 elements

 public:
  // A position in the order (an element and its neighbours); invalid past either end. Any
  // change to the tree invalidates it.
  class Iterator {
   public:
    bool Valid() const { return leaf_ != nullptr; }
    Elem* elem() const { return leaf_->elems[pos_]; }
    void Next() {
      if (++pos_ == leaf_->n) {
        leaf_ = leaf_->next;
        pos_ = 0;
      }
    }
    void Prev() {
      if (pos_ > 0) {
        pos_--;
        return;
      }
      leaf_ = leaf_->prev;
      pos_ = leaf_ != nullptr ? leaf_->n - 1 : 0;
    }

   private:
    friend class OrderTree;
    Iterator(const Leaf* leaf, uint32_t pos) : leaf_(leaf), pos_(pos) {}
    const Leaf* leaf_;
    uint32_t pos_;
  };

  OrderTree() = default;
  ~OrderTree();
  OrderTree(const OrderTree&) = delete;
  OrderTree& operator=(const OrderTree&) = delete;

  size_t size() const { return size_; }
  Elem* First() const { return head_ != nullptr ? head_->elems[0] : nullptr; }
  Elem* Last() const { return tail_ != nullptr ? tail_->elems[tail_->n - 1] : nullptr; }

  // Inserts an element whose member is not in the tree (the caller's index knows).
  Elem* Insert(double score, std::string_view member);
  // Removes and frees e.
  void Erase(Elem* e);
  // Gives e a new score, moving it where the order wants it (e stays the same record).
  void UpdateScore(Elem* e, double score);

  // e's 1-based rank (position from the lowest element).
  size_t Rank(const Elem* e) const;
  // The element of 1-based rank `rank`, nullptr outside 1..size().
  Elem* AtRank(size_t rank) const;
  // An iterator at 1-based rank `rank` (invalid outside 1..size()): AtRank, then Next/Prev
  // walk the neighbours in O(1) each.
  Iterator IterAtRank(size_t rank) const;

  // The first / last element inside the range, nullptr when none is. The lex forms assume
  // the order by member is the order by (score, member), i.e. all scores are equal (as
  // Redis's ZRANGEBYLEX does).
  Elem* FirstInRange(const ScoreRange& range) const;
  Elem* LastInRange(const ScoreRange& range) const;
  Elem* FirstInRange(const LexRange& range) const;
  Elem* LastInRange(const LexRange& range) const;

  // Removes the elements of 1-based ranks first..last (clamped to 1..size()), calling
  // on_erase(Elem*) for each, lowest first, before it is freed (so the caller can drop it
  // from its index). Returns how many went. One descent per leaf touched, not per element.
  template <typename Fn>
  size_t EraseRanks(size_t first, size_t last, Fn&& on_erase) {
    using F = std::remove_reference_t<Fn>;  // const when on_erase is
    return EraseRanks(first, last, const_cast<void*>(static_cast<const void*>(&on_erase)),
                      [](void* fn, Elem* e) { (*static_cast<F*>(fn))(e); });
  }

  // Heap bytes held by the elements and nodes (the allocator's sizes), kept as they come and
  // go; 0 for an empty tree.
  size_t MemoryBytes() const { return bytes_; }

  // Tests: checks every structural invariant (counts, separators, order, fill, links, height,
  // MemoryBytes) and aborts on the first broken one.
  void CheckInvariants() const;

 private:
  struct Step {
    Inner* node;
    uint32_t idx;
  };
  struct Path {
    Step steps[kMaxHeight];  // steps[0] is the root; steps[height_ - 1] the leaf's parent
  };

  Elem* NewElem(double score, std::string_view member);
  void FreeElem(Elem* e);
  Leaf* NewLeaf();
  Inner* NewInner();
  void FreeLeaf(Leaf* l);
  void FreeInner(Inner* in);
  void FreeSubtree(void* node, int level);

  // The leaf where (score, member) belongs (or is), with the path to it.
  Leaf* Descend(double score, std::string_view member, Path* path) const;
  // e's leaf and position in it, with the path.
  Leaf* Locate(const Elem* e, Path* path, uint32_t* pos) const;
  // The leaf and position of 0-based index k < size_, with the path.
  Leaf* DescendIndex(size_t k, Path* path, uint32_t* pos) const;
  // Links e (score and member set) at its place in the order.
  void Link(Elem* e);
  // Makes room in the full leaf (child step.idx of step.node) by moving entries to a
  // sibling, and inserts e at pos; false when neither sibling has room.
  bool ShareWithSibling(Step step, Leaf* leaf, uint32_t pos, Elem* e);
  // Removes m entries at pos of leaf (not freeing their elements), then rebalances.
  void RemoveRun(Path* path, Leaf* leaf, uint32_t pos, uint32_t m);
  void Rebalance(Path* path, Leaf* leaf);
  // Fixes the underfull child c of p by redistributing with or merging into a sibling;
  // true when p lost a child.
  bool FixLeaf(Inner* p, uint32_t c);
  bool FixInner(Inner* p, uint32_t c);
  // The separator that bounds the subtree of path's leaf from below (the deepest step that
  // is not a first child), or nullptr when the leaf is the first leaf.
  static Step* Holder(Path* path, int height);

  size_t EraseRanks(size_t first, size_t last, void* ctx, void (*fn)(void*, Elem*));

  template <typename Pred>
  Iterator FirstWhere(Pred pred) const;
  template <typename Pred>
  Iterator LastWhere(Pred pred) const;
  size_t CheckSubtree(const void* node, int level, const Elem** min, const Elem** max,
                      const Leaf** prev_leaf, size_t* bytes) const;

  void* root_ = nullptr;
  Leaf* head_ = nullptr;  // first and last leaf
  Leaf* tail_ = nullptr;
  size_t size_ = 0;
  size_t bytes_ = 0;
  int height_ = 0;  // internal levels above the leaves (0: the root is a leaf)
};

}  // namespace tidekv::ds
