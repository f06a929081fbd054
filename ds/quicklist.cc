#include "ds/quicklist.h"

#include <lz4.h>

#include <algorithm>
#include <cstring>

#include "common/alloc.h"
#include "common/check.h"

namespace tidekv::ds {
namespace {

// A node's limits under a fill setting (Redis's quicklistNodeLimit): positive fill counts
// elements, within Redis's 8 KiB safety limit; negative fill is a size class.
struct NodeLimit {
  size_t bytes;
  size_t count;
};

constexpr size_t kSafetyBytes = 8192;

NodeLimit LimitOf(int64_t fill) {
  if (fill >= 0) return {kSafetyBytes, fill == 0 ? 1 : static_cast<size_t>(fill)};
  static constexpr size_t kLevels[] = {4096, 8192, 16384, 32768, 65536};
  const auto level = std::min<uint64_t>(static_cast<uint64_t>(-(fill + 1)), 4);
  return {kLevels[level], SIZE_MAX};
}

// A node always takes at least one element, however large.
bool Fits(const NodeLimit& lim, size_t bytes, size_t count) {
  return count <= 1 || (bytes <= lim.bytes && count <= lim.count);
}

// Redis compresses nodes of at least 48 bytes, and keeps the result only when it saves 8.
constexpr size_t kMinCompressBytes = 48;
constexpr size_t kMinCompressGain = 8;
constexpr size_t kPackedHeader = 8;  // u32 raw bytes, u32 compressed bytes

// Splits values into listpacks that each fit lim (greedy: every one but the last is full).
std::vector<Listpack> Pack(std::span<const std::string_view> values, const NodeLimit& lim) {
  std::vector<Listpack> out;
  size_t begin = 0, bytes = Listpack::kHeaderBytes;
  for (size_t i = 0; i < values.size(); i++) {
    const size_t add = Listpack::EncodedBytes(values[i]);
    if (i > begin && !Fits(lim, bytes + add, i - begin + 1)) {
      out.emplace_back().AppendAll(values.subspan(begin, i - begin));
      begin = i;
      bytes = Listpack::kHeaderBytes;
    }
    bytes += add;
  }
  if (begin < values.size()) out.emplace_back().AppendAll(values.subspan(begin));
  return out;
}

// The elements of lp as strings (integers rendered), for repacking.
std::vector<std::string> Elements(const Listpack& lp) {
  std::vector<std::string> out;
  out.reserve(lp.size());
  char buf[24];
  for (uint32_t p = lp.First(); p != Listpack::kEnd; p = lp.Next(p))
    out.emplace_back(lp.Get(p, buf));
  return out;
}

}  // namespace

// ---- Node ------------------------------------------------------------------------------

Quicklist::Node::Node(uint64_t node_id, Listpack elements)
    : id(node_id), lp(std::move(elements)), count(static_cast<uint32_t>(lp.size())) {}

Quicklist::Node::~Node() { FreeBytes(packed); }

Quicklist::Node::Node(const Node& other)
    : id(other.id), lp(other.lp), count(other.count), incompressible(other.incompressible) {
  if (other.packed != nullptr) {
    const size_t n = kPackedHeader + LoadUnaligned<uint32_t>(other.packed + 4);
    packed = static_cast<unsigned char*>(ResizeBytes(nullptr, n));
    std::memcpy(packed, other.packed, n);
  }
}

Quicklist::Node::Node(Node&& other) noexcept
    : id(other.id),
      lp(std::move(other.lp)),
      packed(std::exchange(other.packed, nullptr)),
      count(other.count),
      incompressible(other.incompressible) {}

Quicklist::Node& Quicklist::Node::operator=(Node&& other) noexcept {
  std::swap(id, other.id);
  std::swap(lp, other.lp);
  std::swap(packed, other.packed);
  std::swap(count, other.count);
  std::swap(incompressible, other.incompressible);
  return *this;
}

size_t Quicklist::Node::raw_bytes() const {
  if (packed != nullptr) return LoadUnaligned<uint32_t>(packed);
  return lp.empty() ? Listpack::kHeaderBytes : lp.bytes();
}

// ---- Quicklist -------------------------------------------------------------------------

Quicklist::~Quicklist() = default;
Quicklist::Quicklist(Quicklist&&) noexcept = default;
Quicklist& Quicklist::operator=(Quicklist&&) noexcept = default;

Quicklist::Quicklist(const Quicklist& other) : lp_(other.lp_) {
  if (other.m_) m_ = std::make_unique<Multi>(*other.m_);
}

size_t Quicklist::size() const { return m_ ? m_->count : lp_.size(); }

size_t Quicklist::node_count() const {
  if (m_) return m_->nodes.size();
  return lp_.empty() ? 0 : 1;
}

size_t Quicklist::compressed_nodes() const {
  if (!m_) return 0;
  return static_cast<size_t>(std::count_if(m_->nodes.begin(), m_->nodes.end(),
                                           [](const Node& n) { return n.packed != nullptr; }));
}

size_t Quicklist::bytes() const {
  if (!m_) return lp_.bytes();
  // The deque's blocks: 512 bytes each, plus its map.
  size_t n = sizeof(Multi) + (m_->nodes.size() * sizeof(Node) / 512 + 1) * 512 + 64 +
             m_->tail.offsets.capacity() * sizeof(uint32_t);
  for (const Node& node : m_->nodes) {
    n += node.lp.bytes();
    if (node.packed != nullptr) n += kPackedHeader + LoadUnaligned<uint32_t>(node.packed + 4);
  }
  return n;
}

void Quicklist::Note(uint64_t id, const QuicklistOptions& opt) const {
  if (opt.observer != nullptr) opt.observer->NodeChanged(id);
}

Listpack Quicklist::Unpacked(const Node& n) {
  const uint32_t raw = LoadUnaligned<uint32_t>(n.packed);
  const uint32_t size = LoadUnaligned<uint32_t>(n.packed + 4);
  std::string buf(raw, '\0');
  const int got = LZ4_decompress_safe(reinterpret_cast<const char*>(n.packed + kPackedHeader),
                                      buf.data(), static_cast<int>(size), static_cast<int>(raw));
  TIDEKV_CHECK(got == static_cast<int>(raw));
  return Listpack::FromTrustedRaw(buf);
}

const Listpack& Quicklist::View(size_t i, Listpack* scratch) const {
  const Node& n = m_->nodes[i];
  if (n.packed == nullptr) return n.lp;
  *scratch = Unpacked(n);
  return *scratch;
}

Listpack& Quicklist::Mut(size_t i, const QuicklistOptions& opt) {
  Node& n = m_->nodes[i];
  if (m_->tail.id == n.id) ForgetTail();
  Decompress(n);
  n.incompressible = false;
  Note(n.id, opt);
  return n.lp;
}

void Quicklist::Compress(Node& n) {
  if (n.packed != nullptr || n.incompressible) return;
  const std::string_view raw = n.lp.Raw();
  if (raw.size() < kMinCompressBytes) {
    n.incompressible = true;
    return;
  }
  const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
  auto* out = static_cast<unsigned char*>(ResizeBytes(nullptr, kPackedHeader + bound));
  const int size = LZ4_compress_default(raw.data(), reinterpret_cast<char*>(out + kPackedHeader),
                                        static_cast<int>(raw.size()), bound);
  if (size <= 0 || static_cast<size_t>(size) + kMinCompressGain + kPackedHeader >= raw.size()) {
    FreeBytes(out);
    n.incompressible = true;
    return;
  }
  n.packed = static_cast<unsigned char*>(ResizeBytes(out, kPackedHeader + size));
  StoreUnaligned<uint32_t>(n.packed, static_cast<uint32_t>(raw.size()));
  StoreUnaligned<uint32_t>(n.packed + 4, static_cast<uint32_t>(size));
  n.lp.Clear();
}

void Quicklist::Decompress(Node& n) {
  if (n.packed == nullptr) return;
  n.lp = Unpacked(n);
  FreeBytes(n.packed);
  n.packed = nullptr;
}

// The nodes within compress_depth of either end stay plain; the first ones past it are
// compressed (pushes and pops move only those).
void Quicklist::SettleEnds(const QuicklistOptions& opt) {
  std::deque<Node>& nodes = m_->nodes;
  const size_t n = nodes.size();
  if (opt.compress_depth <= 0 || n == 0) return;
  const size_t depth = static_cast<size_t>(std::min<int64_t>(opt.compress_depth, INT32_MAX));
  for (size_t i = 0; i < std::min(depth, n); i++) {
    Decompress(nodes[i]);
    Decompress(nodes[n - 1 - i]);
  }
  if (n > 2 * depth) {
    Compress(nodes[depth]);
    Compress(nodes[n - 1 - depth]);
  }
}

void Quicklist::SettleAll(const QuicklistOptions& opt) {
  std::deque<Node>& nodes = m_->nodes;
  const size_t n = nodes.size();
  if (opt.compress_depth <= 0) return;
  const size_t depth = static_cast<size_t>(std::min<int64_t>(opt.compress_depth, INT32_MAX));
  for (size_t i = 0; i < n; i++) {
    if (i < depth || i >= n - std::min(depth, n)) {
      Decompress(nodes[i]);
    } else {
      Compress(nodes[i]);
    }
  }
}

std::pair<size_t, size_t> Quicklist::Locate(size_t index) const {
  const std::deque<Node>& nodes = m_->nodes;
  if (index < m_->count / 2) {
    for (size_t i = 0;; i++) {
      if (index < nodes[i].count) return {i, index};
      index -= nodes[i].count;
    }
  }
  size_t from_end = m_->count - 1 - index;
  for (size_t i = nodes.size(); i-- > 0;) {
    if (from_end < nodes[i].count) return {i, nodes[i].count - 1 - from_end};
    from_end -= nodes[i].count;
  }
  TIDEKV_CHECK(false);
  return {0, 0};
}

void Quicklist::Expand() {
  m_ = std::make_unique<Multi>();
  m_->count = lp_.size();
  if (!lp_.empty()) m_->nodes.emplace_back(kFirstId, std::move(lp_));
  lp_ = Listpack();
}

// Back to one bare listpack when one node is left holding at most half a node's limits
// (Redis 7.2's shrinking rule, so a list on the boundary does not convert back and forth).
void Quicklist::MaybeCollapse(const QuicklistOptions& opt) {
  if (!m_ || m_->nodes.size() > 1) return;
  if (!m_->nodes.empty()) {
    const NodeLimit lim = LimitOf(opt.fill);
    Node& n = m_->nodes.front();
    if (n.raw_bytes() > lim.bytes / 2 || n.count > lim.count / 2) return;
    Decompress(n);
    if (n.id != kFirstId) {
      Note(n.id, opt);
      Note(kFirstId, opt);
    }
    lp_ = std::move(n.lp);
  }
  m_.reset();
}

uint64_t Quicklist::IdAt(size_t pos, const QuicklistOptions& opt) {
  const std::deque<Node>& nodes = m_->nodes;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (nodes.empty()) return kFirstId;
    if (pos == 0) {
      if (nodes.front().id > kIdGap) return nodes.front().id - kIdGap;
    } else if (pos == nodes.size()) {
      if (nodes.back().id < UINT64_MAX - kIdGap) return nodes.back().id + kIdGap;
    } else {
      const uint64_t lo = nodes[pos - 1].id, hi = nodes[pos].id;
      if (hi - lo >= 2) return lo + (hi - lo) / 2;
    }
    Renumber(opt);
  }
  TIDEKV_CHECK(false);
  return 0;
}

void Quicklist::Renumber(const QuicklistOptions& opt) {
  ForgetTail();
  std::deque<Node>& nodes = m_->nodes;
  const uint64_t start = kFirstId - (nodes.size() / 2) * kIdGap;
  for (size_t i = 0; i < nodes.size(); i++) {
    Note(nodes[i].id, opt);
    nodes[i].id = start + i * kIdGap;
    Note(nodes[i].id, opt);
  }
}

void Quicklist::InsertNode(size_t pos, Listpack lp, const QuicklistOptions& opt) {
  ForgetTail();
  const uint64_t id = IdAt(pos, opt);
  m_->count += lp.size();
  m_->nodes.emplace(m_->nodes.begin() + static_cast<ptrdiff_t>(pos), id, std::move(lp));
  Note(id, opt);
}

void Quicklist::EraseNodes(size_t pos, size_t n, const QuicklistOptions& opt) {
  ForgetTail();
  std::deque<Node>& nodes = m_->nodes;
  const auto first = nodes.begin() + static_cast<ptrdiff_t>(pos);
  for (auto it = first; it != first + static_cast<ptrdiff_t>(n); ++it) {
    m_->count -= it->count;
    Note(it->id, opt);
  }
  nodes.erase(first, first + static_cast<ptrdiff_t>(n));
}

size_t Quicklist::Split(size_t i, const QuicklistOptions& opt) {
  const NodeLimit lim = LimitOf(opt.fill);
  Node& node = m_->nodes[i];
  if (Fits(lim, node.raw_bytes(), node.count)) return 1;
  const std::vector<std::string> all = Elements(Mut(i, opt));
  const std::vector<std::string_view> views(all.begin(), all.end());
  std::vector<Listpack> pieces = Pack(views, lim);
  m_->count -= node.count;
  node.lp = std::move(pieces[0]);
  node.count = static_cast<uint32_t>(node.lp.size());
  m_->count += node.count;
  for (size_t j = 1; j < pieces.size(); j++) InsertNode(i + j, std::move(pieces[j]), opt);
  return pieces.size();
}

bool Quicklist::TryMerge(size_t i, const QuicklistOptions& opt) {
  std::deque<Node>& nodes = m_->nodes;
  if (i + 1 >= nodes.size()) return false;
  const size_t bytes = nodes[i].raw_bytes() + nodes[i + 1].raw_bytes() - Listpack::kHeaderBytes;
  if (!Fits(LimitOf(opt.fill), bytes, size_t{nodes[i].count} + nodes[i + 1].count)) return false;
  Listpack scratch;
  const std::vector<std::string> next = Elements(View(i + 1, &scratch));
  const std::vector<std::string_view> views(next.begin(), next.end());
  Mut(i, opt).AppendAll(views);
  nodes[i].count += nodes[i + 1].count;
  m_->count += nodes[i + 1].count;
  EraseNodes(i + 1, 1, opt);
  return true;
}

void Quicklist::Normalize(size_t lo, size_t hi, const QuicklistOptions& opt) {
  std::deque<Node>& nodes = m_->nodes;
  for (size_t i = std::min(hi, nodes.size() - 1) + 1; i-- > lo && i < nodes.size();) {
    if (nodes[i].count == 0) {
      EraseNodes(i, 1, opt);
      continue;
    }
    Split(i, opt);
    TryMerge(i, opt);
  }
  if (lo > 0 && lo - 1 < nodes.size()) TryMerge(lo - 1, opt);
  SettleAll(opt);
  MaybeCollapse(opt);
}

// ---- changes ---------------------------------------------------------------------------

void Quicklist::Push(bool front, std::string_view value, const QuicklistOptions& opt) {
  const NodeLimit lim = LimitOf(opt.fill);
  const size_t add = Listpack::EncodedBytes(value);
  if (single()) {
    if (lp_.empty() || Fits(lim, lp_.bytes() + add, lp_.size() + 1)) {
      lp_.Insert(front ? lp_.First() : Listpack::kEnd, value);
      Note(kFirstId, opt);
      return;
    }
    Expand();
  }
  std::deque<Node>& nodes = m_->nodes;
  const size_t i = front ? 0 : nodes.size() - 1;
  if (!nodes.empty() && Fits(lim, nodes[i].raw_bytes() + add, size_t{nodes[i].count} + 1)) {
    Listpack& lp = Mut(i, opt);
    lp.Insert(front ? lp.First() : Listpack::kEnd, value);
    nodes[i].count++;
    m_->count++;
  } else {
    Listpack lp;
    lp.PushBack(value);
    InsertNode(front ? 0 : nodes.size(), std::move(lp), opt);
  }
  SettleEnds(opt);
}

void Quicklist::AppendAll(std::span<const std::string_view> values, const QuicklistOptions& opt) {
  const NodeLimit lim = LimitOf(opt.fill);
  // As many as still fit the last node (or the bare listpack) go there.
  Listpack* tail =
      single() ? &lp_ : (m_->nodes.empty() ? nullptr : &Mut(m_->nodes.size() - 1, opt));
  size_t taken = 0;
  if (tail != nullptr) {
    size_t bytes = tail->empty() ? Listpack::kHeaderBytes : tail->bytes();
    size_t count = tail->size();
    while (taken < values.size() &&
           Fits(lim, bytes + Listpack::EncodedBytes(values[taken]), count + 1)) {
      bytes += Listpack::EncodedBytes(values[taken]);
      count++;
      taken++;
    }
    tail->AppendAll(values.first(taken));
    if (single()) {
      Note(kFirstId, opt);
    } else {
      m_->nodes.back().count += static_cast<uint32_t>(taken);
      m_->count += taken;
    }
  }
  if (taken == values.size()) return;
  if (single()) Expand();
  for (Listpack& piece : Pack(values.subspan(taken), lim)) {
    InsertNode(m_->nodes.size(), std::move(piece), opt);
  }
  SettleAll(opt);
}

std::string Quicklist::Pop(bool front, const QuicklistOptions& opt) {
  TIDEKV_CHECK(!empty());
  char buf[24];
  if (single()) {
    const uint32_t p = front ? lp_.First() : lp_.Seek(lp_.size() - 1);
    std::string out(lp_.Get(p, buf));
    lp_.Erase(p);
    Note(kFirstId, opt);
    return out;
  }
  std::deque<Node>& nodes = m_->nodes;
  const size_t i = front ? 0 : nodes.size() - 1;
  TailOffsets tail;
  if (!front) tail = std::move(m_->tail);  // Mut would drop it
  Listpack& lp = Mut(i, opt);
  if (!front) m_->tail = std::move(tail);
  const uint32_t p = front ? lp.First() : TailLast(i, lp);
  std::string out(lp.Get(p, buf));
  lp.Erase(p);
  if (!front) m_->tail.offsets.pop_back();  // the elements before it did not move
  nodes[i].count--;
  m_->count--;
  if (nodes[i].count == 0) EraseNodes(i, 1, opt);
  SettleEnds(opt);
  MaybeCollapse(opt);
  return out;
}

uint32_t Quicklist::TailLast(size_t i, const Listpack& lp) {
  TailOffsets& tail = m_->tail;
  const Node& n = m_->nodes[i];
  if (!tail.valid || tail.id != n.id || tail.offsets.size() != n.count) {
    tail.valid = true;
    tail.id = n.id;
    tail.offsets.clear();
    for (uint32_t p = lp.First(); p != Listpack::kEnd; p = lp.Next(p)) tail.offsets.push_back(p);
    TIDEKV_CHECK(tail.offsets.size() == n.count);
  }
#ifndef NDEBUG
  // Debug builds (and the sanitizer run of every test) check the kept offsets against a walk.
  TIDEKV_CHECK(tail.offsets.back() == lp.Seek(n.count - 1));
#endif
  return tail.offsets.back();
}

std::string Quicklist::At(size_t index) const {
  TIDEKV_CHECK(index < size());
  char buf[24];
  if (single()) return std::string(lp_.Get(lp_.Seek(index), buf));
  auto [i, k] = Locate(index);
  Listpack scratch;
  const Listpack& lp = View(i, &scratch);
  return std::string(lp.Get(lp.Seek(k), buf));
}

void Quicklist::Set(size_t index, std::string_view value, const QuicklistOptions& opt) {
  TIDEKV_CHECK(index < size());
  if (single()) {
    lp_.Replace(lp_.Seek(index), value);
    Note(kFirstId, opt);
    if (Fits(LimitOf(opt.fill), lp_.bytes(), lp_.size())) return;
    Expand();
    Normalize(0, 0, opt);
    return;
  }
  auto [i, k] = Locate(index);
  Listpack& lp = Mut(i, opt);
  lp.Replace(lp.Seek(k), value);
  Normalize(i, i, opt);
}

void Quicklist::Insert(size_t index, std::string_view value, const QuicklistOptions& opt) {
  TIDEKV_CHECK(index <= size());
  if (index == 0 || index == size()) return Push(index == 0, value, opt);
  if (single()) {
    lp_.Insert(lp_.Seek(index), value);
    Note(kFirstId, opt);
    if (Fits(LimitOf(opt.fill), lp_.bytes(), lp_.size())) return;
    Expand();
    Normalize(0, 0, opt);
    return;
  }
  auto [i, k] = Locate(index);
  Listpack& lp = Mut(i, opt);
  lp.Insert(lp.Seek(k), value);
  m_->nodes[i].count++;
  m_->count++;
  Normalize(i, i, opt);
}

void Quicklist::Erase(size_t index, size_t count, const QuicklistOptions& opt) {
  if (index >= size() || count == 0) return;
  count = std::min(count, size() - index);
  if (single()) {
    lp_.Erase(lp_.Seek(index), count);
    Note(kFirstId, opt);
    return;
  }
  auto [i, k] = Locate(index);
  const size_t first = i;
  std::deque<Node>& nodes = m_->nodes;
  if (k > 0 || count < nodes[i].count) {  // the first node keeps some of its elements
    const size_t take = std::min<size_t>(nodes[i].count - k, count);
    Listpack& lp = Mut(i, opt);
    lp.Erase(lp.Seek(k), take);
    nodes[i].count -= static_cast<uint32_t>(take);
    m_->count -= take;
    count -= take;
    i++;
  }
  size_t whole = 0;  // nodes removed without looking inside
  while (count > 0 && i + whole < nodes.size() && nodes[i + whole].count <= count) {
    count -= nodes[i + whole].count;
    whole++;
  }
  EraseNodes(i, whole, opt);
  if (count > 0) {  // the start of the last node
    Listpack& lp = Mut(i, opt);
    lp.Erase(lp.First(), count);
    nodes[i].count -= static_cast<uint32_t>(count);
    m_->count -= count;
  }
  Normalize(first, first + 1, opt);
}

size_t Quicklist::RemoveEqual(std::string_view value, size_t limit, bool from_tail,
                              const QuicklistOptions& opt) {
  size_t removed = 0;
  // Removes from lp the matches it should (the first or last ones, within the limit).
  auto remove_in = [&](Listpack& lp) {
    std::vector<uint32_t> found;
    for (uint32_t p = lp.Find(value, lp.First(), 0); p != Listpack::kEnd;
         p = lp.Find(value, lp.Next(p), 0)) {
      found.push_back(p);
    }
    const size_t room = limit == 0 ? found.size() : std::min(found.size(), limit - removed);
    const size_t begin = from_tail ? found.size() - room : 0;
    for (size_t j = begin + room; j-- > begin;) lp.Erase(found[j]);  // later offsets first
    removed += room;
    return room;
  };
  if (single()) {
    if (!lp_.empty() && remove_in(lp_) > 0) Note(kFirstId, opt);
    return removed;
  }
  std::deque<Node>& nodes = m_->nodes;
  const size_t n = nodes.size();
  size_t lo = n, hi = 0;
  Listpack scratch;
  for (size_t step = 0; step < n && (limit == 0 || removed < limit); step++) {
    const size_t i = from_tail ? n - 1 - step : step;
    const Listpack& view = View(i, &scratch);
    if (view.Find(value, view.First(), 0) == Listpack::kEnd) continue;
    Listpack& lp = Mut(i, opt);
    const size_t gone = remove_in(lp);
    nodes[i].count -= static_cast<uint32_t>(gone);
    m_->count -= gone;
    lo = std::min(lo, i);
    hi = std::max(hi, i);
  }
  if (lo <= hi) Normalize(lo, hi, opt);
  return removed;
}

// ---- nodes by id -----------------------------------------------------------------------

bool Quicklist::NodeRaw(uint64_t id, std::string* out) const {
  if (single()) {
    if (id != kFirstId || lp_.empty()) return false;
    out->assign(lp_.Raw());
    return true;
  }
  const std::deque<Node>& nodes = m_->nodes;
  auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                             [](const Node& n, uint64_t v) { return n.id < v; });
  if (it == nodes.end() || it->id != id) return false;
  Listpack scratch;
  out->assign(View(static_cast<size_t>(it - nodes.begin()), &scratch).Raw());
  return true;
}

bool Quicklist::ApplyNode(uint64_t id, std::string_view raw, bool remove) {
  if (m_) ForgetTail();
  std::optional<Listpack> lp;
  if (!remove) {
    lp = Listpack::FromRaw(raw);
    if (!lp || lp->empty()) return false;
  }
  if (single() && id == kFirstId) {
    lp_ = remove ? Listpack() : std::move(*lp);
    return true;
  }
  if (single()) Expand();
  std::deque<Node>& nodes = m_->nodes;
  auto it = std::lower_bound(nodes.begin(), nodes.end(), id,
                             [](const Node& n, uint64_t v) { return n.id < v; });
  const bool present = it != nodes.end() && it->id == id;
  if (present) m_->count -= it->count;
  if (remove) {
    if (present) nodes.erase(it);
    return true;
  }
  m_->count += lp->size();
  if (present) {
    *it = Node(id, std::move(*lp));
  } else {
    nodes.emplace(it, id, std::move(*lp));
  }
  return true;
}

std::vector<uint64_t> Quicklist::NodeIds() const {
  std::vector<uint64_t> ids;
  ForEachNode([&](uint64_t id, std::string_view) { ids.push_back(id); });
  return ids;
}

}  // namespace tidekv::ds
