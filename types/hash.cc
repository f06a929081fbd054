#include "types/hash.h"

#include <malloc.h>

#include <algorithm>

#include "common/coding.h"
#include "types/codec_util.h"

namespace tidekv::types {

static_assert(sizeof(HashValue) == 16, "a small hash's object grew");

HashValue::~HashValue() {
  if (x_) x_->table.ForEach([](Element* e) { Element::Destroy(e); });
}

bool HashValue::Contains(std::string_view field) const {
  if (large()) return x_->table.Find(field, ds::HashBytes(field)) != nullptr;
  return lp_.Find(field, lp_.First(), 1) != ds::Listpack::kEnd;
}

bool HashValue::Get(std::string_view field, std::string* out) const {
  if (large()) {
    Element* e = x_->table.Find(field, ds::HashBytes(field));
    if (e == nullptr) return false;
    out->assign(e->value());
    return true;
  }
  const uint32_t p = lp_.Find(field, lp_.First(), 1);
  if (p == ds::Listpack::kEnd) return false;
  char buf[24];
  out->assign(lp_.Get(lp_.Next(p), buf));
  return true;
}

bool HashValue::Set(std::string_view field, std::string_view value, bool keep_ttl) {
  if (ttls() != nullptr && !keep_ttl) ForgetFieldTtl(field);
  Note(field);
  const EncodingLimits& lim = Limits();
  if (!large()) {
    const auto max_value = static_cast<size_t>(lim.hash_max_listpack_value);
    if (field.size() > max_value || value.size() > max_value) {
      Convert();
    } else {
      const uint32_t p = lp_.Find(field, lp_.First(), 1);
      if (p != ds::Listpack::kEnd) {
        lp_.Replace(lp_.Next(p), value);
        return false;
      }
      if (static_cast<int64_t>(size()) + 1 > lim.hash_max_listpack_entries) {
        Convert();
      } else {
        lp_.PushBack(field);
        lp_.PushBack(value);
        return true;
      }
    }
  }
  bool added = false;
  SetLarge(field, value, &added);
  return added;
}

void HashValue::SetLarge(std::string_view field, std::string_view value, bool* added) {
  const uint64_t h = ds::HashBytes(field);
  Element* e = x_->table.Find(field, h);
  if (e == nullptr) {
    x_->table.Insert(Element::Create(field, value, h));
    *added = true;
    return;
  }
  *added = false;
  if (sizeof(Element) + field.size() + value.size() <= e->AllocatedBytes()) {
    Element::WithValue(e, value);  // fits: rewritten in place
    return;
  }
  // A new node: unlink the old one while it is still alive (the table compares keys).
  x_->table.Remove(field, h);
  x_->table.Insert(Element::WithValue(e, value));
}

bool HashValue::Delete(std::string_view field) {
  if (!Erase(field)) return false;
  if (ttls() != nullptr) ForgetFieldTtl(field);
  Note(field);
  return true;
}

bool HashValue::Erase(std::string_view field) {
  if (large()) {
    Element* e = x_->table.Remove(field, ds::HashBytes(field));
    if (e == nullptr) return false;
    Element::Destroy(e);
    return true;
  }
  const uint32_t p = lp_.Find(field, lp_.First(), 1);
  if (p == ds::Listpack::kEnd) return false;
  lp_.Erase(p, 2);
  return true;
}

int64_t HashValue::FieldExpireAt(std::string_view field) const {
  const FieldTtls* t = ttls();
  if (t == nullptr) return 0;
  auto it = t->at.find(field);
  return it == t->at.end() ? 0 : it->second;
}

void HashValue::DropTtls() {
  x_->ttls.reset();
  if (!x_->needed()) x_.reset();
}

std::unique_ptr<ElementLog> HashValue::SwapElementLog(std::unique_ptr<ElementLog> log) {
  if (!x_ && !log) return nullptr;
  extra().log.swap(log);
  if (!x_->needed()) x_.reset();
  return log;
}

void HashValue::ForgetFieldTtl(std::string_view field) {
  FieldTtls* t = ttls();
  auto it = t->at.find(field);
  if (it == t->at.end()) return;
  t->order.erase({it->second, it->first});
  t->at.erase(it);
  if (t->at.empty()) DropTtls();
}

void HashValue::SetFieldExpireAt(std::string_view field, int64_t at_ms) {
  Note(field);
  if (ttls() != nullptr) ForgetFieldTtl(field);
  if (at_ms == 0) return;
  Extra& x = extra();
  if (!x.ttls) x.ttls = std::make_unique<FieldTtls>();
  x.ttls->at.emplace(std::string(field), at_ms);
  x.ttls->order.emplace(at_ms, std::string(field));
}

int64_t HashValue::NextFieldExpiry() const {
  const FieldTtls* t = ttls();
  return t != nullptr ? t->order.begin()->first : 0;
}

void HashValue::ExpireFields(int64_t now_ms, size_t limit, std::vector<std::string>* removed) {
  for (size_t n = 0; n < limit && ttls() != nullptr && ttls()->order.begin()->first <= now_ms;
       n++) {
    std::string field = ttls()->order.begin()->second;
    Delete(field);  // forgets its expiry too
    removed->push_back(std::move(field));
  }
}

void HashValue::Presize(size_t n) {
  if (large() || static_cast<int64_t>(n) <= Limits().hash_max_listpack_entries) return;
  Convert();
  x_->table.Reserve(n);
}

void HashValue::AddNew(std::string_view field, std::string_view value) {
  if (!large()) {
    Set(field, value);
    return;
  }
  x_->table.Insert(Element::Create(field, value, ds::HashBytes(field)));
}

void HashValue::AddAllNew(std::span<const std::string_view> fields_and_values) {
  const auto max_value = static_cast<size_t>(Limits().hash_max_listpack_value);
  const bool fits = !large() && static_cast<int64_t>(size() + fields_and_values.size() / 2) <=
                                    Limits().hash_max_listpack_entries;
  if (fits && std::all_of(fields_and_values.begin(), fields_and_values.end(),
                          [&](std::string_view s) { return s.size() <= max_value; })) {
    lp_.AppendAll(fields_and_values);
    return;
  }
  if (!large()) Convert();
  for (size_t i = 0; i + 1 < fields_and_values.size(); i += 2) {
    AddNew(fields_and_values[i], fields_and_values[i + 1]);
  }
}

void HashValue::Convert() {
  ds::Listpack old = std::move(lp_);
  lp_ = ds::Listpack();
  Extra& x = extra();
  x.large = true;
  char fbuf[24], vbuf[24];
  for (uint32_t p = old.First(); p != ds::Listpack::kEnd;) {
    std::string_view f = old.Get(p, fbuf);
    p = old.Next(p);
    std::string_view v = old.Get(p, vbuf);
    p = old.Next(p);
    x.table.Insert(Element::Create(f, v, ds::HashBytes(f)));
  }
}

void HashValue::Random(std::string* field, std::string* value) const {
  if (large()) {
    Element* e = x_->table.FairRandom(Rng());
    field->assign(e->key());
    value->assign(e->value());
    return;
  }
  std::uniform_int_distribution<size_t> pick(0, size() - 1);
  const uint32_t p = lp_.Seek(pick(Rng()) * 2);
  char buf[24];
  field->assign(lp_.Get(p, buf));
  value->assign(lp_.Get(lp_.Next(p), buf));
}

size_t HashValue::MemoryBytes() const {
  size_t n = sizeof(HashValue) + (x_ ? sizeof(Extra) : 0);
  if (const FieldTtls* t = ttls()) {
    // Two tree nodes and two copies of the name per field with an expiry.
    n += sizeof(FieldTtls);
    for (const auto& [field, at] : t->at) n += 2 * (field.size() + 80);
  }
  if (!large()) return n + lp_.bytes();
  n += x_->table.SlotBytes();
  x_->table.ForEach([&](Element* e) { n += e->AllocatedBytes(); });
  return n;
}

HashValue* HashValue::Clone() const {
  auto* copy = new HashValue();
  if (const FieldTtls* t = ttls()) copy->extra().ttls = std::make_unique<FieldTtls>(*t);
  if (!large()) {
    copy->lp_ = lp_;
    return copy;
  }
  copy->extra().large = true;
  x_->table.ForEach([&](Element* e) {
    copy->x_->table.Insert(Element::Create(e->key(), e->value(), e->hash()));
  });
  return copy;
}

// ---- the TypeOps row ------------------------------------------------------------------

namespace {

const HashValue& AsHash(const Value& v) { return static_cast<const HashValue&>(v); }

// Whether the fields of field, value, field, value... are all different.
bool Distinct(const std::vector<std::string_view>& items) {
  const size_t n = items.size() / 2;
  if (n <= 16) {  // a small hash: compare pairs, no allocation
    for (size_t i = 0; i < n; i++) {
      for (size_t j = i + 1; j < n; j++) {
        if (items[2 * i] == items[2 * j]) return false;
      }
    }
    return true;
  }
  std::vector<std::string_view> fields;
  fields.reserve(n);
  for (size_t i = 0; i < items.size(); i += 2) fields.push_back(items[i]);
  std::sort(fields.begin(), fields.end());
  return std::adjacent_find(fields.begin(), fields.end()) == fields.end();
}

// Version 1: field, value per field. Version 2 (a hash with field expiries): field, value,
// varint expiry in Unix ms (0 = none) per field.
void Encode(const Value& v, std::string* out) {
  const HashValue& h = AsHash(v);
  const bool ttls = h.has_field_ttls();
  out->push_back(static_cast<char>(ttls ? kCodecVersionFieldTtls : kCodecVersion));
  PutVarint64(out, h.size());
  h.ForEach([&](std::string_view f, std::string_view val) {
    PutLengthPrefixed(out, f);
    PutLengthPrefixed(out, val);
    if (ttls) PutVarint64(out, static_cast<uint64_t>(h.FieldExpireAt(f)));
  });
}

Result<Value*> Decode(std::string_view in) {
  uint64_t count = 0;
  uint8_t version = 0;
  if (Status s = ReadCodecHeader(&in, "hash", &count, kCodecVersionFieldTtls, &version); !s.ok()) {
    return s;
  }
  // Every field is parsed and checked first (views into the input), then added at once.
  // The scratch vectors are reused (a restart decodes every hash; the loader's reader
  // thread and the loop both call this).
  if (count > in.size() / 2) return Status::Corruption("hash value: truncated");
  thread_local std::vector<std::string_view> items;
  thread_local std::vector<std::pair<std::string_view, int64_t>> times;
  items.clear();
  times.clear();
  items.reserve(2 * count);
  for (uint64_t i = 0; i < count; i++) {
    std::string_view f, val;
    uint64_t at = 0;
    if (!GetLengthPrefixed(&in, &f) || !GetLengthPrefixed(&in, &val) ||
        (version == kCodecVersionFieldTtls && !GetVarint64(&in, &at))) {
      return Status::Corruption("hash value: truncated field " + std::to_string(i));
    }
    if (at > static_cast<uint64_t>(kMaxFieldExpireMs)) {
      return Status::Corruption("hash value: field expiry out of range");
    }
    items.push_back(f);
    items.push_back(val);
    if (at != 0) times.emplace_back(f, static_cast<int64_t>(at));
  }
  if (!in.empty() || count == 0) {
    return Status::Corruption(count == 0 ? "hash value: empty" : "hash value: trailing bytes");
  }
  if (!Distinct(items)) return Status::Corruption("hash value: field repeated");
  auto* h = new HashValue();
  h->Presize(count);
  h->AddAllNew(items);
  for (const auto& [f, at] : times) h->SetFieldExpireAt(f, at);
  return static_cast<Value*>(h);
}

void Digest(const Value& v, Sha1& h) {
  UnorderedDigest d;
  const HashValue& hash = AsHash(v);
  hash.ForEach([&](std::string_view f, std::string_view val) {
    const int64_t at = hash.FieldExpireAt(f);
    d.Add(f, val, at == 0 ? std::string() : std::to_string(at));
  });
  d.Feed(h);
}

// Element rows: the payload is the field's expiry (varint, 0 = none), then its value.
void AppendPayload(const HashValue& h, std::string_view field, std::string_view value,
                   std::string* out) {
  PutVarint64(out, static_cast<uint64_t>(h.FieldExpireAt(field)));
  out->append(value);
}

void EachElement(const Value& v, const TypeOps::ElementFn& fn) {
  const HashValue& h = AsHash(v);
  std::string payload;
  h.ForEach([&](std::string_view f, std::string_view val) {
    payload.clear();
    AppendPayload(h, f, val, &payload);
    fn(f, payload);
  });
}

bool ElementOf(const Value& v, std::string_view field, std::string* payload) {
  const HashValue& h = AsHash(v);
  std::string value;
  if (!h.Get(field, &value)) return false;
  payload->clear();
  AppendPayload(h, field, value, payload);
  return true;
}

Status ApplyElement(Value& v, std::string_view field, std::string_view payload, bool remove) {
  auto& h = static_cast<HashValue&>(v);
  if (remove) {
    h.Delete(field);
    return Status::Ok();
  }
  uint64_t at = 0;
  if (!GetVarint64(&payload, &at) || at > static_cast<uint64_t>(kMaxFieldExpireMs)) {
    return Status::Corruption("hash element row: bad field expiry");
  }
  h.Set(field, payload);
  if (at != 0) h.SetFieldExpireAt(field, static_cast<int64_t>(at));
  return Status::Ok();
}

const TypeOps kOps = {
    .type = ValueType::kHash,
    .name = "hash",
    .encoding = [](const Value& v) { return AsHash(v).EncodingName(); },
    .length = [](const Value& v) { return AsHash(v).size(); },
    .encode = Encode,
    .decode = Decode,
    .digest = Digest,
    .memory = [](const Value& v) { return AsHash(v).MemoryBytes(); },
    .clone = [](const Value& v) -> Value* { return AsHash(v).Clone(); },
    .destroy = [](Value* v) { delete static_cast<HashValue*>(v); },
    .element_log = [](Value& v) { return static_cast<HashValue&>(v).element_log(); },
    .swap_element_log =
        [](Value& v, std::unique_ptr<ElementLog> log) {
          return static_cast<HashValue&>(v).SwapElementLog(std::move(log));
        },
    .each_element = EachElement,
    .element = ElementOf,
    .create = [](size_t count) -> Value* {
      auto* h = new HashValue();
      h->Presize(count);
      return h;
    },
    .apply_element = ApplyElement,
};

}  // namespace

const TypeOps& HashValue::Ops() { return kOps; }

}  // namespace tidekv::types
