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

}  // namespace

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
