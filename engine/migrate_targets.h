// MigrateTargets: MIGRATE's cache of connections to target servers (Redis's
// migrate_cached_sockets), keyed by "host:port" as the client wrote them.
//
// A connection is reused by the next MIGRATE to the same target, which then skips SELECT
// when the target's database is already the one selected. It is closed after kIdleMs
// unused (CloseIdle: the server's cron, and each MIGRATE before it looks), after an I/O
// error (MIGRATE calls Close), or when kMaxTargets are open and a new target needs a slot
// (the least recently used goes). INFO's migrate_cached_sockets is size().
// Owned by the Engine; loop thread only.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/blocking_socket.h"

namespace tidekv::engine {

class MigrateTargets {
 public:
  static constexpr int64_t kIdleMs = 10'000;  // Redis's MIGRATE_SOCKET_CACHE_TTL
  static constexpr size_t kMaxTargets = 64;   // Redis's MIGRATE_SOCKET_CACHE_ITEMS

  struct Target {
    BlockingSocket socket;
    int64_t db = -1;  // the database selected on the target, -1 when not known
    int64_t last_use_ms = 0;
  };

  // The cached connection to host:port, or a new one connected within timeout_ms;
  // nullptr when connecting failed (a port that is not a number fails too) or when
  // connections are disabled.
  Target* Get(std::string_view host, std::string_view port, int64_t timeout_ms, int64_t now_ms);
  // Closes and forgets the connection to host:port, if any.
  void Close(std::string_view host, std::string_view port);
  // Closes the connections unused for more than kIdleMs.
  void CloseIdle(int64_t now_ms);
  size_t size() const { return targets_.size(); }
  // From now on Get connects nowhere (MIGRATE replies -IOERR): tidekv-replay, which must
  // never write to the servers a traced MIGRATE reached.
  void Disable() { disabled_ = true; }

 private:
  bool disabled_ = false;
  absl::flat_hash_map<std::string, std::unique_ptr<Target>> targets_;
};

}  // namespace tidekv::engine
