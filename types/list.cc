#include "types/list.h"

#include <vector>

#include "common/coding.h"
#include "types/codec_util.h"

namespace tidekv::types {

namespace {

// Notes the nodes a change touched in the element log.
class LogNotes final : public ds::NodeObserver {
 public:
  explicit LogNotes(ElementLog* log) : log_(log) {}
  void NodeChanged(uint64_t id) override { log_->changed.insert(ListValue::NodeElement(id)); }

 private:
  ElementLog* log_;
};

}  // namespace

template <typename Fn>
auto ListValue::Change(Fn&& fn) {
  const EncodingLimits& lim = Limits();
  LogNotes notes(log_.get());
  ds::QuicklistOptions opt{.fill = lim.list_max_listpack_size,
                           .compress_depth = lim.list_compress_depth,
                           .observer = log_ ? &notes : nullptr};
  return fn(opt);
}

void ListValue::Push(bool front, std::string_view value) {
  Change([&](const ds::QuicklistOptions& opt) { ql_.Push(front, value, opt); });
}

std::string ListValue::Pop(bool front) {
  return Change([&](const ds::QuicklistOptions& opt) { return ql_.Pop(front, opt); });
}

void ListValue::Set(size_t index, std::string_view value) {
  Change([&](const ds::QuicklistOptions& opt) { ql_.Set(index, value, opt); });
}

void ListValue::Insert(size_t index, std::string_view value) {
  Change([&](const ds::QuicklistOptions& opt) { ql_.Insert(index, value, opt); });
}

void ListValue::Erase(size_t index, size_t count) {
  Change([&](const ds::QuicklistOptions& opt) { ql_.Erase(index, count, opt); });
}

size_t ListValue::Remove(std::string_view value, size_t limit, bool from_tail) {
  return Change([&](const ds::QuicklistOptions& opt) {
    return ql_.RemoveEqual(value, limit, from_tail, opt);
  });
}

void ListValue::AppendAll(std::span<const std::string_view> values) {
  Change([&](const ds::QuicklistOptions& opt) { ql_.AppendAll(values, opt); });
}

ListValue* ListValue::Clone() const {
  auto* copy = new ListValue();
  copy->ql_ = ds::Quicklist(ql_);
  return copy;
}

std::string ListValue::NodeElement(uint64_t id) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; i++) out[i] = static_cast<char>(id >> (56 - 8 * i));
  return out;
}

bool ListValue::ParseNodeElement(std::string_view element, uint64_t* id) {
  if (element.size() != 8) return false;
  *id = 0;
  for (unsigned char c : element) *id = (*id << 8) | c;
  return true;
}

// ---- the TypeOps row ------------------------------------------------------------------

namespace {

const ListValue& AsList(const Value& v) { return static_cast<const ListValue&>(v); }

// Version 1: the elements, head to tail.
void Encode(const Value& v, std::string* out) {
  const ListValue& l = AsList(v);
  out->push_back(static_cast<char>(kCodecVersion));
  PutVarint64(out, l.size());
  l.ForEach([&](std::string_view e) { PutLengthPrefixed(out, e); });
}

Result<Value*> Decode(std::string_view in) {
  uint64_t count = 0;
  if (Status st = ReadCodecHeader(&in, "list", &count); !st.ok()) return st;
  if (count == 0) return Status::Corruption("list value: empty");
  thread_local std::vector<std::string_view> items;
  items.clear();
  items.reserve(count);
  for (uint64_t i = 0; i < count; i++) {
    std::string_view e;
    if (!GetLengthPrefixed(&in, &e)) {
      return Status::Corruption("list value: truncated element " + std::to_string(i));
    }
    items.push_back(e);
  }
  if (!in.empty()) return Status::Corruption("list value: trailing bytes");
  auto* l = new ListValue();
  l->AppendAll(items);
  return static_cast<Value*>(l);
}

// Ordered: each element length-prefixed, in list order.
void Digest(const Value& v, Sha1& h) {
  AsList(v).ForEach([&](std::string_view e) {
    const std::string len = std::to_string(e.size()) + ":";
    h.Update(len);
    h.Update(e);
  });
}

const TypeOps kOps = {
    .type = ValueType::kList,
    .name = "list",
    .encoding = [](const Value& v) { return AsList(v).EncodingName(); },
    .length = [](const Value& v) { return AsList(v).size(); },
    .encode = Encode,
    .decode = Decode,
    .digest = Digest,
    .memory = [](const Value& v) { return AsList(v).MemoryBytes(); },
    .clone = [](const Value& v) -> Value* { return AsList(v).Clone(); },
    .destroy = [](Value* v) { delete static_cast<ListValue*>(v); },
    // Element rows: one per node, the element its id, the payload its listpack bytes.
    .element_log = [](Value& v) { return static_cast<ListValue&>(v).element_log(); },
    .swap_element_log =
        [](Value& v, std::unique_ptr<ElementLog> log) {
          return static_cast<ListValue&>(v).SwapElementLog(std::move(log));
        },
    .each_element =
        [](const Value& v, const TypeOps::ElementFn& fn) {
          AsList(v).quicklist().ForEachNode(
              [&](uint64_t id, std::string_view raw) { fn(ListValue::NodeElement(id), raw); });
        },
    .element =
        [](const Value& v, std::string_view element, std::string* payload) {
          uint64_t id = 0;
          return ListValue::ParseNodeElement(element, &id) &&
                 AsList(v).quicklist().NodeRaw(id, payload);
        },
    .create = [](size_t) -> Value* { return new ListValue(); },
    .apply_element = [](Value& v, std::string_view element, std::string_view payload,
                        bool remove) -> Status {
      uint64_t id = 0;
      if (!ListValue::ParseNodeElement(element, &id)) {
        return Status::Corruption("list element row: a node id is 8 bytes");
      }
      if (!static_cast<ListValue&>(v).ApplyNode(id, payload, remove)) {
        return Status::Corruption("list element row: not a listpack of at least one element");
      }
      return Status::Ok();
    },
};

}  // namespace

const TypeOps& ListValue::Ops() { return kOps; }

}  // namespace tidekv::types
