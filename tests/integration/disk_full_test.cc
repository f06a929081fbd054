// A full disk (DESIGN.md §10, docs/persistence.md "Write errors"): when the log store cannot
// write, new write commands answer -MISCONF while reads keep working; once space is free
// again writes resume on their own, and nothing acknowledged is lost across a restart.
//
// The data directory sits on a 16 MiB tmpfs (needs root; the test only warns and passes
// without it) beside a filler file created before the server starts, so the test can free
// space without writing through the server (even FLUSHALL is a write).
//
// A client whose writes were accepted but not yet logged when the disk filled gets no reply
// until they are logged (replies wait for the WAL, so an OK is never given for a write the
// log does not have): the filling client therefore runs on its own thread and may wait for
// as long as the disk stays full, while the test probes the server on another connection.
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTmpfsSize = "16m";
constexpr size_t kFillerBytes = 4 << 20;
constexpr size_t kValueBytes = 1000;
constexpr size_t kRound = 32;

std::string FillKey(size_t i) { return "fill:" + std::to_string(i); }
std::string FillValue(size_t i) { return BinaryValue(i, kValueBytes); }

// Writes fill:0, fill:1, ... in pipelined rounds on its own connection and thread until
// stopped or until the connection fails, and records which writes were answered OK.
class Filler {
 public:
  explicit Filler(uint16_t port) : c_(ConnectRedis(port, 60s)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Filler() { Stop(); }

  // Lets the current round finish (its replies may still be held), then ends the thread;
  // a round still unanswered after `patience` is abandoned by closing the socket.
  void Stop(std::chrono::milliseconds patience = 5s) {
    stop_ = true;
    if (!thread_.joinable()) return;
    if (!WaitFor([&] { return done_.load(); }, patience)) ::shutdown(c_->fd, SHUT_RDWR);
    thread_.join();
  }
  size_t sent() const { return sent_; }
  // Valid after Stop.
  const std::vector<size_t>& acked() const { return acked_; }
  const std::string& first_error() const { return first_error_; }

 private:
  void Run() {
    for (size_t begin = 0; !stop_; begin += kRound) {
      for (size_t i = begin; i < begin + kRound; i++) {
        AppendCommand(c_.get(), {"SET", FillKey(i), FillValue(i)});
      }
      sent_ = begin + kRound;
      for (size_t i = begin; i < begin + kRound; i++) {
        Reply r = GetReply(c_.get());
        if (r == nullptr) {
          done_ = true;
          return;
        }
        const std::string reply = Describe(r);
        if (reply == "OK") {
          acked_.push_back(i);
        } else if (first_error_.empty()) {
          first_error_ = reply;
        }
      }
    }
    done_ = true;
  }

  RedisConnection c_;
  std::thread thread_;
  std::atomic<bool> stop_ = false;
  std::atomic<bool> done_ = false;
  std::atomic<size_t> sent_ = 0;
  std::vector<size_t> acked_;
  std::string first_error_;
};

// Known bug while tagged [!mayfail]: after a no-space error RocksDB's SstFileManager clears
// the error only once the free space reaches its reserved buffer (the frames write buffer,
// 16 MiB) and Resume() answers Busy meanwhile, so with less free space than that writes do
// not resume. (The abort when RocksDB's own info LOG hit the full disk is fixed: RocksDB's
// messages now go to standard error.) Remove the tag once writes resume.
TEST_CASE("a full disk refuses writes with MISCONF but keeps reads and recovers",
          "[integration][persistence][!mayfail]") {
  TempDir dir;
  SmallTmpfs small(dir.path() / "small", kTmpfsSize);
  if (!small.mounted()) {
    WARN("disk-full test skipped: " << small.why());
    return;
  }
  const fs::path filler_file = dir.path() / "small" / "filler";
  std::ofstream(filler_file, std::ios::binary) << std::string(kFillerBytes, 'f');
  REQUIRE(fs::file_size(filler_file) == kFillerBytes);
  const fs::path data = dir.path() / "small" / "data";

  std::vector<size_t> acked;
  {
    auto server = StartServerOn(data);
    RedisConnection c = server->Connect();
    Filler filler(server->port());
    const bool failing = WaitFor(
        [&] { return InfoField(InfoText(c.get()), "logstore_write_status") == "err"; }, 30s);
    INFO(server->Log());
    INFO("the filler sent " << filler.sent() << " writes");
    REQUIRE(failing);

    // New writes are refused at once; reads work.
    CHECK(Call(c.get(), {"SET", "refused", "x"}).rfind("(error) MISCONF", 0) == 0);
    CHECK(Call(c.get(), {"GET", FillKey(0)}) == FillValue(0));
    CHECK(Call(c.get(), {"EXISTS", "refused"}) == "(integer) 0");
    CHECK(Call(c.get(), {"DBSIZE"}).rfind("(integer) ", 0) == 0);

    // Free space behind the server's back; the log writer retries every second.
    fs::remove(filler_file);
    const bool resumed = WaitFor(
        [&] {
          return Call(c.get(), {"SET", "after-space", "x"}) == "OK";
        },
        20s);
    INFO(server->Log());
    REQUIRE(resumed);
    CHECK(InfoField(InfoText(c.get()), "logstore_write_status") == "ok");
    filler.Stop();
    acked = filler.acked();
    INFO("filler: " << acked.size() << " of " << filler.sent() << " acknowledged, first error "
                    << filler.first_error());
    CHECK(acked.size() > 1000);
    CHECK(Call(c.get(), {"SET", "after-space-2", "y"}) == "OK");
    ShutdownClean(*server);
  }

  auto server = StartServerOn(data);
  INFO(server->Log());
  RedisConnection c = server->Connect();
  std::vector<std::string> keys;
  for (size_t i : acked) keys.push_back(FillKey(i));
  const std::vector<std::optional<std::string>> values = GetAll(c.get(), keys);
  size_t lost = 0;
  for (size_t k = 0; k < acked.size(); k++) lost += values[k] == FillValue(acked[k]) ? 0 : 1;
  INFO(lost << " of " << acked.size() << " acknowledged writes lost");
  CHECK(lost == 0);
  CHECK(Call(c.get(), {"GET", "after-space-2"}) == "y");
}

}  // namespace
}  // namespace tidekv::integration
