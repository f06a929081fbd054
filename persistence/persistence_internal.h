// Helpers shared by the files that implement Persistence (persistence.cc, persistence_sync.cc).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tidekv::persistence::internal {

inline constexpr std::string_view kManifestKey = "manifest";
inline constexpr std::string_view kIdentityKey = "replication";
inline constexpr std::string_view kCleanStopKey = "clean_stop";
// DirState::dir_id, in the meta family.
inline constexpr std::string_view kDirIdKey = "dir_id";
// ReplicaSlots::Encode of a primary's replicas.
inline constexpr std::string_view kReplicaSlotsKey = "replica_slots";
inline constexpr size_t kMaxChunkBytes = 1 << 20;    // a chunk goes to the writer at this size
inline constexpr size_t kKeepChunkBytes = 64 << 10;  // a larger, mostly idle buffer is freed

}  // namespace tidekv::persistence::internal
