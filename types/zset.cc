#include "types/zset.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include "common/coding.h"
#include "common/strings.h"
#include "types/codec_util.h"

namespace tidekv::types {

static_assert(sizeof(ZSetValue) == 16, "a small sorted set's object grew");

namespace {

bool FitsListpack(size_t count, size_t max_len) {
  const EncodingLimits& lim = Limits();
  return static_cast<int64_t>(count) <= lim.zset_max_listpack_entries &&
         static_cast<int64_t>(max_len) <= lim.zset_max_listpack_value;
}

// A score as a listpack element: integral scores as their decimal (the listpack stores them
// as integers), others as their 8 bytes, plus a marker byte when those would read as an
// integer. Returns a view into buf.
std::string_view ScoreElement(double score, char (&buf)[24]) {
  if (score == std::trunc(score) && score >= -9.2e18 && score <= 9.2e18 &&
      !(score == 0 && std::signbit(score))) {
    const auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(score));
    return {buf, static_cast<size_t>(r.ptr - buf)};
  }
  std::memcpy(buf, &score, sizeof score);
  std::string_view raw(buf, sizeof score);
  if (!ParseInt64(raw)) return raw;
  buf[sizeof score] = 'f';
  return {buf, sizeof score + 1};
}

// Whether (score, member) sorts before (s2, m2).
bool Before(double score, std::string_view member, double s2, std::string_view m2) {
  return score < s2 || (score == s2 && member < m2);
}

}  // namespace

double ZSetValue::ListpackScore(const ds::Listpack& lp, uint32_t pos) {
  int64_t i = 0;
  if (lp.GetInt(pos, &i)) return static_cast<double>(i);
  char buf[24];
  const std::string_view raw = lp.Get(pos, buf);
  double d = 0;
  std::memcpy(&d, raw.data(), sizeof d);  // 8 or 9 bytes: only ScoreElement writes scores
  return d;
}

ZSetValue::ZSetValue(size_t count, size_t max_len) {
  if (!FitsListpack(count, max_len)) Convert();
}

ZSetValue::~ZSetValue() = default;

std::unique_ptr<ElementLog> ZSetValue::SwapElementLog(std::unique_ptr<ElementLog> log) {
  if (!x_ && !log) return nullptr;
  if (!x_) x_ = std::make_unique<Extra>();
  x_->log.swap(log);
  if (x_->tree == nullptr && x_->log == nullptr) x_.reset();
  return log;
}

void ZSetValue::Convert() {
  if (!x_) x_ = std::make_unique<Extra>();
  x_->tree = std::make_unique<ds::OrderTree>();
  ds::Listpack old = std::move(lp_);
  lp_ = ds::Listpack();
  if (!old.empty()) x_->index.Reserve(old.size() / 2);
  char buf[24];
  for (uint32_t p = old.First(); p != ds::Listpack::kEnd;) {
    const uint32_t s = old.Next(p);
    const std::string_view member = old.Get(p, buf);
    x_->index.Insert(x_->tree->Insert(ListpackScore(old, s), member), ds::HashBytes(member));
    p = old.Next(s);
  }
}

std::optional<double> ZSetValue::Score(std::string_view member) const {
  if (large()) {
    const Node* n = FindNode(member);
    if (n == nullptr) return std::nullopt;
    return n->score();
  }
  const uint32_t p = lp_.Find(member, lp_.First(), 1);
  if (p == ds::Listpack::kEnd) return std::nullopt;
  return ListpackScore(lp_, lp_.Next(p));
}

void ZSetValue::ListpackInsert(std::string_view member, double score) {
  char buf[24], sbuf[24];
  uint32_t p = lp_.First();
  while (p != ds::Listpack::kEnd) {
    const uint32_t s = lp_.Next(p);
    if (Before(score, member, ListpackScore(lp_, s), lp_.Get(p, buf))) break;
    p = lp_.Next(s);
  }
  const std::string_view score_bytes = ScoreElement(score, sbuf);
  if (p == ds::Listpack::kEnd) {
    lp_.PushBack(member);
    lp_.PushBack(score_bytes);
    return;
  }
  const uint32_t m = lp_.Insert(p, member);
  lp_.Insert(lp_.Next(m), score_bytes);
}

void ZSetValue::InsertNew(std::string_view member, double score) {
  if (!large()) {
    if (FitsListpack(size() + 1, member.size())) {
      ListpackInsert(member, score);
      return;
    }
    Convert();
  }
  x_->index.Insert(x_->tree->Insert(score, member), ds::HashBytes(member));
}

ZAddResult ZSetValue::Add(std::string_view member, double score, const ZAddOptions& opt,
                          double* newscore) {
  Node* node = nullptr;
  uint32_t pos = ds::Listpack::kEnd;
  std::optional<double> current;
  if (large()) {
    node = FindNode(member);
    if (node != nullptr) current = node->score();
  } else {
    pos = lp_.Find(member, lp_.First(), 1);
    if (pos != ds::Listpack::kEnd) current = ListpackScore(lp_, lp_.Next(pos));
  }
  if (!current) {
    if (opt.xx) return ZAddResult::kSkipped;
    InsertNew(member, score);
    Note(member);
    *newscore = score;
    return ZAddResult::kAdded;
  }
  if (opt.nx) return ZAddResult::kSkipped;
  if (opt.incr) {
    score += *current;
    if (std::isnan(score)) return ZAddResult::kNaN;
  }
  if ((opt.lt && score >= *current) || (opt.gt && score <= *current)) {
    return ZAddResult::kSkipped;
  }
  *newscore = score;
  if (score == *current) return ZAddResult::kUnchanged;
  if (node != nullptr) {
    x_->tree->UpdateScore(node, score);
  } else {
    lp_.Erase(pos, 2);
    ListpackInsert(member, score);
  }
  Note(member);
  return ZAddResult::kUpdated;
}

void ZSetValue::AppendLast(std::string_view member, double score) {
  Note(member);
  if (large()) {
    x_->index.Insert(x_->tree->Insert(score, member), ds::HashBytes(member));
    return;
  }
  if (!FitsListpack(size() + 1, member.size())) {
    InsertNew(member, score);
    return;
  }
  char buf[24];
  lp_.PushBack(member);
  lp_.PushBack(ScoreElement(score, buf));
}

bool ZSetValue::Set(std::string_view member, double score) {
  double unused = 0;
  return Add(member, score, ZAddOptions{}, &unused) == ZAddResult::kAdded;
}

bool ZSetValue::Remove(std::string_view member) {
  if (large()) {
    Node* n = x_->index.Remove(member, ds::HashBytes(member));
    if (n == nullptr) return false;
    Note(member);
    x_->tree->Erase(n);
    return true;
  }
  const uint32_t p = lp_.Find(member, lp_.First(), 1);
  if (p == ds::Listpack::kEnd) return false;
  Note(member);
  lp_.Erase(p, 2);
  return true;
}

std::optional<size_t> ZSetValue::Rank(std::string_view member) const {
  if (large()) {
    const Node* n = FindNode(member);
    if (n == nullptr) return std::nullopt;
    return x_->tree->Rank(n) - 1;
  }
  const uint32_t p = lp_.Find(member, lp_.First(), 1);
  if (p == ds::Listpack::kEnd) return std::nullopt;
  size_t rank = 0;
  for (uint32_t q = lp_.First(); q != p; q = lp_.Next(lp_.Next(q))) rank++;
  return rank;
}

std::pair<size_t, size_t> ZSetValue::RanksIn(const ds::ScoreRange& range) const {
  if (range.Empty()) return {0, 0};
  if (large()) {
    const Node* first = x_->tree->FirstInRange(range);
    if (first == nullptr) return {0, 0};
    const Node* last = x_->tree->LastInRange(range);
    return {x_->tree->Rank(first) - 1, x_->tree->Rank(last)};
  }
  size_t begin = 0, end = 0, rank = 0;
  bool found = false;
  for (uint32_t p = lp_.First(); p != ds::Listpack::kEnd; p = lp_.Next(lp_.Next(p)), rank++) {
    const double score = ListpackScore(lp_, lp_.Next(p));
    if (!found) {
      if (!range.AboveMin(score)) continue;
      found = true;
      begin = end = rank;
    }
    if (!range.BelowMax(score)) break;
    end = rank + 1;
  }
  return {begin, end};
}

std::pair<size_t, size_t> ZSetValue::RanksIn(const ds::LexRange& range) const {
  if (range.Empty()) return {0, 0};
  if (large()) {
    const Node* first = x_->tree->FirstInRange(range);
    if (first == nullptr) return {0, 0};
    const Node* last = x_->tree->LastInRange(range);
    const size_t begin = x_->tree->Rank(first) - 1;
    const size_t end = last == nullptr ? begin : x_->tree->Rank(last);
    return {begin, std::max(begin, end)};
  }
  size_t begin = 0, end = 0, rank = 0;
  bool found = false;
  char buf[24];
  for (uint32_t p = lp_.First(); p != ds::Listpack::kEnd; p = lp_.Next(lp_.Next(p)), rank++) {
    const std::string_view member = lp_.Get(p, buf);
    if (!found) {
      if (!range.AboveMin(member)) continue;
      found = true;
      begin = end = rank;
    }
    if (!range.BelowMax(member)) break;
    end = rank + 1;
  }
  return {begin, end};
}

size_t ZSetValue::RemoveRanks(size_t begin, size_t end) {
  end = std::min(end, size());
  if (begin >= end) return 0;
  if (large()) {
    return x_->tree->EraseRanks(begin + 1, end, [&](Node* n) {
      Note(n->member());
      x_->index.Remove(n->member(), ds::HashBytes(n->member()));
    });
  }
  if (element_log() != nullptr) {
    ForRanks(begin, end, false, [&](std::string_view member, double) { Note(member); });
  }
  lp_.Erase(lp_.Seek(2 * begin), 2 * (end - begin));
  return end - begin;
}

void ZSetValue::Random(std::string* member, double* score) const {
  if (large()) {
    const Node* n = x_->index.FairRandom(Rng());
    member->assign(n->member());
    *score = n->score();
    return;
  }
  std::uniform_int_distribution<size_t> pick(0, size() - 1);
  const uint32_t p = lp_.Seek(pick(Rng()) * 2);
  char buf[24];
  member->assign(lp_.Get(p, buf));
  *score = ListpackScore(lp_, lp_.Next(p));
}

size_t ZSetValue::MemoryBytes() const {
  size_t n = sizeof(ZSetValue) + lp_.bytes();
  if (!x_) return n;
  n += sizeof(Extra);
  if (x_->tree) n += sizeof(ds::OrderTree) + x_->tree->MemoryBytes() + x_->index.SlotBytes();
  return n;
}

ZSetValue* ZSetValue::Clone() const {
  auto* copy = new ZSetValue(0, 0);
  if (!large()) {
    copy->lp_ = lp_;
    return copy;
  }
  copy->Convert();
  copy->x_->index.Reserve(size());
  // In order: each insert appends to the last leaf, which fills leaves best.
  ForRanks(0, size(), false, [&](std::string_view member, double score) {
    copy->x_->index.Insert(copy->x_->tree->Insert(score, member), ds::HashBytes(member));
  });
  return copy;
}

// ---- the TypeOps row ------------------------------------------------------------------

namespace {

const ZSetValue& AsZSet(const Value& v) { return static_cast<const ZSetValue&>(v); }

uint64_t ScoreBits(double score) { return std::bit_cast<uint64_t>(score); }

// Version 1: the member count, then per member (lowest first) the member, length-prefixed,
// and its score as 8 little-endian IEEE bytes.
void Encode(const Value& v, std::string* out) {
  const ZSetValue& z = AsZSet(v);
  out->push_back(static_cast<char>(kCodecVersion));
  PutVarint64(out, z.size());
  z.ForEach([&](std::string_view member, double score) {
    PutLengthPrefixed(out, member);
    PutFixed64(out, ScoreBits(score));
  });
}

Result<Value*> Decode(std::string_view in) {
  uint64_t count = 0;
  if (Status st = ReadCodecHeader(&in, "zset", &count); !st.ok()) return st;
  if (count == 0) return Status::Corruption("zset value: empty");
  if (count > in.size() / 9) return Status::Corruption("zset value: truncated");
  std::vector<std::pair<double, std::string_view>> items;
  items.reserve(count);
  size_t max_len = 0;
  for (uint64_t i = 0; i < count; i++) {
    std::string_view member;
    uint64_t bits = 0;
    if (!GetLengthPrefixed(&in, &member) || !GetFixed64(&in, &bits)) {
      return Status::Corruption("zset value: truncated member " + std::to_string(i));
    }
    const double score = std::bit_cast<double>(bits);
    if (std::isnan(score)) return Status::Corruption("zset value: a score is NaN");
    items.emplace_back(score, member);
    max_len = std::max(max_len, member.size());
  }
  if (!in.empty()) return Status::Corruption("zset value: trailing bytes");
  std::vector<std::string_view> members;
  members.reserve(count);
  for (const auto& item : items) members.push_back(item.second);
  std::sort(members.begin(), members.end());
  if (std::adjacent_find(members.begin(), members.end()) != members.end()) {
    return Status::Corruption("zset value: member repeated");
  }
  std::sort(items.begin(), items.end());
  auto* z = new ZSetValue(count, max_len);
  for (const auto& [score, member] : items) z->AppendLast(member, score);
  return static_cast<Value*>(z);
}

void Digest(const Value& v, Sha1& h) {
  UnorderedDigest d;
  AsZSet(v).ForEach(
      [&](std::string_view member, double score) { d.Add(member, FormatDouble(score)); });
  d.Feed(h);
}

// Element rows: the payload is the score's 8 little-endian IEEE bytes.
std::string ScorePayload(double score) {
  std::string out;
  PutFixed64(&out, ScoreBits(score));
  return out;
}

Status ApplyElement(Value& v, std::string_view member, std::string_view payload, bool remove) {
  auto& z = static_cast<ZSetValue&>(v);
  if (remove) {
    z.Remove(member);
    return Status::Ok();
  }
  uint64_t bits = 0;
  if (payload.size() != 8 || !GetFixed64(&payload, &bits) ||
      std::isnan(std::bit_cast<double>(bits))) {
    return Status::Corruption("zset element row: bad score");
  }
  z.Set(member, std::bit_cast<double>(bits));
  return Status::Ok();
}

const TypeOps kOps = {
    .type = ValueType::kZSet,
    .name = "zset",
    .encoding = [](const Value& v) { return AsZSet(v).EncodingName(); },
    .length = [](const Value& v) { return AsZSet(v).size(); },
    .encode = Encode,
    .decode = Decode,
    .digest = Digest,
    .memory = [](const Value& v) { return AsZSet(v).MemoryBytes(); },
    .clone = [](const Value& v) -> Value* { return AsZSet(v).Clone(); },
    .destroy = [](Value* v) { delete static_cast<ZSetValue*>(v); },
    .element_log = [](Value& v) { return static_cast<ZSetValue&>(v).element_log(); },
    .swap_element_log =
        [](Value& v, std::unique_ptr<ElementLog> log) {
          return static_cast<ZSetValue&>(v).SwapElementLog(std::move(log));
        },
    .each_element =
        [](const Value& v, const TypeOps::ElementFn& fn) {
          AsZSet(v).ForEach(
              [&](std::string_view member, double score) { fn(member, ScorePayload(score)); });
        },
    .element =
        [](const Value& v, std::string_view member, std::string* payload) {
          const std::optional<double> score = AsZSet(v).Score(member);
          if (!score) return false;
          *payload = ScorePayload(*score);
          return true;
        },
    .create = [](size_t count) -> Value* { return new ZSetValue(count, 0); },
    .apply_element = ApplyElement,
};

}  // namespace

const TypeOps& ZSetValue::Ops() { return kOps; }

}  // namespace tidekv::types
