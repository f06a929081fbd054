#include "engine/pubsub.h"

#include "common/strings.h"
#include "proto/reply.h"

namespace tidekv::engine {

namespace {
// Debian's Abseil has its own string_view: heterogeneous lookups need one of those.
absl::string_view Key(std::string_view s) { return {s.data(), s.size()}; }

std::string EncodeMessage(bool resp3, bool shard, const std::string* pattern,
                          std::string_view channel, std::string_view payload) {
  std::string out;
  proto::ReplyBuilder b(&out);
  b.set_resp3(resp3);
  b.Push(pattern != nullptr ? 4 : 3);
  if (pattern != nullptr) {
    b.Bulk("pmessage");
    b.Bulk(*pattern);
  } else {
    b.Bulk(shard ? "smessage" : "message");
  }
  b.Bulk(channel);
  b.Bulk(payload);
  return out;
}
}  // namespace

uint32_t& PubSubRegistry::CounterOf(Session& session, Kind kind) {
  switch (kind) {
    case Kind::kChannel:
      return session.subscribed_channels;
    case Kind::kPattern:
      return session.subscribed_patterns;
    case Kind::kShardChannel:
      break;
  }
  return session.subscribed_shard_channels;
}

bool PubSubRegistry::Subscribe(Session& session, Kind kind, std::string_view name) {
  const int k = static_cast<int>(kind);
  if (!by_client_[k][session.id].emplace(name).second) return false;
  names_[k][Key(name)].emplace(session.id, &session);
  CounterOf(session, kind)++;
  return true;
}

bool PubSubRegistry::Unsubscribe(Session& session, Kind kind, std::string_view name) {
  const int k = static_cast<int>(kind);
  auto client = by_client_[k].find(session.id);
  if (client == by_client_[k].end()) return false;
  auto it = client->second.find(std::string(name));
  if (it == client->second.end()) return false;
  client->second.erase(it);
  if (client->second.empty()) by_client_[k].erase(client);
  auto subscribers = names_[k].find(Key(name));
  if (subscribers != names_[k].end()) {
    subscribers->second.erase(session.id);
    if (subscribers->second.empty()) names_[k].erase(subscribers);
  }
  CounterOf(session, kind)--;
  return true;
}

std::vector<std::string> PubSubRegistry::SubscriptionsOf(const Session& session, Kind kind) const {
  const auto& clients = by_client_[static_cast<int>(kind)];
  auto it = clients.find(session.id);
  if (it == clients.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void PubSubRegistry::RemoveClient(Session& session) {
  for (Kind kind : {Kind::kChannel, Kind::kPattern, Kind::kShardChannel}) {
    for (const std::string& name : SubscriptionsOf(session, kind)) Unsubscribe(session, kind, name);
  }
}

size_t PubSubRegistry::ForEachReceiver(
    Kind kind, std::string_view channel,
    absl::FunctionRef<void(Session&, const std::string* pattern)> fn) const {
  size_t receivers = 0;
  const auto& names = names_[static_cast<int>(kind)];
  if (auto it = names.find(Key(channel)); it != names.end()) {
    for (const auto& [id, session] : it->second) {
      fn(*session, nullptr);
      receivers++;
    }
  }
  if (kind != Kind::kChannel) return receivers;
  // Every pattern is tried against every message, as in Redis: PSUBSCRIBE is for a few
  // patterns, not thousands.
  for (const auto& [pattern, subscribers] : names_[static_cast<int>(Kind::kPattern)]) {
    if (!GlobMatch(pattern, channel)) continue;
    for (const auto& [id, session] : subscribers) {
      fn(*session, &pattern);
      receivers++;
    }
  }
  return receivers;
}

size_t PubSubRegistry::Publish(Kind kind, std::string_view channel, std::string_view payload,
                               ServerHooks* hooks) const {
  struct Receiver {
    uint64_t id;
    bool resp3;
    std::string pattern;  // a copy: a receiver closed by its output limit may drop the last
    bool matched_pattern;
  };
  // Collected first: sending may close a receiver past its output limit, which changes the
  // registry.
  std::vector<Receiver> receivers;
  const size_t count = ForEachReceiver(kind, channel, [&](Session& s, const std::string* p) {
    if (hooks != nullptr) receivers.push_back({s.id, s.resp == 3, p ? *p : "", p != nullptr});
  });
  // Only pattern messages differ per receiver; a channel's message is encoded once per
  // protocol.
  std::string plain[2];
  const bool shard = kind == Kind::kShardChannel;
  for (const Receiver& r : receivers) {
    if (r.matched_pattern) {
      hooks->SendToClient(r.id, EncodeMessage(r.resp3, shard, &r.pattern, channel, payload));
      continue;
    }
    std::string& bytes = plain[r.resp3 ? 1 : 0];
    if (bytes.empty()) bytes = EncodeMessage(r.resp3, shard, nullptr, channel, payload);
    hooks->SendToClient(r.id, bytes);
  }
  return count;
}

std::vector<std::string> PubSubRegistry::Names(Kind kind,
                                               std::optional<std::string_view> pattern) const {
  std::vector<std::string> out;
  for (const auto& [name, subscribers] : names_[static_cast<int>(kind)]) {
    if (!pattern || GlobMatch(*pattern, name)) out.push_back(name);
  }
  return out;
}

size_t PubSubRegistry::NumSubscribers(Kind kind, std::string_view name) const {
  const auto& names = names_[static_cast<int>(kind)];
  auto it = names.find(Key(name));
  return it == names.end() ? 0 : it->second.size();
}

}  // namespace tidekv::engine
