#include "replication/slots.h"

#include <algorithm>

namespace tidekv::replication {

Slot& ReplicaSlots::Attach(std::string_view id, std::string_view address, int64_t listening_port,
                           uint64_t offset, int64_t now_ms) {
  Slot* slot = Find(id);
  if (slot == nullptr) {
    slot = &slots_.emplace_back();
    slot->id = id;
    slot->acked = offset;
    slot->durable = offset;
  } else {
    // A reconnect asking for an older offset (it lost its tail) must not pull the
    // watermark back below what it already confirmed: that log may be gone already.
    slot->acked = std::max(slot->acked, offset);
    slot->durable = std::max(slot->durable, offset);
  }
  slot->address = address;
  slot->listening_port = listening_port;
  slot->sent = offset;
  slot->last_seen_ms = now_ms;
  // Attaching counts as a fresh ack, so a replica is healthy from its first moment.
  slot->ack_ms = now_ms;
  slot->connected = true;
  return *slot;
}

void ReplicaSlots::Ack(std::string_view id, uint64_t acked, int64_t now_ms, uint64_t durable) {
  Slot* slot = Find(id);
  // An ack racing a Remove or an Expire is harmless: there is nothing left to update.
  if (slot == nullptr) return;
  slot->acked = std::max(slot->acked, acked);
  slot->durable = std::max(slot->durable, std::min(durable, acked));
  slot->last_seen_ms = now_ms;
  slot->ack_ms = now_ms;
}

void ReplicaSlots::Detach(std::string_view id, int64_t now_ms) {
  Slot* slot = Find(id);
  if (slot == nullptr) return;
  slot->connected = false;
  // The reconnect window counts from the disconnect, not from the last ack.
  slot->last_seen_ms = now_ms;
}

size_t ReplicaSlots::Expire(int64_t now_ms, int64_t window_ms) {
  return std::erase_if(slots_, [&](const Slot& slot) {
    return !slot.connected && now_ms - slot.last_seen_ms > window_ms;
  });
}

void ReplicaSlots::Remove(std::string_view id) {
  std::erase_if(slots_, [&](const Slot& slot) { return slot.id == id; });
}

Slot* ReplicaSlots::Find(std::string_view id) {
  auto it = std::find_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.id == id; });
  return it == slots_.end() ? nullptr : &*it;
}

size_t ReplicaSlots::connected() const {
  return static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.connected; }));
}

std::string ReplicaSlots::Encode() const {
  std::string out;
  for (const Slot& slot : slots_) {
    out += slot.id;
    out += ' ';
    out += std::to_string(slot.durable);
    out += '\n';
  }
  return out;
}

void ReplicaSlots::Restore(std::string_view encoded, int64_t now_ms) {
  while (!encoded.empty()) {
    const size_t end = std::min(encoded.find('\n'), encoded.size());
    const std::string_view line = encoded.substr(0, end);
    encoded.remove_prefix(std::min(end + 1, encoded.size()));
    const size_t space = line.rfind(' ');
    if (space == std::string_view::npos || space == 0 || Find(line.substr(0, space)) != nullptr) {
      continue;
    }
    uint64_t durable = 0;
    const std::string_view digits = line.substr(space + 1);
    if (digits.empty() || digits.size() > 19 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      continue;
    }
    for (char c : digits) durable = durable * 10 + static_cast<uint64_t>(c - '0');
    Slot& slot = slots_.emplace_back();
    slot.id = line.substr(0, space);
    slot.acked = slot.durable = slot.sent = durable;
    slot.last_seen_ms = slot.ack_ms = now_ms;
    slot.connected = false;
  }
}

uint64_t ReplicaSlots::Watermark(uint64_t none) const {
  if (slots_.empty()) return none;
  uint64_t lowest = slots_.front().durable;
  for (const Slot& slot : slots_) lowest = std::min(lowest, slot.durable);
  return lowest;
}

size_t ReplicaSlots::Healthy(int64_t now_ms, int64_t max_lag_ms) const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return s.connected && now_ms - s.ack_ms <= max_lag_ms;
  }));
}

size_t ReplicaSlots::AckedAtLeast(uint64_t offset) const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return s.connected && s.acked >= offset;
  }));
}

}  // namespace tidekv::replication
