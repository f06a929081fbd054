// Quicklist: a sequence of byte strings, as Redis's quicklist: listpack nodes, each within a
// per-node limit (Redis's list-max-listpack-size "fill": positive = at most that many
// elements, -1..-5 = at most 4..64 KiB; a node always takes at least one element).
//
// A sequence that fits one node is kept as that bare listpack, with no node structure
// (single(): what Redis 7.2 calls the "listpack" encoding); past that it is a deque of nodes.
// The deque (rather than Redis's linked list) gives O(1) ends and O(log n) lookup by id.
//
// Every node has a stable 64-bit id; ids increase from head to tail, so rows keyed by the
// big-endian id sort in list order (element rows in batches). A new head node takes
// head - 2^32, a new tail node tail + 2^32, a node inserted between two the midpoint; only
// when no id is left there are all nodes renumbered. The single listpack is node kFirstId.
// Every node a change touches (added, modified or removed) is reported to the observer.
//
// With compress_depth > 0, the nodes more than that many nodes from either end are kept LZ4
// compressed (when that saves bytes, as Redis keeps them LZF compressed); reads decompress
// into a scratch copy, writes decompress the node in place and recompress it afterwards.
//
// Indexes are 0-based from the head; callers resolve negative ones. Element access walks
// the nodes from the nearer end, then one node: O(nodes + node), never O(elements). Not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ds/listpack.h"

namespace tidekv::ds {

class NodeObserver {
 public:
  virtual void NodeChanged(uint64_t id) = 0;  // added, modified or removed

 protected:
  ~NodeObserver() = default;
};

// What a change needs to know beyond its arguments (the caller's current settings).
struct QuicklistOptions {
  int64_t fill = -2;           // list-max-listpack-size
  int64_t compress_depth = 0;  // list-compress-depth
  NodeObserver* observer = nullptr;
};

class Quicklist {
 public:
  static constexpr uint64_t kFirstId = uint64_t{1} << 63;
  static constexpr uint64_t kIdGap = uint64_t{1} << 32;

  Quicklist() = default;
  ~Quicklist();
  Quicklist(const Quicklist& other);
  Quicklist& operator=(const Quicklist&) = delete;
  Quicklist(Quicklist&&) noexcept;
  Quicklist& operator=(Quicklist&&) noexcept;

  bool single() const { return m_ == nullptr; }
  size_t size() const;
  bool empty() const { return size() == 0; }
  size_t node_count() const;
  size_t compressed_nodes() const;
  size_t bytes() const;  // heap bytes held (nodes, listpacks, compressed forms)

  void Push(bool front, std::string_view value, const QuicklistOptions& opt);
  // Appends values in order, packing nodes full (bulk loads).
  void AppendAll(std::span<const std::string_view> values, const QuicklistOptions& opt);
  // Removes and returns the first (front) or last element; the list must not be empty.
  std::string Pop(bool front, const QuicklistOptions& opt);
  std::string At(size_t index) const;
  void Set(size_t index, std::string_view value, const QuicklistOptions& opt);
  // Inserts before the element at index; index == size() appends.
  void Insert(size_t index, std::string_view value, const QuicklistOptions& opt);
  // Removes count elements from index on (as many as there are).
  void Erase(size_t index, size_t count, const QuicklistOptions& opt);
  // Removes elements equal to value, at most limit of them (0: all), the first ones from
  // the head, or from the tail when from_tail. Returns how many.
  size_t RemoveEqual(std::string_view value, size_t limit, bool from_tail,
                     const QuicklistOptions& opt);

  // fn(index, value) -> bool from the element at `from` towards the tail (forward) or the
  // head, until fn returns false or the end. The view lives until fn returns; fn must not
  // modify the list.
  template <typename Fn>
  void Walk(size_t from, bool forward, Fn&& fn) const;

  // Nodes by id (element rows): fn(id, the node's listpack bytes) in list order.
  template <typename Fn>
  void ForEachNode(Fn&& fn) const;
  // The listpack bytes of node id into *out; false when there is no such node.
  bool NodeRaw(uint64_t id, std::string* out) const;
  // Sets node id to the listpack `raw` (remove: deletes it), keeping nodes in id order;
  // false (nothing changed) when raw is not a valid listpack with at least one element.
  // Reports nothing to an observer: it reproduces a state written before (loading).
  bool ApplyNode(uint64_t id, std::string_view raw, bool remove);
  std::vector<uint64_t> NodeIds() const;

 private:
  struct Node {
    uint64_t id = 0;
    Listpack lp;                      // the elements; empty while compressed
    unsigned char* packed = nullptr;  // while compressed: u32 raw bytes, u32 size, LZ4 bytes
    uint32_t count = 0;
    bool incompressible = false;  // compression saved nothing (until the node changes)

    Node() = default;
    Node(uint64_t node_id, Listpack elements);
    ~Node();
    Node(const Node& other);
    Node& operator=(const Node&) = delete;
    Node(Node&& other) noexcept;
    Node& operator=(Node&& other) noexcept;
    size_t raw_bytes() const;
  };
  // The byte offsets of the tail node's elements, so that popping from the tail does not
  // walk that node (a listpack is forward-only): built by the first tail pop, kept while
  // pops take from it, dropped by anything else that changes that node (Mut) or the nodes
  // (insert, erase, renumber, apply).
  struct TailOffsets {
    bool valid = false;
    uint64_t id = 0;
    std::vector<uint32_t> offsets;
  };
  struct Multi {
    std::deque<Node> nodes;
    size_t count = 0;
    TailOffsets tail;
  };

  // The node's elements: the node's own listpack, or decompressed into *scratch.
  const Listpack& View(size_t i, Listpack* scratch) const;
  // The node's listpack for writing (decompressed in place); notes the node as changed.
  Listpack& Mut(size_t i, const QuicklistOptions& opt);
  // Node and offset in it of element index (index < size(), multi).
  std::pair<size_t, size_t> Locate(size_t index) const;
  // Walks one listpack from offset k (whose list index is `index`); false when fn stopped.
  template <typename Fn>
  static bool WalkNode(const Listpack& lp, size_t k, bool forward, size_t index, Fn& fn);

  void Note(uint64_t id, const QuicklistOptions& opt) const;
  void ForgetTail() { m_->tail.valid = false; }
  // The offset of node i's last element (i is the tail node), from TailOffsets.
  uint32_t TailLast(size_t i, const Listpack& lp);
  void Expand();  // single -> multi: the listpack becomes node kFirstId
  void MaybeCollapse(const QuicklistOptions& opt);
  // An id for a node about to be inserted at position pos (renumbering when none is left).
  uint64_t IdAt(size_t pos, const QuicklistOptions& opt);
  void Renumber(const QuicklistOptions& opt);
  void InsertNode(size_t pos, Listpack lp, const QuicklistOptions& opt);
  void EraseNodes(size_t pos, size_t n, const QuicklistOptions& opt);
  // Splits node i into nodes within the limit; returns how many nodes it became.
  size_t Split(size_t i, const QuicklistOptions& opt);
  bool TryMerge(size_t i, const QuicklistOptions& opt);  // node i+1 into node i, if it fits
  // After changes inside nodes lo..hi: drops empty nodes, splits full ones, merges small
  // neighbours, settles compression, and goes back to a single listpack when small.
  void Normalize(size_t lo, size_t hi, const QuicklistOptions& opt);
  static Listpack Unpacked(const Node& n);  // a compressed node's elements
  static void Compress(Node& n);
  static void Decompress(Node& n);
  void SettleEnds(const QuicklistOptions& opt);
  void SettleAll(const QuicklistOptions& opt);

  Listpack lp_;               // single: the whole sequence
  std::unique_ptr<Multi> m_;  // multi: the nodes
};

template <typename Fn>
bool Quicklist::WalkNode(const Listpack& lp, size_t k, bool forward, size_t index, Fn& fn) {
  char buf[24];
  if (forward) {
    for (uint32_t p = lp.Seek(k); p != Listpack::kEnd; p = lp.Next(p)) {
      if (!fn(index++, lp.Get(p, buf))) return false;
    }
    return true;
  }
  std::vector<uint32_t> positions;
  positions.reserve(k + 1);
  uint32_t p = lp.First();
  for (size_t j = 0; j <= k; j++) {
    positions.push_back(p);
    if (j < k) p = lp.Next(p);
  }
  for (size_t j = positions.size(); j-- > 0;) {
    if (!fn(index--, lp.Get(positions[j], buf))) return false;
  }
  return true;
}

template <typename Fn>
void Quicklist::Walk(size_t from, bool forward, Fn&& fn) const {
  if (from >= size()) return;
  if (single()) {
    WalkNode(lp_, from, forward, from, fn);
    return;
  }
  auto [ni, k] = Locate(from);
  const std::deque<Node>& nodes = m_->nodes;
  Listpack scratch;
  size_t index = from;
  if (forward) {
    for (size_t i = ni; i < nodes.size(); i++) {
      if (!WalkNode(View(i, &scratch), k, true, index, fn)) return;
      index += nodes[i].count - k;
      k = 0;
    }
    return;
  }
  for (size_t i = ni + 1; i-- > 0;) {
    if (!WalkNode(View(i, &scratch), k, false, index, fn)) return;
    if (i == 0) return;
    index -= k + 1;
    k = nodes[i - 1].count - 1;
  }
}

template <typename Fn>
void Quicklist::ForEachNode(Fn&& fn) const {
  if (single()) {
    if (!lp_.empty()) fn(kFirstId, lp_.Raw());
    return;
  }
  Listpack scratch;
  for (size_t i = 0; i < m_->nodes.size(); i++) fn(m_->nodes[i].id, View(i, &scratch).Raw());
}

}  // namespace tidekv::ds
