// PubSubRegistry: who listens to what (DESIGN.md §11). Three namespaces, as in Redis 7:
// channels (SUBSCRIBE / PUBLISH), patterns (PSUBSCRIBE, glob-matched against the channel of
// every PUBLISH) and shard channels (SSUBSCRIBE / SPUBLISH; without a cluster just a separate
// set of channel names on this node).
//
// The registry never writes to a socket: Publish encodes a message for each receiver's
// protocol and hands it to ServerHooks::SendToClient (PUBLISH, SPUBLISH and keyspace
// notifications all go through it). Each session's counts
// (Session::subscribed_channels...) are kept here, so the dispatcher can tell a subscribed
// RESP2 client without a lookup. A session registered here must leave (RemoveClient) before
// it is destroyed: Connection::Close and RESET do. Loop thread only.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/functional/function_ref.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/server_hooks.h"
#include "engine/session.h"

namespace tidekv::engine {

class PubSubRegistry {
 public:
  enum class Kind : uint8_t { kChannel = 0, kPattern = 1, kShardChannel = 2 };

  PubSubRegistry() = default;
  PubSubRegistry(const PubSubRegistry&) = delete;
  PubSubRegistry& operator=(const PubSubRegistry&) = delete;

  // Adds the subscription; false when the session already had it (nothing changes).
  bool Subscribe(Session& session, Kind kind, std::string_view name);
  // Removes the subscription; false when the session did not have it.
  bool Unsubscribe(Session& session, Kind kind, std::string_view name);
  // The session's subscriptions of one kind, sorted (UNSUBSCRIBE with no arguments).
  std::vector<std::string> SubscriptionsOf(const Session& session, Kind kind) const;
  // Drops every subscription of the session, without telling it (disconnect, RESET).
  void RemoveClient(Session& session);

  // Calls fn for every receiver of a message published on `channel`: for kChannel, the
  // channel's subscribers (pattern == nullptr) then, per matching pattern, its subscribers
  // (pattern set); for kShardChannel the shard channel's subscribers only. A client subscribed
  // both ways receives twice, as in Redis. fn must not change the registry; collect first.
  // Returns the number of calls (PUBLISH's reply).
  size_t ForEachReceiver(Kind kind, std::string_view channel,
                         absl::FunctionRef<void(Session&, const std::string* pattern)> fn) const;

  // Sends a message on `channel` (kChannel or kShardChannel) to every receiver through
  // hooks: [message|smessage, channel, payload] or [pmessage, pattern, channel, payload], an
  // array in RESP2 and a push in RESP3. Without hooks (in process) it only counts. Returns the
  // number of receivers (PUBLISH's reply).
  size_t Publish(Kind kind, std::string_view channel, std::string_view payload,
                 ServerHooks* hooks) const;
  // Whether a message on a channel could reach anyone (keyspace notifications skip the
  // work when not).
  bool any_channel_listener() const { return !names_[0].empty() || !names_[1].empty(); }

  // PUBSUB introspection. Names (channels or shard channels) with at least one subscriber,
  // matching `pattern` when there is one (PUBSUB CHANNELS / SHARDCHANNELS).
  std::vector<std::string> Names(Kind kind, std::optional<std::string_view> pattern) const;
  // Subscribers of one channel or shard channel (PUBSUB NUMSUB / SHARDNUMSUB).
  size_t NumSubscribers(Kind kind, std::string_view name) const;
  // Distinct channels, patterns or shard channels with a subscriber (PUBSUB NUMPAT, INFO).
  size_t Count(Kind kind) const { return names_[static_cast<int>(kind)].size(); }

 private:
  // Subscribers of one name, by session id (delivery in subscription-id order).
  using Subscribers = std::map<uint64_t, Session*>;
  static uint32_t& CounterOf(Session& session, Kind kind);

  absl::flat_hash_map<std::string, Subscribers> names_[3];
  // What each subscribed session holds, per kind (unsubscribe-all, disconnect).
  absl::flat_hash_map<uint64_t, std::set<std::string>> by_client_[3];
};

}  // namespace tidekv::engine
