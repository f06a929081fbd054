#include "types/set.h"

#include "types/codec_util.h"

namespace tidekv::types {

namespace {

bool FitsListpack(std::string_view member) {
  return static_cast<int64_t>(member.size()) <= Limits().set_max_listpack_value;
}

}  // namespace

SetValue::SetValue(std::string_view first_member) {
  const EncodingLimits& lim = Limits();
  if (ParseInt64(first_member) && lim.set_max_intset_entries >= 1) {
    enc_ = Encoding::kIntset;
  } else if (FitsListpack(first_member) && lim.set_max_listpack_entries >= 1) {
    enc_ = Encoding::kListpack;
  } else {
    enc_ = Encoding::kHashtable;
  }
}

SetValue::~SetValue() {
  table_.ForEach([](Element* e) { Element::Destroy(e); });
  table_.Clear();
}

std::string_view SetValue::EncodingName() const {
  switch (enc_) {
    case Encoding::kIntset:
      return "intset";
    case Encoding::kListpack:
      return "listpack";
    case Encoding::kHashtable:
      return "hashtable";
  }
  return "hashtable";
}

size_t SetValue::size() const {
  switch (enc_) {
    case Encoding::kIntset:
      return ints_.size();
    case Encoding::kListpack:
      return lp_.size();
    case Encoding::kHashtable:
      return table_.size();
  }
  return 0;
}

bool SetValue::Contains(std::string_view member) const {
  switch (enc_) {
    case Encoding::kIntset: {
      const std::optional<int64_t> v = ParseInt64(member);
      return v && ints_.Contains(*v);
    }
    case Encoding::kListpack:
      return lp_.Find(member, lp_.First(), 0) != ds::Listpack::kEnd;
    case Encoding::kHashtable:
      return table_.Find(member, ds::HashBytes(member)) != nullptr;
  }
  return false;
}

bool SetValue::Insert(std::string_view member) {
  const EncodingLimits& lim = Limits();
  if (enc_ == Encoding::kIntset) {
    if (const std::optional<int64_t> v = ParseInt64(member)) {
      if (ints_.Contains(*v)) return false;
      if (static_cast<int64_t>(ints_.size()) + 1 <= lim.set_max_intset_entries) {
        ints_.Add(*v);
        return true;
      }
      ToHashtable();
    } else if (static_cast<int64_t>(ints_.size()) + 1 <= lim.set_max_listpack_entries &&
               FitsListpack(member)) {
      ToListpack();
    } else {
      ToHashtable();
    }
  }
  if (enc_ == Encoding::kListpack) {
    if (lp_.Find(member, lp_.First(), 0) != ds::Listpack::kEnd) return false;
    if (static_cast<int64_t>(lp_.size()) + 1 <= lim.set_max_listpack_entries &&
        FitsListpack(member)) {
      lp_.PushBack(member);
      return true;
    }
    ToHashtable();
  }
  const uint64_t h = ds::HashBytes(member);
  if (table_.Find(member, h) != nullptr) return false;
  table_.Insert(Element::Create(member, {}, h));
  return true;
}

bool SetValue::Erase(std::string_view member) {
  switch (enc_) {
    case Encoding::kIntset: {
      const std::optional<int64_t> v = ParseInt64(member);
      return v && ints_.Remove(*v);
    }
    case Encoding::kListpack: {
      const uint32_t p = lp_.Find(member, lp_.First(), 0);
      if (p == ds::Listpack::kEnd) return false;
      lp_.Erase(p);
      return true;
    }
    case Encoding::kHashtable: {
      Element* e = table_.Remove(member, ds::HashBytes(member));
      if (e == nullptr) return false;
      Element::Destroy(e);
      return true;
    }
  }
  return false;
}

bool SetValue::Add(std::string_view member) {
  if (!Insert(member)) return false;
  if (log_) log_->changed.emplace(member);
  return true;
}

bool SetValue::Remove(std::string_view member) {
  if (!Erase(member)) return false;
  if (log_) log_->changed.emplace(member);
  return true;
}

void SetValue::Presize(size_t n) {
  const EncodingLimits& lim = Limits();
  const auto big = static_cast<int64_t>(n);
  if (big <= lim.set_max_intset_entries || big <= lim.set_max_listpack_entries) return;
  if (enc_ != Encoding::kHashtable) ToHashtable();
  table_.Reserve(n);
}

void SetValue::ToListpack() {
  std::string buf;
  for (size_t i = 0; i < ints_.size(); i++) {
    buf.clear();
    AppendInt64(buf, ints_.At(i));
    lp_.PushBack(buf);
  }
  ints_ = ds::IntSet();
  enc_ = Encoding::kListpack;
}

void SetValue::ToHashtable() {
  ForEach([&](std::string_view m) { table_.Insert(Element::Create(m, {}, ds::HashBytes(m))); });
  ints_ = ds::IntSet();
  lp_ = ds::Listpack();
  enc_ = Encoding::kHashtable;
}

std::string SetValue::Random() const {
  switch (enc_) {
    case Encoding::kIntset: {
      std::uniform_int_distribution<size_t> pick(0, ints_.size() - 1);
      std::string out;
      AppendInt64(out, ints_.At(pick(Rng())));
      return out;
    }
    case Encoding::kListpack: {
      std::uniform_int_distribution<size_t> pick(0, lp_.size() - 1);
      char buf[24];
      return std::string(lp_.Get(lp_.Seek(pick(Rng())), buf));
    }
    case Encoding::kHashtable:
      return std::string(table_.FairRandom(Rng())->key());
  }
  return {};
}

size_t SetValue::MemoryBytes() const {
  size_t n = sizeof(SetValue) + ints_.bytes() + lp_.bytes();
  if (enc_ != Encoding::kHashtable) return n;
  n += table_.SlotBytes();
  table_.ForEach([&](Element* e) { n += e->AllocatedBytes(); });
  return n;
}

SetValue* SetValue::Clone() const {
  auto* copy = new SetValue();
  copy->enc_ = enc_;
  copy->ints_ = ints_;
  copy->lp_ = lp_;
  table_.ForEach(
      [&](Element* e) { copy->table_.Insert(Element::Create(e->key(), {}, e->hash())); });
  return copy;
}

// ---- the TypeOps row ------------------------------------------------------------------

namespace {

const SetValue& AsSet(const Value& v) { return static_cast<const SetValue&>(v); }

void Encode(const Value& v, std::string* out) {
  const SetValue& s = AsSet(v);
  out->push_back(static_cast<char>(kCodecVersion));
  PutVarint64(out, s.size());
  s.ForEach([&](std::string_view m) { PutLengthPrefixed(out, m); });
}

Result<Value*> Decode(std::string_view in) {
  uint64_t count = 0;
  if (Status st = ReadCodecHeader(&in, "set", &count); !st.ok()) return st;
  if (count == 0) return Status::Corruption("set value: empty");
  SetValue* s = nullptr;
  for (uint64_t i = 0; i < count; i++) {
    std::string_view m;
    if (!GetLengthPrefixed(&in, &m)) {
      delete s;
      return Status::Corruption("set value: truncated member " + std::to_string(i));
    }
    if (s == nullptr) {
      s = new SetValue(m);
      s->Presize(count);
    }
    if (!s->Add(m)) {
      delete s;
      return Status::Corruption("set value: member repeated");
    }
  }
  if (!in.empty()) {
    delete s;
    return Status::Corruption("set value: trailing bytes");
  }
  return static_cast<Value*>(s);
}

void Digest(const Value& v, Sha1& h) {
  UnorderedDigest d;
  AsSet(v).ForEach([&](std::string_view m) { d.Add(m); });
  d.Feed(h);
}

const TypeOps kOps = {
    .type = ValueType::kSet,
    .name = "set",
    .encoding = [](const Value& v) { return AsSet(v).EncodingName(); },
    .length = [](const Value& v) { return AsSet(v).size(); },
    .encode = Encode,
    .decode = Decode,
    .digest = Digest,
    .memory = [](const Value& v) { return AsSet(v).MemoryBytes(); },
    .clone = [](const Value& v) -> Value* { return AsSet(v).Clone(); },
    .destroy = [](Value* v) { delete static_cast<SetValue*>(v); },
    // Element rows: a member's payload is empty.
    .element_log = [](Value& v) { return static_cast<SetValue&>(v).element_log(); },
    .swap_element_log =
        [](Value& v, std::unique_ptr<ElementLog> log) {
          return static_cast<SetValue&>(v).SwapElementLog(std::move(log));
        },
    .each_element =
        [](const Value& v, const TypeOps::ElementFn& fn) {
          AsSet(v).ForEach([&](std::string_view m) { fn(m, {}); });
        },
    .element =
        [](const Value& v, std::string_view member, std::string* payload) {
          payload->clear();
          return AsSet(v).Contains(member);
        },
    .create = [](size_t count) -> Value* {
      auto* s = new SetValue(std::string_view("-"));
      s->Presize(count);
      return s;
    },
    .apply_element = [](Value& v, std::string_view member, std::string_view payload,
                        bool remove) -> Status {
      auto& s = static_cast<SetValue&>(v);
      if (!payload.empty()) return Status::Corruption("set element row: unexpected payload");
      if (remove) {
        s.Remove(member);
      } else {
        s.Add(member);
      }
      return Status::Ok();
    },
};

}  // namespace

const TypeOps& SetValue::Ops() { return kOps; }

}  // namespace tidekv::types
