// Key events (DESIGN.md §2a): after a command that changed something, the engine reports
// each key it changed, in whichever database, as Modified (the key exists) or Deleted.
// Persistence's dirty set is built from these, so a key missing here would be lost at the
// next seal.
#include <catch2/catch.hpp>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {
namespace {

class RecordingListener : public engine::KeyEventListener {
 public:
  void OnKeyModified(int db, Entry* entry) override {
    Add("M" + std::to_string(db) + ":" + std::string(entry->key()));
  }
  void OnKeyDeleted(int db, std::string_view key) override {
    Add("D" + std::to_string(db) + ":" + std::string(key));
  }
  // One line per key per command is enough to compare: repeats collapse.
  void Add(std::string line) {
    if (std::find(events.begin(), events.end(), line) == events.end()) events.push_back(line);
  }
  std::vector<std::string> events;
};

struct Fixture {
  Fixture() { f.engine().AddKeyListener(&listener); }
  ~Fixture() { f.engine().RemoveKeyListener(&listener); }
  std::vector<std::string> Run(std::initializer_list<std::string_view> argv) {
    listener.events.clear();
    f.Run(argv);
    std::vector<std::string> out = std::move(listener.events);
    std::sort(out.begin(), out.end());
    return out;
  }
  EngineFixture f;
  RecordingListener listener;
};

using V = std::vector<std::string>;

TEST_CASE("writes report the keys they change, reads and no-ops report nothing", "[events]") {
  Fixture x;
  CHECK(x.Run({"SET", "k", "v"}) == V{"M0:k"});
  CHECK(x.Run({"GET", "k"}).empty());
  CHECK(x.Run({"SETNX", "k", "w"}).empty());
  CHECK(x.Run({"SET", "k", "w", "NX"}).empty());
  CHECK(x.Run({"APPEND", "k", "x"}) == V{"M0:k"});
  CHECK(x.Run({"MSET", "a", "1", "b", "2"}) == V{"M0:a", "M0:b"});
  CHECK(x.Run({"DEL", "a", "nosuch"}) == V{"D0:a"});
  CHECK(x.Run({"DEL", "nosuch"}).empty());
  CHECK(x.Run({"EXPIRE", "b", "100"}) == V{"M0:b"});
  CHECK(x.Run({"PERSIST", "b"}) == V{"M0:b"});
  CHECK(x.Run({"PERSIST", "b"}).empty());
}

TEST_CASE("collection writes report only real changes", "[events]") {
  Fixture x;
  CHECK(x.Run({"HSET", "h", "f", "v"}) == V{"M0:h"});
  CHECK(x.Run({"HSETNX", "h", "f", "w"}).empty());
  CHECK(x.Run({"HDEL", "h", "nosuch"}).empty());
  CHECK(x.Run({"HDEL", "h", "f"}) == V{"D0:h"});
  CHECK(x.Run({"SADD", "s", "a", "b"}) == V{"M0:s"});
  CHECK(x.Run({"SADD", "s", "a"}).empty());
  CHECK(x.Run({"SMOVE", "s", "t", "a"}) == V{"M0:s", "M0:t"});
  CHECK(x.Run({"SMOVE", "s", "t", "b"}) == V{"D0:s", "M0:t"});
  CHECK(x.Run({"SINTERSTORE", "u", "t", "nosuch"}).empty());
  CHECK(x.Run({"SUNIONSTORE", "u", "t"}) == V{"M0:u"});
  CHECK(x.Run({"SINTERSTORE", "u", "t", "nosuch"}) == V{"D0:u"});
}

TEST_CASE("keys changed in another database are reported there", "[events]") {
  Fixture x;
  x.Run({"SET", "k", "v"});
  CHECK(x.Run({"MOVE", "k", "2"}) == V{"D0:k", "M2:k"});
  CHECK(x.Run({"MOVE", "k", "2"}).empty());
  x.Run({"SELECT", "2"});
  CHECK(x.Run({"COPY", "k", "c", "DB", "5"}) == V{"M5:c"});
  CHECK(x.Run({"COPY", "k", "c", "DB", "5"}).empty());
  CHECK(x.Run({"COPY", "k", "c", "DB", "5", "REPLACE"}) == V{"M5:c"});
  CHECK(x.Run({"RENAME", "k", "r"}) == V{"D2:k", "M2:r"});
}

TEST_CASE("a key removed by expiry is reported deleted", "[events]") {
  Fixture x;
  x.Run({"SET", "k", "v", "PX", "100"});
  x.f.clock().AdvanceMs(200);
  CHECK(x.Run({"GET", "k"}) == V{"D0:k"});
  x.Run({"SET", "j", "v", "PX", "100"});
  x.f.clock().AdvanceMs(200);
  // A write that meets it reports it once as the expiry and once as its own change.
  CHECK(x.Run({"SET", "j", "w"}) == V{"D0:j", "M0:j"});
}

}  // namespace
}  // namespace tidekv::commands
