#include "ds/skiplist.h"

#include <malloc.h>

#include <cstring>
#include <new>

#include "common/check.h"

namespace tidekv::ds {

static_assert(sizeof(SkipList::Node) == 24, "a skiplist node's header grew");

namespace {

// Whether node n sorts before (score, member).
bool Before(const SkipList::Node* n, double score, std::string_view member) {
  return n->score() < score || (n->score() == score && n->member() < member);
}

}  // namespace

SkipList::SkipList() : header_(Allocate(kMaxLevel, 0, {}, &bytes_)) {}

SkipList::~SkipList() {
  Node* x = header_;
  while (x != nullptr) {
    Node* next = x->forward_[0];
    ::operator delete(static_cast<void*>(x));
    x = next;
  }
}

SkipList::Node* SkipList::Allocate(int level, double score, std::string_view member,
                                   size_t* bytes) {
  const size_t size =
      sizeof(Node) + level * sizeof(Node*) + (level - 1) * sizeof(uint32_t) + member.size();
  void* mem = ::operator new(size);
  auto* n = new (mem) Node();
  n->score_ = score;
  n->len_ = static_cast<uint32_t>(member.size());
  n->level_ = static_cast<uint8_t>(level);
  for (int i = 0; i < level; i++) {
    n->forward_[i] = nullptr;
    n->set_span(i, 0);
  }
  if (!member.empty())
    std::memcpy(const_cast<char*>(n->MemberBytes()), member.data(), member.size());
  *bytes += malloc_usable_size(mem);
  return n;
}

void SkipList::Free(Node* x) {
  bytes_ -= malloc_usable_size(x);
  ::operator delete(static_cast<void*>(x));
}

int SkipList::RandomLevel() {
  // xorshift64*: the level only shapes the list (never its order or content), so it needs
  // no seeded, replayable source.
  thread_local uint64_t state = 0x9E3779B97F4A7C15ull;
  int level = 1;
  for (;;) {
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    const uint64_t r = state * 0x2545F4914F6CDD1Dull;
    // Two bits at a time: each further level with probability 1/4.
    for (int shift = 0; shift < 64; shift += 2) {
      if (((r >> shift) & 3) != 0 || level == kMaxLevel) return level;
      level++;
    }
  }
}

SkipList::Node* SkipList::Insert(double score, std::string_view member) {
  TIDEKV_CHECK(length_ < UINT32_MAX);
  Node* x = Allocate(RandomLevel(), score, member, &bytes_);
  Link(x);
  return x;
}

void SkipList::Link(Node* x) {
  Node* update[kMaxLevel] = {};
  uint32_t rank[kMaxLevel] = {};
  const double score = x->score_;
  const std::string_view member = x->member();
  Node* y = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (y->forward_[i] != nullptr && Before(y->forward_[i], score, member)) {
      rank[i] += y->span(i);
      y = y->forward_[i];
    }
    update[i] = y;
  }
  const int level = x->level_;
  if (level > level_) {
    for (int i = level_; i < level; i++) {
      rank[i] = 0;
      update[i] = header_;
      header_->set_span(i, static_cast<uint32_t>(length_));
    }
    level_ = level;
  }
  for (int i = 0; i < level; i++) {
    x->forward_[i] = update[i]->forward_[i];
    update[i]->forward_[i] = x;
    x->set_span(i, update[i]->span(i) - (rank[0] - rank[i]));
    update[i]->set_span(i, (rank[0] - rank[i]) + 1);
  }
  for (int i = level; i < level_; i++) update[i]->set_span(i, update[i]->span(i) + 1);
  x->backward_ = update[0] == header_ ? nullptr : update[0];
  if (x->forward_[0] != nullptr) {
    x->forward_[0]->backward_ = x;
  } else {
    tail_ = x;
  }
  length_++;
}

void SkipList::Unlink(Node* x) {
  Node* update[kMaxLevel] = {};
  Node* y = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    while (y->forward_[i] != nullptr && Before(y->forward_[i], x->score_, x->member())) {
      y = y->forward_[i];
    }
    update[i] = y;
  }
  TIDEKV_CHECK(update[0]->forward_[0] == x);
  for (int i = 0; i < level_; i++) {
    if (update[i]->forward_[i] == x) {
      update[i]->set_span(i, update[i]->span(i) + x->span(i) - 1);
      update[i]->forward_[i] = x->forward_[i];
    } else {
      update[i]->set_span(i, update[i]->span(i) - 1);
    }
  }
  if (x->forward_[0] != nullptr) {
    x->forward_[0]->backward_ = x->backward_;
  } else {
    tail_ = x->backward_;
  }
  while (level_ > 1 && header_->forward_[level_ - 1] == nullptr) level_--;
  length_--;
}

void SkipList::Erase(Node* n) {
  Unlink(n);
  Free(n);
}

void SkipList::UpdateScore(Node* n, double score) {
  // Still in order between its neighbours: only the score changes (Redis's shortcut).
  if ((n->backward_ == nullptr || n->backward_->score_ < score) &&
      (n->forward_[0] == nullptr || n->forward_[0]->score_ > score)) {
    n->score_ = score;
    return;
  }
  Unlink(n);
  n->score_ = score;
  Link(n);
}

size_t SkipList::Rank(const Node* n) const {
  size_t rank = 0;
  const Node* x = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    while (x->forward_[i] != nullptr &&
           (x->forward_[i] == n || Before(x->forward_[i], n->score_, n->member()))) {
      rank += x->span(i);
      x = x->forward_[i];
    }
    if (x == n) return rank;
  }
  return 0;
}

SkipList::Node* SkipList::AtRank(size_t rank) const {
  if (rank == 0 || rank > length_) return nullptr;
  size_t traversed = 0;
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    while (x->forward_[i] != nullptr && traversed + x->span(i) <= rank) {
      traversed += x->span(i);
      x = x->forward_[i];
    }
    if (traversed == rank) return x;
  }
  return nullptr;
}

SkipList::Node* SkipList::FirstInRange(const ScoreRange& range) const {
  if (range.Empty() || tail_ == nullptr || !range.AboveMin(tail_->score_) ||
      !range.BelowMax(First()->score_)) {
    return nullptr;
  }
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    while (x->forward_[i] != nullptr && !range.AboveMin(x->forward_[i]->score_)) {
      x = x->forward_[i];
    }
  }
  x = x->forward_[0];
  return x != nullptr && range.BelowMax(x->score_) ? x : nullptr;
}

SkipList::Node* SkipList::LastInRange(const ScoreRange& range) const {
  if (range.Empty() || tail_ == nullptr || !range.AboveMin(tail_->score_) ||
      !range.BelowMax(First()->score_)) {
    return nullptr;
  }
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    while (x->forward_[i] != nullptr && range.BelowMax(x->forward_[i]->score_)) {
      x = x->forward_[i];
    }
  }
  return x != header_ && range.AboveMin(x->score_) ? x : nullptr;
}

SkipList::Node* SkipList::FirstInRange(const LexRange& range) const {
  if (range.Empty() || tail_ == nullptr || !range.AboveMin(tail_->member()) ||
      !range.BelowMax(First()->member())) {
    return nullptr;
  }
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    while (x->forward_[i] != nullptr && !range.AboveMin(x->forward_[i]->member())) {
      x = x->forward_[i];
    }
  }
  x = x->forward_[0];
  return x != nullptr && range.BelowMax(x->member()) ? x : nullptr;
}

SkipList::Node* SkipList::LastInRange(const LexRange& range) const {
  if (range.Empty() || tail_ == nullptr || !range.AboveMin(tail_->member()) ||
      !range.BelowMax(First()->member())) {
    return nullptr;
  }
  Node* x = header_;
  for (int i = level_ - 1; i >= 0; i--) {
    while (x->forward_[i] != nullptr && range.BelowMax(x->forward_[i]->member())) {
      x = x->forward_[i];
    }
  }
  return x != header_ && range.AboveMin(x->member()) ? x : nullptr;
}

}  // namespace tidekv::ds
