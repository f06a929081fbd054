#include "engine/command_table.h"

#include <algorithm>

#include "common/check.h"
#include "common/strings.h"

namespace tidekv::engine {

namespace {

// Lower-cases name into buf when it fits (command names are short), avoiding an allocation
// per request.
std::string_view LowerInto(std::string_view name, char* buf, size_t cap) {
  if (name.size() > cap) return {};
  for (size_t i = 0; i < name.size(); i++) {
    char c = name[i];
    buf[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  }
  return {buf, name.size()};
}

constexpr std::pair<std::string_view, uint32_t> kKeyFlagNames[] = {
    {"RW", key_flag::kRW},
    {"RO", key_flag::kRO},
    {"OW", key_flag::kOW},
    {"RM", key_flag::kRM},
    {"access", key_flag::kAccess},
    {"update", key_flag::kUpdate},
    {"insert", key_flag::kInsert},
    {"delete", key_flag::kDelete},
    {"not_key", key_flag::kNotKey},
    {"incomplete", key_flag::kIncomplete},
    {"variable_flags", key_flag::kVariableFlags},
};

// "RW access delete; RW insert" -> {RW|access|delete, RW|insert}. A misspelt flag is a bug
// in the table: start-up stops.
void ParseKeyFlags(CommandSpec& spec) {
  TIDEKV_CHECK(!spec.has_keys() || !spec.key_flags.empty());
  std::string_view text = spec.key_flags;
  uint32_t current = 0;
  while (!text.empty()) {
    const size_t end = std::min(text.find_first_of(" ;"), text.size());
    const std::string_view word = text.substr(0, end);
    if (!word.empty()) {
      uint32_t bit = 0;
      for (const auto& [name, value] : kKeyFlagNames) {
        if (name == word) bit = value;
      }
      TIDEKV_CHECK(bit != 0);
      current |= bit;
    }
    if (end < text.size() && text[end] == ';') {
      spec.key_flag_sets.push_back(current);
      current = 0;
    }
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  if (current != 0) spec.key_flag_sets.push_back(current);
}

}  // namespace

std::vector<std::string_view> KeyFlagNames(uint32_t flags) {
  std::vector<std::string_view> names;
  for (const auto& [name, value] : kKeyFlagNames) {
    if ((flags & value) != 0) names.push_back(name);
  }
  return names;
}

bool CommandSpec::MayWrite(Engine& engine, std::span<const std::string_view> argv) const {
  if (may_write != nullptr) return may_write(engine, argv);
  return HasFlag(flags, CommandFlag::kWrite) || HasFlag(flags, CommandFlag::kMayReplicate);
}

uint32_t CommandSpec::KeyFlagsAt(std::span<const std::string_view> argv, size_t index,
                                 size_t position) const {
  if (key_flag_sets.empty()) return 0;
  const uint32_t flags = key_flag_sets[std::min(index, key_flag_sets.size() - 1)];
  if ((flags & key_flag::kVariableFlags) != 0 && flags_for_args != nullptr) {
    return flags_for_args(argv, position);
  }
  return flags;
}

std::vector<size_t> CommandSpec::KeyPositions(std::span<const std::string_view> argv) const {
  std::vector<size_t> out;
  if (find_keys != nullptr) {
    find_keys(argv, &out);
    return out;
  }
  if (first_key <= 0) return out;
  const int argc = static_cast<int>(argv.size());
  const int last = last_key < 0 ? argc + last_key : last_key;
  for (int i = first_key; i <= last && i < argc; i += std::max(1, key_step)) {
    out.push_back(static_cast<size_t>(i));
  }
  return out;
}

const CommandSpec* CommandSpec::FindSubcommand(std::string_view sub) const {
  char buf[64];
  std::string_view lower = LowerInto(sub, buf, sizeof buf);
  if (lower.empty()) return nullptr;
  for (const auto& s : subcommands) {
    std::string_view n = s->name;
    if (n.size() == name.size() + 1 + lower.size() && n.substr(name.size() + 1) == lower) {
      return s.get();
    }
  }
  return nullptr;
}

CommandSpec& CommandTable::Add(CommandSpec spec) {
  std::string key = spec.name;
  spec.id = next_id_++;
  auto owned = std::make_unique<CommandSpec>(std::move(spec));
  CommandSpec* raw = owned.get();
  ParseKeyFlags(*raw);
  auto [it, inserted] = by_name_.emplace(key, std::move(owned));
  TIDEKV_CHECK(inserted);
  // Internal commands (replication frames' own) are found by name but listed nowhere.
  if (!HasFlag(raw->flags, CommandFlag::kInternal)) ordered_.push_back(raw);
  return *raw;
}

CommandSpec& CommandTable::AddSubcommand(CommandSpec& container, CommandSpec spec) {
  spec.name = container.name + "|" + spec.name;
  spec.id = next_id_++;
  if (spec.group.empty()) spec.group = container.group;
  if (spec.since.empty()) spec.since = container.since;
  container.subcommands.push_back(std::make_unique<CommandSpec>(std::move(spec)));
  ParseKeyFlags(*container.subcommands.back());
  return *container.subcommands.back();
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  char buf[64];
  std::string_view lower = LowerInto(name, buf, sizeof buf);
  if (lower.empty()) return nullptr;
  auto it = by_name_.find(absl::string_view(lower.data(), lower.size()));
  return it == by_name_.end() ? nullptr : it->second.get();
}

const CommandSpec* CommandTable::Resolve(std::span<const std::string_view> argv) const {
  if (argv.empty()) return nullptr;
  const CommandSpec* spec = Find(argv[0]);
  if (spec == nullptr || !spec->is_container() || argv.size() < 2) return spec;
  return spec->FindSubcommand(argv[1]);
}

void CommandTable::ResetStats() const {
  for (const CommandSpec* c : ordered_) {
    c->stats = {};
    for (const auto& s : c->subcommands) s->stats = {};
  }
}

}  // namespace tidekv::engine
