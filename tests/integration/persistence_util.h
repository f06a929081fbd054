// Helpers for the persistence and fault tests (DESIGN.md §5, §6, §10): servers that restart
// on one data directory, bulk writes and reads through pipelined hiredis, damaging files,
// and a small tmpfs for disk-full tests.
//
// Everything here builds on server_process.h: each server is still a ServerProcess (its own
// temp dir for its stderr, SIGKILL if the test dies), only its --dir points at a directory
// the test owns, so a later server can open the same data. Not thread-safe, except that
// separate threads may use separate connections.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/server_process.h"

namespace tidekv::integration {

// Starts tidekv-server with `args` and --dir `data` (given last, so it wins over the
// harness's own --dir). Throws like ServerProcess when it does not come up.
std::unique_ptr<ServerProcess> StartServerOn(const std::filesystem::path& data,
                                             std::vector<std::string> args = {});

// Ends the server with SIGKILL (no chance to flush anything) and reaps it.
void KillHard(ServerProcess& server);
// SHUTDOWN over a new connection; waits for exit status 0. SHUTDOWN seals what changed
// first (the next start replays no log); nosave (SHUTDOWN NOSAVE) leaves it in the log.
void ShutdownClean(ServerProcess& server, bool nosave = false);

// Server arguments for tests that need their writes in the log rather than in batches: a
// seal interval longer than any test, so that no timed seal happens.
inline const std::vector<std::string> kNoTimedSeals = {"--compaction.seal_interval_ms", "3600000"};
// The first seal comes right after the first write (none was attempted before), whatever
// the interval: this writes one key and waits for that seal, so that with kNoTimedSeals
// every later write stays in the log. Throws when it does not come.
void WaitFirstSeal(redisContext* c);
// Waits until every write so far is in the log store's durable part (what survives a
// kill -9). Replies already wait for that (docs/persistence.md); waiting here too keeps a
// test about restarts, while crash_test.cc checks the reply rule itself. Throws when it
// does not come.
void WaitLogged(redisContext* c);
// Stops a server two ways a restart test compares: SAVE then a clean shutdown (the data
// restarts from batches), or kill -9 once every write is durable (it restarts from the log).
void SaveAndShutdownOrKill(ServerProcess& server, redisContext* c, bool save);

// `tidekv-server --dir data ...` run to completion (for start-ups that must fail).
ProcessResult RunServerOn(const std::filesystem::path& data, std::vector<std::string> args = {});

// INFO <section> text, and one numeric field of it (throws when absent or not a number).
std::string InfoText(redisContext* c, const std::string& section = "persistence");
int64_t InfoInt(redisContext* c, const std::string& field,
                const std::string& section = "persistence");

// Sends commands 0..count-1 (command(i) builds each) in pipelined rounds of `depth` and
// passes every reply to on_reply(i, reply); throws when the connection fails.
void Pipeline(redisContext* c, size_t count,
              const std::function<std::vector<std::string>(size_t)>& command,
              const std::function<void(size_t, const redisReply&)>& on_reply, size_t depth = 256);
// Pipelined SETs that must all answer OK.
void SetAll(redisContext* c, size_t count,
            const std::function<std::pair<std::string, std::string>(size_t)>& entry);
// Values of `keys` (nullopt for a missing key), through MGET in rounds.
std::vector<std::optional<std::string>> GetAll(redisContext* c,
                                               const std::vector<std::string>& keys);

// `size` bytes that depend only on `seed`, any byte value included (NUL, CR, LF) and not
// compressible, so batch and log files hold real data blocks.
std::string BinaryValue(uint64_t seed, size_t size);

// DEBUG DIGEST of the whole dataset.
std::string Digest(redisContext* c);

// Regular files in `dir` whose name ends with `suffix`, largest first.
std::vector<std::filesystem::path> FilesBySize(const std::filesystem::path& dir,
                                               std::string_view suffix);
// Bytes of every regular file under `dir` (what a data directory costs on disk).
uint64_t TreeBytes(const std::filesystem::path& dir);
// Inverts `count` bytes of `file` starting at `offset` (a bit-rot stand-in that always
// changes the content, unlike writing fixed bytes that may already be there).
void InvertBytes(const std::filesystem::path& file, uint64_t offset, size_t count);

// A tmpfs of `size` (mount(8) syntax, e.g. "16m") at `at`, unmounted on destruction.
// mounted() is false when mounting is not possible here (not root, no tmpfs); why() says why.
class SmallTmpfs {
 public:
  SmallTmpfs(const std::filesystem::path& at, const std::string& size);
  ~SmallTmpfs();
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }

 private:
  std::filesystem::path at_;
  bool mounted_ = false;
  std::string why_;
};

}  // namespace tidekv::integration
