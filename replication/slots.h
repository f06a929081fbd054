// ReplicaSlots: what the primary remembers about each replica (DESIGN.md §4).
//
// A slot outlives its connection: a replica that disconnects keeps its slot (and so the
// log it still needs) for the reconnect window, and picks it up again by its id when it
// comes back. The slowest acked offset of the slots kept is the watermark the backlog and
// the log store's retention follow. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tidekv::replication {

struct Slot {
  std::string id;       // the replica's own replid-independent id (its run id) or address
  std::string address;  // "ip:port" of the replica's connection
  int64_t listening_port = 0;
  uint64_t acked = 0;        // next offset the replica still needs (all below it applied)
  uint64_t durable = 0;      // all below it are on the replica's disk (it resumes from there)
  uint64_t sent = 0;         // next offset the primary will send it
  int64_t last_seen_ms = 0;  // last message (ack or anything) from it
  int64_t ack_ms = 0;        // when `acked` last moved or was confirmed
  bool connected = false;
};

class ReplicaSlots {
 public:
  // Finds the slot with this id or creates it; marks it connected.
  Slot& Attach(std::string_view id, std::string_view address, int64_t listening_port,
               uint64_t offset, int64_t now_ms);
  // Records an ack (acked and durable only move forward). durable defaults to acked.
  void Ack(std::string_view id, uint64_t acked, int64_t now_ms, uint64_t durable = UINT64_MAX);
  // The connection went away; the slot is kept for the reconnect window.
  void Detach(std::string_view id, int64_t now_ms);
  // Removes disconnected slots last seen more than window_ms ago; returns how many.
  size_t Expire(int64_t now_ms, int64_t window_ms);
  void Remove(std::string_view id);
  void Clear() { slots_.clear(); }

  Slot* Find(std::string_view id);
  const std::vector<Slot>& slots() const { return slots_; }
  size_t connected() const;

  // The slots as text, one "id durable" line each, for the manifest: a primary that
  // restarts keeps the log its replicas need (DESIGN.md §4). Restore adds the slots of such
  // text as disconnected ones last seen at now_ms (kept for the reconnect window, reclaimed
  // by the replica when it attaches); lines it cannot read are skipped.
  std::string Encode() const;
  void Restore(std::string_view encoded, int64_t now_ms);

  // Smallest durable offset over all kept slots (where a replica that restarts now would
  // resume), or `none` when there are no slots.
  uint64_t Watermark(uint64_t none) const;
  // Connected replicas whose last ack is at most max_lag_ms old (min_replicas_to_write).
  size_t Healthy(int64_t now_ms, int64_t max_lag_ms) const;
  // Connected replicas that acked at least `offset` (WAIT).
  size_t AckedAtLeast(uint64_t offset) const;

 private:
  std::vector<Slot> slots_;
};

}  // namespace tidekv::replication
