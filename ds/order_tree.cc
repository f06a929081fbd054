#include "ds/order_tree.h"

#include <malloc.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "common/check.h"

namespace tidekv::ds {

namespace {

constexpr std::align_val_t kNodeAlign{64};
// An element's score and member length; the member bytes follow.
constexpr size_t kElemHeader = sizeof(double) + sizeof(uint32_t);

// Whether the entry (es, e) sorts before (score, member).
inline bool EntryBefore(double es, const OrderTree::Elem* e, double score,
                        std::string_view member) {
  return es < score || (es == score && e->member() < member);
}

// Whether (score, member) sorts before the entry (es, e).
inline bool TargetBefore(double score, std::string_view member, double es,
                         const OrderTree::Elem* e) {
  return score < es || (score == es && member < e->member());
}

// The first index in [lo, hi) where pred holds (pred is false, then true, over the range).
template <typename Pred>
inline uint32_t FirstTrue(uint32_t lo, uint32_t hi, Pred pred) {
  while (lo < hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (pred(mid)) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// Asks for a whole node at once: a binary search in it then finds its lines arriving in
// parallel instead of missing on them one after another.
inline void PrefetchNode(const void* node, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) {
    __builtin_prefetch(static_cast<const char*>(node) + off);
  }
}

}  // namespace

// ---- allocation ------------------------------------------------------------------------

OrderTree::~OrderTree() {
  if (root_ != nullptr) FreeSubtree(root_, height_);
}

OrderTree::Elem* OrderTree::NewElem(double score, std::string_view member) {
  static_assert(offsetof(Elem, bytes_) == kElemHeader);
  // At least sizeof(Elem), so that constructing the header never writes past the block.
  void* mem = ::operator new(std::max(sizeof(Elem), kElemHeader + member.size()));
  auto* e = new (mem) Elem();
  e->score_ = score;
  e->len_ = static_cast<uint32_t>(member.size());
  if (!member.empty()) std::memcpy(e->bytes_, member.data(), member.size());
  bytes_ += malloc_usable_size(mem);
  return e;
}

void OrderTree::FreeElem(Elem* e) {
  bytes_ -= malloc_usable_size(e);
  ::operator delete(static_cast<void*>(e));
}

OrderTree::Leaf* OrderTree::NewLeaf() {
  void* mem = ::operator new(sizeof(Leaf), kNodeAlign);
  bytes_ += malloc_usable_size(mem);
  auto* l = new (mem) Leaf;
  l->prev = l->next = nullptr;
  l->n = 0;
  return l;
}

OrderTree::Inner* OrderTree::NewInner() {
  void* mem = ::operator new(sizeof(Inner), kNodeAlign);
  bytes_ += malloc_usable_size(mem);
  auto* in = new (mem) Inner;
  in->n = 0;
  return in;
}

void OrderTree::FreeLeaf(Leaf* l) {
  bytes_ -= malloc_usable_size(l);
  ::operator delete(static_cast<void*>(l), kNodeAlign);
}

void OrderTree::FreeInner(Inner* in) {
  bytes_ -= malloc_usable_size(in);
  ::operator delete(static_cast<void*>(in), kNodeAlign);
}

void OrderTree::FreeSubtree(void* node, int level) {
  if (level == 0) {
    auto* leaf = static_cast<Leaf*>(node);
    for (uint32_t j = 0; j < leaf->n; j++) FreeElem(leaf->elems[j]);
    FreeLeaf(leaf);
    return;
  }
  auto* in = static_cast<Inner*>(node);
  for (uint32_t j = 0; j < in->n; j++) FreeSubtree(in->children[j], level - 1);
  FreeInner(in);
}

// ---- node edits ------------------------------------------------------------------------

namespace {

// Moves cnt entries (a leaf's) or children (an internal node's) from src at spos to dst at
// dpos; src and dst may be the same node, the ranges may overlap.
template <typename Node>
void Copy(Node* dst, uint32_t dpos, const Node* src, uint32_t spos, uint32_t cnt) {
  if constexpr (requires { src->scores; }) {
    std::memmove(dst->scores + dpos, src->scores + spos, cnt * sizeof(double));
    std::memmove(dst->elems + dpos, src->elems + spos, cnt * sizeof(OrderTree::Elem*));
  } else {
    std::memmove(dst->counts + dpos, src->counts + spos, cnt * sizeof(uint32_t));
    std::memmove(dst->keys + dpos, src->keys + spos, cnt * sizeof(double));
    std::memmove(dst->key_elems + dpos, src->key_elems + spos, cnt * sizeof(OrderTree::Elem*));
    std::memmove(dst->children + dpos, src->children + spos, cnt * sizeof(void*));
  }
}

// Moves the entries or children [from, n) of a node to start at `to`.
template <typename Node>
void Shift(Node* node, uint32_t from, uint32_t to) {
  Copy(node, to, node, from, node->n - from);
}

// Moves entries or children between two neighbouring nodes so that left holds half.
template <typename Node>
void ShareEvenly(Node* left, Node* right) {
  const uint32_t total = left->n + right->n;
  const uint32_t want = total / 2;
  if (left->n < want) {
    const uint32_t k = want - left->n;
    Copy(left, left->n, right, 0, k);
    Shift(right, k, 0);
  } else {
    const uint32_t k = left->n - want;
    Shift(right, 0, k);
    Copy(right, 0, left, want, k);
  }
  left->n = want;
  right->n = total - want;
}

template <typename Leaf>
void LeafInsertAt(Leaf* leaf, uint32_t pos, double score, OrderTree::Elem* e) {
  Shift(leaf, pos, pos + 1);
  leaf->scores[pos] = score;
  leaf->elems[pos] = e;
  leaf->n++;
}

template <typename Inner>
void InnerInsertAt(Inner* in, uint32_t at, void* child, uint32_t count, double key,
                   OrderTree::Elem* key_elem) {
  Shift(in, at, at + 1);
  in->counts[at] = count;
  in->keys[at] = key;
  in->key_elems[at] = key_elem;
  in->children[at] = child;
  in->n++;
}

template <typename Inner>
void InnerRemoveAt(Inner* in, uint32_t at) {
  Shift(in, at + 1, at);
  in->n--;
}

template <typename Inner>
uint32_t Sum(const Inner* in) {
  uint32_t s = 0;
  for (uint32_t j = 0; j < in->n; j++) s += in->counts[j];
  return s;
}

}  // namespace

// ---- descents --------------------------------------------------------------------------

OrderTree::Leaf* OrderTree::Descend(double score, std::string_view member, Path* path) const {
  void* node = root_;
  for (int l = 0; l < height_; l++) {
    auto* in = static_cast<Inner*>(node);
    // The last child whose separator is at most (score, member).
    const uint32_t i =
        FirstTrue(1, in->n,
                  [&](uint32_t j) {
                    return TargetBefore(score, member, in->keys[j], in->key_elems[j]);
                  }) -
        1;
    path->steps[l] = {in, i};
    node = in->children[i];
  }
  return static_cast<Leaf*>(node);
}

OrderTree::Leaf* OrderTree::Locate(const Elem* e, Path* path, uint32_t* pos) const {
  Leaf* leaf = Descend(e->score_, e->member(), path);
  // Among the entries of e's score, find e itself: pointers, no member bytes.
  uint32_t j = FirstTrue(0, leaf->n, [&](uint32_t k) { return leaf->scores[k] >= e->score_; });
  while (j < leaf->n && leaf->elems[j] != e) j++;
  TIDEKV_CHECK(j < leaf->n);
  *pos = j;
  return leaf;
}

OrderTree::Leaf* OrderTree::DescendIndex(size_t k, Path* path, uint32_t* pos) const {
  void* node = root_;
  for (int l = 0; l < height_; l++) {
    auto* in = static_cast<Inner*>(node);
    uint32_t i = 0;
    while (k >= in->counts[i]) k -= in->counts[i++];
    path->steps[l] = {in, i};
    node = in->children[i];
    PrefetchNode(node, l + 1 < height_ ? kInnerBytes : kLeafBytes);
  }
  *pos = static_cast<uint32_t>(k);
  return static_cast<Leaf*>(node);
}

OrderTree::Step* OrderTree::Holder(Path* path, int height) {
  for (int l = height - 1; l >= 0; l--) {
    if (path->steps[l].idx > 0) return &path->steps[l];
  }
  return nullptr;
}

// ---- insert ----------------------------------------------------------------------------

OrderTree::Elem* OrderTree::Insert(double score, std::string_view member) {
  Elem* e = NewElem(score, member);
  Link(e);
  return e;
}

void OrderTree::Link(Elem* e) {
  TIDEKV_CHECK(size_ < UINT32_MAX);
  const double score = e->score_;
  size_++;
  if (root_ == nullptr) {
    Leaf* leaf = NewLeaf();
    LeafInsertAt(leaf, 0, score, e);
    root_ = head_ = tail_ = leaf;
    height_ = 0;
    return;
  }
  Path path;
  const std::string_view member = e->member();
  Leaf* leaf = Descend(score, member, &path);
  const uint32_t pos = FirstTrue(0, leaf->n, [&](uint32_t j) {
    return !EntryBefore(leaf->scores[j], leaf->elems[j], score, member);
  });
  if (leaf->n < Leaf::kCap) {
    LeafInsertAt(leaf, pos, score, e);
    for (int l = 0; l < height_; l++) path.steps[l].node->counts[path.steps[l].idx]++;
    return;
  }
  // A full leaf first hands entries to a sibling with room (which keeps leaves fuller: ~80%
  // after random inserts instead of ~70%, and appends in order fill them), else splits.
  if (height_ > 0 && ShareWithSibling(path.steps[height_ - 1], leaf, pos, e)) {
    for (int l = 0; l < height_ - 1; l++) path.steps[l].node->counts[path.steps[l].idx]++;
    return;
  }
  // The leaf splits: its entries and e are shared with a new right neighbour.
  constexpr uint32_t kLeft = (Leaf::kCap + 1) / 2;
  Leaf* right = NewLeaf();
  const uint32_t from = pos < kLeft ? kLeft - 1 : kLeft;
  Copy(right, 0, leaf, from, leaf->n - from);
  right->n = leaf->n - from;
  leaf->n = from;
  if (pos < kLeft) {
    LeafInsertAt(leaf, pos, score, e);
  } else {
    LeafInsertAt(right, pos - from, score, e);
  }
  right->prev = leaf;
  right->next = leaf->next;
  if (leaf->next != nullptr) {
    leaf->next->prev = right;
  } else {
    tail_ = right;
  }
  leaf->next = right;

  // Carry the new node up: each parent takes it after the node it came from, splitting in
  // turn when full.
  void* carry = right;
  uint32_t carry_count = right->n;
  double carry_key = right->scores[0];
  Elem* carry_elem = right->elems[0];
  uint32_t left_count = leaf->n;
  for (int l = height_ - 1; l >= 0; l--) {
    Inner* p = path.steps[l].node;
    const uint32_t idx = path.steps[l].idx;
    if (carry == nullptr) {
      p->counts[idx]++;
      continue;
    }
    p->counts[idx] = left_count;
    const uint32_t at = idx + 1;
    if (p->n < Inner::kCap) {
      InnerInsertAt(p, at, carry, carry_count, carry_key, carry_elem);
      carry = nullptr;
      continue;
    }
    constexpr uint32_t kInnerLeft = (Inner::kCap + 1) / 2;
    Inner* r = NewInner();
    const uint32_t ifrom = at < kInnerLeft ? kInnerLeft - 1 : kInnerLeft;
    Copy(r, 0, p, ifrom, p->n - ifrom);
    r->n = p->n - ifrom;
    p->n = ifrom;
    if (at < kInnerLeft) {
      InnerInsertAt(p, at, carry, carry_count, carry_key, carry_elem);
    } else {
      InnerInsertAt(r, at - ifrom, carry, carry_count, carry_key, carry_elem);
    }
    // r's first separator (its first child's smallest element) goes up with it.
    carry = r;
    carry_count = Sum(r);
    carry_key = r->keys[0];
    carry_elem = r->key_elems[0];
    left_count = Sum(p);
  }
  if (carry != nullptr) {
    TIDEKV_CHECK(height_ < kMaxHeight);
    Inner* root = NewInner();
    InnerInsertAt(root, 0, root_, left_count, 0, nullptr);
    InnerInsertAt(root, 1, carry, carry_count, carry_key, carry_elem);
    root_ = root;
    height_++;
  }
}

bool OrderTree::ShareWithSibling(Step step, Leaf* leaf, uint32_t pos, Elem* e) {
  Inner* p = step.node;
  const uint32_t c = step.idx;
  const double score = e->score_;
  // Half the sibling's room moves over (at least 2 free: both sides keep room for e).
  if (c + 1 < p->n) {
    auto* right = static_cast<Leaf*>(p->children[c + 1]);
    const uint32_t room = Leaf::kCap - right->n;
    if (room >= 2) {
      const uint32_t k = room / 2;
      Shift(right, 0, k);
      Copy(right, 0, leaf, leaf->n - k, k);
      right->n += k;
      leaf->n -= k;
      if (pos <= leaf->n) {
        LeafInsertAt(leaf, pos, score, e);
      } else {
        LeafInsertAt(right, pos - leaf->n, score, e);
      }
      p->counts[c] = leaf->n;
      p->counts[c + 1] = right->n;
      p->keys[c + 1] = right->scores[0];
      p->key_elems[c + 1] = right->elems[0];
      return true;
    }
  }
  if (c > 0) {
    auto* left = static_cast<Leaf*>(p->children[c - 1]);
    const uint32_t room = Leaf::kCap - left->n;
    if (room >= 2) {
      const uint32_t k = room / 2;
      Copy(left, left->n, leaf, 0, k);
      left->n += k;
      Shift(leaf, k, 0);
      leaf->n -= k;
      if (pos < k) {
        LeafInsertAt(left, left->n - k + pos, score, e);
      } else {
        LeafInsertAt(leaf, pos - k, score, e);
      }
      p->counts[c - 1] = left->n;
      p->counts[c] = leaf->n;
      p->keys[c] = leaf->scores[0];
      p->key_elems[c] = leaf->elems[0];
      return true;
    }
  }
  return false;
}

// ---- erase -----------------------------------------------------------------------------

void OrderTree::Erase(Elem* e) {
  Path path;
  uint32_t pos = 0;
  Leaf* leaf = Locate(e, &path, &pos);
  RemoveRun(&path, leaf, pos, 1);
  FreeElem(e);
}

void OrderTree::RemoveRun(Path* path, Leaf* leaf, uint32_t pos, uint32_t m) {
  Shift(leaf, pos + m, pos);
  leaf->n -= m;
  size_ -= m;
  for (int l = 0; l < height_; l++) path->steps[l].node->counts[path->steps[l].idx] -= m;
  if (pos == 0) {
    // The leaf's smallest element went: the separator above it becomes the next one (an
    // emptied leaf's separator goes with the leaf in the merge that follows).
    if (Step* h = Holder(path, height_)) {
      const Leaf* src = leaf->n > 0 ? leaf : leaf->next;
      if (src != nullptr) {
        h->node->keys[h->idx] = src->scores[0];
        h->node->key_elems[h->idx] = src->elems[0];
      }
    }
  }
  Rebalance(path, leaf);
}

void OrderTree::Rebalance(Path* path, Leaf* leaf) {
  if (height_ == 0) {
    if (leaf->n == 0) {
      FreeLeaf(leaf);
      root_ = nullptr;
      head_ = tail_ = nullptr;
    }
    return;
  }
  if (leaf->n >= kLeafMin) return;
  if (!FixLeaf(path->steps[height_ - 1].node, path->steps[height_ - 1].idx)) return;
  for (int l = height_ - 1; l > 0; l--) {
    if (path->steps[l].node->n >= kInnerMin) return;
    if (!FixInner(path->steps[l - 1].node, path->steps[l - 1].idx)) return;
  }
  auto* root = static_cast<Inner*>(root_);
  if (root->n == 1) {
    root_ = root->children[0];
    FreeInner(root);
    height_--;
  }
}

bool OrderTree::FixLeaf(Inner* p, uint32_t c) {
  const uint32_t li = c > 0 ? c - 1 : 0;
  auto* left = static_cast<Leaf*>(p->children[li]);
  auto* right = static_cast<Leaf*>(p->children[li + 1]);
  const uint32_t total = left->n + right->n;
  if (total >= 2 * kLeafMin) {
    ShareEvenly(left, right);
    p->counts[li] = left->n;
    p->counts[li + 1] = right->n;
    p->keys[li + 1] = right->scores[0];
    p->key_elems[li + 1] = right->elems[0];
    return false;
  }
  Copy(left, left->n, right, 0, right->n);
  left->n = total;
  left->next = right->next;
  if (right->next != nullptr) {
    right->next->prev = left;
  } else {
    tail_ = left;
  }
  p->counts[li] = total;
  InnerRemoveAt(p, li + 1);
  FreeLeaf(right);
  return true;
}

bool OrderTree::FixInner(Inner* p, uint32_t c) {
  const uint32_t li = c > 0 ? c - 1 : 0;
  auto* left = static_cast<Inner*>(p->children[li]);
  auto* right = static_cast<Inner*>(p->children[li + 1]);
  const uint32_t total = left->n + right->n;
  // right's first child's separator is kept in p: put it in place, so that children move
  // with their separators.
  right->keys[0] = p->keys[li + 1];
  right->key_elems[0] = p->key_elems[li + 1];
  if (total >= 2 * kInnerMin) {
    ShareEvenly(left, right);
    p->counts[li] = Sum(left);
    p->counts[li + 1] = Sum(right);
    p->keys[li + 1] = right->keys[0];
    p->key_elems[li + 1] = right->key_elems[0];
    return false;
  }
  Copy(left, left->n, right, 0, right->n);
  left->n = total;
  p->counts[li] += p->counts[li + 1];
  InnerRemoveAt(p, li + 1);
  FreeInner(right);
  return true;
}

size_t OrderTree::EraseRanks(size_t first, size_t last, void* ctx, void (*fn)(void*, Elem*)) {
  first = std::max<size_t>(first, 1);
  last = std::min(last, size_);
  if (first > last) return 0;
  const size_t total = last - first + 1;
  for (size_t left = total; left > 0;) {
    // The run from rank `first` to the end of its leaf (or of the ranks) goes at once.
    Path path;
    uint32_t pos = 0;
    Leaf* leaf = DescendIndex(first - 1, &path, &pos);
    const auto m = static_cast<uint32_t>(std::min<size_t>(left, leaf->n - pos));
    for (uint32_t j = pos; j < pos + m; j++) fn(ctx, leaf->elems[j]);
    for (uint32_t j = pos; j < pos + m; j++) FreeElem(leaf->elems[j]);
    RemoveRun(&path, leaf, pos, m);
    left -= m;
  }
  return total;
}

// ---- re-score --------------------------------------------------------------------------

void OrderTree::UpdateScore(Elem* e, double score) {
  Path path;
  uint32_t pos = 0;
  Leaf* leaf = Locate(e, &path, &pos);
  const std::string_view member = e->member();
  // Still in order between its neighbours (which may be in the adjacent leaves): only the
  // score changes, and the separator above when e is its leaf's first.
  const Leaf* pl = pos > 0 ? leaf : leaf->prev;
  const uint32_t pp = pos > 0 ? pos - 1 : (pl != nullptr ? pl->n - 1 : 0);
  const Leaf* nl = pos + 1 < leaf->n ? leaf : leaf->next;
  const uint32_t np = pos + 1 < leaf->n ? pos + 1 : 0;
  if ((pl == nullptr || EntryBefore(pl->scores[pp], pl->elems[pp], score, member)) &&
      (nl == nullptr || TargetBefore(score, member, nl->scores[np], nl->elems[np]))) {
    e->score_ = score;
    leaf->scores[pos] = score;
    if (pos == 0) {
      if (Step* h = Holder(&path, height_)) h->node->keys[h->idx] = score;
    }
    return;
  }
  RemoveRun(&path, leaf, pos, 1);
  e->score_ = score;
  Link(e);
}

// ---- ranks and ranges ------------------------------------------------------------------

size_t OrderTree::Rank(const Elem* e) const {
  Path path;
  uint32_t pos = 0;
  Locate(e, &path, &pos);
  size_t rank = pos + 1;
  for (int l = 0; l < height_; l++) {
    const Inner* in = path.steps[l].node;
    for (uint32_t j = 0; j < path.steps[l].idx; j++) rank += in->counts[j];
  }
  return rank;
}

OrderTree::Elem* OrderTree::AtRank(size_t rank) const {
  const Iterator it = IterAtRank(rank);
  return it.Valid() ? it.elem() : nullptr;
}

OrderTree::Iterator OrderTree::IterAtRank(size_t rank) const {
  if (rank == 0 || rank > size_) return Iterator(nullptr, 0);
  Path path;
  uint32_t pos = 0;
  const Leaf* leaf = DescendIndex(rank - 1, &path, &pos);
  return Iterator(leaf, pos);
}

// pred(score, elem) is false, then true, along the order: the first element where it holds.
template <typename Pred>
OrderTree::Iterator OrderTree::FirstWhere(Pred pred) const {
  if (root_ == nullptr) return Iterator(nullptr, 0);
  const void* node = root_;
  for (int l = 0; l < height_; l++) {
    const auto* in = static_cast<const Inner*>(node);
    const uint32_t i =
        FirstTrue(1, in->n, [&](uint32_t j) { return pred(in->keys[j], in->key_elems[j]); }) - 1;
    node = in->children[i];
    PrefetchNode(node, l + 1 < height_ ? kInnerBytes : kLeafBytes);
  }
  const auto* leaf = static_cast<const Leaf*>(node);
  const uint32_t pos =
      FirstTrue(0, leaf->n, [&](uint32_t j) { return pred(leaf->scores[j], leaf->elems[j]); });
  if (pos < leaf->n) return Iterator(leaf, pos);
  // None here: the next leaf's first is a separator where pred held.
  return Iterator(leaf->next, 0);
}

// pred(score, elem) is true, then false, along the order: the last element where it holds.
template <typename Pred>
OrderTree::Iterator OrderTree::LastWhere(Pred pred) const {
  if (root_ == nullptr) return Iterator(nullptr, 0);
  const void* node = root_;
  for (int l = 0; l < height_; l++) {
    const auto* in = static_cast<const Inner*>(node);
    const uint32_t i =
        FirstTrue(1, in->n, [&](uint32_t j) { return !pred(in->keys[j], in->key_elems[j]); }) - 1;
    node = in->children[i];
    PrefetchNode(node, l + 1 < height_ ? kInnerBytes : kLeafBytes);
  }
  const auto* leaf = static_cast<const Leaf*>(node);
  const uint32_t pos =
      FirstTrue(0, leaf->n, [&](uint32_t j) { return !pred(leaf->scores[j], leaf->elems[j]); });
  // The leaf's first fails pred only in the first leaf (any other leaf reached is the first
  // of a subtree whose separator passed): then no element passes.
  return pos > 0 ? Iterator(leaf, pos - 1) : Iterator(nullptr, 0);
}

OrderTree::Elem* OrderTree::FirstInRange(const ScoreRange& range) const {
  if (range.Empty()) return nullptr;
  const Iterator it = FirstWhere([&](double s, const Elem*) { return range.AboveMin(s); });
  return it.Valid() && range.BelowMax(it.elem()->score_) ? it.elem() : nullptr;
}

OrderTree::Elem* OrderTree::LastInRange(const ScoreRange& range) const {
  if (range.Empty()) return nullptr;
  const Iterator it = LastWhere([&](double s, const Elem*) { return range.BelowMax(s); });
  return it.Valid() && range.AboveMin(it.elem()->score_) ? it.elem() : nullptr;
}

OrderTree::Elem* OrderTree::FirstInRange(const LexRange& range) const {
  if (range.Empty()) return nullptr;
  const Iterator it =
      FirstWhere([&](double, const Elem* e) { return range.AboveMin(e->member()); });
  return it.Valid() && range.BelowMax(it.elem()->member()) ? it.elem() : nullptr;
}

OrderTree::Elem* OrderTree::LastInRange(const LexRange& range) const {
  if (range.Empty()) return nullptr;
  const Iterator it = LastWhere([&](double, const Elem* e) { return range.BelowMax(e->member()); });
  return it.Valid() && range.AboveMin(it.elem()->member()) ? it.elem() : nullptr;
}

// ---- invariants (tests) ----------------------------------------------------------------

void OrderTree::CheckInvariants() const {
  if (root_ == nullptr) {
    TIDEKV_CHECK(size_ == 0 && head_ == nullptr && tail_ == nullptr && height_ == 0);
    TIDEKV_CHECK(bytes_ == 0);
    return;
  }
  const Elem* min = nullptr;
  const Elem* max = nullptr;
  const Leaf* prev_leaf = nullptr;
  size_t bytes = 0;
  TIDEKV_CHECK(CheckSubtree(root_, height_, &min, &max, &prev_leaf, &bytes) == size_);
  TIDEKV_CHECK(prev_leaf == tail_ && tail_->next == nullptr && head_->prev == nullptr);
  TIDEKV_CHECK(min == First() && max == Last());
  TIDEKV_CHECK(bytes == bytes_);
}

size_t OrderTree::CheckSubtree(const void* node, int level, const Elem** min, const Elem** max,
                               const Leaf** prev_leaf, size_t* bytes) const {
  *bytes += malloc_usable_size(const_cast<void*>(node));
  if (level == 0) {
    const auto* leaf = static_cast<const Leaf*>(node);
    TIDEKV_CHECK(leaf->n <= Leaf::kCap);
    TIDEKV_CHECK(leaf->n >= (node == root_ ? 1 : kLeafMin));
    TIDEKV_CHECK(leaf->prev == *prev_leaf);
    if (*prev_leaf != nullptr) {
      TIDEKV_CHECK((*prev_leaf)->next == leaf);
    } else {
      TIDEKV_CHECK(head_ == leaf);
    }
    *prev_leaf = leaf;
    for (uint32_t j = 0; j < leaf->n; j++) {
      const Elem* e = leaf->elems[j];
      TIDEKV_CHECK(e->score_ == leaf->scores[j]);
      *bytes += malloc_usable_size(const_cast<Elem*>(e));
      if (j > 0) {
        TIDEKV_CHECK(EntryBefore(leaf->scores[j - 1], leaf->elems[j - 1], e->score_, e->member()));
      }
    }
    *min = leaf->elems[0];
    *max = leaf->elems[leaf->n - 1];
    return leaf->n;
  }
  const auto* in = static_cast<const Inner*>(node);
  TIDEKV_CHECK(in->n <= Inner::kCap);
  TIDEKV_CHECK(in->n >= (node == root_ ? 2 : kInnerMin));
  size_t total = 0;
  const Elem* prev_max = nullptr;
  for (uint32_t j = 0; j < in->n; j++) {
    const Elem* cmin = nullptr;
    const Elem* cmax = nullptr;
    const size_t count = CheckSubtree(in->children[j], level - 1, &cmin, &cmax, prev_leaf, bytes);
    TIDEKV_CHECK(count == in->counts[j]);
    total += count;
    if (j == 0) {
      *min = cmin;
    } else {
      // The separator is exactly the child's smallest element, above the previous child's.
      TIDEKV_CHECK(in->key_elems[j] == cmin && in->keys[j] == cmin->score_);
      TIDEKV_CHECK(EntryBefore(prev_max->score_, prev_max, cmin->score_, cmin->member()));
    }
    prev_max = cmax;
  }
  *max = prev_max;
  return total;
}

}  // namespace tidekv::ds
