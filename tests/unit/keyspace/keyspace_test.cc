// Keyspace and Database: lazy and active expiry, the volatile-key list, random keys, SWAPDB.
#include "keyspace/keyspace.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "types/hash.h"
#include "types/set.h"

namespace tidekv::keyspace {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Key(size_t i) { return "key:" + std::to_string(i); }

// Counts the entries of db that carry a TTL by walking the table (independent of the
// volatile list, which is what these tests check).
size_t CountWithExpiry(const Database& db) {
  size_t n = 0;
  db.dict().ForEach([&](Entry* e) { n += e->HasExpiry() ? 1 : 0; });
  return n;
}

TEST_CASE("a removed dirty key frees its value of any type and keeps its name", "[keyspace]") {
  // Persistence still lists a dirty entry, so removal frees only the value; the value must
  // be freed through its type's row (a hash or set is not a string).
  Keyspace ks(1);
  Database& db = ks.db(0);
  std::vector<Entry*> listed;
  for (int i = 0; i < 4; i++) {
    const std::string key = "k" + std::to_string(i);
    Entry* e = db.Insert(key, 0);
    if (i == 0) e->SetString(std::string(100, 'x'));
    if (i == 1) {
      auto* h = new types::HashValue();
      for (int f = 0; f < 200; f++) h->Set("f" + std::to_string(f), "v");
      e->SetObject(ValueType::kHash, h);
    }
    if (i == 2) e->SetObject(ValueType::kSet, new types::SetValue("m"));
    if (i == 3) {
      auto* s = new types::SetValue("1");
      s->Add("1");
      e->SetObject(ValueType::kSet, s);
      db.SetExpire(e, 5);
    }
    e->set_dirty(true);
    listed.push_back(e);
  }
  CHECK(db.Erase("k0", 0));
  CHECK(db.Erase("k1", 0));
  CHECK(db.Erase("k2", 0));
  CHECK(db.ExpireAll(10) == 1);
  CHECK(db.size() == 0);
  for (size_t i = 0; i < listed.size(); i++) {
    CHECK(listed[i]->dead());
    CHECK(listed[i]->key() == "k" + std::to_string(i));
    CHECK(listed[i]->IsString());
    Entry::Destroy(listed[i]);
  }
}

TEST_CASE("Database: Insert, Find, FindOrInsert, Erase", "[keyspace]") {
  Keyspace ks(4);
  Database& db = ks.db(0);
  CHECK(db.index() == 0);
  CHECK(db.Find("a", kNow) == nullptr);

  Entry* a = db.Insert("a", kNow);
  a->SetString(std::string_view("1"));
  CHECK(db.size() == 1);
  CHECK(db.Find("a", kNow) == a);
  CHECK(db.Peek("a", kNow) == a);
  CHECK(a->key() == "a");
  CHECK(a->str() == "1");
  CHECK_FALSE(a->HasExpiry());

  bool created = true;
  CHECK(db.FindOrInsert("a", kNow, &created) == a);
  CHECK_FALSE(created);
  Entry* b = db.FindOrInsert("b", kNow, &created);
  CHECK(created);
  CHECK(b != a);
  CHECK(b->str().empty());
  CHECK(db.size() == 2);

  CHECK(db.Erase("a", kNow));
  CHECK_FALSE(db.Erase("a", kNow));
  CHECK(db.Find("a", kNow) == nullptr);
  db.Erase(b);
  CHECK(db.size() == 0);
  CHECK(ks.stats().expired_keys == 0);
}

TEST_CASE("Database: lazy expiry at the exact millisecond", "[keyspace]") {
  ManualClock clock(kNow);
  Keyspace ks(1);
  Database& db = ks.db(0);
  Entry* e = db.Insert("k", clock.NowMs());
  db.SetExpire(e, kNow + 1000);
  CHECK(e->expire_at() == kNow + 1000);
  CHECK(db.volatile_size() == 1);

  clock.AdvanceMs(999);
  CHECK(db.Find("k", clock.NowMs()) == e);
  clock.AdvanceMs(1);  // expire_at <= now: gone
  // Peek reports it absent but leaves it in place.
  CHECK(db.Peek("k", clock.NowMs()) == nullptr);
  CHECK(db.size() == 1);
  CHECK(ks.stats().expired_keys == 0);
  CHECK(db.Find("k", clock.NowMs()) == nullptr);
  CHECK(db.size() == 0);
  CHECK(db.volatile_size() == 0);
  CHECK(ks.stats().expired_keys == 1);
}

TEST_CASE("Database: writes over expired keys", "[keyspace]") {
  Keyspace ks(1);
  Database& db = ks.db(0);
  Entry* old = db.Insert("k", kNow);
  db.SetExpire(old, kNow + 10);

  SECTION("Insert replaces the expired entry and counts it as expired") {
    Entry* fresh = db.Insert("k", kNow + 10);
    CHECK(db.size() == 1);
    CHECK_FALSE(fresh->HasExpiry());
    CHECK(db.volatile_size() == 0);
    CHECK(ks.stats().expired_keys == 1);
    CHECK(db.Find("k", kNow + 10) == fresh);
  }
  SECTION("FindOrInsert creates a new key") {
    bool created = false;
    Entry* fresh = db.FindOrInsert("k", kNow + 20, &created);
    CHECK(created);
    CHECK_FALSE(fresh->HasExpiry());
    CHECK(ks.stats().expired_keys == 1);
  }
  SECTION("Erase of an expired key reports it was not live") {
    CHECK_FALSE(db.Erase("k", kNow + 10));
    CHECK(db.size() == 0);
    CHECK(ks.stats().expired_keys == 1);
  }
  SECTION("Erase of a live volatile key") {
    CHECK(db.Erase("k", kNow + 9));
    CHECK(db.volatile_size() == 0);
    CHECK(ks.stats().expired_keys == 0);
  }
}

TEST_CASE("Database: random SetExpire/persist/erase keeps the volatile list consistent",
          "[keyspace]") {
  Keyspace ks(1);
  Database& db = ks.db(0);
  std::mt19937_64 rng(1);
  std::map<std::string, int64_t> model;  // key -> expire_at (0: none)
  for (int op = 0; op < 50'000; op++) {
    std::string k = Key(rng() % 2000);
    Entry* e = db.Find(k, kNow);
    switch (rng() % 5) {
      case 0:
      case 1:  // set a TTL (creating the key when needed)
        if (e == nullptr) e = db.Insert(k, kNow);
        model[k] = kNow + 1 + static_cast<int64_t>(rng() % 100'000);
        db.SetExpire(e, model[k]);
        break;
      case 2:  // persist
        if (e != nullptr) {
          db.SetExpire(e, 0);
          model[k] = 0;
        }
        break;
      case 3:  // erase
        REQUIRE(db.Erase(k, kNow) == (e != nullptr));
        model.erase(k);
        break;
      case 4:  // create without TTL
        if (e == nullptr) {
          db.Insert(k, kNow);
          model[k] = 0;
        }
        break;
    }
    if (op % 1000 == 0) {
      REQUIRE(db.volatile_size() == CountWithExpiry(db));
    }
  }
  REQUIRE(db.size() == model.size());
  size_t volatile_keys = 0;
  for (const auto& [k, at] : model) {
    Entry* e = db.Find(k, kNow);
    REQUIRE(e != nullptr);
    REQUIRE(e->expire_at() == at);
    volatile_keys += at != 0 ? 1 : 0;
  }
  REQUIRE(db.volatile_size() == volatile_keys);

  // The list's back-pointers must still be right: expire everything through the active
  // cycle, which walks the list, and erase the rest through the table.
  ManualClock clock(kNow + 200'000);
  for (int i = 0; i < 10'000 && db.volatile_size() > 0; i++) {
    db.ActiveExpire(clock.NowMs(), clock.MonotonicNs() + 1'000'000'000, clock);
  }
  CHECK(db.volatile_size() == 0);
  CHECK(db.size() == model.size() - volatile_keys);
  CHECK(ks.stats().expired_keys == volatile_keys);
}

TEST_CASE("Database: ActiveExpire deletes the expired keys and only those", "[keyspace]") {
  ManualClock clock(kNow);
  Keyspace ks(1);
  Database& db = ks.db(0);
  for (size_t i = 0; i < 3000; i++) {
    Entry* e = db.Insert(Key(i), kNow);
    if (i % 3 == 0) db.SetExpire(e, kNow + 10);       // will expire
    if (i % 3 == 1) db.SetExpire(e, kNow + 100'000);  // will not
  }
  CHECK(db.volatile_size() == 2000);

  // Nothing is due yet: a cycle samples and deletes nothing.
  CHECK(db.ActiveExpire(clock.NowMs(), clock.MonotonicNs() + 1'000'000, clock) == 0);
  CHECK(db.size() == 3000);

  clock.AdvanceMs(10);
  size_t deleted = 0;
  for (int i = 0; i < 10'000 && db.size() > 2000; i++) {
    deleted += db.ActiveExpire(clock.NowMs(), clock.MonotonicNs() + 1'000'000'000, clock);
  }
  CHECK(deleted == 1000);
  CHECK(db.size() == 2000);
  CHECK(db.volatile_size() == 1000);
  CHECK(ks.stats().expired_keys == 1000);
  for (size_t i = 0; i < 3000; i++) {
    // Peek: a lookup must not be what removed anything.
    REQUIRE((db.Peek(Key(i), clock.NowMs()) == nullptr) == (i % 3 == 0));
  }
}

TEST_CASE("Keyspace: ActiveExpireCycle covers every database and counts", "[keyspace]") {
  ManualClock clock(kNow);
  Keyspace ks(3);
  for (int d = 0; d < 3; d++) {
    for (size_t i = 0; i < 100; i++) {
      Entry* e = ks.db(d).Insert(Key(i), kNow);
      if (i < 50) ks.db(d).SetExpire(e, kNow + 5);
    }
  }
  CHECK(ks.TotalKeys() == 300);
  clock.AdvanceMs(5);
  size_t deleted = 0;
  int cycles = 0;
  while (ks.TotalKeys() > 150 && cycles < 1000) {
    deleted += ks.ActiveExpireCycle(clock.NowMs(), 25'000, clock);
    cycles++;
  }
  CHECK(deleted == 150);
  CHECK(ks.TotalKeys() == 150);
  CHECK(ks.stats().expired_keys == 150);
  CHECK(ks.stats().expire_cycles == static_cast<uint64_t>(cycles));

  SECTION("disabled active expiry deletes nothing") {
    Entry* e = ks.db(1).Insert("late", clock.NowMs());
    ks.db(1).SetExpire(e, clock.NowMs() + 1);
    clock.AdvanceMs(1);
    ks.set_active_expire_enabled(false);
    CHECK(ks.ActiveExpireCycle(clock.NowMs(), 25'000, clock) == 0);
    CHECK(ks.db(1).size() == 51);
    ks.set_active_expire_enabled(true);
    for (int i = 0; i < 100 && ks.db(1).size() > 50; i++) {
      ks.ActiveExpireCycle(clock.NowMs(), 25'000, clock);
    }
    CHECK(ks.db(1).size() == 50);
  }
}

TEST_CASE("Database: RandomEntry never returns an expired key", "[keyspace]") {
  Keyspace ks(1);
  Database& db = ks.db(0);
  CHECK(db.RandomEntry(kNow) == nullptr);
  std::vector<Entry*> live;
  for (size_t i = 0; i < 2000; i++) {
    Entry* e = db.Insert(Key(i), kNow);
    if (i % 20 == 0) {
      live.push_back(e);
    } else {
      db.SetExpire(e, kNow + 1);
    }
  }
  const int64_t later = kNow + 1;

  SECTION("with active expiry: expired picks are deleted on the way") {
    for (int i = 0; i < 2000; i++) {
      Entry* e = db.RandomEntry(later);
      if (e != nullptr) REQUIRE_FALSE(e->ExpiredAt(later));
    }
    CHECK(ks.stats().expired_keys > 0);
    CHECK(db.size() == 2000 - ks.stats().expired_keys);
  }
  SECTION("with expiry disabled: nothing is deleted and nothing expired is returned") {
    ks.set_active_expire_enabled(false);
    for (int i = 0; i < 2000; i++) {
      Entry* e = db.RandomEntry(later);
      if (e != nullptr) REQUIRE_FALSE(e->ExpiredAt(later));
    }
    CHECK(db.size() == 2000);
  }
  SECTION("a database holding only expired keys yields nullptr") {
    for (Entry* e : live) db.Erase(e);
    ks.set_active_expire_enabled(false);
    CHECK(db.RandomEntry(later) == nullptr);
  }
}

TEST_CASE("Keyspace: Swap exchanges contents and keeps indexes", "[keyspace]") {
  ManualClock clock(kNow);
  Keyspace ks(4);
  Entry* a = ks.db(0).Insert("a", kNow);
  ks.db(0).SetExpire(a, kNow + 10);
  ks.db(2).Insert("b", kNow);
  ks.db(2).Insert("c", kNow);

  ks.Swap(0, 2);
  CHECK(ks.db(0).index() == 0);
  CHECK(ks.db(2).index() == 2);
  CHECK(ks.db(0).size() == 2);
  CHECK(ks.db(0).Find("b", kNow) != nullptr);
  CHECK(ks.db(0).Find("a", kNow) == nullptr);
  CHECK(ks.db(2).Find("a", kNow) == a);
  CHECK(ks.db(2).volatile_size() == 1);
  CHECK(ks.db(0).volatile_size() == 0);

  // Expiry keeps working in the swapped database, and stats stay shared.
  clock.AdvanceMs(10);
  for (int i = 0; i < 10 && ks.db(2).size() > 0; i++) {
    ks.ActiveExpireCycle(clock.NowMs(), 25'000, clock);
  }
  CHECK(ks.db(2).size() == 0);
  CHECK(ks.stats().expired_keys == 1);

  ks.Swap(1, 1);  // no-op
  CHECK(ks.db(1).index() == 1);
  CHECK(ks.TotalKeys() == 2);
}

TEST_CASE("Keyspace: Clear and ClearAll", "[keyspace]") {
  Keyspace ks(2);
  for (size_t i = 0; i < 1000; i++) {
    Entry* e = ks.db(static_cast<int>(i % 2)).Insert(Key(i), kNow);
    if (i % 4 < 2) ks.db(static_cast<int>(i % 2)).SetExpire(e, kNow + 1000);
  }
  CHECK(ks.TotalKeys() == 1000);
  ks.db(0).Clear();
  CHECK(ks.db(0).size() == 0);
  CHECK(ks.db(0).volatile_size() == 0);
  CHECK(ks.db(1).size() == 500);
  // Reusable after Clear.
  ks.db(0).Insert("again", kNow);
  CHECK(ks.db(0).Find("again", kNow) != nullptr);
  ks.ClearAll();
  CHECK(ks.TotalKeys() == 0);
  CHECK(ks.db(1).volatile_size() == 0);
  CHECK(ks.num_databases() == 2);
}

}  // namespace
}  // namespace tidekv::keyspace
