// RecordingSink: an EffectSink for unit tests that keeps each effect as one line of text,
// "db: ARG ARG..." (or "ARG ARG..." when with_db is false), and can refuse writes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/unit/commands/engine_fixture.h"

namespace tidekv::commands {

class RecordingSink : public EffectSink {
 public:
  explicit RecordingSink(bool with_db = true) : with_db_(with_db) {}
  void OnEffect(Session*, int db, std::span<const std::string_view> argv,
                const CommandSpec*) override {
    std::string line = with_db_ ? std::to_string(db) + ":" : "";
    for (std::string_view a : argv) line += (line.empty() ? "" : " ") + std::string(a);
    effects.push_back(line);
  }
  void OnWholeDatabase(const Database& db, int other_index) override {
    whole.push_back(db.index());
    if (other_index >= 0) swapped_with.push_back(other_index);
  }
  bool WritesAllowed(std::string* why) const override {
    if (refuse.empty()) return true;
    *why = refuse;
    return false;
  }
  std::vector<std::string> Take() { return std::exchange(effects, {}); }

  std::vector<std::string> effects;
  std::vector<int> whole;
  std::vector<int> swapped_with;
  std::string refuse;  // when set, writes are refused with this error

 private:
  bool with_db_;
};

}  // namespace tidekv::commands
