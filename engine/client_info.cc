#include "engine/client_info.h"

#include <fmt/format.h>

#include "engine/acl.h"
#include "engine/tracking.h"

namespace tidekv::engine {

// One CLIENT LIST / CLIENT INFO line with Redis 7.2's fields in its order (7.0 lacks only
// lib-name and lib-ver), so parsers that index fields by position keep working. redir is the
// tracking redirect (0 none), -1 when not tracking.
// CLIENT LIST flags, in Redis's order: O monitor, P pub/sub subscriber, x in MULTI, b blocked
// (on keys, WAIT, SAVE), t tracking, R its tracking redirect is broken, B tracking in BCAST
// mode, d a WATCHed key changed, N none.
std::string ClientFlags(const Session& s) {
  std::string flags;
  if (s.monitor) flags += 'O';
  if (s.subscribed()) flags += 'P';
  if (s.in_multi) flags += 'x';
  if (s.blocked || s.waits_for_pause) flags += 'b';
  if ((s.tracking & kTrackingOn) != 0) flags += 't';
  if ((s.tracking & kTrackingBrokenRedir) != 0) flags += 'R';
  if ((s.tracking & kTrackingBcast) != 0) flags += 'B';
  if (s.watch_dirty) flags += 'd';
  if (flags.empty()) flags = "N";
  return flags;
}

std::string ClientInfoLine(const ClientView& c, int64_t now_ms) {
  const Session& s = *c.session;
  const size_t qbuf = c.query_buffer_bytes;
  const size_t qbuf_cap = c.query_buffer_capacity;
  const size_t omem = c.output_bytes;
  return fmt::format(
      "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} "
      "multi={} qbuf={} qbuf-free={} argv-mem=0 multi-mem=0 rbs={} rbp={} obl=0 oll=0 omem={} "
      "tot-mem={} events={} cmd={} user={} redir={} resp={} lib-name={} lib-ver={}\n",
      s.id, s.addr, s.laddr, c.fd, s.name, (now_ms - s.created_ms) / 1000,
      (now_ms - s.last_interaction_ms) / 1000, ClientFlags(s), s.db, s.subscribed_channels,
      s.subscribed_patterns, s.subscribed_shard_channels,
      s.in_multi ? static_cast<int64_t>(s.queued.size()) : -1, qbuf, qbuf_cap - qbuf, qbuf_cap,
      qbuf_cap, omem, qbuf_cap + omem, omem > 0 ? "rw" : "r",
      s.last_command.empty() ? std::string_view("NULL") : s.last_command, s.user->name,
      (s.tracking & kTrackingOn) != 0 ? static_cast<int64_t>(s.tracking_redirect) : -1, s.resp,
      s.lib_name, s.lib_ver);
}

}  // namespace tidekv::engine
