#include "engine/migrate_targets.h"

#include <charconv>

namespace tidekv::engine {

namespace {

std::string NameOf(std::string_view host, std::string_view port) {
  std::string name(host);
  name += ':';
  name += port;
  return name;
}

}  // namespace

MigrateTargets::Target* MigrateTargets::Get(std::string_view host, std::string_view port,
                                            int64_t timeout_ms, int64_t now_ms) {
  if (disabled_) return nullptr;
  std::string name = NameOf(host, port);
  if (auto it = targets_.find(name); it != targets_.end()) {
    it->second->last_use_ms = now_ms;
    return it->second.get();
  }
  // The port as Redis's atoi reads it: its leading digits (a non-number connects nowhere).
  unsigned port_number = 0;
  std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port_number == 0 || port_number > 65535) return nullptr;
  auto target = std::make_unique<Target>();
  if (!target->socket.Connect(std::string(host), static_cast<uint16_t>(port_number), timeout_ms)) {
    return nullptr;
  }
  if (targets_.size() >= kMaxTargets) {
    auto oldest = targets_.begin();
    for (auto it = targets_.begin(); it != targets_.end(); ++it) {
      if (it->second->last_use_ms < oldest->second->last_use_ms) oldest = it;
    }
    targets_.erase(oldest);
  }
  target->last_use_ms = now_ms;
  Target* raw = target.get();
  targets_.emplace(std::move(name), std::move(target));
  return raw;
}

void MigrateTargets::Close(std::string_view host, std::string_view port) {
  targets_.erase(NameOf(host, port));
}

void MigrateTargets::CloseIdle(int64_t now_ms) {
  absl::erase_if(targets_,
                 [&](const auto& entry) { return now_ms - entry.second->last_use_ms > kIdleMs; });
}

}  // namespace tidekv::engine
