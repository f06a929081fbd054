// Every file of a data directory, damaged every way (DESIGN.md §6 "Recovery", §10): the next
// start either holds every acknowledged write or refuses naming the damaged file. Never a
// silent start with fewer or different keys, and never a deletion of what may be the only
// copy of data.
//
// The matrix. A base directory is built once per test case, in one of three states:
// - stopped cleanly (SHUTDOWN) after writes sealed into a few batches (SAVE, with merges, and
//   one restart so that RocksDB flushed its log, an older manifest among it, into
//   log/*.sst) plus a log tail of unsealed writes;
// - the same, but killed with SIGKILL after the last write was acknowledged and fsynced (as
//   <dir>/STATE records). tidekv replies only once a write is in RocksDB's WAL file, so a
//   kill -9 loses nothing acknowledged;
// - stopped cleanly without the restart: the log store is RocksDB's WAL alone.
// A second directory is built the same way with different values (the "other server"). The
// files and directories of the base are enumerated at test time (so a file added later is
// covered without touching this test), and each is damaged on a fresh copy: deleted, emptied,
// cut to 1/4, 1/2 and by its last byte, a byte inverted at its start, middle and end, and
// replaced by the other server's file of the same name (or, when the other directory numbers
// its files differently, of the same kind at the same rank). Directories are deleted.
//
// What counts as right, per variant:
// - a start whose DBSIZE and DEBUG DIGEST equal the base's, whose log does not say it removed
//   a batch file "not in the manifest" (such a file must be moved to <dir>/orphans instead);
// - or a refusal: a non-zero exit without a ready line whose stderr names the damaged file's
//   path (for a deleted file or directory, its parent directory is named enough), after which
//   no file that existed before is gone or changed in size, and a second start on the same
//   directory is again a refusal or a correct start (a refusal that damaged the directory
//   further must not turn into a silent start the next time).
// Changes a refused start may make: the LOCK files (the server writes its pid, RocksDB locks
// its own) and RocksDB's bookkeeping that it rewrites or replaces on every successful open
// (log/CURRENT, log/IDENTITY, log/MANIFEST-*, log/OPTIONS-*, log/LOG*, and log/*.log, whose
// records it flushes into a new log/*.sst before it deletes the file). What those held is
// checked by the second start. Every other file (batches, log/*.sst, anything added later)
// must be there afterwards with its size, or for a batch file under orphans/.
//
// Each wrong variant is reported as one failure line: state, file, damage and what happened.
// With TIDEKV_DAMAGED_TABLE set in the environment, every variant's outcome is printed too.
#include <algorithm>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/integration/persistence_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {
namespace {

namespace fs = std::filesystem;

// ---- the base directories ------------------------------------------------------------

constexpr size_t kRoundKeys = 500;  // new keys per round; later rounds also overwrite and delete
constexpr size_t kRounds = 6;       // rounds 0..4 are sealed, round 5 stays in the log

enum class Ending { kShutdown, kKill };

struct BaseDir {
  fs::path path;
  int64_t keys = 0;    // DBSIZE just before the stop
  std::string digest;  // DEBUG DIGEST just before the stop
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Key(size_t i) { return "key:" + std::to_string(i); }

std::string Value(uint64_t seed, size_t i) {
  return BinaryValue(seed * 1'000'003 + i, 40 + i % 120);
}

void WriteRound(redisContext* c, uint64_t seed, size_t round) {
  const size_t first = round * kRoundKeys;
  SetAll(c, kRoundKeys, [&](size_t j) {
    return std::pair{Key(first + j), Value(seed, first + j)};
  });
  if (round == 0) return;
  // Overwrites and deletions of older keys: later batches shadow earlier ones, and a merge
  // into the oldest batch drops tombstones.
  SetAll(c, 100, [&](size_t j) {
    const size_t k = (j * 37 + round) % first;
    return std::pair{Key(k), Value(seed + round, k)};
  });
  Pipeline(
      c, 20,
      [&](size_t j) {
        return std::vector<std::string>{"DEL", Key((j * 101 + round * 13) % first)};
      },
      [](size_t j, const redisReply& r) {
        if (r.type != REDIS_REPLY_INTEGER) {
          throw std::runtime_error("DEL number " + std::to_string(j) + " answered " + Describe(&r));
        }
      });
  const std::string incr = Call(c, {"INCRBY", "counter", std::to_string(seed + round)});
  if (incr.rfind("(integer)", 0) != 0) throw std::runtime_error("INCRBY answered " + incr);
}

// True when every level of "batches_per_level" (e.g. "L0=1,L2=1") holds at most one batch.
// Merges take the oldest adjacent pair of equal level, and levels never increase from older
// to newer batches, so then no merge is due.
bool OneBatchPerLevel(const std::string& levels) {
  if (levels == "none") return true;
  for (size_t begin = 0; begin < levels.size();) {
    size_t end = levels.find(',', begin);
    if (end == std::string::npos) end = levels.size();
    const std::string_view level(levels.data() + begin, end - begin);
    if (level.substr(level.find('=') + 1) != "1") return false;
    begin = end + 1;
  }
  return true;
}

// Committed batch files ("*.sst", not a seal's or merge's "*.sst.tmp"). Names only: the
// server may remove a file while this runs.
size_t BatchFiles(const fs::path& data) {
  size_t n = 0;
  std::error_code ec;
  for (fs::directory_iterator it(data / "batches", ec), end; !ec && it != end; it.increment(ec)) {
    n += EndsWith(it->path().filename().string(), ".sst") ? 1 : 0;
  }
  return n;
}

// Waits until no seal or merge runs, none is due, and batches/ holds exactly the manifest's
// files (a merge's inputs go only after the manifest without them is committed).
void Settle(redisContext* c, const fs::path& data) {
  std::string info;
  const bool settled = WaitFor([&] {
    info = InfoText(c);
    return InfoField(info, "seal_in_progress") == "0" &&
           InfoField(info, "merges_in_progress") == "0" &&
           OneBatchPerLevel(InfoField(info, "batches_per_level")) &&
           InfoField(info, "batches") == std::to_string(BatchFiles(data));
  });
  if (!settled) {
    throw std::runtime_error("seals and merges did not settle within 60 s:\n" + info);
  }
}

void SaveAndSettle(redisContext* c, const fs::path& data) {
  const std::string save = Call(c, {"SAVE"});
  if (save != "OK") throw std::runtime_error("SAVE answered " + save);
  Settle(c, data);
}

int64_t DbSize(redisContext* c) {
  Reply r = Command(c, {"DBSIZE"});
  if (r == nullptr || r->type != REDIS_REPLY_INTEGER) {
    throw std::runtime_error("DBSIZE answered " + Describe(r));
  }
  return r->integer;
}

// How a base directory is made and left.
struct Shape {
  Ending ending = Ending::kShutdown;
  // With a clean restart between the third and the fourth seal, RocksDB flushed what its WAL
  // held at that point (an older manifest among it) into log/*.sst. A clean stop flushes too;
  // a killed server never restarted leaves a log store that is a WAL file only, and the
  // manifest lives nowhere else.
  bool restarted = true;
  const char* name = "";
};

// The first seal, one per round but the last (the log tail nothing sealed), and with a
// restart one more first seal: two merges cascade after every second seal, leaving one
// batch per level (three batch files after seven seals, two after six).
BaseDir MakeBase(const fs::path& data, uint64_t seed, const Shape& shape) {
  auto server = StartServerOn(data, kNoTimedSeals);
  auto c = server->Connect();
  WaitFirstSeal(c.get());
  for (size_t round = 0; round + 1 < kRounds; round++) {
    if (shape.restarted && round == 2) {
      ShutdownClean(*server);
      server = StartServerOn(data, kNoTimedSeals);
      c = server->Connect();
      WaitFirstSeal(c.get());
      Settle(c.get(), data);
    }
    WriteRound(c.get(), seed, round);
    SaveAndSettle(c.get(), data);
  }
  WriteRound(c.get(), seed, kRounds - 1);
  BaseDir base{data, DbSize(c.get()), Digest(c.get())};
  if (shape.ending == Ending::kShutdown) {
    ShutdownClean(*server);
  } else {
    // A kill -9 loses nothing acknowledged (every reply waits for the WAL write), but a torn
    // WAL tail after an unclean stop may lose what was never fsynced: that is what a crash of
    // the machine does. <dir>/STATE records how far the log was durable (at most a second
    // behind the fsyncs); once it covers every write, any damage to the log is detectable.
    const int64_t next = InfoInt(c.get(), "logstore_next_offset");
    REQUIRE(WaitFor([&] { return InfoInt(c.get(), "state_durable_offset") >= next; }));
    KillHard(*server);
  }
  return base;
}

// ---- listing and damaging files ------------------------------------------------------

using Listing = std::map<std::string, uintmax_t>;  // path relative to the data dir -> size

Listing ListFiles(const fs::path& root) {
  Listing files;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), root).string()] = e.file_size();
  }
  return files;
}

std::vector<std::string> ListDirectories(const fs::path& root) {
  std::vector<std::string> dirs;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root)) {
    if (e.is_directory()) dirs.push_back(fs::relative(e.path(), root).string());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// Files a refused start may change or remove (see the header).
bool MayChangeOnOpen(const std::string& rel) {
  if (rel == "LOCK") return true;
  if (!StartsWith(rel, "log/") || rel.find('/', 4) != std::string::npos) return false;
  const std::string name = rel.substr(4);
  return name == "LOCK" || name == "CURRENT" || name == "IDENTITY" || StartsWith(name, "LOG") ||
         StartsWith(name, "OPTIONS-") || StartsWith(name, "MANIFEST-") || EndsWith(name, ".log");
}

// "log/000012.log" -> "log/#.log": files RocksDB or tidekv number are of one kind.
std::string Kind(const std::string& rel) {
  std::string kind;
  for (char ch : rel) {
    const bool digit = ch >= '0' && ch <= '9';
    if (!digit) {
      kind += ch;
    } else if (kind.empty() || kind.back() != '#') {
      kind += '#';
    }
  }
  return kind;
}

// The other directory's file of the same name, else of the same kind at the same rank.
std::optional<std::string> Counterpart(const Listing& ours, const Listing& theirs,
                                       const std::string& rel) {
  if (theirs.count(rel) != 0) return rel;
  std::vector<std::string> our_kind;
  std::vector<std::string> their_kind;
  for (const auto& [name, size] : ours) {
    if (Kind(name) == Kind(rel)) our_kind.push_back(name);
  }
  for (const auto& [name, size] : theirs) {
    if (Kind(name) == Kind(rel)) their_kind.push_back(name);
  }
  if (their_kind.empty()) return std::nullopt;
  const size_t rank =
      static_cast<size_t>(std::find(our_kind.begin(), our_kind.end(), rel) - our_kind.begin());
  return their_kind[std::min(rank, their_kind.size() - 1)];
}

std::string ReadAll(const fs::path& file) {
  std::string bytes(fs::file_size(file), '\0');
  FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error("cannot open " + file.string());
  const size_t n = std::fread(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  bytes.resize(n);
  return bytes;
}

enum class DamageKind { kDelete, kEmpty, kCut, kInvert, kSwap };

struct Damage {
  DamageKind kind = DamageKind::kDelete;
  uintmax_t at = 0;   // kCut: the new size; kInvert: the byte
  std::string other;  // kSwap: the other directory's file (relative)
  std::string label;
};

// The damages that change this file, each once (a tiny file has fewer distinct cuts).
std::vector<Damage> DamagesOf(const std::string& rel, uintmax_t size, const Listing& ours,
                              const Listing& theirs, const fs::path& our_root,
                              const fs::path& their_root) {
  std::vector<Damage> damages = {{DamageKind::kDelete, 0, "", "deleted"}};
  // Another server's copy, unless it holds the same bytes (an empty LOCK, say).
  if (auto other = Counterpart(ours, theirs, rel)) {
    if (ReadAll(their_root / *other) != ReadAll(our_root / rel)) {
      damages.push_back({DamageKind::kSwap, 0, *other, "replaced by the other server's " + *other});
    }
  }
  if (size == 0) return damages;
  damages.push_back({DamageKind::kEmpty, 0, "", "emptied"});
  const std::pair<uintmax_t, const char*> cuts[] = {
      {size / 4, "cut to 1/4"}, {size / 2, "cut to 1/2"}, {size - 1, "cut by its last byte"}};
  std::vector<uintmax_t> used = {0};
  for (const auto& [at, what] : cuts) {
    if (std::find(used.begin(), used.end(), at) != used.end()) continue;
    used.push_back(at);
    damages.push_back({DamageKind::kCut, at, "",
                       std::string(what) + " (" + std::to_string(at) + " of " +
                           std::to_string(size) + " bytes)"});
  }
  const std::pair<uintmax_t, const char*> bytes[] = {
      {0, "first"}, {size / 2, "middle"}, {size - 1, "last"}};
  used.clear();
  for (const auto& [at, what] : bytes) {
    if (std::find(used.begin(), used.end(), at) != used.end()) continue;
    used.push_back(at);
    damages.push_back({DamageKind::kInvert, at, "",
                       std::string(what) + " byte inverted (byte " + std::to_string(at) + ")"});
  }
  return damages;
}

void Apply(const Damage& damage, const fs::path& file, const fs::path& their_root) {
  switch (damage.kind) {
    case DamageKind::kDelete:
      fs::remove_all(file);
      break;
    case DamageKind::kEmpty:
      fs::resize_file(file, 0);
      break;
    case DamageKind::kCut:
      fs::resize_file(file, damage.at);
      break;
    case DamageKind::kInvert:
      InvertBytes(file, damage.at, 1);
      break;
    case DamageKind::kSwap:
      fs::copy_file(their_root / damage.other, file, fs::copy_options::overwrite_existing);
      break;
  }
}

// ---- one start attempt ---------------------------------------------------------------

struct Attempt {
  std::unique_ptr<ServerProcess> server;  // set when it started
  int exit_code = -1;
  bool hung = false;  // no ready line and no exit within kStartTimeout
  std::string err;    // its stderr when it did not start
};

Attempt TryStart(const fs::path& data) {
  Attempt attempt;
  try {
    attempt.server = StartServerOn(data, kNoTimedSeals);
  } catch (const std::runtime_error& e) {
    // ServerProcess says why, with the exit code and the server's stderr.
    const std::string what = e.what();
    attempt.hung = what.find("no ready line within") != std::string::npos;
    const size_t code = what.find("exit code ");
    if (code != std::string::npos) attempt.exit_code = std::atoi(what.c_str() + code + 10);
    const size_t err = what.find("\nstderr:\n");
    attempt.err = err == std::string::npos ? what : what.substr(err + 9);
  }
  return attempt;
}

// What a started server holds; it is stopped with SIGTERM afterwards.
struct Seen {
  int64_t keys = -1;
  std::string digest;
  std::string log;
  std::optional<int> exit_code;
  std::string error;  // the server failed while being inspected
};

Seen Inspect(ServerProcess& server) {
  Seen seen;
  try {
    RedisConnection c = server.Connect();
    seen.keys = DbSize(c.get());
    seen.digest = Digest(c.get());
  } catch (const std::runtime_error& e) {
    seen.error = e.what();
  }
  server.Signal(SIGTERM);
  seen.exit_code = server.WaitExit();
  seen.log = server.Log();
  return seen;
}

// Paths in the data directory become relative ("log/CURRENT"); long messages are cut.
std::string Shorten(std::string text, const fs::path& data) {
  const std::string prefix = data.string() + "/";
  for (size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
  for (size_t at; (at = text.find(data.string())) != std::string::npos;) {
    text.replace(at, data.string().size(), "<dir>");
  }
  if (text.size() > 200) text = text.substr(0, 197) + "...";
  return text;
}

// The last line of a refusal's stderr: the server's one-line reason.
std::string LastLine(const std::string& err) {
  const size_t end = err.find_last_not_of("\r\n");
  if (end == std::string::npos) return "";
  const size_t begin = err.rfind('\n', end);
  const size_t from = begin == std::string::npos ? 0 : begin + 1;
  return err.substr(from, end - from + 1);
}

std::string Join(const std::vector<std::string>& parts, const char* separator) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : separator) + part;
  return out;
}

// What is wrong with a start (nothing when it holds exactly the base's data and removed no
// batch file); stops the server. A correct start may merge batches, so only its log tells
// whether recovery itself removed one.
std::vector<std::string> StartProblems(const BaseDir& base, ServerProcess& server,
                                       const fs::path& data) {
  std::vector<std::string> problems;
  const Seen seen = Inspect(server);
  if (!seen.error.empty()) {
    problems.push_back("started, then failed: " + Shorten(seen.error, data));
  } else if (seen.keys != base.keys) {
    problems.push_back("SILENT LOSS: started with " + std::to_string(seen.keys) + " of " +
                       std::to_string(base.keys) + " keys");
  } else if (seen.digest != base.digest) {
    problems.push_back("SILENT LOSS: started with " + std::to_string(seen.keys) +
                       " keys but a different DEBUG DIGEST");
  }
  if (!problems.empty() && seen.log.find("torn") != std::string::npos) {
    problems.back() += " (its log reports a dropped torn tail)";
  }
  // "removing <path> (not in the manifest: ...)": a batch file deleted at start-up.
  std::vector<std::string> removed;
  for (size_t at = 0; (at = seen.log.find(" (not in the manifest", at)) != std::string::npos;
       at++) {
    const size_t begin = seen.log.rfind("removing ", at);
    if (begin != std::string::npos) {
      removed.push_back(Shorten(seen.log.substr(begin + 9, at - begin - 9), data));
    }
  }
  if (!removed.empty()) {
    problems.push_back("deleted as not in the manifest: " + Join(removed, ", "));
  }
  if (seen.exit_code != 0) {
    problems.push_back("exited with " + std::to_string(seen.exit_code.value_or(-1)) +
                       " on SIGTERM");
  }
  return problems;
}

// A file of `before` that a start removed or resized (see the header for what may change).
struct LostFile {
  std::string rel;
  std::string what;  // "deleted log/000014.sst", "changed ... (a -> b bytes)"
};

std::vector<LostFile> LostFiles(const Listing& before, const fs::path& data) {
  const Listing after = ListFiles(data);
  std::vector<LostFile> lost;
  for (const auto& [rel, size] : before) {
    if (MayChangeOnOpen(rel)) continue;
    auto it = after.find(rel);
    if (it == after.end() && StartsWith(rel, "batches/")) {
      it = after.find("orphans/" + rel.substr(8));
    }
    if (it == after.end()) {
      lost.push_back({rel, "deleted " + rel});
    } else if (it->second != size) {
      lost.push_back({rel, "changed " + rel + " (" + std::to_string(size) + " -> " +
                               std::to_string(it->second) + " bytes)"});
    }
  }
  return lost;
}

// Adds the lost files that no problem names yet (a start that went wrong says which batch
// files it removed itself; this shows what else went, e.g. RocksDB's obsolete files).
void AddLostFiles(const Listing& before, const fs::path& data, const std::string& suffix,
                  std::vector<std::string>& problems) {
  for (const LostFile& lost : LostFiles(before, data)) {
    const bool named = std::any_of(problems.begin(), problems.end(), [&](const std::string& p) {
      return p.find(lost.rel) != std::string::npos;
    });
    if (!named) problems.push_back(lost.what + suffix);
  }
}

// ---- the matrix ----------------------------------------------------------------------

struct Variant {
  std::string target;  // relative path, "/" appended for a directory
  std::string damage;
  std::string outcome;
  bool ok = false;
};

Variant RunVariant(const BaseDir& base, const fs::path& their_root, const fs::path& data,
                   const std::string& rel, bool directory, const Damage& damage) {
  Variant v{directory ? rel + "/" : rel, damage.label, "", false};
  fs::remove_all(data);
  fs::copy(base.path, data, fs::copy_options::recursive);
  const fs::path victim = data / rel;
  Apply(damage, victim, their_root);
  const Listing before = ListFiles(data);

  Attempt first = TryStart(data);
  if (first.server != nullptr) {
    std::vector<std::string> problems = StartProblems(base, *first.server, data);
    if (!problems.empty()) AddLostFiles(before, data, "", problems);
    v.ok = problems.empty();
    v.outcome = v.ok ? "started correctly" : Join(problems, "; ");
    return v;
  }
  std::vector<std::string> problems;
  if (first.hung) problems.push_back("neither started nor exited within the start timeout");
  if (first.exit_code == 0) problems.push_back("exited with 0 without starting");
  // RocksDB and spdlog print the paths they were given; "//" would be an accident of joining.
  std::string err = first.err;
  for (size_t at; (at = err.find("//")) != std::string::npos;) err.erase(at, 1);
  const bool named = err.find(victim.string()) != std::string::npos ||
                     (damage.kind == DamageKind::kDelete &&
                      err.find(victim.parent_path().string()) != std::string::npos);
  if (!named) problems.push_back("did not name " + v.target);
  // A refusal is an exit with a message, not a crash: a signal's exit status (>= 128) is a
  // failure, shown with the end of the crash report (server/crash_report.h).
  if (first.exit_code >= 128) {
    problems.push_back("crashed (exit " + std::to_string(first.exit_code) + "): " +
                       first.err.substr(first.err.size() > 3000 ? first.err.size() - 3000 : 0));
  }
  AddLostFiles(before, data, "", problems);
  // The refusal must hold: a second start refuses too, or holds everything.
  Attempt second = TryStart(data);
  if (second.server != nullptr) {
    std::vector<std::string> again = StartProblems(base, *second.server, data);
    if (!again.empty()) {
      AddLostFiles(before, data, "", again);
      problems.push_back("then a second start: " + Join(again, ", "));
    }
  } else {
    AddLostFiles(before, data, " (by a second start)", problems);
  }
  v.ok = problems.empty();
  v.outcome = "refused (exit " + std::to_string(first.exit_code) + ")";
  if (!v.ok) v.outcome += " BUT " + Join(problems, "; ");
  v.outcome += "; said \"" + Shorten(LastLine(first.err), data) + "\"";
  return v;
}

void RunMatrix(const Shape& shape) {
  const char* state = shape.name;
  TempDir dir;
  const BaseDir base = MakeBase(dir.path() / "base", 1, shape);
  const BaseDir other = MakeBase(dir.path() / "other", 2, shape);
  REQUIRE(other.digest != base.digest);
  const Listing ours = ListFiles(base.path);
  const Listing theirs = ListFiles(other.path);
  {
    // The matrix must not shrink unnoticed: these kinds of file are always there.
    std::string kinds;
    for (const auto& [rel, size] : ours) kinds += Kind(rel) + " ";
    INFO("files of the base directory: " << kinds);
    CHECK(BatchFiles(base.path) >= 2);
    for (const char* kind : {"batches/batch-#.sst", "log/#.log", "log/CURRENT", "log/MANIFEST-#",
                             "log/OPTIONS-#", "log/IDENTITY", "log/LOCK", "LOCK"}) {
      INFO(kind);
      CHECK(kinds.find(std::string(kind) + " ") != std::string::npos);
    }
    // A start and a clean stop flush the log's memtables to tables. A server never restarted
    // may have flushed only the frames an idle seal made obsolete (a range tombstone), or not.
    if (shape.restarted || shape.ending == Ending::kShutdown) {
      CHECK(kinds.find("log/#.sst ") != std::string::npos);
    }
  }

  const fs::path data = dir.path() / "case";
  std::vector<Variant> variants;
  for (const auto& [rel, size] : ours) {
    for (const Damage& damage : DamagesOf(rel, size, ours, theirs, base.path, other.path)) {
      variants.push_back(RunVariant(base, other.path, data, rel, false, damage));
    }
  }
  for (const std::string& rel : ListDirectories(base.path)) {
    variants.push_back(
        RunVariant(base, other.path, data, rel, true, {DamageKind::kDelete, 0, "", "deleted"}));
  }

  if (std::getenv("TIDEKV_DAMAGED_TABLE") != nullptr) {
    for (const Variant& v : variants) {
      std::cout << state << "\t" << v.target << "\t" << v.damage << "\t" << v.outcome << "\n";
    }
    std::cout << std::flush;
  }
  size_t wrong = 0;
  for (const Variant& v : variants) {
    if (v.ok) continue;
    wrong++;
    FAIL_CHECK(state << ": " << v.target << " " << v.damage << ": " << v.outcome);
  }
  INFO(wrong << " of " << variants.size() << " damaged " << state << " directories went wrong");
  CHECK(wrong == 0);
}

TEST_CASE("every damaged file of a cleanly stopped data directory: all data or a refusal",
          "[integration][persistence][damaged]") {
  RunMatrix({Ending::kShutdown, true, "after SHUTDOWN"});
}

TEST_CASE("every damaged file of a killed server's data directory: all data or a refusal",
          "[integration][persistence][damaged]") {
  RunMatrix({Ending::kKill, true, "after kill -9"});
}

// Killed and never restarted, no log/*.sst holds a frame or the meta: a log without its WAL
// is empty.
TEST_CASE("every damaged file of a never restarted data directory: all data or a refusal",
          "[integration][persistence][damaged]") {
  RunMatrix({Ending::kKill, false, "after kill -9, never restarted"});
}

}  // namespace
}  // namespace tidekv::integration
