// DirState (<dir>/STATE): the text round-trips; every truncation, every changed byte and
// every malformed body (even one with a matching checksum) is refused as Corruption naming
// the file; a missing file is no evidence (nullopt); StoreDirState writes a new file and
// renames it over the old one, so the old contents are never rewritten in place.
#include "persistence/dir_state.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/crc32c.h"

namespace tidekv::persistence {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPath = "/data/tidekv/STATE";

// A directory of its own under the system temp dir, removed with its contents.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "tidekv-dirstate-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Spill(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  REQUIRE(out.good());
}

DirState Sample() {
  DirState state;
  state.dir_id = "0123456789abcdef0123456789abcdef";
  state.next_batch_id = 42;
  state.spine_upper = 1'000'000'007;
  state.durable_offset = 1'000'000'123;
  return state;
}

// The decode failed as Corruption and the message names the file.
void CheckRefused(const Result<DirState>& decoded, const std::string& path,
                  const std::string& what) {
  INFO(what);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == StatusCode::kCorruption);
  CHECK(decoded.status().message().find(path) != std::string::npos);
}

// A body in STATE's line format with a correct checksum line, so that only the body's
// own checks can refuse it.
std::string WithChecksum(const std::string& body) {
  return body + "crc32c " + std::to_string(Crc32c(body)) + "\n";
}

TEST_CASE("DirState round-trips through its text", "[dir_state]") {
  DirState zero;
  zero.dir_id = std::string(32, '0');
  DirState fresh = Sample();
  fresh.dir_id = NewDirId();
  DirState large = Sample();
  large.next_batch_id = UINT64_MAX;
  large.spine_upper = uint64_t{1} << 62;
  large.durable_offset = UINT64_MAX;
  for (const DirState& state : {zero, Sample(), fresh, large}) {
    const std::string text = EncodeDirState(state);
    INFO(text);
    CHECK(text.rfind("tidekv-state 1\n", 0) == 0);
    CHECK(text.back() == '\n');
    auto decoded = DecodeDirState(text, kPath);
    REQUIRE(decoded.ok());
    CHECK(*decoded == state);
    // The encoding is canonical: what decodes re-encodes to the same bytes.
    CHECK(EncodeDirState(*decoded) == text);
  }
}

TEST_CASE("NewDirId draws 32 lowercase hex characters, different each time", "[dir_state]") {
  const std::string a = NewDirId();
  const std::string b = NewDirId();
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

TEST_CASE("every truncation of a STATE text is refused naming the file", "[dir_state]") {
  const std::string text = EncodeDirState(Sample());
  for (size_t size = 0; size < text.size(); size++) {
    CheckRefused(DecodeDirState(text.substr(0, size), kPath), kPath,
                 "truncated to " + std::to_string(size) + " of " + std::to_string(text.size()));
  }
}

TEST_CASE("every changed byte of a STATE text is refused naming the file", "[dir_state]") {
  const std::string text = EncodeDirState(Sample());
  for (size_t at = 0; at < text.size(); at++) {
    for (const unsigned char mask : {0x01, 0x02, 0x10, 0x20, 0x80, 0xFF}) {
      std::string damaged = text;
      damaged[at] = static_cast<char>(static_cast<unsigned char>(damaged[at]) ^ mask);
      CheckRefused(DecodeDirState(damaged, kPath), kPath,
                   "byte " + std::to_string(at) + " xor " + std::to_string(mask));
    }
  }
}

TEST_CASE("bytes added to a STATE text are refused naming the file", "[dir_state]") {
  const std::string text = EncodeDirState(Sample());
  CheckRefused(DecodeDirState(text + "\n", kPath), kPath, "an empty line after the checksum");
  CheckRefused(DecodeDirState(text + "x 1\n", kPath), kPath, "a line after the checksum");
  CheckRefused(DecodeDirState(text + text, kPath), kPath, "the text twice");
  CheckRefused(DecodeDirState(" " + text, kPath), kPath, "a leading space");
}

TEST_CASE("a STATE body that is malformed is refused even with a matching checksum",
          "[dir_state]") {
  const std::string id = Sample().dir_id;
  const std::string good =
      "tidekv-state 1\ndir_id " + id + "\nnext_batch_id 42\nspine_upper 7\ndurable_offset 9\n";
  // The helper itself builds what the decoder accepts.
  REQUIRE(DecodeDirState(WithChecksum(good), kPath).ok());

  const std::vector<std::pair<std::string, std::string>> bodies = {
      {"another format version",
       "tidekv-state 2\ndir_id " + id + "\nnext_batch_id 42\nspine_upper 7\ndurable_offset 9\n"},
      {"no header", "dir_id " + id + "\nnext_batch_id 42\nspine_upper 7\ndurable_offset 9\n"},
      {"a line missing", "tidekv-state 1\ndir_id " + id + "\nnext_batch_id 42\nspine_upper 7\n"},
      {"an extra line", good + "durable_offset 9\n"},
      {"lines swapped",
       "tidekv-state 1\ndir_id " + id + "\nspine_upper 7\nnext_batch_id 42\ndurable_offset 9\n"},
      {"a short dir id", "tidekv-state 1\ndir_id " + id.substr(1) +
                             "\nnext_batch_id 42\nspine_upper 7\ndurable_offset 9\n"},
      {"an uppercase dir id",
       "tidekv-state 1\ndir_id 0123456789ABCDEF0123456789ABCDEF\nnext_batch_id 42\n"
       "spine_upper 7\ndurable_offset 9\n"},
      {"a negative number",
       "tidekv-state 1\ndir_id " + id + "\nnext_batch_id -42\nspine_upper 7\ndurable_offset 9\n"},
      {"a number with a leading zero",
       "tidekv-state 1\ndir_id " + id + "\nnext_batch_id 042\nspine_upper 7\ndurable_offset 9\n"},
      {"a number past 2^64",
       "tidekv-state 1\ndir_id " + id +
           "\nnext_batch_id 42\nspine_upper 18446744073709551616\ndurable_offset 9\n"},
      {"an empty value",
       "tidekv-state 1\ndir_id " + id + "\nnext_batch_id \nspine_upper 7\ndurable_offset 9\n"},
      {"a name without its space",
       "tidekv-state 1\ndir_id " + id + "\nnext_batch_id42\nspine_upper 7\ndurable_offset 9\n"},
      {"a misspelt name",
       "tidekv-state 1\ndir_id " + id + "\nnext_batch_id 42\nspine_uper 7\ndurable_offset 9\n"},
      {"CRLF line ends", "tidekv-state 1\r\ndir_id " + id +
                             "\r\nnext_batch_id 42\r\nspine_upper 7\r\ndurable_offset 9\r\n"},
      {"an empty body", ""},
  };
  for (const auto& [what, body] : bodies) {
    CheckRefused(DecodeDirState(WithChecksum(body), kPath), kPath, what);
  }
  // The checksum line itself must be well-formed.
  CheckRefused(DecodeDirState(good + "crc32c\n", kPath), kPath, "a checksum without a number");
  CheckRefused(DecodeDirState(good + "crc32c " + std::to_string(Crc32c(good)), kPath), kPath,
               "a checksum line without its newline");
  CheckRefused(DecodeDirState(good + "crc32c 0" + std::to_string(Crc32c(good)) + "\n", kPath),
               kPath, "a checksum with a leading zero");
}

TEST_CASE("LoadDirState: a missing file is no evidence, a damaged one an error", "[dir_state]") {
  ScratchDir dir;
  SECTION("missing file") {
    auto loaded = LoadDirState(dir.File("STATE"));
    REQUIRE(loaded.ok());
    CHECK_FALSE(loaded->has_value());
  }
  SECTION("missing directory") {
    auto loaded = LoadDirState(dir.File("no-such-dir/STATE"));
    REQUIRE(loaded.ok());
    CHECK_FALSE(loaded->has_value());
  }
  SECTION("a good file") {
    Spill(dir.File("STATE"), EncodeDirState(Sample()));
    auto loaded = LoadDirState(dir.File("STATE"));
    REQUIRE(loaded.ok());
    REQUIRE(loaded->has_value());
    CHECK(**loaded == Sample());
  }
  SECTION("an empty file") {
    Spill(dir.File("STATE"), "");
    auto loaded = LoadDirState(dir.File("STATE"));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == StatusCode::kCorruption);
    CHECK(loaded.status().message().find(dir.File("STATE")) != std::string::npos);
  }
  SECTION("a damaged file") {
    std::string text = EncodeDirState(Sample());
    text[text.find("42")] = '5';
    Spill(dir.File("STATE"), text);
    auto loaded = LoadDirState(dir.File("STATE"));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().code() == StatusCode::kCorruption);
    CHECK(loaded.status().message().find(dir.File("STATE")) != std::string::npos);
  }
  SECTION("a file far larger than any STATE") {
    Spill(dir.File("STATE"), EncodeDirState(Sample()) + std::string(1 << 16, 'x'));
    auto loaded = LoadDirState(dir.File("STATE"));
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.status().message().find(dir.File("STATE")) != std::string::npos);
  }
}

TEST_CASE("StoreDirState replaces the file whole, through a renamed temporary", "[dir_state]") {
  ScratchDir dir;
  const std::string path = dir.File("STATE");
  DirState first = Sample();
  REQUIRE(StoreDirState(path, first).ok());
  CHECK(Slurp(path) == EncodeDirState(first));
  CHECK_FALSE(fs::exists(path + ".tmp"));

  // A second name for the current file: a writer that rewrote STATE in place would change
  // what it holds too; a new file renamed over STATE leaves it as it was.
  fs::create_hard_link(path, dir.File("STATE.before"));
  // What an interrupted earlier store may have left.
  Spill(path + ".tmp", "half of a STATE");

  DirState second = Sample();
  second.next_batch_id = 43;
  second.spine_upper = 2'000'000'000;
  second.durable_offset = 2'000'000'500;
  REQUIRE(StoreDirState(path, second).ok());
  auto loaded = LoadDirState(path);
  REQUIRE(loaded.ok());
  REQUIRE(loaded->has_value());
  CHECK(**loaded == second);
  CHECK(Slurp(path) == EncodeDirState(second));
  CHECK(Slurp(dir.File("STATE.before")) == EncodeDirState(first));
  CHECK(fs::hard_link_count(path) == 1);
  CHECK_FALSE(fs::exists(path + ".tmp"));
  // Only the two names are in the directory: no other temporary is left behind.
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir.File(""))) {
    (void)entry;
    files++;
  }
  CHECK(files == 2);
}

TEST_CASE("StoreDirState into a missing directory fails and creates nothing", "[dir_state]") {
  ScratchDir dir;
  const std::string path = dir.File("gone/STATE");
  const Status s = StoreDirState(path, Sample());
  CHECK_FALSE(s.ok());
  CHECK(s.message().find(dir.File("gone")) != std::string::npos);
  CHECK_FALSE(fs::exists(dir.File("gone")));
}

}  // namespace
}  // namespace tidekv::persistence
