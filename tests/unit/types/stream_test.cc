// StreamValue (types/stream.h): entries, Redis's node boundaries and what approximate
// trimming may remove, the group counters, and the codec / element rows round trip with the
// consumer groups, plus refusal of damaged bytes.
#include "types/stream.h"

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

namespace tidekv::types {
namespace {

struct NodeLimitsGuard {
  explicit NodeLimitsGuard(int64_t entries) : saved(StreamLimits()) {
    StreamLimits().max_entries = entries;
  }
  ~NodeLimitsGuard() { StreamLimits() = saved; }
  StreamNodeLimits saved;
};

void Add(StreamValue& s, uint64_t ms, std::string_view f = "f", std::string_view v = "v") {
  const std::string_view fields[] = {f, v};
  s.Append({ms, 0}, fields);
}

std::string DigestOf(const Value& v) {
  Sha1 h;
  StreamValue::Ops().digest(v, h);
  const Sha1::Digest d = h.Final();
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// A stream with entries, a deletion and a group with pending entries of two consumers.
std::unique_ptr<StreamValue> Sample(size_t n) {
  auto s = std::make_unique<StreamValue>();
  for (uint64_t i = 1; i <= n; i++) Add(*s, i, "field" + std::to_string(i % 3), "v");
  s->Delete({2, 0});
  s->SetMaxDeletedId({2, 0});
  StreamGroup* g = s->CreateGroup("g", {}, 0);
  s->AdvanceGroup(*g, {1, 0});
  s->AdvanceGroup(*g, {3, 0});
  for (const auto& [name, id] : {std::pair{"alice", StreamID{1, 0}}, {"bob", StreamID{3, 0}}}) {
    StreamConsumer& c = g->consumers[name];
    c.seen_time = 77;
    c.pending.insert(id);
    g->pel[id] = {.delivery_time = 5, .delivery_count = 2, .consumer = name};
  }
  g->consumers["idle"].seen_time = 9;
  s->CreateGroup("empty", {7, 7}, StreamGroup::kInvalidRead);
  return s;
}

TEST_CASE("IDs order, step and encode", "[stream]") {
  StreamID a{1, UINT64_MAX};
  REQUIRE(a.Incr());
  CHECK(a == StreamID{2, 0});
  REQUIRE(a.Decr());
  CHECK(a == StreamID{1, UINT64_MAX});
  StreamID max = StreamID::Max();
  CHECK_FALSE(max.Incr());
  StreamID zero;
  CHECK_FALSE(zero.Decr());
  CHECK(StreamID{5, 9}.ToString() == "5-9");
  CHECK(StreamID::FromKey(StreamID{1234567, 89}.Key()) == StreamID{1234567, 89});
  CHECK(StreamID{1, 0}.Key() < StreamID{1, 1}.Key());
  CHECK(StreamID{1, UINT64_MAX}.Key() < StreamID{2, 0}.Key());
}

TEST_CASE("entries, counters and deletion", "[stream]") {
  StreamValue s;
  Add(s, 1);
  Add(s, 2);
  Add(s, 3);
  CHECK(s.size() == 3);
  CHECK(s.entries_added() == 3);
  CHECK(s.last_id() == StreamID{3, 0});
  CHECK(s.Delete({1, 0}));
  CHECK_FALSE(s.Delete({1, 0}));
  CHECK(s.first_id() == StreamID{2, 0});
  CHECK(s.entries_added() == 3);
  size_t pairs = 0;
  StreamValue::ForFields(s.entries().begin()->second, [&](std::string_view f, std::string_view v) {
    CHECK(f == "f");
    CHECK(v == "v");
    pairs++;
  });
  CHECK(pairs == 1);
}

TEST_CASE("approximate trimming removes whole nodes only, within LIMIT", "[stream]") {
  NodeLimitsGuard guard(10);
  StreamValue s;
  for (uint64_t i = 1; i <= 95; i++) Add(s, i);
  CHECK(s.nodes() == 10);
  // ~ 55: nodes of 10 go while 55 are left; the node that would cross 55 stays.
  CHECK(s.TrimMaxLen(55, true, 0) == 40);
  CHECK(s.size() == 55);
  // LIMIT 15 allows only one node of 10.
  CHECK(s.TrimMaxLen(0, true, 15) == 10);
  // Exact trimming cuts inside a node.
  CHECK(s.TrimMaxLen(42, false, 0) == 3);
  CHECK(s.first_id() == StreamID{54, 0});
  // MINID ~ removes the nodes whose last slot is below the ID.
  CHECK(s.TrimMinId({75, 0}, true, 0) == 17);
  CHECK(s.first_id() == StreamID{71, 0});
  CHECK(s.TrimMinId({75, 0}, false, 0) == 4);
  CHECK(s.first_id() == StreamID{75, 0});
  // A node whose live entries all went by XDEL disappears.
  for (uint64_t i = 75; i <= 80; i++) s.Delete({i, 0});
  CHECK(s.nodes() == 2);
}

TEST_CASE("group counters follow Redis's lag and read estimates", "[stream]") {
  StreamValue s;
  for (uint64_t i = 1; i <= 5; i++) Add(s, i);
  StreamGroup* g = s.CreateGroup("g", {}, StreamGroup::kInvalidRead);
  REQUIRE(g != nullptr);
  CHECK(s.CreateGroup("g", {}, 0) == nullptr);
  CHECK(s.GroupLag(*g) == 5);  // 0-0 is before the first entry: read counter 0
  s.AdvanceGroup(*g, {1, 0});
  s.AdvanceGroup(*g, {2, 0});
  CHECK(g->entries_read == 2);
  CHECK(s.GroupLag(*g) == 3);
  s.Delete({4, 0});
  s.SetMaxDeletedId({4, 0});
  CHECK_FALSE(s.GroupLag(*g).has_value());  // a tombstone ahead: unknown
  s.AdvanceGroup(*g, {3, 0});
  CHECK(g->entries_read == StreamGroup::kInvalidRead);
  s.AdvanceGroup(*g, {5, 0});
  CHECK(g->entries_read == 5);
  CHECK(s.GroupLag(*g) == 0);
  CHECK(s.DestroyGroup("g"));
  CHECK_FALSE(s.DestroyGroup("g"));
}

TEST_CASE("the codec and the element rows round-trip entries and groups", "[stream]") {
  const TypeOps& ops = StreamValue::Ops();
  CHECK(OpsFor(ValueType::kStream) == &ops);
  CHECK(OpsFor(uint8_t{6}) == &ops);
  CHECK(OpsFor(uint8_t{5}) == nullptr);
  CHECK(TypeName(ValueType::kStream) == "stream");
  std::unique_ptr<StreamValue> s = Sample(40);
  std::string bytes;
  ops.encode(*s, &bytes);
  Result<Value*> decoded = ops.decode(bytes);
  REQUIRE(decoded.ok());
  auto& d = static_cast<StreamValue&>(*decoded.value());
  CHECK(DigestOf(d) == DigestOf(*s));
  CHECK(d.size() == 39);
  CHECK(d.max_deleted_id() == StreamID{2, 0});
  CHECK(d.groups().at("g").consumers.at("bob").pending.size() == 1);
  CHECK(d.groups().at("g").pel.at({1, 0}).delivery_count == 2);
  CHECK(d.groups().at("empty").entries_read == StreamGroup::kInvalidRead);
  Value* copy = ops.clone(*s);
  CHECK(DigestOf(*copy) == DigestOf(*s));

  // Element rows: the meta row and one row per entry load back to the same value.
  Value* rows = ops.create(s->size());
  ops.each_element(*s, [&](std::string_view element, std::string_view payload) {
    REQUIRE(ops.apply_element(*rows, element, payload, false).ok());
  });
  CHECK(DigestOf(*rows) == DigestOf(*s));
  // After a logged change only the touched elements are rows again.
  s->SwapElementLog(std::make_unique<ElementLog>());
  Add(*s, 1000);
  s->Delete({5, 0});
  CHECK(s->element_log()->changed.size() == 3);  // the meta row and two entries
  for (const std::string& element : s->element_log()->changed) {
    std::string payload;
    const bool present = ops.element(*s, element, &payload);
    REQUIRE(ops.apply_element(*rows, element, payload, !present).ok());
  }
  CHECK(DigestOf(*rows) == DigestOf(*s));
  CHECK_FALSE(ops.apply_element(*rows, "short", "x", false).ok());
  CHECK_FALSE(ops.apply_element(*rows, StreamID{9, 9}.Key(), "not fields", false).ok());
  ops.destroy(rows);
  ops.destroy(copy);
  ops.destroy(decoded.value());

  // Every truncation and a few flipped bytes are refused or decode to something consistent.
  for (size_t cut = 0; cut < bytes.size(); cut++) {
    Result<Value*> r = ops.decode(std::string_view(bytes).substr(0, cut));
    CHECK_FALSE(r.ok());
  }
  for (size_t at = 0; at < bytes.size(); at += 7) {
    std::string bad = bytes;
    bad[at] = static_cast<char>(bad[at] ^ 0x5a);
    Result<Value*> r = ops.decode(bad);
    if (r.ok()) ops.destroy(r.value());
  }
}

TEST_CASE("an empty stream with groups round-trips", "[stream]") {
  const TypeOps& ops = StreamValue::Ops();
  StreamValue s;
  Add(s, 5);
  s.Delete({5, 0});
  s.CreateGroup("g", {5, 0}, 1);
  std::string bytes;
  ops.encode(s, &bytes);
  Result<Value*> decoded = ops.decode(bytes);
  REQUIRE(decoded.ok());
  const auto& d = static_cast<const StreamValue&>(*decoded.value());
  CHECK(d.empty());
  CHECK(d.last_id() == StreamID{5, 0});
  CHECK(d.entries_added() == 1);
  CHECK(d.groups().size() == 1);
  CHECK(ops.encoding(d) == "stream");
  CHECK(ops.memory(d) > sizeof(StreamValue));
  ops.destroy(decoded.value());
}

}  // namespace
}  // namespace tidekv::types
