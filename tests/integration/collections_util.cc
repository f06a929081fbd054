#include "tests/integration/collections_util.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <stdexcept>

#include "tests/integration/persistence_util.h"
#include "tests/integration/server_process.h"

namespace tidekv::integration {

namespace {

Reply Send(redisContext* c, const std::vector<std::string>& argv) {
  Reply r = Command(c, argv);
  if (r == nullptr) {
    throw std::runtime_error(ShowCommand(argv) + ": no reply (" + std::string(c->errstr) + ")");
  }
  return r;
}

int64_t IntegerOf(redisContext* c, const std::vector<std::string>& argv) {
  Reply r = Send(c, argv);
  if (r->type != REDIS_REPLY_INTEGER) {
    throw std::runtime_error(ShowCommand(argv) + " answered " + Describe(r));
  }
  return r->integer;
}

std::vector<std::string> ArrayOf(redisContext* c, const std::vector<std::string>& argv) {
  Reply r = Send(c, argv);
  std::vector<std::string> out;
  bool ok = r->type == REDIS_REPLY_ARRAY;
  for (size_t i = 0; ok && i < r->elements; i++) {
    ok = r->element[i]->type == REDIS_REPLY_STRING;
    if (ok) out.emplace_back(r->element[i]->str, r->element[i]->len);
  }
  if (!ok) throw std::runtime_error(ShowCommand(argv) + " answered " + Describe(r));
  return out;
}

KeyState ReadKey(redisContext* c, const std::string& key) {
  KeyState s;
  s.type = Describe(Send(c, {"TYPE", key}));
  s.expire_at = IntegerOf(c, {"PEXPIRETIME", key});
  if (s.type == "none") return s;
  s.encoding = Describe(Send(c, {"OBJECT", "ENCODING", key}));
  if (s.type == "hash") {
    const std::vector<std::string> flat = ArrayOf(c, {"HGETALL", key});
    if (flat.size() % 2 != 0) throw std::runtime_error("HGETALL " + key + ": odd length");
    for (size_t i = 0; i < flat.size(); i += 2) s.fields[flat[i]] = flat[i + 1];
    s.elements_read = flat.size() / 2;
    s.length = IntegerOf(c, {"HLEN", key});
  } else if (s.type == "set") {
    const std::vector<std::string> all = ArrayOf(c, {"SMEMBERS", key});
    s.members.insert(all.begin(), all.end());
    s.elements_read = all.size();
    s.length = IntegerOf(c, {"SCARD", key});
  } else if (s.type == "string") {
    s.value = Describe(Send(c, {"GET", key}));
  }
  return s;
}

void Select(redisContext* c, int db) {
  Reply r = Send(c, {"SELECT", std::to_string(db)});
  if (Describe(r) != "OK") throw std::runtime_error("SELECT answered " + Describe(r));
}

}  // namespace

KeyState HashState(std::map<std::string, std::string> fields, std::string encoding,
                   int64_t expire_at) {
  KeyState s;
  s.type = "hash";
  s.encoding = std::move(encoding);
  s.expire_at = expire_at;
  s.fields = std::move(fields);
  return s;
}

KeyState SetState(std::set<std::string> members, std::string encoding, int64_t expire_at) {
  KeyState s;
  s.type = "set";
  s.encoding = std::move(encoding);
  s.expire_at = expire_at;
  s.members = std::move(members);
  return s;
}

KeyState StringState(std::string value) {
  KeyState s;
  s.type = "string";
  s.value = std::move(value);
  return s;
}

KeyState Absent() {
  KeyState s;
  s.type = "none";
  s.expire_at = -2;
  return s;
}

Snapshot ReadKeys(redisContext* c, const std::vector<KeyRef>& keys) {
  Snapshot snapshot;
  for (const auto& [db, key] : keys) {
    Select(c, db);
    snapshot[{db, key}] = ReadKey(c, key);
  }
  Select(c, 0);
  return snapshot;
}

std::vector<KeyRef> KeysOf(const Snapshot& snapshot) {
  std::vector<KeyRef> keys;
  for (const auto& entry : snapshot) keys.push_back(entry.first);
  return keys;
}

Snapshot EncodingsAsIn(Snapshot s, const Snapshot& model) {
  for (auto& [ref, state] : s) {
    auto it = model.find(ref);
    if (it == model.end() || it->second.encoding.empty()) state.encoding.clear();
  }
  return s;
}

Snapshot WithoutEncodings(Snapshot s) {
  for (auto& entry : s) entry.second.encoding.clear();
  return s;
}

std::string Differences(const Snapshot& want, const Snapshot& got) {
  constexpr size_t kShown = 10;
  std::string out;
  size_t found = 0;
  auto note = [&](const KeyRef& ref, const std::string& what) {
    if (found++ < kShown) {
      out += "db " + std::to_string(ref.first) + " " + Printable(ref.second) + ": " + what + "\n";
    }
  };
  auto count = [](const KeyState& s) { return std::max(s.fields.size(), s.members.size()); };
  for (const auto& [ref, g] : got) {
    if (g.type != "hash" && g.type != "set") continue;
    if (g.length != static_cast<int64_t>(count(g)) || g.elements_read != count(g)) {
      note(ref, (g.type == "hash" ? "HLEN " : "SCARD ") + std::to_string(g.length) + ", " +
                    std::to_string(g.elements_read) + " elements read, " +
                    std::to_string(count(g)) + " distinct");
    }
  }
  for (const auto& [ref, w] : want) {
    auto it = got.find(ref);
    if (it == got.end()) {
      note(ref, "not read");
      continue;
    }
    const KeyState& g = it->second;
    if (w.type != g.type) note(ref, "type " + g.type + ", want " + w.type);
    if (!w.encoding.empty() && w.encoding != g.encoding) {
      note(ref, "encoding " + g.encoding + ", want " + w.encoding);
    }
    if (w.expire_at == kAnyTtl ? g.expire_at <= 0 : w.expire_at != g.expire_at) {
      note(ref, "pexpiretime " + std::to_string(g.expire_at) + ", want " +
                    (w.expire_at == kAnyTtl ? "a TTL" : std::to_string(w.expire_at)));
    }
    if (w.value != g.value)
      note(ref, "value " + Printable(g.value) + ", want " + Printable(w.value));
    if (w.fields != g.fields) {
      std::string what =
          std::to_string(g.fields.size()) + " fields, want " + std::to_string(w.fields.size());
      for (const auto& [field, value] : w.fields) {
        auto f = g.fields.find(field);
        if (f == g.fields.end()) {
          what += "; " + Printable(field) + " missing";
          break;
        }
        if (f->second != value) {
          what += "; " + Printable(field) + " is " + Printable(f->second) + ", want " +
                  Printable(value);
          break;
        }
      }
      for (const auto& entry : g.fields) {
        if (w.fields.count(entry.first) == 0) {
          what += "; " + Printable(entry.first) + " should not be there";
          break;
        }
      }
      note(ref, what);
    }
    if (w.members != g.members) {
      std::string what =
          std::to_string(g.members.size()) + " members, want " + std::to_string(w.members.size());
      for (const std::string& m : w.members) {
        if (g.members.count(m) == 0) {
          what += "; " + Printable(m) + " missing";
          break;
        }
      }
      for (const std::string& m : g.members) {
        if (w.members.count(m) == 0) {
          what += "; " + Printable(m) + " should not be there";
          break;
        }
      }
      note(ref, what);
    }
  }
  if (found > kShown) out += "... and " + std::to_string(found - kShown) + " more\n";
  return out;
}

void RunAllOk(redisContext* c, const std::vector<std::vector<std::string>>& commands) {
  size_t errors = 0;
  std::string first;
  Pipeline(
      c, commands.size(), [&](size_t i) { return commands[i]; },
      [&](size_t i, const redisReply& r) {
        if (r.type == REDIS_REPLY_ERROR && errors++ == 0) {
          first = ShowCommand(commands[i]) + " answered " + Describe(&r);
        }
      });
  if (errors > 0) {
    throw std::runtime_error(first + " (" + std::to_string(errors) + " commands failed)");
  }
}

std::string Printable(std::string_view bytes) {
  std::string out;
  for (unsigned char ch : bytes.substr(0, 60)) {
    if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
      out += static_cast<char>(ch);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", ch);
      out += hex;
    }
  }
  if (bytes.size() > 60) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string ShowCommand(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (out.size() > 120) return out + " ...";
    if (!out.empty()) out += ' ';
    out += Printable(a);
  }
  return out;
}

void Ok(redisContext* c, const std::vector<std::string>& argv) {
  const std::string reply = Call(c, argv);
  INFO(argv[0] << " " << (argv.size() > 1 ? argv[1] : "") << " answered " << reply);
  REQUIRE(reply.rfind("(error)", 0) != 0);
  REQUIRE(reply.rfind("(connection error)", 0) != 0);
}

}  // namespace tidekv::integration
