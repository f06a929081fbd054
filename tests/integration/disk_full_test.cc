// A full disk (DESIGN.md §10, docs/persistence.md "Write errors"): when the log store cannot
// write, new write commands answer -MISCONF while reads keep working; once space is free
// again writes resume on their own, and nothing acknowledged is lost across a restart.
//
// The data directory sits on a 64 MiB tmpfs (needs root; the test only warns and passes
// without it) beside a 48 MiB filler file created before the server starts, so the test can
// free space without writing through the server (even FLUSHALL is a write). Freeing it
// leaves room for what recovery needs: RocksDB flushes its memtables before it accepts
// writes again, and the next seal writes every key the filler set.
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

constexpr const char* kTmpfsSize = "64m";
constexpr size_t kFillerBytes = 48 << 20;
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

// A small tmpfs with a filler file written before the server starts (the test frees space
// by removing it) and the server's data directory beside it.
struct FullDisk {
  TempDir dir;
  SmallTmpfs small{dir.path() / "small", kTmpfsSize};
  fs::path filler_file = dir.path() / "small" / "filler";
  fs::path data = dir.path() / "small" / "data";

  FullDisk() {
    if (!small.mounted()) return;
    std::ofstream(filler_file, std::ios::binary) << std::string(kFillerBytes, 'f');
    REQUIRE(fs::file_size(filler_file) == kFillerBytes);
  }
  // False (with a warning) when the tmpfs could not be mounted (not root).
  bool Ready() const {
    if (!small.mounted()) WARN("disk-full test skipped: " << small.why());
    return small.mounted();
  }
};

// Waits until the server reports failing log writes (the disk filled).
bool WaitForWriteErrors(redisContext* c, ServerProcess& server) {
  const bool failing =
      WaitFor([&] { return InfoField(InfoText(c), "logstore_write_status") == "err"; });
  if (!failing) UNSCOPED_INFO(server.Log());
  return failing;
}

// How many of the acknowledged fill writes do not read back with their value.
size_t CountLost(redisContext* c, const std::vector<size_t>& acked) {
  std::vector<std::string> keys;
  for (size_t i : acked) keys.push_back(FillKey(i));
  const std::vector<std::optional<std::string>> values = GetAll(c, keys);
  size_t lost = 0;
  for (size_t k = 0; k < acked.size(); k++) lost += values[k] == FillValue(acked[k]) ? 0 : 1;
  return lost;
}

// Writes resume once 2 MiB are free again: the log store opens RocksDB with small write
// buffers so its SstFileManager does not wait for a whole 16 MiB write buffer of free space
// (more than this tmpfs has) before it clears the no-space error.
TEST_CASE("a full disk refuses writes with MISCONF but keeps reads and recovers",
          "[integration][persistence]") {
  FullDisk disk;
  if (!disk.Ready()) return;

  std::vector<size_t> acked;
  {
    auto server = StartServerOn(disk.data);
    RedisConnection c = server->Connect();
    Filler filler(server->port());
    INFO("the filler sent " << filler.sent() << " writes");
    REQUIRE(WaitForWriteErrors(c.get(), *server));

    // New writes are refused at once; reads work.
    CHECK(Call(c.get(), {"SET", "refused", "x"}).rfind("(error) MISCONF", 0) == 0);
    CHECK(Call(c.get(), {"GET", FillKey(0)}) == FillValue(0));
    CHECK(Call(c.get(), {"EXISTS", "refused"}) == "(integer) 0");
    CHECK(Call(c.get(), {"DBSIZE"}).rfind("(integer) ", 0) == 0);

    // Free space behind the server's back; the log writer retries every second.
    fs::remove(disk.filler_file);
    const bool resumed = WaitFor([&] {
      return Call(c.get(), {"SET", "after-space", "x"}) == "OK";
    });
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

  auto server = StartServerOn(disk.data);
  INFO(server->Log());
  RedisConnection c = server->Connect();
  const size_t lost = CountLost(c.get(), acked);
  INFO(lost << " of " << acked.size() << " acknowledged writes lost");
  CHECK(lost == 0);
  CHECK(Call(c.get(), {"GET", "after-space-2"}) == "y");
}

// Stopping while the disk is still full: the server gives up on what it could not log after
// its stop deadline, exits with status 0 (RocksDB must not be asked to sync a WAL that saw
// an error: its assertions abort the process), and every acknowledged write is there once
// space is back.
TEST_CASE("SHUTDOWN while the disk is full exits cleanly and loses no acknowledged write",
          "[integration][persistence]") {
  FullDisk disk;
  if (!disk.Ready()) return;

  std::vector<size_t> acked;
  {
    auto server = StartServerOn(disk.data);
    RedisConnection c = server->Connect();
    Filler filler(server->port());
    REQUIRE(WaitForWriteErrors(c.get(), *server));
    filler.Stop(1s);
    acked = filler.acked();
    ShutdownClean(*server);
    CHECK(server->Log().find("final log sync failed") != std::string::npos);
  }
  REQUIRE(acked.size() > 100);

  fs::remove(disk.filler_file);
  auto server = StartServerOn(disk.data);
  INFO(server->Log());
  RedisConnection c = server->Connect();
  const size_t lost = CountLost(c.get(), acked);
  INFO(lost << " of " << acked.size() << " acknowledged writes lost");
  CHECK(lost == 0);
  CHECK(Call(c.get(), {"SET", "after-restart", "x"}) == "OK");
}

}  // namespace
}  // namespace tidekv::integration
