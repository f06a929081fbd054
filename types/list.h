// ListValue: a Redis list on a ds::Quicklist, in Redis 7.2's two encodings: "listpack"
// while the whole list fits one node of list-max-listpack-size, else "quicklist" (nodes of
// that size, the interior ones compressed past list-compress-depth). A quicklist goes back
// to a listpack once one node holding at most half a node's limits is left.
//
// In batches a large list is element rows, one per node: the element is the node's id as 8
// big-endian bytes (so rows sort in list order), the payload the node's listpack bytes. The
// element log notes the ids of the nodes a change touched, so a push or pop on a long list
// writes one node per seal. Indexes here are 0-based from the head; commands resolve
// negative ones.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "ds/quicklist.h"
#include "types/value.h"

namespace tidekv::types {

class ListValue : public Value {
 public:
  static constexpr ValueType kType = ValueType::kList;
  static const TypeOps& Ops();

  ListValue() = default;
  ListValue(const ListValue&) = delete;
  ListValue& operator=(const ListValue&) = delete;

  std::string_view EncodingName() const { return ql_.single() ? "listpack" : "quicklist"; }
  size_t size() const { return ql_.size(); }
  bool empty() const { return ql_.empty(); }

  void Push(bool front, std::string_view value);
  std::string Pop(bool front);  // not empty
  std::string At(size_t index) const { return ql_.At(index); }
  void Set(size_t index, std::string_view value);
  void Insert(size_t index, std::string_view value);  // before index; size() appends
  void Erase(size_t index, size_t count);
  // LREM: up to limit (0: all) elements equal to value, from the head or the tail.
  size_t Remove(std::string_view value, size_t limit, bool from_tail);
  // fn(index, value) -> bool from `from` forward or backward (ds::Quicklist::Walk).
  template <typename Fn>
  void Walk(size_t from, bool forward, Fn&& fn) const {
    ql_.Walk(from, forward, std::forward<Fn>(fn));
  }
  // fn(value) for every element, head to tail.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    ql_.Walk(0, true, [&](size_t, std::string_view v) {
      fn(v);
      return true;
    });
  }

  const ds::Quicklist& quicklist() const { return ql_; }
  size_t MemoryBytes() const { return sizeof(ListValue) + ql_.bytes(); }
  // A copy without the element log (a copy's rows are written whole, under its own key).
  ListValue* Clone() const;
  ElementLog* element_log() const { return log_.get(); }
  std::unique_ptr<ElementLog> SwapElementLog(std::unique_ptr<ElementLog> log) {
    log_.swap(log);
    return log;
  }
  // Appends values in order with as few allocations as it can (the codec's bulk load).
  void AppendAll(std::span<const std::string_view> values);
  // Element rows: node id <-> 8 big-endian bytes.
  static std::string NodeElement(uint64_t id);
  static bool ParseNodeElement(std::string_view element, uint64_t* id);
  bool ApplyNode(uint64_t id, std::string_view raw, bool remove) {
    return ql_.ApplyNode(id, raw, remove);
  }

 private:
  template <typename Fn>
  auto Change(Fn&& fn);  // runs fn(options) with the current limits and the log's notes

  ds::Quicklist ql_;
  std::unique_ptr<ElementLog> log_;
};

}  // namespace tidekv::types
