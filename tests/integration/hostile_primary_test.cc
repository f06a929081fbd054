// A replica's trust boundary ([hostile]): a real tidekv-server replicates from a scripted
// primary (hostile_primary.h) that sends what a real primary never would — non-write commands
// as frames, absurd offsets and ids, batch files that pass their CRC but are not batches,
// sizes past every limit, a wrong CRC line — and a real primary gets a scripted replica that
// acknowledges offsets the primary never produced.
//
// Every case starts the replica on a data directory that already holds data (seeded by a run
// as a primary), and checks afterwards that
//   - the replica dropped the link instead of acting on the bad input (the attack's outcome),
//   - the replica is still running, with its data and configuration unchanged,
//   - after a clean stop, the directory starts again as a primary with that same data.
// A running replica is the expectation everywhere: a bad primary is a network input, so it
// must never cost more than the link to that primary.
#include "tests/integration/hostile_primary.h"

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/raw_socket.h"
#include "tests/integration/replication_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kNearMax = 18446744073709551610ull;  // 2^64 - 6
constexpr uint64_t kMiB = 1 << 20;

// ---- the replica's data directory -------------------------------------------------------

struct Seeded {
  std::string digest;              // DEBUG DIGEST of what the directory holds
  std::string digest_with_marker;  // the same plus hostile:marker = "1" (the first frame)
};

// Fills `data` as a primary would: keys in databases 0 and 3 sealed into batches by SAVE,
// more keys only in the log, then a clean stop.
Seeded SeedDirectory(const fs::path& data) {
  auto server = StartServerOn(data);
  RedisConnection c = server->Connect();
  SetAll(c.get(), 40, [](size_t i) {
    return std::make_pair("key:" + std::to_string(i), "value:" + std::to_string(i));
  });
  REQUIRE(Call(c.get(), {"SELECT", "3"}) == "OK");
  SetAll(c.get(), 5,
         [](size_t i) { return std::make_pair("db3:" + std::to_string(i), BinaryValue(i, 100)); });
  REQUIRE(Call(c.get(), {"SELECT", "0"}) == "OK");
  REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
  SetAll(c.get(), 10,
         [](size_t i) { return std::make_pair("tail:" + std::to_string(i), "in the log"); });
  Seeded seeded;
  seeded.digest = Digest(c.get());
  REQUIRE(Call(c.get(), {"SET", "hostile:marker", "1"}) == "OK");
  seeded.digest_with_marker = Digest(c.get());
  REQUIRE(Call(c.get(), {"DEL", "hostile:marker"}) == "(integer) 1");
  REQUIRE(Digest(c.get()) == seeded.digest);
  c.reset();
  ShutdownClean(*server);
  return seeded;
}

// Batch files (and RocksDB files of its log store) of another real server, for shipping.
struct Donor {
  std::vector<std::string> batches;   // contents of <dir>/batches/*.sst
  std::vector<std::string> log_ssts;  // contents of <dir>/log/*.sst
  std::string digest;
};

std::string ReadWhole(const fs::path& file) {
  std::string bytes(fs::file_size(file), '\0');
  FILE* f = std::fopen(file.c_str(), "rb");
  REQUIRE(f != nullptr);
  const size_t got = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  REQUIRE(got == bytes.size());
  return bytes;
}

Donor MakeDonor(const fs::path& data) {
  Donor donor;
  {
    auto server = StartServerOn(data);
    RedisConnection c = server->Connect();
    SetAll(c.get(), 30, [](size_t i) {
      return std::make_pair("donor:" + std::to_string(i), BinaryValue(1000 + i, 200));
    });
    REQUIRE(Call(c.get(), {"SAVE"}) == "OK");
    donor.digest = Digest(c.get());
    c.reset();
    ShutdownClean(*server);
  }
  // A second start recovers the log (RocksDB writes what it replays into SST files).
  ShutdownClean(*StartServerOn(data));
  for (const fs::path& f : FilesBySize(data / "batches", ".sst")) {
    donor.batches.push_back(ReadWhole(f));
  }
  for (const fs::path& f : FilesBySize(data / "log", ".sst")) {
    donor.log_ssts.push_back(ReadWhole(f));
  }
  REQUIRE(!donor.batches.empty());
  return donor;
}

// ---- running an attack --------------------------------------------------------------------

// What the first connection's script saw; written by the script, read after WaitScripts.
struct Outcome {
  std::string psync_replid;
  uint64_t psync_offset = 0;
  bool closed = false;  // the replica dropped the link rather than acknowledging
  std::optional<uint64_t> last_ack;
  std::string note;
};

using Attack = std::function<void(PrimaryPeer&, Outcome&)>;

// A hostile primary that runs `attack` on the replica's first connection and refuses PSYNC
// on every later one (the replica keeps retrying with backoff, getting nothing).
std::unique_ptr<HostilePrimary> MakeHostile(Attack attack, Outcome* outcome) {
  return std::make_unique<HostilePrimary>([attack, outcome](PrimaryPeer& peer, int n) {
    if (n > 0) return RefusePsync(peer);
    const std::vector<std::string> psync = peer.Handshake();
    outcome->psync_replid = psync[0];
    outcome->psync_offset = std::stoull(psync[1] == "-1" ? "0" : psync[1]);
    attack(peer, *outcome);
    outcome->last_ack = peer.last_ack();
  });
}

bool Alive(ServerProcess& server) { return !server.WaitExit(std::chrono::milliseconds(0)); }

// Starts a replica of `hostile` on `data` and waits until the attack has been played.
// `started` runs on the test thread as soon as the replica is up (the attack may run already).
std::unique_ptr<ServerProcess> PlayAttack(
    const fs::path& data, HostilePrimary& hostile,
    const std::function<void(ServerProcess&)>& started = nullptr) {
  auto replica = StartReplicaOn(data, hostile.port());
  if (started) started(*replica);
  try {
    if (!hostile.WaitScripts(1, kSyncTimeout)) {
      throw std::runtime_error("the attack did not finish within the sync timeout");
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + "\nreplica log:\n" + LogTail(*replica));
  }
  // The link-down line is logged once the replica is done with the connection (any clean-up
  // of a failed sync comes before it): a sync point for the checks that follow. A replica
  // that died, or that a frame promoted, never logs it.
  WaitFor([&] {
    if (!Alive(*replica)) return true;
    const std::string log = replica->Log();
    return log.find("link to primary") != std::string::npos ||
           log.find("promoted to primary") != std::string::npos;
  });
  return replica;
}

// The lines of a server log worth showing in a failure: warnings, errors, and anything that
// is not a log line (a CHECK failure, a sanitizer report).
std::string Notable(const std::string& log) {
  std::string out;
  size_t pos = 0;
  while (pos < log.size()) {
    const size_t end = std::min(log.find('\n', pos), log.size());
    const std::string_view line = std::string_view(log).substr(pos, end - pos);
    const size_t space = line.find(' ');
    const bool info =
        space != std::string_view::npos && space > 0 &&
        line.substr(0, space).find_first_not_of("0123456789") == std::string_view::npos &&
        line.substr(space, 3) == " I ";
    if (!info && !line.empty()) out.append(line).append("\n");
    pos = end + 1;
  }
  // A sanitizer report starts with what matters: keep the head and the last lines.
  if (out.size() <= 5000) return out;
  return out.substr(0, 4000) + "\n...\n" + out.substr(out.size() - 1000);
}

std::string Joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

bool IsHexReplid(const std::string& id) {
  return id.size() == 40 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

uint64_t StagingBytes(const fs::path& data) { return TreeBytes(data / "staging"); }

bool StagingEmpty(const fs::path& data) {
  std::error_code ec;
  return !fs::exists(data / "staging", ec) || fs::is_empty(data / "staging", ec);
}

// What the replica must still hold, and the restarted directory too.
struct Expected {
  std::string digest;
  std::optional<uint64_t> offset;           // master_repl_offset
  std::function<void(redisContext*)> also;  // more checks, on both servers
};

void CheckServes(redisContext* c, const Expected& expected) {
  CHECK(Digest(c) == expected.digest);
  if (expected.offset) {
    CHECK(ReplInt(c, "master_repl_offset") == static_cast<int64_t>(*expected.offset));
  }
  CHECK(Call(c, {"CONFIG", "GET", "maxmemory"}) == "[maxmemory, 0]");
  if (expected.also) expected.also(c);
}

// The directory starts as a primary (no --replicaof) with the expected data, a well-formed
// history id, and stays up.
void ExpectStartsAgain(const fs::path& data, const Expected& expected) {
  std::unique_ptr<ServerProcess> server;
  try {
    server = StartServerOn(data);
    RedisConnection c = server->Connect();
    CheckServes(c.get(), expected);
    CHECK(IsHexReplid(ReplField(c.get(), "master_replid")));
    CHECK(Call(c.get(), {"PING"}) == "PONG");
  } catch (const std::exception& e) {
    // A server that ran SHUTDOWN from its own log is exiting: SIGTERM would race its exit.
    if (server && server->Log().find("shutting down") != std::string::npos) server->WaitExit();
    const std::string what = e.what();
    FAIL_CHECK("the data directory does not start again with its data: "
               << what.substr(0, 3000)
               << (server ? "\nrestarted server's log:\n" + LogTail(*server) : ""));
    return;
  }
  INFO("restarted server's log:\n" << Notable(server->Log()));
  CHECK(Alive(*server));
}

// The replica survived the attack: running, serving the expected data, its staging
// directory empty; it stops cleanly and its directory starts again with that data.
void ExpectSurvived(ServerProcess& replica, const fs::path& data, const Expected& expected) {
  {
    INFO("replica's warnings and errors:\n" << Notable(replica.Log()));
    const bool alive = Alive(replica);
    CHECK(alive);
    if (alive) {
      RedisConnection c = replica.Connect();
      CHECK(ReplField(c.get(), "role") == "slave");
      CheckServes(c.get(), expected);
      CHECK(StagingEmpty(data));
      c.reset();
      replica.Signal(SIGTERM);
      CHECK(replica.WaitExit() == 0);
    }
  }
  ExpectStartsAgain(data, expected);
}

// Scripts run on the hostile primary's thread, where Catch2's macros must not be used: a
// failed step throws, and WaitScripts reports it on the test thread.
void Must(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

// The replica is at `offset`; the hostile primary continues its history from there.
void Continue(PrimaryPeer& peer, const Outcome& outcome) {
  Must(peer.Send("+CONTINUE " + outcome.psync_replid + "\r\n"), "the replica left at +CONTINUE");
}

// A first, valid frame: proves frames are applied before the bad one comes.
void SendMarker(PrimaryPeer& peer, uint64_t offset) {
  Must(peer.Send(FrameBytes(offset, 0, {"SET", "hostile:marker", "1"})) &&
           !peer.ClosedBeforeAck(offset + 1),
       "the replica did not acknowledge a valid frame");
}

// ---- a. frames carrying commands that are not writes --------------------------------------

void ExpectFrameRefused(const std::vector<std::string>& argv) {
  TempDir dir;
  const fs::path data = dir.path() / "replica";
  const Seeded seeded = SeedDirectory(data);
  Outcome outcome;
  auto hostile = MakeHostile(
      [&argv](PrimaryPeer& peer, Outcome& out) {
        Continue(peer, out);
        SendMarker(peer, out.psync_offset);
        peer.Send(FrameBytes(out.psync_offset + 1, 0, argv));
        out.closed = peer.ClosedBeforeAck(out.psync_offset + 2);
      },
      &outcome);
  auto replica = PlayAttack(data, *hostile);
  INFO("frame: " << Joined(argv) << "; the replica's last ack: "
                 << (outcome.last_ack ? std::to_string(*outcome.last_ack) : "none"));
  CHECK(outcome.closed);  // refused: the link dropped instead of an ack
  ExpectSurvived(*replica, data, {seeded.digest_with_marker, outcome.psync_offset + 1, nullptr});
}

TEST_CASE("Hostile primary: frames carrying non-write commands drop the link and are never logged",
          "[integration][hostile]") {
  SECTION("SHUTDOWN") { ExpectFrameRefused({"SHUTDOWN"}); }
  SECTION("CONFIG SET maxmemory 1") { ExpectFrameRefused({"CONFIG", "SET", "maxmemory", "1"}); }
  SECTION("DEBUG SLEEP 0") { ExpectFrameRefused({"DEBUG", "SLEEP", "0"}); }
  SECTION("DEBUG RELOAD") { ExpectFrameRefused({"DEBUG", "RELOAD"}); }
  SECTION("REPLICAOF NO ONE") { ExpectFrameRefused({"REPLICAOF", "NO", "ONE"}); }
}

TEST_CASE("Hostile primary: a FLUSHALL frame is a write and applies", "[integration][hostile]") {
  TempDir dir;
  const fs::path data = dir.path() / "replica";
  SeedDirectory(data);
  Outcome outcome;
  auto hostile = MakeHostile(
      [](PrimaryPeer& peer, Outcome& out) {
        Continue(peer, out);
        SendMarker(peer, out.psync_offset);
        peer.Send(FrameBytes(out.psync_offset + 1, 0, {"FLUSHALL"}));
        out.closed = peer.ClosedBeforeAck(out.psync_offset + 2);
      },
      &outcome);
  auto replica = PlayAttack(data, *hostile);
  CHECK_FALSE(outcome.closed);
  const auto empty = [](redisContext* c) { CHECK(DbSizes(c, 4) == std::vector<int64_t>(4, 0)); };
  std::string empty_digest;
  {
    RedisConnection c = replica->Connect();
    empty_digest = Digest(c.get());
  }
  ExpectSurvived(*replica, data, {empty_digest, outcome.psync_offset + 2, empty});
}

// ---- b. offsets and history ids ---------------------------------------------------------

TEST_CASE("Hostile primary: a +FULLRESYNC offset near 2^64 is refused", "[integration][hostile]") {
  TempDir dir;
  const fs::path data = dir.path() / "replica";
  const Seeded seeded = SeedDirectory(data);
  Outcome outcome;
  auto hostile = MakeHostile(
      [](PrimaryPeer& peer, Outcome& out) {
        const std::string offset = std::to_string(kNearMax);
        peer.Send("+FULLRESYNC " + HexReplid(1) + " " + offset + "\r\n+SNAPSHOT_END " + offset +
                  "\r\n+PING\r\n");
        out.closed = peer.ClosedBeforeAck(kNearMax);
        if (out.closed) return;
        // Accepted: run the history past 2^64 (offsets ...10 to ...15, then 0).
        std::string frames;
        for (uint64_t o = kNearMax; o != 1; o++) {
          frames += FrameBytes(o, 0, {"SET", "wrap:" + std::to_string(o), "x"});
        }
        peer.Send(frames);
        const bool closed = peer.ClosedBefore([&] { return peer.last_ack() == 1u; });
        out.note = closed ? "accepted the snapshot, then dropped the link in the wrapping frames"
                          : "accepted the snapshot and frames whose offsets wrapped to 0";
      },
      &outcome);
  auto replica = PlayAttack(data, *hostile);
  INFO("outcome: " << outcome.note);
  CHECK(outcome.closed);
  if (!outcome.closed && Alive(*replica)) {
    // A replica that took the offset must at least survive its next seal.
    RedisConnection c = replica->Connect();
    const std::string save = Call(c.get(), {"SAVE"});
    // A connection error means the replica is going down: let it finish dying first.
    if (save.rfind("(connection error)", 0) == 0) replica->WaitExit();
    INFO("SAVE on the replica after the wrap: " << save);
    CHECK(Alive(*replica));
  }
  ExpectSurvived(*replica, data, {seeded.digest, outcome.psync_offset, nullptr});
}

// Replids a primary must not be able to make a replica adopt.
const std::vector<std::pair<std::string, std::string>> kBadReplids = {
    {"39 characters, not hex", "this-is-not-a-replication-id-0123456789"},
    {"100 hex characters", std::string(100, 'a')},
};

TEST_CASE("Hostile primary: a +FULLRESYNC replid that is not 40 hex characters is refused",
          "[integration][hostile]") {
  for (const auto& [what, bad] : kBadReplids) {
    DYNAMIC_SECTION(what) {
      TempDir dir;
      const fs::path data = dir.path() / "replica";
      const Seeded seeded = SeedDirectory(data);
      Outcome outcome;
      auto hostile = MakeHostile(
          [bad = bad](PrimaryPeer& peer, Outcome& out) {
            peer.Send("+FULLRESYNC " + bad + " 0\r\n+SNAPSHOT_END 0\r\n+PING\r\n");
            out.closed = peer.ClosedBeforeAck(0);
          },
          &outcome);
      auto replica = PlayAttack(data, *hostile);
      CHECK(outcome.closed);
      const auto not_adopted = [bad = bad](redisContext* c) {
        CHECK(ReplField(c, "master_replid") != bad);
      };
      ExpectSurvived(*replica, data, {seeded.digest, outcome.psync_offset, not_adopted});
    }
  }
}

TEST_CASE("Hostile primary: a +CONTINUE replid that is not 40 hex characters is refused",
          "[integration][hostile]") {
  for (const auto& [what, bad] : kBadReplids) {
    DYNAMIC_SECTION(what) {
      TempDir dir;
      const fs::path data = dir.path() / "replica";
      const Seeded seeded = SeedDirectory(data);
      Outcome outcome;
      auto hostile = MakeHostile(
          [bad = bad](PrimaryPeer& peer, Outcome& out) {
            peer.Send("+CONTINUE " + bad + "\r\n" +
                      FrameBytes(out.psync_offset, 0, {"SET", "hostile:marker", "1"}));
            out.closed = peer.ClosedBeforeAck(out.psync_offset + 1);
          },
          &outcome);
      auto replica = PlayAttack(data, *hostile);
      CHECK(outcome.closed);
      const auto not_adopted = [bad = bad](redisContext* c) {
        CHECK(ReplField(c, "master_replid") != bad);
        CHECK(ReplField(c, "master_replid2") != bad);
      };
      ExpectSurvived(*replica, data, {seeded.digest, outcome.psync_offset, not_adopted});
    }
  }
}

TEST_CASE("Hostile primary: frames whose offsets go backwards or jump drop the link",
          "[integration][hostile]") {
  const std::vector<std::pair<std::string, std::function<uint64_t(uint64_t)>>> cases = {
      {"the same offset again", [](uint64_t next) { return next - 1; }},
      {"an older offset", [](uint64_t next) { return next - 2; }},
      {"the last offset before 2^64", [](uint64_t) { return UINT64_MAX; }},
      {"a gap", [](uint64_t next) { return next + 1; }},
  };
  for (const auto& [what, bad_offset] : cases) {
    DYNAMIC_SECTION(what) {
      TempDir dir;
      const fs::path data = dir.path() / "replica";
      const Seeded seeded = SeedDirectory(data);
      Outcome outcome;
      auto hostile = MakeHostile(
          [bad_offset = bad_offset](PrimaryPeer& peer, Outcome& out) {
            Continue(peer, out);
            SendMarker(peer, out.psync_offset);
            Must(out.psync_offset >= 1, "the seeded replica is at offset 0");
            const uint64_t next = out.psync_offset + 1;
            peer.Send(FrameBytes(bad_offset(next), 0, {"SET", "hostile:bad", "1"}));
            out.closed = peer.ClosedBeforeAck(next + 1);
          },
          &outcome);
      auto replica = PlayAttack(data, *hostile);
      CHECK(outcome.closed);
      ExpectSurvived(*replica, data,
                     {seeded.digest_with_marker, outcome.psync_offset + 1, nullptr});
    }
  }
}

// ---- c. shipped batches that pass their CRC but are not batches --------------------------

// Ships `batches` as a full sync at offsets [10 i, 10 (i+1)), snapshot offset 10 n.
Attack FullSync(std::vector<std::string> batches) {
  return [batches = std::move(batches)](PrimaryPeer& peer, Outcome& out) {
    const uint64_t end = 10 * batches.size();
    if (!peer.Send("+FULLRESYNC " + HexReplid(3) + " " + std::to_string(end) + "\r\n")) return;
    for (size_t i = 0; i < batches.size(); i++) {
      ShippedBatch batch;
      batch.name = "batch-0000000000000000010" + std::to_string(i) + ".sst";
      batch.bytes = batches[i];
      batch.lower = 10 * i;
      batch.upper = 10 * (i + 1);
      if (!peer.SendBatch(batch)) break;
    }
    peer.Send("+SNAPSHOT_END " + std::to_string(end) + "\r\n+PING\r\n");
    out.closed = peer.ClosedBeforeAck(end);
  };
}

TEST_CASE("Hostile primary: a valid full sync from the scripted primary installs",
          "[integration][hostile]") {
  // The control for the cases below: the harness ships real batch files correctly.
  TempDir dir;
  const Donor donor = MakeDonor(dir.path() / "donor");
  const fs::path data = dir.path() / "replica";
  SeedDirectory(data);
  Outcome outcome;
  auto hostile = MakeHostile(FullSync(donor.batches), &outcome);
  auto replica = PlayAttack(data, *hostile);
  CHECK_FALSE(outcome.closed);
  const auto adopted = [](redisContext* c) {
    CHECK(ReplField(c, "master_replid") == HexReplid(3));
  };
  ExpectSurvived(*replica, data, {donor.digest, 10 * donor.batches.size(), adopted});
}

TEST_CASE("Hostile primary: a shipped batch with a correct CRC but invalid content is refused",
          "[integration][hostile]") {
  TempDir dir;
  const Donor donor = MakeDonor(dir.path() / "donor");
  std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"random bytes", {BinaryValue(7, 4096)}},
      {"a real batch file cut in half",
       {donor.batches.front().substr(0, donor.batches.front().size() / 2)}},
      {"a valid batch, then random bytes", {donor.batches.front(), BinaryValue(8, 4096)}},
  };
  if (!donor.log_ssts.empty()) {
    cases.push_back(
        {"a RocksDB SST of the log store (no batch entries)", {donor.log_ssts.front()}});
  } else {
    WARN("the donor's log store has no SST file: the non-batch SST case is skipped");
  }
  for (const auto& [what, batches] : cases) {
    DYNAMIC_SECTION(what) {
      const fs::path data = dir.path() / "replica";
      fs::remove_all(data);
      const Seeded seeded = SeedDirectory(data);
      Outcome outcome;
      auto hostile = MakeHostile(FullSync(batches), &outcome);
      auto replica = PlayAttack(data, *hostile);
      CHECK(outcome.closed);
      ExpectSurvived(*replica, data, {seeded.digest, outcome.psync_offset, nullptr});
    }
  }
}

// ---- d. declared sizes beyond every limit -------------------------------------------------

TEST_CASE("Hostile primary: a +BATCH header declaring 2^64-1 bytes is refused up front",
          "[integration][hostile]") {
  TempDir dir;
  const fs::path data = dir.path() / "replica";
  const Seeded seeded = SeedDirectory(data);
  Outcome outcome;
  uint64_t staged = 0;  // staging bytes when the script stopped
  auto hostile = MakeHostile(
      [&data, &staged](PrimaryPeer& peer, Outcome& out) {
        peer.Send("+FULLRESYNC " + HexReplid(4) +
                  " 100\r\n+BATCH batch-00000000000000000001.sst 18446744073709551615 0 100 0\r\n");
        const std::string chunk = "$65536\r\n" + BinaryValue(9, 65536) + "\r\n";
        for (int i = 0; i < 64 && peer.Send(chunk); i++) {
        }
        // A replica that took the header writes the 4 MiB sent so far into staging.
        out.closed = peer.ClosedBefore([&] { return StagingBytes(data) >= 4 * kMiB; });
        staged = StagingBytes(data);
      },
      &outcome);
  auto replica = PlayAttack(data, *hostile);
  INFO("staging held " << staged << " bytes when the script stopped");
  CHECK(outcome.closed);
  CHECK(staged < 4 * kMiB);
  ExpectSurvived(*replica, data, {seeded.digest, outcome.psync_offset, nullptr});
}

TEST_CASE("Hostile primary: a frame argument declared $4000000000 is refused at its header",
          "[integration][hostile]") {
  TempDir dir;
  const fs::path data = dir.path() / "replica";
  const Seeded seeded = SeedDirectory(data);
  Outcome outcome;
  std::atomic<pid_t> pid{-1};
  uint64_t growth_kib = 0;  // growth of the replica's peak RSS (VmHWM) during the attack
  auto hostile = MakeHostile(
      [&pid, &growth_kib](PrimaryPeer& peer, Outcome& out) {
        Continue(peer, out);
        SendMarker(peer, out.psync_offset);
        Must(WaitFor([&] { return pid.load() > 0; }), "no replica pid");
        const uint64_t before = ProcStatusKib(pid, "VmHWM").value_or(0);
        const auto grown = [&] {
          const uint64_t now = ProcStatusKib(pid, "VmHWM").value_or(before);
          growth_kib = now > before ? now - before : 0;
          return growth_kib;
        };
        peer.Send("*2\r\n:" + std::to_string(out.psync_offset + 1) +
                  "\r\n*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$4000000000\r\n");
        const std::string piece = BinaryValue(10, kMiB);
        for (int i = 0; i < 128 && peer.Send(piece); i++) {
        }
        // A replica that buffers the argument grows by what was sent (128 MiB).
        out.closed = peer.ClosedBefore([&] { return grown() >= 96 * 1024; });
        grown();
      },
      &outcome);
  auto replica = PlayAttack(data, *hostile, [&pid](ServerProcess& s) { pid = s.pid(); });
  INFO("the replica's peak RSS grew by " << growth_kib << " KiB");
  CHECK(outcome.closed);
  CHECK(growth_kib < 32 * 1024);
  ExpectSurvived(*replica, data, {seeded.digest_with_marker, outcome.psync_offset + 1, nullptr});
}

// ---- e. a wrong CRC line ------------------------------------------------------------------

TEST_CASE("Hostile primary: a wrong CRC line drops the link naming the batch file",
          "[integration][hostile]") {
  TempDir dir;
  const fs::path data = dir.path() / "replica";
  const Seeded seeded = SeedDirectory(data);
  const std::string name = "batch-00000000000000000042.sst";
  Outcome outcome;
  auto hostile = MakeHostile(
      [&name](PrimaryPeer& peer, Outcome& out) {
        ShippedBatch batch;
        batch.name = name;
        batch.bytes = BinaryValue(42, 5000);
        batch.upper = 10;
        // Longer than the +BATCH line, so that the line buffer holding both is reallocated.
        batch.crc_line = "+CRC32C " + std::string(300, '7');
        peer.Send("+FULLRESYNC " + HexReplid(5) + " 10\r\n");
        peer.SendBatch(batch);
        peer.Send("+SNAPSHOT_END 10\r\n+PING\r\n");
        out.closed = peer.ClosedBeforeAck(10);
      },
      &outcome);
  auto replica = PlayAttack(data, *hostile);
  CHECK(outcome.closed);
  {
    INFO("replica's warnings and errors:\n" << Notable(replica->Log()));
    CHECK(replica->Log().find("checksum mismatch for " + name) != std::string::npos);
  }
  ExpectSurvived(*replica, data, {seeded.digest, outcome.psync_offset, nullptr});
}

// ---- f. a replica that acknowledges the future ----------------------------------------------

TEST_CASE("Hostile replica: an ack past the primary's offset is refused and WAIT ignores it",
          "[integration][hostile]") {
  ServerProcess primary;
  RedisConnection c = primary.Connect();
  SetAll(c.get(), 10, [](size_t i) { return std::make_pair("key:" + std::to_string(i), "value"); });
  // A scripted replica: handshake, a full sync read to its end, then a lie.
  RawSocket fake(primary.port());
  REQUIRE(fake.Roundtrip(RespArray({"PING"})) == "+PONG\r\n");
  REQUIRE(fake.Roundtrip(RespArray({"REPLCONF", "listening-port", "7777"})) == "+OK\r\n");
  REQUIRE(fake.Roundtrip(RespArray({"REPLCONF", "capa", "psync2"})) == "+OK\r\n");
  REQUIRE(fake.Send(RespArray({"PSYNC", "?", "-1"})));
  REQUIRE(fake.ReadUntil([](const std::string& in) {
    const size_t end = in.find("+SNAPSHOT_END ");
    return end != std::string::npos && in.find("\r\n", end) != std::string::npos;
  }));
  const std::string lie = "1000000000000";
  REQUIRE(fake.Send(RespArray({"REPLCONF", "ACK", lie, "FACK", lie})));
  // Either the primary drops the fake replica, or its slot shows the lie.
  const bool settled = WaitFor([&] {
    if (!fake.peer_closed()) fake.ReadUntil([](const std::string&) { return false; }, 20ms);
    return fake.peer_closed() || primary.Log().find(lie) != std::string::npos ||
           InfoField(ReplInfo(c.get()), "slave0").find("offset=" + lie) != std::string::npos;
  });
  REQUIRE(settled);
  INFO("primary INFO replication:\n"
       << ReplInfo(c.get()) << "\nprimary's warnings and errors:\n"
       << Notable(primary.Log()));
  CHECK(InfoField(ReplInfo(c.get()), "slave0").find("offset=" + lie) == std::string::npos);
  CHECK(Call(c.get(), {"SET", "after", "lie"}) == "OK");
  CHECK(Call(c.get(), {"WAIT", "1", "100"}) == "(integer) 0");
  CHECK(primary.Log().find(lie) != std::string::npos);  // the refusal is logged
  CHECK(Alive(primary));
}
}  // namespace
}  // namespace tidekv::integration
