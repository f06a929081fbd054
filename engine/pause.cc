#include "engine/pause.h"

#include <algorithm>

#include "engine/acl.h"
#include "engine/engine.h"

namespace tidekv::engine {

void ClientPause::Start(PauseMode mode, int64_t end_ms) {
  if (mode == PauseMode::kNone) return;
  // A pause already in effect is never shortened or relaxed (as Redis): the later end and
  // the stricter mode win, so a second CLIENT PAUSE cannot cut a failover's pause short.
  if (active()) {
    mode = std::max(mode, mode_);
    end_ms = std::max(end_ms, end_ms_);
  }
  mode_ = mode;
  end_ms_ = end_ms;
  engine_.keyspace().set_expire_paused(true);
  if (ServerHooks* hooks = engine_.hooks(); hooks != nullptr) hooks->EndPauseAt(end_ms);
}

void ClientPause::End() {
  mode_ = PauseMode::kNone;
  end_ms_ = 0;
  engine_.keyspace().set_expire_paused(false);
  std::vector<uint64_t> waiting = std::move(waiting_);
  waiting_.clear();
  if (ServerHooks* hooks = engine_.hooks(); hooks != nullptr) {
    for (uint64_t id : waiting) hooks->ResumePaused(id);
  }
}

void ClientPause::Wait(Session& session) {
  session.waits_for_pause = true;
  waiting_.push_back(session.id);
}

bool ClientPause::Holds(const Session& session, std::span<const std::string_view> argv) const {
  // Internal sessions apply what already happened elsewhere (the log, the primary).
  if (session.internal || argv.empty()) return false;
  // What the dispatcher refuses before running anything is answered now, as Redis does.
  if (!session.authenticated && engine_.acl().default_needs_auth()) return false;
  const CommandSpec* spec = engine_.commands().Resolve(argv);
  if (spec == nullptr || spec->handler == nullptr || !spec->AcceptsArgc(argv.size())) {
    return false;
  }
  if (mode_ == PauseMode::kAll) return true;
  if (spec->MayWrite(engine_, argv)) return true;
  // EXEC: as the commands it would run.
  if (!session.in_multi || !HasFlag(spec->flags, CommandFlag::kQueuedReplies)) return false;
  const QueuedCommands& q = session.queued;
  size_t arg = 0;
  std::string_view bytes = q.bytes;
  std::vector<std::string_view> queued;
  for (size_t i = 0; i < q.size(); i++) {
    queued.clear();
    for (uint32_t k = 0; k < q.argcs[i]; k++, arg++) {
      queued.push_back(bytes.substr(0, q.arg_lens[arg]));
      bytes.remove_prefix(q.arg_lens[arg]);
    }
    if (q.specs[i]->MayWrite(engine_, queued)) return true;
  }
  return false;
}

}  // namespace tidekv::engine
