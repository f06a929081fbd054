// ReplicaSlots: attach and re-attach by id, acks, detach and the reconnect window, the
// three counts the server asks for (watermark, healthy replicas, WAIT), and the text a
// primary commits with its manifest so that a restart restores its replicas' slots.
#include "replication/slots.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

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

// ---- Encode and Restore (a primary's restart) ---------------------------------------------

// The ids of the kept slots, in order.
std::vector<std::string> Ids(const ReplicaSlots& slots) {
  std::vector<std::string> ids;
  for (const Slot& slot : slots.slots()) ids.push_back(slot.id);
  return ids;
}

TEST_CASE("slots: Encode writes one \"id durable\" line per slot", "[slots][restore]") {
  ReplicaSlots slots;
  CHECK(slots.Encode().empty());
  slots.Attach("127.0.0.1:6380", "127.0.0.1:41000", 6380, 100, 1000);
  slots.Ack("127.0.0.1:6380", 150, 1100, 120);  // applied 150, durable 120
  slots.Attach("10.0.0.2:6381", "10.0.0.2:41001", 6381, 70, 1000);
  slots.Detach("10.0.0.2:6381", 1200);  // a disconnected slot is written too
  CHECK(slots.Encode() == "127.0.0.1:6380 120\n10.0.0.2:6381 70\n");
}

TEST_CASE("slots: Restore brings slots back disconnected, at their durable offsets",
          "[slots][restore]") {
  ReplicaSlots before;
  before.Attach("r1", "a:1", 6380, 100, 1000);
  before.Ack("r1", 150, 1100, 120);
  before.Attach("r2", "b:1", 6381, 0, 1000);  // offset 0 is a real offset
  before.Attach("r3", "c:1", 6382, 90, 1000);
  before.Ack("r3", UINT64_C(1) << 62, 1100);
  before.Detach("r3", 1200);

  ReplicaSlots restored;
  restored.Restore(before.Encode(), 50'000);
  CHECK(Ids(restored) == std::vector<std::string>{"r1", "r2", "r3"});
  const uint64_t want[] = {120, 0, UINT64_C(1) << 62};
  for (size_t i = 0; i < restored.slots().size(); i++) {
    const Slot& slot = restored.slots()[i];
    INFO("slot " << slot.id);
    CHECK_FALSE(slot.connected);
    // Where the replica resumes at the latest: the log from there on must be kept.
    CHECK(slot.durable == want[i]);
    CHECK(slot.acked == want[i]);
    CHECK(slot.sent == want[i]);
    CHECK(slot.last_seen_ms == 50'000);
    CHECK(slot.ack_ms == 50'000);
  }
  // What a restart restores is what it committed: the text round-trips.
  CHECK(restored.Encode() == before.Encode());
  // They hold the watermark, but are neither connected nor counted by WAIT or health.
  CHECK(restored.connected() == 0);
  CHECK(restored.Watermark(kNone) == 0);
  CHECK(restored.AckedAtLeast(0) == 0);
  CHECK(restored.Healthy(50'000, 10'000) == 0);
  restored.Remove("r2");
  CHECK(restored.Watermark(kNone) == 120);
}

TEST_CASE("slots: restored slots expire after the reconnect window from the restore",
          "[slots][restore]") {
  ReplicaSlots slots;
  slots.Attach("live", "a:1", 1, 500, 0);
  // Last seen long ago in the previous run; the window counts from the restart.
  slots.Restore("r1 100\nr2 300\n", 20'000);
  CHECK(slots.Watermark(kNone) == 100);
  CHECK(slots.Expire(30'000, 10'000) == 0);  // exactly the window: kept
  CHECK(slots.Watermark(kNone) == 100);
  CHECK(slots.Expire(30'001, 10'000) == 2);
  CHECK(Ids(slots) == std::vector<std::string>{"live"});
  CHECK(slots.Watermark(kNone) == 500);
}

TEST_CASE("slots: a replica reclaims its restored slot by id", "[slots][restore]") {
  ReplicaSlots slots;
  slots.Restore("127.0.0.1:6380 100\n127.0.0.1:6381 200\n", 1000);

  SECTION("resuming at its durable offset or later") {
    Slot& slot = slots.Attach("127.0.0.1:6380", "127.0.0.1:50000", 6380, 130, 2000);
    CHECK(slots.slots().size() == 2);
    CHECK(&slot == slots.Find("127.0.0.1:6380"));
    CHECK(slot.connected);
    CHECK(slot.address == "127.0.0.1:50000");
    CHECK(slot.listening_port == 6380);
    CHECK(slot.acked == 130);
    CHECK(slot.sent == 130);
    CHECK(slot.last_seen_ms == 2000);
    CHECK(slots.connected() == 1);
    CHECK(slots.Watermark(kNone) == 130);
    // Reclaimed, it no longer expires while connected; the other one still does.
    CHECK(slots.Expire(1'000'000, 10'000) == 1);
    CHECK(Ids(slots) == std::vector<std::string>{"127.0.0.1:6380"});
  }
  SECTION("asking for less than the restored durable offset keeps the watermark") {
    Slot& slot = slots.Attach("127.0.0.1:6381", "127.0.0.1:50001", 6381, 150, 2000);
    CHECK(slots.slots().size() == 2);
    CHECK(slot.connected);
    CHECK(slot.sent == 150);
    CHECK(slot.durable == 200);
    CHECK(slot.acked == 200);
    CHECK(slots.Watermark(kNone) == 100);
  }
  SECTION("a replica with another id gets a slot of its own") {
    slots.Attach("127.0.0.1:7000", "127.0.0.1:50002", 7000, 50, 2000);
    CHECK(slots.slots().size() == 3);
    CHECK(slots.connected() == 1);
    CHECK_FALSE(slots.Find("127.0.0.1:6380")->connected);
    CHECK(slots.Watermark(kNone) == 50);
  }
}

TEST_CASE("slots: Restore skips lines it cannot read", "[slots][restore]") {
  ReplicaSlots slots;
  slots.Restore(
      "\n"                           // empty line
      "nospace\n"                    // no separator
      " 5\n"                         // no id
      "noval \n"                     // no number
      "neg -1\n"                     // not a number
      "hex 0x10\n"                   // not decimal
      "frac 1.5\n"                   // not an integer
      "plus +3\n"                    // sign
      "huge 12345678901234567890\n"  // 20 digits: more than a stored offset can have
      "crlf 9\r\n"                   // the \r belongs to the number
      "good 7\n"
      "most 9999999999999999999\n"  // 19 digits is fine
      "last 3",                     // the final line needs no newline
      1000);
  CHECK(Ids(slots) == std::vector<std::string>{"good", "most", "last"});
  REQUIRE(slots.Find("most") != nullptr);
  CHECK(slots.Find("most")->durable == UINT64_C(9999999999999999999));
  CHECK(slots.Find("last")->durable == 3);
  CHECK(slots.Watermark(kNone) == 3);

  ReplicaSlots none;
  none.Restore("", 1000);
  none.Restore("garbage without a newline", 1000);
  CHECK(none.slots().empty());
}

TEST_CASE("slots: Restore skips duplicate ids", "[slots][restore]") {
  SECTION("within its text: the first line wins") {
    ReplicaSlots slots;
    slots.Restore("r1 50\nr2 60\nr1 10\n", 1000);
    CHECK(Ids(slots) == std::vector<std::string>{"r1", "r2"});
    CHECK(slots.Find("r1")->durable == 50);
    CHECK(slots.Watermark(kNone) == 50);
  }
  SECTION("a slot already kept is left as it is") {
    ReplicaSlots slots;
    slots.Attach("r1", "a:1", 6380, 100, 500);
    slots.Restore("r1 20\nr2 60\n", 1000);
    CHECK(Ids(slots) == std::vector<std::string>{"r1", "r2"});
    const Slot* r1 = slots.Find("r1");
    REQUIRE(r1 != nullptr);
    CHECK(r1->connected);
    CHECK(r1->acked == 100);
    CHECK(r1->durable == 100);
    CHECK(r1->last_seen_ms == 500);
    CHECK(slots.Watermark(kNone) == 60);
  }
  SECTION("restoring the same text twice adds nothing") {
    ReplicaSlots slots;
    slots.Restore("r1 50\nr2 60\n", 1000);
    slots.Restore("r1 50\nr2 60\n", 2000);
    CHECK(slots.slots().size() == 2);
    CHECK(slots.Find("r1")->last_seen_ms == 1000);
  }
}

}  // namespace
}  // namespace tidekv::replication
