#include "logstore/log_writer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "tests/unit/logstore/test_util.h"

namespace tidekv::logstore {
namespace {

using testing::Chunk;
using testing::OpenStore;
using testing::Range;
using testing::ReadOffsets;
using testing::TempDir;
using testing::WaitFor;

// What the callbacks saw. They run on the writer thread; the test reads under the mutex.
struct Observed {
  std::mutex mu;
  std::vector<uint64_t> durable;
  std::vector<uint64_t> fsyncs_at_durable;  // stats().fsyncs when on_durable ran
  std::vector<std::string> errors;
  int recovered = 0;
  LogWriter* writer = nullptr;

  LogWriterCallbacks Callbacks() {
    LogWriterCallbacks cb;
    cb.on_durable = [this](uint64_t next) {
      const uint64_t fsyncs = writer ? writer->stats().fsyncs : 0;
      std::lock_guard lock(mu);
      durable.push_back(next);
      fsyncs_at_durable.push_back(fsyncs);
    };
    cb.on_error = [this](const Status& s) {
      std::lock_guard lock(mu);
      errors.push_back(s.message());
    };
    cb.on_recovered = [this] {
      std::lock_guard lock(mu);
      recovered++;
    };
    return cb;
  }
  uint64_t LastDurable() {
    std::lock_guard lock(mu);
    return durable.empty() ? 0 : durable.back();
  }
  void CheckMonotonic() {
    std::lock_guard lock(mu);
    for (size_t i = 1; i < durable.size(); i++) CHECK(durable[i] > durable[i - 1]);
  }
};

// Submits `chunks` chunks of 1..5 frames from `first`; returns the offset after the last.
uint64_t SubmitChunks(LogWriter& writer, uint64_t first, int chunks) {
  uint64_t next = first;
  for (int i = 0; i < chunks; i++) {
    const uint32_t n = 1 + i % 5;
    writer.Submit(next, n, Chunk(next, n));
    next += n;
  }
  return next;
}

TEST_CASE("logwriter: many submits are written in order", "[logwriter]") {
  for (FsyncPolicy policy : {FsyncPolicy::kNo, FsyncPolicy::kEverySec}) {
    TempDir dir;
    auto store = OpenStore(dir.path());
    Observed seen;
    LogWriter writer(store.get(), policy, seen.Callbacks());
    seen.writer = &writer;
    writer.Start();
    const uint64_t end = SubmitChunks(writer, 0, 1000);
    REQUIRE(WaitFor([&] { return seen.LastDurable() == end; }));
    CHECK(writer.queued_bytes() == 0);
    writer.Stop();
    seen.CheckMonotonic();
    const LogWriterStats stats = writer.stats();
    CHECK(stats.chunks_written == 1000);
    CHECK(stats.frames_written == end);
    CHECK(stats.write_errors == 0);
    CHECK(stats.fsyncs >= 1);  // at least the one Stop does
    CHECK(store->NextOffset() == end);
    CHECK(ReadOffsets(*store, 0) == Range(0, end));
  }
}

TEST_CASE("logwriter: kAlways reports durable offsets only after a sync", "[logwriter]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  Observed seen;
  LogWriter writer(store.get(), FsyncPolicy::kAlways, seen.Callbacks());
  seen.writer = &writer;
  writer.Start();
  uint64_t next = 0;
  for (int round = 0; round < 20; round++) {
    next = SubmitChunks(writer, next, 1 + round % 4);
    if (round % 5 == 0) REQUIRE(WaitFor([&] { return seen.LastDurable() == next; }));
  }
  REQUIRE(WaitFor([&] { return seen.LastDurable() == next; }));
  writer.Stop();
  seen.CheckMonotonic();
  std::lock_guard lock(seen.mu);
  for (size_t i = 0; i < seen.durable.size(); i++) {
    // Each report follows a sync of its own: the fsync count went up since the last one.
    CHECK(seen.fsyncs_at_durable[i] >= i + 1);
  }
  CHECK(writer.stats().fsyncs >= seen.durable.size());
  CHECK(ReadOffsets(*store, 0) == Range(0, next));
}

TEST_CASE("logwriter: chunks queued together share one fsync", "[logwriter]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  Observed seen;
  LogWriter writer(store.get(), FsyncPolicy::kAlways, seen.Callbacks());
  // Queued before the thread starts: the first pass finds all of them.
  const uint64_t end = SubmitChunks(writer, 0, 200);
  CHECK(writer.queued_bytes() > 0);
  writer.Start();
  REQUIRE(WaitFor([&] { return seen.LastDurable() == end; }));
  const LogWriterStats stats = writer.stats();
  CHECK(stats.chunks_written == 200);
  CHECK(stats.fsyncs == 1);
  CHECK(stats.last_fsync_unix_ms > 1'600'000'000'000);
  writer.Stop();
  CHECK(ReadOffsets(*store, 0) == Range(0, end));
}

TEST_CASE("logwriter: Stop drains the queue and syncs", "[logwriter]") {
  TempDir dir;
  uint64_t end = 0;
  {
    auto store = OpenStore(dir.path());
    LogWriter writer(store.get(), FsyncPolicy::kNo, {});
    writer.Start();
    end = SubmitChunks(writer, 0, 500);
    writer.Stop();
    CHECK(writer.queued_bytes() == 0);
    CHECK(writer.stats().chunks_written == 500);
    CHECK(writer.stats().fsyncs >= 1);
    writer.Stop();  // twice is fine
    // And it can start again where it stopped.
    writer.Start();
    end = SubmitChunks(writer, end, 10);
  }  // the destructor stops
  auto store = OpenStore(dir.path());
  CHECK(ReadOffsets(*store, 0) == Range(0, end));
}

TEST_CASE("logwriter: meta commits are ordered with chunks and done after a sync", "[logwriter]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  Observed seen;
  LogWriter writer(store.get(), FsyncPolicy::kNo, seen.Callbacks());
  seen.writer = &writer;
  std::atomic<int> done{0};
  std::atomic<uint64_t> fsyncs_at_done{0};
  std::atomic<uint64_t> next_at_done{0};
  writer.Start();
  uint64_t next = SubmitChunks(writer, 0, 10);  // 1+2+3+4+5+1+2+3+4+5 = 30 frames
  writer.SubmitMeta({{"manifest", "m1"}}, 12, [&](const Status& s) {
    CHECK(s.ok());
    fsyncs_at_done = writer.stats().fsyncs;
    next_at_done = store->NextOffset();  // the writer thread owns the store here
    done++;
  });
  next = SubmitChunks(writer, next, 3);
  REQUIRE(WaitFor([&] { return done == 1 && seen.LastDurable() == next; }));
  writer.Stop();
  CHECK(fsyncs_at_done >= 1);
  CHECK(next_at_done >= 30);
  CHECK(store->GetMeta("manifest") == "m1");
  CHECK(store->FirstOffset() == 10);  // chunk 10..14 holds 12
  CHECK(ReadOffsets(*store, 10) == Range(10, next));
}

TEST_CASE("logwriter: kEverySec syncs on its timer", "[logwriter]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  LogWriter writer(store.get(), FsyncPolicy::kEverySec, {});
  writer.Start();
  SubmitChunks(writer, 0, 3);
  REQUIRE(WaitFor([&] { return writer.stats().chunks_written == 3; }));
  REQUIRE(WaitFor([&] { return writer.stats().fsyncs >= 1; }));
  writer.Stop();
}

TEST_CASE("logwriter: a failing disk is retried in order and nothing is lost", "[logwriter]") {
  for (FsyncPolicy policy : {FsyncPolicy::kAlways, FsyncPolicy::kEverySec}) {
    TempDir dir;
    auto store = OpenStore(dir.path());
    Observed seen;
    LogWriter writer(store.get(), policy, seen.Callbacks(), /*retry_interval_ms=*/5);
    std::atomic<int> meta_done{0};
    uint64_t next = SubmitChunks(writer, 0, 20);
    writer.SubmitMeta({{"k", "v"}}, 0, [&](const Status& s) {
      CHECK(s.ok());
      meta_done++;
    });
    next = SubmitChunks(writer, next, 20);
    store->InjectWriteErrorForTest(4);
    writer.Start();
    REQUIRE(WaitFor([&] { return seen.LastDurable() == next && meta_done == 1; }));
    CHECK_FALSE(writer.failing());
    const LogWriterStats stats = writer.stats();
    CHECK(stats.write_errors == 4);
    {
      std::lock_guard lock(seen.mu);
      CHECK(seen.errors.size() == 1);  // one failure episode
      CHECK(seen.errors[0].find("injected") != std::string::npos);
      CHECK(seen.recovered == 1);
    }
    // A second episode is reported again.
    store->InjectWriteErrorForTest(2);
    next = SubmitChunks(writer, next, 5);
    REQUIRE(WaitFor([&] { return seen.LastDurable() == next; }));
    REQUIRE(WaitFor([&] { return !writer.failing(); }));
    writer.Stop();
    {
      std::lock_guard lock(seen.mu);
      CHECK(seen.errors.size() == 2);
      CHECK(seen.recovered == 2);
    }
    seen.CheckMonotonic();
    CHECK(store->GetMeta("k") == "v");
    CHECK(ReadOffsets(*store, 0) == Range(0, next));
  }
}

TEST_CASE("logwriter: Stop gives up on a dead disk at its deadline", "[logwriter]") {
  TempDir dir;
  auto store = OpenStore(dir.path());
  Observed seen;
  LogWriter writer(store.get(), FsyncPolicy::kAlways, seen.Callbacks(), /*retry_interval_ms=*/5);
  std::atomic<int> failed{0};
  store->InjectWriteErrorForTest(1'000'000);
  writer.Start();
  SubmitChunks(writer, 0, 3);
  writer.SubmitMeta({{"k", "v"}}, 0, [&](const Status& s) {
    CHECK_FALSE(s.ok());
    failed++;
  });
  REQUIRE(WaitFor([&] { return writer.failing(); }));
  writer.Stop(/*stop_deadline_ms=*/50);
  CHECK(failed == 1);
  CHECK(seen.LastDurable() == 0);
  store->InjectWriteErrorForTest(0);
  CHECK(store->NextOffset() == 0);
}

}  // namespace
}  // namespace tidekv::logstore
