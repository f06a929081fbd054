// ReplicaSlots: attach and re-attach by id, acks, detach and the reconnect window, and the
// three counts the server asks for (watermark, healthy replicas, WAIT).
#include "replication/slots.h"

#include <catch2/catch.hpp>
#include <cstdint>

namespace tidekv::replication {
namespace {

constexpr uint64_t kNone = 9999;

TEST_CASE("slots: empty", "[slots]") {
  ReplicaSlots slots;
  CHECK(slots.slots().empty());
  CHECK(slots.connected() == 0);
  CHECK(slots.Find("r1") == nullptr);
  CHECK(slots.Watermark(kNone) == kNone);
  CHECK(slots.Healthy(1000, 1000) == 0);
  CHECK(slots.AckedAtLeast(0) == 0);
  CHECK(slots.Expire(1000, 0) == 0);
  // Unknown ids are ignored, and no slot appears for them.
  slots.Ack("r1", 5, 1000);
  slots.Detach("r1", 1000);
  slots.Remove("r1");
  CHECK(slots.slots().empty());
}

TEST_CASE("slots: Attach creates a connected slot", "[slots]") {
  ReplicaSlots slots;
  Slot& slot = slots.Attach("r1", "10.0.0.1:41000", 6380, 100, 1000);
  CHECK(slot.id == "r1");
  CHECK(slot.address == "10.0.0.1:41000");
  CHECK(slot.listening_port == 6380);
  CHECK(slot.acked == 100);
  CHECK(slot.sent == 100);
  CHECK(slot.last_seen_ms == 1000);
  CHECK(slot.ack_ms == 1000);
  CHECK(slot.connected);
  CHECK(slots.Find("r1") == &slot);
  CHECK(slots.connected() == 1);

  slots.Attach("r2", "10.0.0.2:41000", 6381, 40, 1100);
  REQUIRE(slots.slots().size() == 2);
  CHECK(slots.connected() == 2);
  REQUIRE(slots.Find("r2") != nullptr);
  CHECK(slots.Find("r2")->acked == 40);
  CHECK(slots.Find("r1")->acked == 100);
  CHECK(slots.Find("r3") == nullptr);
}

TEST_CASE("slots: re-Attach picks the slot up by its id", "[slots]") {
  ReplicaSlots slots;
  slots.Attach("r1", "10.0.0.1:41000", 6380, 100, 1000);
  slots.Ack("r1", 150, 1500);
  slots.Detach("r1", 2000);

  SECTION("asking for less than it acked keeps the acked offset") {
    const Slot& slot = slots.Attach("r1", "10.0.0.9:42000", 7000, 120, 3000);
    CHECK(slots.slots().size() == 1);
    CHECK(slot.address == "10.0.0.9:42000");
    CHECK(slot.listening_port == 7000);
    CHECK(slot.acked == 150);
    CHECK(slot.sent == 120);
    CHECK(slot.last_seen_ms == 3000);
    CHECK(slot.ack_ms == 3000);
    CHECK(slot.connected);
    CHECK(slots.connected() == 1);
  }
  SECTION("asking for more moves acked forward") {
    const Slot& slot = slots.Attach("r1", "10.0.0.1:41001", 6380, 200, 3000);
    CHECK(slots.slots().size() == 1);
    CHECK(slot.acked == 200);
    CHECK(slot.sent == 200);
    CHECK(slot.connected);
  }
  SECTION("attaching while still connected replaces the connection") {
    slots.Attach("r1", "10.0.0.1:41001", 6380, 150, 3000);
    const Slot& slot = slots.Attach("r1", "10.0.0.1:41002", 6380, 160, 3100);
    CHECK(slots.slots().size() == 1);
    CHECK(slot.address == "10.0.0.1:41002");
    CHECK(slot.acked == 160);
    CHECK(slot.sent == 160);
    CHECK(slots.connected() == 1);
  }
}

TEST_CASE("slots: Ack only moves acked forward", "[slots]") {
  ReplicaSlots slots;
  slots.Attach("r1", "a:1", 1, 100, 1000);
  slots.Ack("r1", 150, 1500);
  const Slot* slot = slots.Find("r1");
  REQUIRE(slot != nullptr);
  CHECK(slot->acked == 150);
  CHECK(slot->last_seen_ms == 1500);
  CHECK(slot->ack_ms == 1500);
  CHECK(slot->sent == 100);  // acks say nothing about what was sent

  // An older ack (reordered, or a replica that lost its tail) is a sign of life only.
  slots.Ack("r1", 120, 1600);
  CHECK(slot->acked == 150);
  CHECK(slot->last_seen_ms == 1600);
  CHECK(slot->ack_ms == 1600);

  slots.Ack("r1", 150, 1700);  // confirming the same offset refreshes too
  CHECK(slot->acked == 150);
  CHECK(slot->ack_ms == 1700);

  slots.Ack("nobody", 500, 1800);
  CHECK(slots.slots().size() == 1);
  CHECK(slot->acked == 150);
}

TEST_CASE("slots: Detach keeps the slot for the reconnect window", "[slots]") {
  ReplicaSlots slots;
  slots.Attach("r1", "a:1", 1, 100, 1000);
  slots.Attach("r2", "b:1", 1, 200, 1000);
  slots.Ack("r1", 150, 1200);
  slots.Detach("r1", 2000);
  const Slot* slot = slots.Find("r1");
  REQUIRE(slot != nullptr);
  CHECK_FALSE(slot->connected);
  CHECK(slot->last_seen_ms == 2000);
  CHECK(slot->ack_ms == 1200);
  CHECK(slot->acked == 150);
  CHECK(slots.connected() == 1);
  CHECK(slots.slots().size() == 2);

  slots.Detach("r3", 2100);  // unknown: nothing happens
  CHECK(slots.connected() == 1);
  CHECK(slots.slots().size() == 2);
}

TEST_CASE("slots: Expire removes disconnected slots past the window", "[slots]") {
  ReplicaSlots slots;
  slots.Attach("live", "a:1", 1, 10, 0);  // connected, silent for long: not expired
  slots.Attach("r2", "b:1", 1, 20, 500);
  slots.Attach("r3", "c:1", 1, 30, 500);
  slots.Detach("r2", 1000);
  slots.Detach("r3", 5000);

  CHECK(slots.Expire(11000, 10000) == 0);  // exactly the window: kept
  CHECK(slots.slots().size() == 3);
  CHECK(slots.Expire(11001, 10000) == 1);
  CHECK(slots.Find("r2") == nullptr);
  CHECK(slots.Find("r3") != nullptr);
  CHECK(slots.Find("live") != nullptr);

  // A replica that came back in time is connected again and no longer expires.
  slots.Attach("r3", "c:2", 1, 30, 6000);
  CHECK(slots.Expire(100000, 10000) == 0);
  slots.Detach("r3", 100000);
  CHECK(slots.Expire(200000, 10000) == 1);
  REQUIRE(slots.slots().size() == 1);
  CHECK(slots.slots().front().id == "live");
}

TEST_CASE("slots: Remove and Clear", "[slots]") {
  ReplicaSlots slots;
  slots.Attach("r1", "a:1", 1, 10, 0);
  slots.Attach("r2", "b:1", 1, 20, 0);
  slots.Attach("r3", "c:1", 1, 30, 0);
  slots.Remove("r2");
  CHECK(slots.slots().size() == 2);
  CHECK(slots.Find("r2") == nullptr);
  CHECK(slots.Find("r1") != nullptr);
  CHECK(slots.Find("r3") != nullptr);
  slots.Remove("r2");  // already gone
  CHECK(slots.slots().size() == 2);
  slots.Clear();
  CHECK(slots.slots().empty());
  CHECK(slots.connected() == 0);
}

TEST_CASE("slots: Watermark is the slowest acked offset of all kept slots", "[slots]") {
  ReplicaSlots slots;
  CHECK(slots.Watermark(kNone) == kNone);
  slots.Attach("r1", "a:1", 1, 100, 0);
  CHECK(slots.Watermark(kNone) == 100);
  slots.Attach("r2", "b:1", 1, 50, 0);
  CHECK(slots.Watermark(kNone) == 50);
  slots.Ack("r2", 200, 10);
  CHECK(slots.Watermark(kNone) == 100);
  // A disconnected replica still holds the watermark back: it may come back for that log.
  slots.Detach("r1", 20);
  CHECK(slots.Watermark(kNone) == 100);
  CHECK(slots.Expire(100, 50) == 1);
  CHECK(slots.Watermark(kNone) == 200);
  slots.Remove("r2");
  CHECK(slots.Watermark(kNone) == kNone);
  // Offset 0 is a real watermark, not "none".
  slots.Attach("r3", "c:1", 1, 0, 0);
  CHECK(slots.Watermark(kNone) == 0);
}

TEST_CASE("slots: Healthy counts connected replicas with a recent ack", "[slots]") {
  ReplicaSlots slots;
  slots.Attach("r1", "a:1", 1, 0, 1000);
  slots.Attach("r2", "b:1", 1, 0, 1000);
  CHECK(slots.Healthy(1000, 0) == 2);     // attaching counts as an ack
  CHECK(slots.Healthy(2000, 1000) == 2);  // lag exactly max_lag: healthy
  CHECK(slots.Healthy(2001, 1000) == 0);
  slots.Ack("r1", 5, 2500);
  CHECK(slots.Healthy(3000, 1000) == 1);
  // An older ack still proves the replica is alive and keeping up with acks.
  slots.Ack("r2", 0, 2900);
  CHECK(slots.Healthy(3000, 1000) == 2);
  // A detached replica is never healthy, however fresh its last ack.
  slots.Detach("r2", 3000);
  CHECK(slots.Healthy(3000, 1000) == 1);
}

TEST_CASE("slots: AckedAtLeast counts connected replicas at or past an offset", "[slots]") {
  ReplicaSlots slots;
  slots.Attach("r1", "a:1", 1, 100, 0);
  slots.Attach("r2", "b:1", 1, 150, 0);
  slots.Attach("r3", "c:1", 1, 200, 0);
  CHECK(slots.AckedAtLeast(0) == 3);
  CHECK(slots.AckedAtLeast(100) == 3);
  CHECK(slots.AckedAtLeast(101) == 2);
  CHECK(slots.AckedAtLeast(200) == 1);
  CHECK(slots.AckedAtLeast(201) == 0);
  slots.Detach("r3", 10);  // WAIT counts only replicas that are there
  CHECK(slots.AckedAtLeast(150) == 1);
  slots.Ack("r1", 300, 20);
  CHECK(slots.AckedAtLeast(150) == 2);
  CHECK(slots.AckedAtLeast(300) == 1);
}

}  // namespace
}  // namespace tidekv::replication
