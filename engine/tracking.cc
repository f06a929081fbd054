#include "engine/tracking.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "engine/command_table.h"
#include "engine/engine.h"
#include "proto/reply.h"

namespace tidekv::engine {

namespace {

// Debian's Abseil has its own string_view: heterogeneous lookups need one of those.
absl::string_view Key(std::string_view s) { return {s.data(), s.size()}; }

// One prefix covers another when either starts with the other (Redis's overlap rule).
bool Overlap(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  return a.substr(0, n) == b.substr(0, n);
}

// EVAL_RO / EVALSHA_RO / FCALL_RO are read-only, but what a script reads is tracked by the
// commands it runs, not by the script.
bool IsReadOnlyScript(const CommandSpec& spec) {
  return spec.name == "eval_ro" || spec.name == "evalsha_ro" || spec.name == "fcall_ro";
}

}  // namespace

// Marks a stretch in which messages are sent: a client closed by its output limit while we
// send leaves (Disable) without the tables being dropped under our feet; they are dropped
// at the end of the stretch when no tracking client is left.
class TrackingRegistry::SendScope {
 public:
  explicit SendScope(TrackingRegistry& r) : r_(r) { r_.sending_++; }
  ~SendScope() {
    if (--r_.sending_ == 0 && r_.clients_.empty()) r_.ForgetAll();
  }
  SendScope(const SendScope&) = delete;
  SendScope& operator=(const SendScope&) = delete;

 private:
  TrackingRegistry& r_;
};

void TrackingRegistry::Enable(Session& session, uint64_t redirect, uint8_t options,
                              std::span<const std::string_view> prefixes) {
  clients_[session.id] = &session;
  session.tracking = static_cast<uint8_t>(
      (session.tracking & kTrackingCaching) | kTrackingOn |
      (options & (kTrackingBcast | kTrackingOptIn | kTrackingOptOut | kTrackingNoLoop)));
  session.tracking_redirect = redirect;
  if ((options & kTrackingBcast) != 0) {
    std::set<std::string>& mine = client_prefixes_[session.id];
    auto add = [&](std::string_view p) {
      mine.emplace(p);
      auto it = prefixes_.find(p);
      if (it == prefixes_.end()) it = prefixes_.emplace(std::string(p), Prefix{}).first;
      it->second.clients.insert(session.id);
    };
    if (prefixes.empty()) add("");
    for (std::string_view p : prefixes) add(p);
  }
  UpdateActive();
}

void TrackingRegistry::Disable(Session& session) {
  if (auto it = client_prefixes_.find(session.id); it != client_prefixes_.end()) {
    for (const std::string& p : it->second) {
      auto pit = prefixes_.find(p);
      if (pit == prefixes_.end()) continue;
      pit->second.clients.erase(session.id);
      if (pit->second.clients.empty()) prefixes_.erase(pit);
    }
    client_prefixes_.erase(it);
  }
  clients_.erase(session.id);
  session.tracking = 0;
  session.tracking_redirect = 0;
  if (clients_.empty() && sending_ == 0) ForgetAll();
  UpdateActive();
}

void TrackingRegistry::ForgetAll() {
  table_.clear();
  total_items_ = 0;
  prefixes_.clear();
  client_prefixes_.clear();
  bcast_pending_ = false;
  limit_rounds_ = 0;
}

std::string TrackingRegistry::CheckPrefixes(const Session& session,
                                            std::span<const std::string_view> prefixes) const {
  const auto mine = client_prefixes_.find(session.id);
  for (size_t i = 0; i < prefixes.size(); i++) {
    if (mine != client_prefixes_.end()) {
      for (const std::string& have : mine->second) {
        if (Overlap(have, prefixes[i])) {
          return fmt::format(
              "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single "
              "client must not overlap.",
              prefixes[i], have);
        }
      }
    }
    for (size_t j = i + 1; j < prefixes.size(); j++) {
      if (Overlap(prefixes[i], prefixes[j])) {
        return fmt::format(
            "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single "
            "client must not overlap.",
            prefixes[i], prefixes[j]);
      }
    }
  }
  return {};
}

std::vector<std::string> TrackingRegistry::PrefixesOf(uint64_t id) const {
  auto it = client_prefixes_.find(id);
  if (it == client_prefixes_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void TrackingRegistry::AfterCommand(Session& session, const CommandSpec& spec, bool top,
                                    Session& caller, std::span<const std::string_view> caller_argv,
                                    const CommandSpec& caller_spec) {
  const uint8_t t = caller.tracking;
  if ((t & kTrackingOn) != 0 && (t & kTrackingBcast) == 0 &&
      HasFlag(spec.flags, CommandFlag::kReadOnly) && !IsReadOnlyScript(spec) &&
      !HasFlag(caller_spec.flags, CommandFlag::kPubSub)) {
    const bool caching = (t & kTrackingCaching) != 0;
    const bool skip =
        ((t & kTrackingOptIn) != 0 && !caching) || ((t & kTrackingOptOut) != 0 && caching);
    if (!skip) {
      for (size_t pos : caller_spec.KeyPositions(caller_argv)) {
        if (table_[Key(caller_argv[pos])].insert(caller.id).second) total_items_++;
      }
    }
  }
  // CLIENT CACHING covers the next command (all of a MULTI's), as in Redis.
  if (top && !session.in_multi && (session.tracking & kTrackingCaching) != 0 &&
      !spec.name.starts_with("client|")) {
    session.tracking &= static_cast<uint8_t>(~kTrackingCaching);
  }
}

void TrackingRegistry::Invalidate(std::string_view key, uint64_t modifier) {
  for (auto& [prefix, state] : prefixes_) {
    if (key.starts_with(prefix)) {
      auto [it, added] = state.changed.try_emplace(std::string(key), modifier);
      if (!added) it->second = modifier;
      bcast_pending_ = true;
    }
  }
  Forget(key, modifier);
}

void TrackingRegistry::Forget(std::string_view key, uint64_t modifier) {
  auto it = table_.find(Key(key));
  if (it == table_.end()) return;
  const absl::flat_hash_set<uint64_t> ids = std::move(it->second);
  table_.erase(it);
  total_items_ -= ids.size();
  std::string payload;
  proto::ReplyBuilder b(&payload);
  b.Array(1);
  b.Bulk(key);
  SendScope scope(*this);
  for (uint64_t id : ids) {
    auto c = clients_.find(id);
    // A client that switched to BCAST since it read the key gets nothing for it.
    if (c == clients_.end() || (c->second->tracking & kTrackingBcast) != 0) continue;
    if ((c->second->tracking & kTrackingNoLoop) != 0 && id == modifier && modifier != 0) continue;
    Send(id, payload);
  }
}

void TrackingRegistry::Flushed() {
  table_.clear();
  total_items_ = 0;
  if (flushed_) return;  // once per command: FLUSHALL empties every database
  flushed_ = true;
  std::vector<uint64_t> ids;
  ids.reserve(clients_.size());
  for (const auto& [id, session] : clients_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  SendScope scope(*this);
  for (uint64_t id : ids) Send(id, {});
}

void TrackingRegistry::LimitKeys(size_t max_keys) {
  if (max_keys == 0 || table_.size() <= max_keys) {
    limit_rounds_ = 0;
    return;
  }
  // The effort grows while the table stays over the limit (Redis's 100 keys per call, more
  // each time).
  size_t effort = 100 * (static_cast<size_t>(limit_rounds_) + 1);
  SendScope scope(*this);
  // Walks on from one key to the next: erasing a key leaves the other iterators valid, and
  // a client closed meanwhile cannot drop the table inside the scope.
  auto it = table_.begin();
  while (effort-- > 0 && it != table_.end()) {
    // Not a change: BCAST clients hear nothing of it.
    const std::string key = it->first;
    ++it;
    Forget(key, 0);
    if (table_.size() <= max_keys) {
      limit_rounds_ = 0;
      return;
    }
  }
  limit_rounds_++;
}

void TrackingRegistry::Deliver() {
  flushed_ = false;
  if (bcast_pending_) {
    bcast_pending_ = false;
    // Taken out first: a receiver closed by its output limit changes the prefix table.
    std::vector<std::pair<std::vector<uint64_t>, std::map<std::string, uint64_t, std::less<>>>>
        work;
    for (auto& [prefix, state] : prefixes_) {
      if (state.changed.empty()) continue;
      work.emplace_back(std::vector<uint64_t>(state.clients.begin(), state.clients.end()),
                        std::move(state.changed));
      state.changed.clear();
    }
    SendScope scope(*this);
    std::string payload;
    for (const auto& [ids, changed] : work) {
      for (uint64_t id : ids) {
        auto c = clients_.find(id);
        if (c == clients_.end()) continue;
        const bool noloop = (c->second->tracking & kTrackingNoLoop) != 0;
        size_t n = 0;
        for (const auto& [key, by] : changed) n += noloop && by == id ? 0 : 1;
        if (n == 0) continue;
        payload.clear();
        proto::ReplyBuilder b(&payload);
        b.Array(n);
        for (const auto& [key, by] : changed) {
          if (!(noloop && by == id)) b.Bulk(key);
        }
        Send(id, payload);
      }
    }
  }
  if (!held_.empty()) {
    std::vector<std::pair<uint64_t, std::string>> held;
    held.swap(held_);
    if (ServerHooks* hooks = engine_.hooks()) {
      for (const auto& [id, bytes] : held) hooks->SendToClient(id, bytes);
    }
  }
  UpdateActive();
}

void TrackingRegistry::Send(uint64_t client, std::string_view payload) {
  auto it = clients_.find(client);
  ServerHooks* hooks = engine_.hooks();
  if (it == clients_.end() || hooks == nullptr) return;
  Session& session = *it->second;
  uint64_t to = client;
  bool resp3 = session.resp == 3;
  const uint64_t redirect = session.tracking_redirect;
  if (redirect != 0) {
    const std::optional<ClientView> target = hooks->Client(redirect);
    if (!target) {
      session.tracking |= kTrackingBrokenRedir;
      if (session.resp == 3) {
        std::string out;
        proto::ReplyBuilder b(&out);
        b.set_resp3(true);
        b.Push(2);
        b.Bulk("tracking-redir-broken");
        b.Integer(static_cast<int64_t>(redirect));
        Push(client, std::move(out));
      }
      return;
    }
    to = redirect;
    resp3 = target->session->resp == 3;
    // RESP2 has no pushes: only a subscribed target can take it, as a pub/sub message.
    if (!resp3 && !target->session->subscribed()) return;
  } else if (!resp3) {
    return;
  }
  std::string out;
  proto::ReplyBuilder b(&out);
  b.set_resp3(resp3);
  if (resp3) {
    b.Push(2);
    b.Bulk("invalidate");
  } else {
    b.Push(3);
    b.Bulk("message");
    b.Bulk("__redis__:invalidate");
  }
  if (payload.empty()) {
    // A flush: a null in the tracking client's protocol, as Redis writes it.
    proto::ReplyBuilder null(&out);
    null.set_resp3(session.resp == 3);
    null.Null();
  } else {
    out += payload;
  }
  Push(to, std::move(out));
}

void TrackingRegistry::Push(uint64_t id, std::string bytes) {
  if (id == engine_.executing_client()) {
    held_.emplace_back(id, std::move(bytes));
    active_ = true;
    return;
  }
  if (ServerHooks* hooks = engine_.hooks()) hooks->SendToClient(id, bytes);
}

}  // namespace tidekv::engine
