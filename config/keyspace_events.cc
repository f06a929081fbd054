// notify-keyspace-events: Redis's letters to flags and back (config.h, namespace notify).
#include <string>
#include <string_view>
#include <utility>

#include "config/config.h"

namespace tidekv::config {

namespace {
// Letter and flag, in the order Redis renders them (keyspaceEventsFlagsToString).
constexpr std::pair<char, uint32_t> kEventClasses[] = {
    {'g', notify::kGeneric}, {'$', notify::kString},  {'l', notify::kList},
    {'s', notify::kSet},     {'h', notify::kHash},    {'z', notify::kZSet},
    {'x', notify::kExpired}, {'e', notify::kEvicted}, {'t', notify::kStream},
    {'d', notify::kModule}};
constexpr std::pair<char, uint32_t> kEventChannels[] = {{'K', notify::kKeyspace},
                                                        {'E', notify::kKeyevent},
                                                        {'m', notify::kKeyMiss},
                                                        {'n', notify::kNew}};
constexpr uint32_t kAllClasses = notify::kGeneric | notify::kString | notify::kList | notify::kSet |
                                 notify::kHash | notify::kZSet | notify::kExpired |
                                 notify::kEvicted | notify::kStream | notify::kModule;
}  // namespace

std::optional<uint32_t> ParseKeyspaceEvents(std::string_view letters) {
  uint32_t flags = 0;
  for (char c : letters) {
    if (c == 'A') {
      flags |= kAllClasses;
      continue;
    }
    uint32_t flag = 0;
    for (const auto& [letter, f] : kEventClasses) flag |= letter == c ? f : 0;
    for (const auto& [letter, f] : kEventChannels) flag |= letter == c ? f : 0;
    if (flag == 0) return std::nullopt;
    flags |= flag;
  }
  return flags;
}

std::string KeyspaceEventsText(uint32_t flags) {
  std::string out;
  if ((flags & kAllClasses) == kAllClasses) {
    out += 'A';
  } else {
    for (const auto& [letter, f] : kEventClasses) {
      if ((flags & f) != 0) out += letter;
    }
  }
  for (const auto& [letter, f] : kEventChannels) {
    if ((flags & f) != 0) out += letter;
  }
  return out;
}

}  // namespace tidekv::config
