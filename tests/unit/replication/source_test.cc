// Source: offsets, the eviction rules (durable only, budget, newest kept, watermark), reads
// and paging across blocks, byte accounting, and a randomized run against a deque model.
#include "replication/source.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "proto/frame.h"

namespace tidekv::replication {
namespace {

constexpr size_t kBlock = 64 * 1024;  // the block size source.cc packs frames into
constexpr size_t kAll = std::numeric_limits<size_t>::max();
constexpr uint64_t kMaxOffset = std::numeric_limits<uint64_t>::max();

// The frame SET key:<offset> <value_bytes of a letter> in db offset % 3.
std::string MakeFrame(uint64_t offset, size_t value_bytes) {
  const std::string key = "key:" + std::to_string(offset);
  const std::string value(value_bytes, static_cast<char>('a' + offset % 26));
  const std::vector<std::string_view> argv = {"SET", key, value};
  std::string out;
  proto::EncodeFrame(offset, static_cast<int>(offset % 3), argv, &out);
  return out;
}

// Offsets of the frames in buf, which must hold whole frames back to back.
std::vector<uint64_t> Offsets(std::string_view buf) {
  std::vector<uint64_t> offsets;
  proto::Frame frame;
  std::string error;
  while (!buf.empty()) {
    REQUIRE(proto::DecodeFrame(buf, &frame, &error) == proto::FrameStatus::kOk);
    offsets.push_back(frame.offset);
    buf.remove_prefix(frame.size);
  }
  return offsets;
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> offsets;
  for (uint64_t o = from; o < to; o++) offsets.push_back(o);
  return offsets;
}

// A source plus every frame pushed into it, to check what it holds against.
struct Harness {
  explicit Harness(uint64_t budget, uint64_t next_offset = 0)
      : source(budget, next_offset), base(next_offset) {}

  // Pushes the frame for next_offset() and checks the offset it was given.
  const std::string& Push(size_t value_bytes = 16) {
    const uint64_t offset = source.next_offset();
    pushed.push_back(MakeFrame(offset, value_bytes));
    REQUIRE(source.Push(pushed.back()) == offset);
    REQUIRE(source.next_offset() == offset + 1);
    return pushed.back();
  }

  const std::string& At(uint64_t offset) const { return pushed.at(offset - base); }
  std::string Expected(uint64_t from, uint64_t to) const {
    std::string out;
    for (uint64_t o = from; o < to; o++) out += At(o);
    return out;
  }
  uint64_t ExpectedBytes(uint64_t from, uint64_t to) const {
    uint64_t bytes = 0;
    for (uint64_t o = from; o < to; o++) bytes += At(o).size();
    return bytes;
  }

  // bytes() and the contents match exactly the frames [first_offset, next_offset).
  void Check() const {
    const uint64_t first = source.first_offset();
    const uint64_t next = source.next_offset();
    REQUIRE(first <= next);
    CHECK(source.frames() == next - first);
    CHECK(source.bytes() == ExpectedBytes(first, next));
    std::string out;
    uint64_t end = 0;
    REQUIRE(source.FramesFrom(first, kAll, &out, &end) == Source::Read::kOk);
    CHECK(end == next);
    CHECK(out == Expected(first, next));
  }

  Source source;
  uint64_t base;
  std::vector<std::string> pushed;  // by offset - base
};

TEST_CASE("source: a fresh source holds nothing", "[source]") {
  Source source(1000);
  CHECK(source.first_offset() == 0);
  CHECK(source.next_offset() == 0);
  CHECK(source.frames() == 0);
  CHECK(source.bytes() == 0);
  CHECK(source.budget() == 1000);
  CHECK(source.durable_next() == 0);

  std::string out = "kept";
  uint64_t next = 99;
  CHECK(source.FramesFrom(0, kAll, &out, &next) == Source::Read::kOk);
  CHECK(out == "kept");
  CHECK(next == 0);
  CHECK(source.FramesFrom(1, kAll, &out, &next) == Source::Read::kFuture);
  CHECK(next == 1);

  // Trimming an empty source is harmless.
  source.SetDurable(5);
  source.DropUpTo(kMaxOffset);
  source.SetBudget(0);
  CHECK(source.frames() == 0);
  CHECK(source.bytes() == 0);

  SECTION("starting elsewhere: what came before is durable and not held") {
    Source later(1000, 42);
    CHECK(later.first_offset() == 42);
    CHECK(later.next_offset() == 42);
    CHECK(later.durable_next() == 42);
    CHECK(later.FramesFrom(41, kAll, &out, &next) == Source::Read::kTooOld);
    CHECK(later.FramesFrom(0, kAll, &out, &next) == Source::Read::kTooOld);
    CHECK(later.FramesFrom(42, kAll, &out, &next) == Source::Read::kOk);
    CHECK(later.FramesFrom(43, kAll, &out, &next) == Source::Read::kFuture);
    CHECK(out == "kept");
    CHECK(later.Push(MakeFrame(42, 3)) == 42);
    CHECK(later.first_offset() == 42);
    CHECK(later.frames() == 1);
  }
}

TEST_CASE("source: offsets are monotonic and frames come back byte for byte", "[source]") {
  Harness h(1 << 20, 1000);
  for (uint64_t i = 0; i < 500; i++) {
    h.Push((i * 37) % 300);
    CHECK(h.source.first_offset() == 1000);
    CHECK(h.source.frames() == i + 1);
    CHECK(h.source.bytes() == h.ExpectedBytes(1000, 1001 + i));
  }
  h.Check();
  CHECK(Offsets(h.Expected(1000, 1500)) == Range(1000, 1500));
}

TEST_CASE("source: only durable frames are evicted", "[source]") {
  Harness h(1000);
  for (int i = 0; i < 50; i++) h.Push(20);
  // Nothing is in the log store yet: far over budget, everything stays.
  CHECK(h.source.bytes() > 2 * h.source.budget());
  CHECK(h.source.first_offset() == 0);
  h.Check();

  // SetDurable only records the offset; eviction happens on Push and SetBudget.
  h.source.SetDurable(10);
  CHECK(h.source.durable_next() == 10);
  CHECK(h.source.first_offset() == 0);

  // Still over budget after 0..9 go, but 10.. are not durable.
  h.Push(20);
  CHECK(h.source.first_offset() == 10);
  h.Check();

  h.source.SetDurable(h.source.next_offset());
  h.Push(20);
  CHECK(h.source.bytes() <= h.source.budget());
  // Evicted just enough: the frame before first would not have fitted.
  const uint64_t first = h.source.first_offset();
  CHECK(h.source.bytes() + h.At(first - 1).size() > h.source.budget());
  // The frame just pushed is not durable yet.
  CHECK(first < h.source.durable_next());
  h.Check();
}

TEST_CASE("source: the budget holds once frames are durable", "[source]") {
  Harness h(4096);
  std::mt19937 rng(7);
  SECTION("the log store keeps up") {
    for (int i = 0; i < 2000; i++) {
      h.source.SetDurable(h.source.next_offset());
      h.Push(rng() % 400);
      const uint64_t first = h.source.first_offset();
      REQUIRE(h.source.bytes() <= h.source.budget());
      if (first > 0) REQUIRE(h.source.bytes() + h.At(first - 1).size() > h.source.budget());
      REQUIRE(h.source.bytes() == h.ExpectedBytes(first, h.source.next_offset()));
      if (i % 100 == 0) h.Check();
    }
  }
  SECTION("the log store lags by a few frames") {
    for (int i = 0; i < 2000; i++) {
      const uint64_t next = h.source.next_offset();
      h.source.SetDurable(next < 5 ? 0 : next - 5);
      h.Push(rng() % 400);
      const uint64_t first = h.source.first_offset();
      // Never past durable; within budget unless the non-durable tail alone exceeds it.
      REQUIRE(first <= h.source.durable_next());
      if (first < h.source.durable_next()) REQUIRE(h.source.bytes() <= h.source.budget());
      if (i % 100 == 0) h.Check();
    }
  }
  h.Check();
}

TEST_CASE("source: the newest frame is kept even when it alone exceeds the budget", "[source]") {
  Harness h(100);
  h.Push(1000);
  h.source.SetDurable(h.source.next_offset());
  const std::string& big = h.Push(2000);
  h.source.SetDurable(h.source.next_offset());  // even the newest is durable
  CHECK(h.source.first_offset() == 1);
  CHECK(h.source.frames() == 1);
  CHECK(h.source.bytes() == big.size());

  h.source.SetBudget(0);
  h.source.DropUpTo(kMaxOffset);
  CHECK(h.source.frames() == 1);
  CHECK(h.source.bytes() == big.size());

  std::string out;
  uint64_t next = 0;
  CHECK(h.source.FramesFrom(1, 0, &out, &next) == Source::Read::kOk);
  CHECK(out == big);
  CHECK(next == 2);
  CHECK(h.source.FramesFrom(0, kAll, &out, &next) == Source::Read::kTooOld);
  h.Check();
}

TEST_CASE("source: a frame larger than a block gets a block of its own", "[source]") {
  Harness h(1 << 30);
  // small, huge, small, huge, huge, small: huge frames sit between packed ones.
  for (size_t value : {10ul, 3 * kBlock, 10ul, kBlock, 2 * kBlock, 10ul}) h.Push(value);
  h.Check();
  for (uint64_t o = 0; o < 6; o++) {
    std::string out;
    uint64_t next = 0;
    REQUIRE(h.source.FramesFrom(o, 0, &out, &next) == Source::Read::kOk);
    CHECK(out == h.At(o));
    CHECK(next == o + 1);
  }
  // Evicting through them keeps the accounting exact.
  h.source.SetDurable(h.source.next_offset());
  for (uint64_t w = 1; w <= 6; w++) {
    h.source.DropUpTo(w);
    CHECK(h.source.first_offset() == std::min<uint64_t>(w, 5));
    h.Check();
  }
  // Pushing after a huge frame starts a fresh block again.
  h.Push(kBlock + 1);
  h.Push(5);
  h.Check();
}

TEST_CASE("source: reads: exact, caught up, too old, future", "[source]") {
  Harness h(1 << 20, 100);
  for (int i = 0; i < 20; i++) h.Push(10 + i);
  h.source.SetDurable(105);
  h.source.DropUpTo(110);  // trims to the durable offset only
  REQUIRE(h.source.first_offset() == 105);

  std::string out = "prefix:";
  uint64_t next = 0;
  SECTION("one frame exactly") {
    REQUIRE(h.source.FramesFrom(110, 0, &out, &next) == Source::Read::kOk);
    CHECK(out == "prefix:" + h.At(110));  // appended, not replaced
    CHECK(next == 111);
  }
  SECTION("max_bytes reached exactly by a frame's end stops there") {
    REQUIRE(h.source.FramesFrom(110, h.At(110).size(), &out, &next) == Source::Read::kOk);
    CHECK(out == "prefix:" + h.At(110));
    CHECK(next == 111);
  }
  SECTION("one byte more takes the next frame whole") {
    REQUIRE(h.source.FramesFrom(110, h.At(110).size() + 1, &out, &next) == Source::Read::kOk);
    CHECK(out == "prefix:" + h.At(110) + h.At(111));
    CHECK(next == 112);
  }
  SECTION("from the oldest frame held") {
    REQUIRE(h.source.FramesFrom(105, kAll, &out, &next) == Source::Read::kOk);
    CHECK(out == "prefix:" + h.Expected(105, 120));
    CHECK(next == 120);
  }
  SECTION("the newest frame") {
    REQUIRE(h.source.FramesFrom(119, kAll, &out, &next) == Source::Read::kOk);
    CHECK(out == "prefix:" + h.At(119));
    CHECK(next == 120);
  }
  SECTION("caught up: ok with nothing") {
    REQUIRE(h.source.FramesFrom(120, kAll, &out, &next) == Source::Read::kOk);
    CHECK(out == "prefix:");
    CHECK(next == 120);
  }
  SECTION("too old") {
    CHECK(h.source.FramesFrom(104, kAll, &out, &next) == Source::Read::kTooOld);
    CHECK(next == 104);
    CHECK(h.source.FramesFrom(0, kAll, &out, &next) == Source::Read::kTooOld);
    CHECK(out == "prefix:");
  }
  SECTION("future") {
    CHECK(h.source.FramesFrom(121, kAll, &out, &next) == Source::Read::kFuture);
    CHECK(next == 121);
    CHECK(h.source.FramesFrom(kMaxOffset, kAll, &out, &next) == Source::Read::kFuture);
    CHECK(out == "prefix:");
  }
}

// Reads [from, next_offset) in pages of max_bytes, checking each page, and returns them
// concatenated.
std::string ReadPaged(const Harness& h, uint64_t from, size_t max_bytes) {
  std::string all;
  uint64_t offset = from;
  while (offset < h.source.next_offset()) {
    std::string page;
    uint64_t next = 0;
    REQUIRE(h.source.FramesFrom(offset, max_bytes, &page, &next) == Source::Read::kOk);
    REQUIRE(next > offset);
    // Whole frames, exactly offset..next-1.
    REQUIRE(Offsets(page) == Range(offset, next));
    // Stopped as soon as max_bytes was reached: the page without its last frame is short.
    if (next != h.source.next_offset()) REQUIRE(page.size() >= max_bytes);
    if (next - offset > 1) REQUIRE(page.size() - h.At(next - 1).size() < max_bytes);
    all += page;
    offset = next;
  }
  return all;
}

TEST_CASE("source: paging returns whole frames and resumes exactly", "[source]") {
  Harness h(1ull << 32);
  for (uint64_t i = 0; i < 3000; i++) h.Push(i % 500 == 250 ? 100 * 1024 : (i * 131) % 2000);
  REQUIRE(h.source.bytes() > 20 * kBlock);  // many blocks
  const size_t sizes[] = {0, 1, 100, 1000, 4096, kBlock - 1, kBlock, kBlock + 1, 3 * kBlock, kAll};

  auto check_all = [&] {
    const uint64_t first = h.source.first_offset();
    const uint64_t next = h.source.next_offset();
    for (size_t max_bytes : sizes) {
      INFO("max_bytes " << max_bytes);
      CHECK(ReadPaged(h, first, max_bytes) == h.Expected(first, next));
      // Starting inside the backlog, at arbitrary offsets.
      for (uint64_t from : {first + 1, first + 777, next - 1}) {
        CHECK(ReadPaged(h, from, max_bytes) == h.Expected(from, next));
      }
    }
  };
  check_all();
  // Again once the front block is partly evicted.
  h.source.SetDurable(h.source.next_offset());
  h.source.DropUpTo(1234);
  REQUIRE(h.source.first_offset() == 1234);
  check_all();
  h.Check();
}

// The first offset of the longest run of newest frames whose bytes fit in `keep`.
uint64_t FirstKept(const std::vector<std::string>& pushed, uint64_t keep) {
  uint64_t first = pushed.size();
  uint64_t bytes = 0;
  while (first > 1 && bytes + pushed[first - 1].size() <= keep) bytes += pushed[--first].size();
  return first;
}

TEST_CASE("source: DropUpTo keeps the floor of newest frames, within the budget", "[source]") {
  Harness h(1 << 30);
  for (int i = 0; i < 100; i++) h.Push(50);
  h.source.SetDurable(100);
  const uint64_t floor = 10 * h.pushed.back().size();

  h.source.SetFloor(floor);
  h.source.DropUpTo(100);  // every replica is caught up: the floor stays
  CHECK(h.source.first_offset() == FirstKept(h.pushed, floor));
  CHECK(h.source.first_offset() < 95);  // about ten frames kept, not just the newest
  CHECK(h.source.bytes() <= floor);
  h.Check();

  h.source.SetFloor(0);
  h.source.DropUpTo(100);
  CHECK(h.source.first_offset() == 99);

  // A floor above the budget is capped by it.
  Harness small(5 * h.pushed.back().size());
  for (int i = 0; i < 20; i++) small.Push(50);
  small.source.SetDurable(20);
  small.source.SetFloor(1 << 20);
  small.source.DropUpTo(20);
  CHECK(small.source.bytes() <= small.source.budget());
  CHECK(small.source.first_offset() == FirstKept(small.pushed, small.source.budget()));
  small.Check();
}

TEST_CASE("source: DropUpTo trims below the watermark, never past durable", "[source]") {
  Harness h(1 << 30);  // far under budget throughout
  for (int i = 0; i < 100; i++) h.Push(50);

  h.source.DropUpTo(50);  // nothing durable
  CHECK(h.source.first_offset() == 0);
  h.Check();

  h.source.SetDurable(30);
  h.source.DropUpTo(50);
  CHECK(h.source.first_offset() == 30);
  h.Check();

  h.source.SetDurable(100);
  h.source.DropUpTo(50);
  CHECK(h.source.first_offset() == 50);
  h.Check();

  h.source.DropUpTo(40);  // below what is held: nothing comes back
  CHECK(h.source.first_offset() == 50);

  h.source.DropUpTo(100);  // everything acked: the newest frame stays
  CHECK(h.source.first_offset() == 99);
  h.source.DropUpTo(kMaxOffset);
  CHECK(h.source.first_offset() == 99);
  CHECK(h.source.frames() == 1);
  h.Check();
}

TEST_CASE("source: SetBudget", "[source]") {
  Harness h(1 << 30);
  for (int i = 0; i < 200; i++) h.Push(100);
  const uint64_t all = h.source.bytes();

  h.source.SetBudget(1);  // nothing durable: nothing goes
  CHECK(h.source.budget() == 1);
  CHECK(h.source.first_offset() == 0);
  CHECK(h.source.bytes() == all);

  h.source.SetDurable(100);
  h.source.SetBudget(2);  // everything durable goes, the rest stays over budget
  CHECK(h.source.first_offset() == 100);
  h.Check();

  h.source.SetBudget(1 << 30);
  h.source.SetDurable(200);
  const uint64_t half = h.source.bytes() / 2;
  h.source.SetBudget(half);
  CHECK(h.source.bytes() <= half);
  CHECK(h.source.bytes() + h.At(h.source.first_offset() - 1).size() > half);
  const uint64_t first = h.source.first_offset();
  h.Check();

  h.source.SetBudget(1 << 30);  // growing evicts nothing and brings nothing back
  CHECK(h.source.first_offset() == first);
  h.Check();
}

TEST_CASE("source: memory_bytes follows the blocks held", "[source]") {
  // maxmemory leaves this memory out of the dataset (Engine::storage_memory), so it must
  // track every block allocated and every block freed.
  Harness h(kBlock);
  CHECK(h.source.memory_bytes() == 0);
  h.Push(100);
  CHECK(h.source.memory_bytes() >= kBlock);
  CHECK(h.source.memory_bytes() < kBlock + 1024);
  // Three blocks' worth of frames, all durable: the budget keeps about one block.
  for (int i = 0; i < 600; i++) h.Push(300);
  CHECK(h.source.memory_bytes() >= 2 * kBlock);
  h.source.SetDurable(h.source.next_offset());
  h.source.DropUpTo(h.source.next_offset());
  CHECK(h.source.memory_bytes() >= kBlock);  // the newest frame's block stays
  CHECK(h.source.memory_bytes() < 2 * kBlock + 2048);
  h.source.Reset(h.source.next_offset());
  CHECK(h.source.memory_bytes() == 0);
}

TEST_CASE("source: Reset forgets everything", "[source]") {
  Harness h(1000);
  for (int i = 0; i < 100; i++) h.Push(40);
  h.source.SetDurable(50);
  h.source.Reset(500);
  CHECK(h.source.first_offset() == 500);
  CHECK(h.source.next_offset() == 500);
  CHECK(h.source.frames() == 0);
  CHECK(h.source.bytes() == 0);
  CHECK(h.source.durable_next() == 500);
  CHECK(h.source.budget() == 1000);

  std::string out;
  uint64_t next = 0;
  CHECK(h.source.FramesFrom(0, kAll, &out, &next) == Source::Read::kTooOld);
  CHECK(h.source.FramesFrom(499, kAll, &out, &next) == Source::Read::kTooOld);
  CHECK(h.source.FramesFrom(500, kAll, &out, &next) == Source::Read::kOk);
  CHECK(h.source.FramesFrom(501, kAll, &out, &next) == Source::Read::kFuture);
  CHECK(out.empty());

  // The new history starts at 500, and none of it is durable yet.
  h.pushed.clear();
  h.base = 500;
  for (int i = 0; i < 100; i++) h.Push(40);
  CHECK(h.source.first_offset() == 500);
  CHECK(h.source.bytes() > h.source.budget());
  h.Check();

  // A reset may also move back (a full sync from a primary with a shorter history).
  h.source.Reset(3);
  CHECK(h.source.first_offset() == 3);
  CHECK(h.source.next_offset() == 3);
  CHECK(h.source.bytes() == 0);
  CHECK(h.source.Push(MakeFrame(3, 1)) == 3);
  CHECK(h.source.bytes() == MakeFrame(3, 1).size());
}

// The contract in its plainest form: a deque of frames and the eviction rule, step by step.
struct Model {
  uint64_t budget = 0;
  uint64_t first = 0;
  uint64_t durable = 0;
  uint64_t bytes = 0;
  std::deque<std::string> frames;

  uint64_t next() const { return first + frames.size(); }
  void Evict(uint64_t limit, bool over_budget_only) {
    while (frames.size() > 1 && first < limit && (!over_budget_only || bytes > budget)) {
      bytes -= frames.front().size();
      frames.pop_front();
      first++;
    }
  }
  void Reset(uint64_t n) {
    frames.clear();
    first = durable = n;
    bytes = 0;
  }
  Source::Read Read(uint64_t offset, size_t max_bytes, std::string* out, uint64_t* end) const {
    *end = offset;
    if (offset < first) return Source::Read::kTooOld;
    if (offset > next()) return Source::Read::kFuture;
    size_t appended = 0;
    for (uint64_t o = offset; o < next(); o++) {
      if (o > offset && appended >= max_bytes) break;
      *out += frames[o - first];
      appended += frames[o - first].size();
      *end = o + 1;
    }
    return Source::Read::kOk;
  }
};

TEST_CASE("source: randomized against a deque model", "[source]") {
  std::mt19937_64 rng(20240611);
  auto below = [&](uint64_t n) { return n == 0 ? 0 : rng() % n; };
  // Offsets around the held range, including just outside it on both sides.
  auto near = [&](const Model& m) {
    const uint64_t lo = m.first < 3 ? 0 : m.first - 3;
    return lo + below(m.next() + 4 - lo);
  };
  auto max_bytes = [&]() -> size_t {
    switch (below(4)) {
      case 0:
        return 0;
      case 1:
        return below(300);
      case 2:
        return below(3 * kBlock);
      default:
        return kAll;
    }
  };

  Model m;
  m.budget = 64 * 1024;
  Source source(m.budget);
  for (int step = 0; step < 20000; step++) {
    const uint64_t op = below(100);
    if (op < 50) {
      // Mostly small frames, now and then one larger than a block.
      const size_t value = below(100) == 0 ? kBlock + below(2 * kBlock) : below(400);
      std::string frame = MakeFrame(m.next(), value);
      REQUIRE(source.Push(frame) == m.next());
      m.bytes += frame.size();
      m.frames.push_back(std::move(frame));
      m.Evict(m.durable, true);
    } else if (op < 62) {
      // The log store mostly moves forward, sometimes far, sometimes not at all.
      const uint64_t ahead = m.next() + 2 > m.durable ? m.next() + 2 - m.durable : 1;
      const uint64_t durable = below(10) == 0 ? near(m) : m.durable + below(ahead);
      source.SetDurable(durable);
      m.durable = durable;
    } else if (op < 67) {
      const uint64_t watermark = near(m);
      source.DropUpTo(watermark);
      m.Evict(std::min(watermark, m.durable), false);
    } else if (op < 70) {
      m.budget = below(512 * 1024);
      source.SetBudget(m.budget);
      m.Evict(m.durable, true);
    } else if (op < 99 || below(10) != 0) {
      const uint64_t offset = near(m);
      const size_t limit = max_bytes();
      std::string got = "x", want = "x";
      uint64_t got_next = 1, want_next = 2;
      INFO("step " << step << " offset " << offset << " max_bytes " << limit);
      REQUIRE(source.FramesFrom(offset, limit, &got, &got_next) ==
              m.Read(offset, limit, &want, &want_next));
      REQUIRE(got_next == want_next);
      REQUIRE(got == want);
    } else {
      const uint64_t n = below(2) == 0 ? m.next() : below(1000000);
      source.Reset(n);
      m.Reset(n);
    }
    INFO("step " << step << " op " << op);
    REQUIRE(source.first_offset() == m.first);
    REQUIRE(source.next_offset() == m.next());
    REQUIRE(source.frames() == m.frames.size());
    REQUIRE(source.bytes() == m.bytes);
    REQUIRE(source.budget() == m.budget);
    REQUIRE(source.durable_next() == m.durable);
  }
}

}  // namespace
}  // namespace tidekv::replication
