// ZSetValue: a Redis sorted set, ordered by score, then by member bytewise. Small sets are
// one listpack of member, score, member, score... in that order (OBJECT ENCODING
// "listpack"); past zset-max-listpack-entries members, or a member longer than
// zset-max-listpack-value bytes, it converts for good to a ds::OrderTree (a B+tree with
// counts) with a member index (a ScanTable keyed on the tree's elements, so each member is
// stored once): OBJECT ENCODING "skiplist", Redis's name for the large form.
//
// In the listpack a score is stored as an integer element when it is integral and fits an
// int64 (what most scores are: one to nine bytes), else as its 8 IEEE bytes (a 9th byte is
// appended in the rare case those 8 bytes read as a canonical integer, which the listpack
// would otherwise store as one).
//
// Every range command reduces to ranks: RanksIn gives the rank interval of a score or lex
// range, ForRanks walks ranks either way, RemoveRanks deletes them. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ds/listpack.h"
#include "ds/order_tree.h"
#include "ds/scan_table.h"
#include "types/value.h"

namespace tidekv::types {

// ZADD's options (ZINCRBY is ZADD INCR).
struct ZAddOptions {
  bool nx = false;
  bool xx = false;
  bool gt = false;
  bool lt = false;
  bool incr = false;
};

enum class ZAddResult : uint8_t {
  kAdded,      // a new member
  kUpdated,    // its score changed
  kUnchanged,  // processed, but the score is the one it had
  kSkipped,    // NX, XX, GT or LT said no
  kNaN,        // INCR reached NaN: nothing changed
};

class ZSetValue : public Value {
 public:
  static constexpr ValueType kType = ValueType::kZSet;
  static const TypeOps& Ops();
  using Node = ds::OrderTree::Elem;

  // An empty sorted set in the encoding Redis gives one about to hold `count` members, the
  // longest `max_len` bytes (ZADD's new key: its first member; a STORE's new destination: the
  // whole result).
  ZSetValue(size_t count, size_t max_len);
  ~ZSetValue();
  ZSetValue(const ZSetValue&) = delete;
  ZSetValue& operator=(const ZSetValue&) = delete;

  bool listpack() const { return !large(); }
  std::string_view EncodingName() const { return large() ? "skiplist" : "listpack"; }
  size_t size() const { return large() ? x_->tree->size() : lp_.size() / 2; }
  bool empty() const { return size() == 0; }

  std::optional<double> Score(std::string_view member) const;
  // One ZADD element; *newscore is the member's score after it (for INCR's reply). member
  // must not view this set's own bytes.
  ZAddResult Add(std::string_view member, double score, const ZAddOptions& opt, double* newscore);
  // Adds or re-scores a member; true when it is new.
  bool Set(std::string_view member, double score);
  bool Remove(std::string_view member);
  // Adds a member known to be absent and to sort after every member (bulk loads: a listpack
  // appends, the tree needs no index lookup first).
  void AppendLast(std::string_view member, double score);
  // The member's 0-based rank from the lowest score, nullopt when absent.
  std::optional<size_t> Rank(std::string_view member) const;

  // The ranks [first, second) of the members inside the range.
  std::pair<size_t, size_t> RanksIn(const ds::ScoreRange& range) const;
  std::pair<size_t, size_t> RanksIn(const ds::LexRange& range) const;
  // fn(member, score) for the ranks [begin, end), lowest first, or highest first when
  // reverse. The views live until fn returns; fn must not modify the set.
  template <typename Fn>
  void ForRanks(size_t begin, size_t end, bool reverse, Fn&& fn) const;
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    ForRanks(0, size(), false, fn);
  }
  // Deletes the ranks [begin, end); returns how many went.
  size_t RemoveRanks(size_t begin, size_t end);

  // ZSCAN: a listpack returns everything in one call (cursor 0), as Redis does.
  template <typename Fn>
  uint64_t Scan(uint64_t cursor, size_t count, Fn&& fn) const;
  // A member drawn uniformly (the set is not empty).
  void Random(std::string* member, double* score) const;

  size_t MemoryBytes() const;
  // A copy without the element log (a copy's rows are written whole, under its own key).
  ZSetValue* Clone() const;
  ElementLog* element_log() const { return x_ != nullptr ? x_->log.get() : nullptr; }
  std::unique_ptr<ElementLog> SwapElementLog(std::unique_ptr<ElementLog> log);

  // A listpack score element's value (public for the templates below).
  static double ListpackScore(const ds::Listpack& lp, uint32_t pos);

 private:
  // The tree with its member index (only a converted set has it), and the element log
  // (a set of any encoding whose rows are in the batches): apart, so that a small sorted set
  // is 16 bytes (its listpack and this pointer).
  struct Extra {
    std::unique_ptr<ds::OrderTree> tree;
    ds::ScanTable<Node> index;
    std::unique_ptr<ElementLog> log;
  };
  bool large() const { return x_ != nullptr && x_->tree != nullptr; }
  Node* FindNode(std::string_view member) const {
    return x_->index.Find(member, ds::HashBytes(member));
  }
  void Convert();
  void InsertNew(std::string_view member, double score);  // member known absent
  void ListpackInsert(std::string_view member, double score);
  void Note(std::string_view member) {
    if (ElementLog* log = element_log()) log->changed.emplace(member);
  }

  ds::Listpack lp_;
  std::unique_ptr<Extra> x_;
};

template <typename Fn>
void ZSetValue::ForRanks(size_t begin, size_t end, bool reverse, Fn&& fn) const {
  if (begin >= end) return;
  if (large()) {
    const ds::OrderTree& tree = *x_->tree;
    if (!reverse) {
      auto it = tree.IterAtRank(begin + 1);
      for (size_t k = begin; k < end; k++, it.Next()) fn(it.elem()->member(), it.elem()->score());
    } else {
      auto it = tree.IterAtRank(end);
      for (size_t k = end; k > begin; k--, it.Prev()) fn(it.elem()->member(), it.elem()->score());
    }
    return;
  }
  char buf[24];
  if (!reverse) {
    uint32_t p = lp_.Seek(2 * begin);
    for (size_t k = begin; k < end; k++) {
      const uint32_t s = lp_.Next(p);
      fn(lp_.Get(p, buf), ListpackScore(lp_, s));
      p = lp_.Next(s);
    }
    return;
  }
  // A listpack walks forward only: note the members' positions, then visit them backwards.
  std::vector<uint32_t> at;
  at.reserve(end - begin);
  uint32_t p = lp_.Seek(2 * begin);
  for (size_t k = begin; k < end; k++, p = lp_.Next(lp_.Next(p))) at.push_back(p);
  for (size_t k = at.size(); k-- > 0;) fn(lp_.Get(at[k], buf), ListpackScore(lp_, lp_.Next(at[k])));
}

template <typename Fn>
uint64_t ZSetValue::Scan(uint64_t cursor, size_t count, Fn&& fn) const {
  if (!large()) {
    ForEach(fn);
    return 0;
  }
  return x_->index.Scan(cursor, count, [&](Node* n) { fn(n->member(), n->score()); });
}

}  // namespace tidekv::types
