#include "engine/engine.h"

#include <fmt/format.h>

#include <chrono>

#include "common/cycle_clock.h"
#include "common/logging.h"
#include "common/strings.h"
#include "engine/acl.h"
#include "engine/blocking.h"
#include "engine/client_info.h"
#include "engine/command_context.h"
#include "engine/errors.h"
#include "engine/notify.h"
#include "engine/pubsub.h"
#include "engine/script_host.h"
#include "engine/transaction.h"
#include "trace/recorder.h"
#include "types/stream.h"
#include "types/value.h"

namespace tidekv::engine {

namespace {

// The bytes a command added to its reply buffer from `start` (none when the buffer was cut
// below it meanwhile: a connection closed at its output limit by the command's own pushes).
std::string_view ReplySince(const std::string& out, size_t start) {
  return start <= out.size() ? std::string_view(out).substr(start) : std::string_view();
}

}  // namespace

using keyspace::HashKey;

Engine::Engine(config::Config& config, const Clock& clock, CommandTable table)
    : config_(config),
      clock_(clock),
      keyspace_(static_cast<int>(config.databases)),
      commands_(std::move(table)) {
  keyspace_.set_observer(this);
  notifier_ = std::make_unique<KeyspaceNotifier>(*this);
  acl_ = std::make_unique<Acl>(commands_);
  synced_password_ = "\n";  // differs from any password: ApplyConfig takes the configured one
  ApplyConfig();
  stats_.start_ms = clock_.NowMs();
  startup_memory_ = UsedMemory();
  blocking_ = std::make_unique<BlockingRegistry>(*this);
  AddKeyListener(blocking_.get());
  watches_ = std::make_unique<WatchRegistry>();
  AddKeyListener(watches_.get());
  pubsub_ = std::make_unique<PubSubRegistry>();
}

Engine::~Engine() {
  RemoveKeyListener(blocking_.get());
  RemoveKeyListener(watches_.get());
}

void Engine::ApplyConfig() {
  types::EncodingLimits& lim = types::Limits();
  lim.hash_max_listpack_entries = config_.hash_max_listpack_entries;
  lim.hash_max_listpack_value = config_.hash_max_listpack_value;
  lim.set_max_intset_entries = config_.set_max_intset_entries;
  lim.set_max_listpack_entries = config_.set_max_listpack_entries;
  lim.set_max_listpack_value = config_.set_max_listpack_value;
  lim.zset_max_listpack_entries = config_.zset_max_listpack_entries;
  lim.zset_max_listpack_value = config_.zset_max_listpack_value;
  lim.list_max_listpack_size = config_.list_max_listpack_size;
  lim.list_compress_depth = config_.list_compress_depth;
  types::StreamLimits() = {.max_entries = config_.stream_node_max_entries,
                           .max_bytes = config_.stream_node_max_bytes};
  notifier_->Configure(config_.notify_keyspace_events);
  evictor_.Configure(config_);
  lfu_ = evictor_.lfu();
  latency_.set_threshold_ms(config_.latency_monitor_threshold);
  latency_tracking_ = config_.latency_tracking;
  SetAccessClock(clock_.NowUs());
  // requirepass is the default user's password, as in Redis.
  if (config_.password != synced_password_) {
    acl_->SyncDefaultPassword(config_.password);
    synced_password_ = config_.password;
  }
}

void Engine::SetAccessClock(int64_t now_us) {
  lru_clock_ = static_cast<uint32_t>(now_us / 1'000'000);
  keyspace_.set_new_key_access(NewKeyAccess());
  SetTickConversions();
}

void Engine::SetTickConversions() {
  const double ticks_per_us = CycleClock::TicksPerUs();
  histogram_scale_ = 1000.0 / (ticks_per_us * 1032.0);
  int64_t watch_us = INT64_MAX;
  if (config_.slowlog_log_slower_than >= 0 && config_.slowlog_max_len > 0) {
    watch_us = config_.slowlog_log_slower_than;
  }
  if (config_.latency_monitor_threshold > 0 &&
      config_.latency_monitor_threshold < INT64_MAX / 1000) {
    watch_us = std::min(watch_us, config_.latency_monitor_threshold * 1000);
  }
  // A tenth under the threshold; CommandTookLong compares microseconds exactly. Until the
  // clock's rate is measured (the process's first 50 ms) every command is looked at, and
  // each look recomputes this.
  tick_rate_fixed_ = CycleClock::RateFixed();
  const double ticks = static_cast<double>(watch_us) * ticks_per_us * 0.9;
  watch_ticks_ = watch_us == INT64_MAX || ticks >= 9e18 ? INT64_MAX
                 : !tick_rate_fixed_                    ? 0
                                                        : static_cast<int64_t>(ticks);
}

void Engine::AttachDefaultUser(Session& session) const {
  session.user = acl_->default_user();
  session.authenticated = !acl_->default_needs_auth();
}

AclDenial Engine::CheckAcl(const Session& session, const CommandSpec& spec,
                           std::span<const std::string_view> argv, AclContext context) {
  size_t pos = 0;
  const AclDenial why = acl_->Check(*session.user, spec, argv, &pos);
  if (why != AclDenial::kNone) {
    LogAclDenial(session, why, context, why == AclDenial::kCommand ? spec.name : argv[pos],
                 session.user->name);
  }
  return why;
}

void Engine::LogAclDenial(const Session& session, AclDenial why, AclContext context,
                          std::string_view object, std::string_view username) {
  std::optional<ClientView> view;
  if (hooks_ != nullptr) view = hooks_->Client(session.id);
  const int64_t now_ms = clock_.NowMs();
  acl_->Log(why, context, object, username, now_ms,
            ClientInfoLine(view.value_or(ClientView{&session}), now_ms));
}

namespace {

std::string UnknownCommandError(std::span<const std::string_view> argv) {
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; i++) {
    size_t room = 128 - args.size();
    args += fmt::format("'{}' ", argv[i].substr(0, room));
  }
  return fmt::format("ERR unknown command '{}', with args beginning with: {}",
                     argv[0].substr(0, 128), args);
}

}  // namespace

void Engine::RemoveKeyListener(KeyEventListener* listener) { std::erase(key_listeners_, listener); }

void Engine::ReportKeyEvents(const CommandSpec& spec, bool changed) {
  // Keyspace notifications, for commands that write.
  const bool notify = changed && notifier_->enabled() && HasFlag(spec.flags, CommandFlag::kWrite);
  keyspace_.TakeKeyNotes(changed, [&](int index, std::string_view key, bool created) {
    Database& database = keyspace_.db(index);
    // The command's last key is usually the one the database touched last. An expired key
    // still in place (on a replica, until the primary's DEL) is reported as it stands.
    Entry* e = database.last_touched();
    if (e == nullptr || e->key() != key) e = database.Peek(key, INT64_MIN);
    if (e != nullptr) database.TrackFieldExpiry(e);
    NotifyKey(index, key, e);
    if (notify) notifier_->Note(index, key, created, e != nullptr);
  });
  if (notify) {
    notifier_->Publish(spec);
  } else {
    notifier_->Forget();
  }
}

void Engine::NotifyKey(int db, std::string_view key, Entry* entry, bool by_expiry) {
  for (KeyEventListener* listener : key_listeners_) {
    if (entry != nullptr) {
      listener->OnKeyModified(db, entry);
    } else {
      listener->OnKeyDeleted(db, key);
    }
  }
  if (tracking_.active()) [[unlikely]] {
    tracking_.Invalidate(key, by_expiry ? 0 : executing_client());
  }
}

void Engine::TrackCommand(Session& session, const CommandSpec& spec,
                          std::span<const std::string_view> argv, bool top) {
  // A command a script runs reads for the script's caller, and what it read is what the
  // script declared (Redis: the caller's argv).
  const CommandContext* caller = scripts_ != nullptr ? scripts_->CallerOf(session) : nullptr;
  if (caller != nullptr) {
    tracking_.AfterCommand(session, spec, top, caller->session, caller->argv, caller->spec);
  } else {
    tracking_.AfterCommand(session, spec, top, session, argv, spec);
  }
  if (top) {
    tracking_.LimitKeys(static_cast<size_t>(config_.tracking_table_max_keys));
    tracking_.Deliver();
  }
}

void Engine::TrackingCron() {
  if (!tracking_.active()) return;
  tracking_.LimitKeys(static_cast<size_t>(config_.tracking_table_max_keys));
  tracking_.Deliver();
}

void Engine::OnExpired(int db, std::string_view key) {
  // An expired key's removal is a write like any other: replicas and the log see DEL.
  const std::string_view argv[] = {"DEL", key};
  EmitEffect(nullptr, db, argv);
  // Reported while the entry is still in place (it leaves right after).
  NotifyKey(db, key, nullptr, /*by_expiry=*/true);
  notifier_->Expired(db, key);
  RecordExpiry(db, argv);
}

void Engine::RecordExpiry(int db, std::span<const std::string_view> argv) {
  if (recorder_ == nullptr) return;
  // Replay deletes it at the same point (for a lazy expiry, just before the command that
  // met it, which then finds it gone as it did here).
  trace_argv_.assign(argv.begin(), argv.end());
  recorder_->Command(0, static_cast<uint32_t>(db), static_cast<uint64_t>(clock_.MonotonicNs()),
                     clock_.NowUs(), trace_argv_, {});
}

void Engine::OnFieldsExpired(int db, Entry* entry, std::span<const std::string> fields,
                             bool key_deleted) {
  // As HDELs of at most kFieldsPerEffect fields, so no frame outgrows a replica's limits.
  constexpr size_t kFieldsPerEffect = 1024;
  std::vector<std::string_view> argv;
  for (size_t i = 0; i < fields.size(); i += kFieldsPerEffect) {
    argv.assign({"HDEL", entry->key()});
    for (size_t j = i; j < std::min(fields.size(), i + kFieldsPerEffect); j++) {
      argv.push_back(fields[j]);
    }
    EmitEffect(nullptr, db, argv);
    RecordExpiry(db, argv);
  }
  NotifyKey(db, entry->key(), key_deleted ? nullptr : entry, /*by_expiry=*/true);
}

void Engine::OnWholeDatabase(const Database& db, int other_index) {
  if (sink_ != nullptr) sink_->OnWholeDatabase(db, other_index);
  // Emptied (FLUSHALL, a full sync, DEBUG RELOAD): what clients cached is gone.
  if (other_index < 0 && tracking_.active()) tracking_.Flushed();
  watches_->WholeDatabase(db, other_index >= 0 ? &keyspace_.db(other_index) : nullptr,
                          clock_.NowMs());
  // SWAPDB may bring keys that clients wait on into their database.
  if (other_index >= 0) blocking_->RecheckAll();
}

std::string Engine::AccessError(const Session& session, CommandFlag flags, bool stale_ok) const {
  if (session.internal) return {};
  if (!session.authenticated && !HasFlag(flags, CommandFlag::kNoAuth) &&
      acl_->default_needs_auth()) {
    return std::string(err::kNoAuth);
  }
  if (HasFlag(flags, CommandFlag::kProtected) &&
      !AccessAllowed(config_.enable_debug_command, session)) {
    return "ERR DEBUG command not allowed. If the enable-debug-command option is set to "
           "\"local\", you can run it from a local connection, otherwise you need to set this "
           "option in the configuration file (security.enable_debug_command), and then restart "
           "the server.";
  }
  if (HasFlag(flags, CommandFlag::kDenyOom) && OverMaxmemory()) return std::string(err::kOom);
  std::string why;
  if (HasFlag(flags, CommandFlag::kWrite)) {
    if ((sink_ != nullptr && !sink_->WritesAllowed(&why)) ||
        (gate_ != nullptr && !gate_->AllowWrite(session, &why))) {
      return why;
    }
  }
  if (gate_ != nullptr && !stale_ok && !gate_->AllowStale(&why)) return why;
  return {};
}

bool Engine::OverMaxmemory() const {
  // As Redis: refused only when the pass before this command failed (noeviction, nothing
  // left to evict), not when it ran out of time (the cron goes on evicting) nor because the
  // memory its own DEL effects took keeps the total a little over the limit. A replica never
  // evicts and never refuses for memory: it follows its primary.
  return config_.maxmemory > 0 && !keyspace_.replica_mode() && evictor_.failed();
}

Engine::Prepared Engine::Prepare(const Session& session,
                                 std::span<const std::string_view> argv) const {
  Prepared p;
  p.spec = commands_.Find(argv[0]);
  if (p.spec == nullptr || p.spec->first_key <= 0 ||
      argv.size() <= static_cast<size_t>(p.spec->first_key)) {
    return p;
  }
  p.key_hash = HashKey(argv[static_cast<size_t>(p.spec->first_key)]);
  p.has_key = true;
  keyspace_.db(session.db).dict().PrefetchSlot(p.key_hash);
  return p;
}

void Engine::PrefetchEntry(const Session& session, const Prepared& prepared) const {
  if (prepared.has_key) keyspace_.db(session.db).dict().PrefetchEntry(prepared.key_hash);
}

void Engine::Execute(Session& session, std::span<const std::string_view> argv,
                     proto::ReplyBuilder& reply, const CommandSpec* spec, int64_t now_us) {
  if (group_depth_ > 0) {
    // One of a group's commands: a nested record, before the group's own record (written
    // when EXEC or EVAL completes). Another client's command served while a script is busy
    // is not the group's, and is not traced.
    if ((recorder_ != nullptr || nested_observer_) && !session.internal &&
        session.id == group_client_) {
      ExecuteNested(session, argv, reply, spec, now_us);
    } else {
      Dispatch(session, argv, reply, spec, now_us);
    }
  } else if (recorder_ == nullptr || session.internal) {
    Dispatch(session, argv, reply, spec, now_us);
  } else {
    // Tracing: the same command, then its record (db and time as it started, reply bytes).
    if (now_us < 0) now_us = clock_.NowUs();
    const int db = session.db;
    std::string* out = reply.buffer();
    const size_t start = out->size();
    Dispatch(session, argv, reply, spec, now_us);
    // The command may have turned tracing off (CONFIG SET trace.enabled no). A command
    // that blocked on keys is recorded where it completes (woken: as it runs again).
    if (recorder_ != nullptr && !session.blocked_on_keys) {
      Record(session, db, argv, ReplySince(*out, start), now_us);
    }
  }
  // Clients blocked on keys this command made ready run now, before the next command (after
  // the whole group when it is one of a group's commands).
  if (group_depth_ == 0) blocking_->ServeReady();
}

void Engine::ExecuteNested(Session& session, std::span<const std::string_view> argv,
                           proto::ReplyBuilder& reply, const CommandSpec* spec, int64_t now_us) {
  if (now_us < 0) now_us = clock_.NowUs();
  const int db = session.db;
  std::string* out = reply.buffer();
  const size_t start = out->size();
  // Timed for the observer only (replay --stats), not for the recorder.
  using SteadyClock = std::chrono::steady_clock;
  const SteadyClock::time_point t0 =
      nested_observer_ ? SteadyClock::now() : SteadyClock::time_point{};
  Dispatch(session, argv, reply, spec, now_us);
  nested_executed_++;  // counted as its record is written: after the records it ran
  const std::string_view bytes = ReplySince(*out, start);
  if (recorder_ != nullptr) Record(session, db, argv, bytes, now_us, /*nested=*/true);
  if (nested_observer_) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - t0);
    nested_observer_({session.id, db, argv, bytes, static_cast<uint64_t>(ns.count())});
  }
}

void Engine::RecordCompleted(const Session& session, int db, std::span<const std::string_view> argv,
                             std::string_view reply) {
  if (recorder_ != nullptr) Record(session, db, argv, reply, clock_.NowUs());
}

void Engine::Record(const Session& session, int db, std::span<const std::string_view> argv,
                    std::string_view reply, int64_t now_us, bool nested) {
  if (sample_ != nullptr && !sample_->empty()) {
    const CommandSpec* spec = commands_.Find(argv[0]);
    std::string_view key;
    if (spec != nullptr && spec->first_key > 0 &&
        argv.size() > static_cast<size_t>(spec->first_key)) {
      key = argv[static_cast<size_t>(spec->first_key)];
    }
    if (!sample_->Matches(spec != nullptr ? spec->group : "", static_cast<uint32_t>(db), key)) {
      return;
    }
  }
  trace_argv_.assign(argv.begin(), argv.end());
  const auto mono_ns = static_cast<uint64_t>(clock_.MonotonicNs());
  if (nested) {
    recorder_->Nested(session.id, static_cast<uint32_t>(db), mono_ns, now_us, trace_argv_, reply);
  } else {
    recorder_->Command(session.id, static_cast<uint32_t>(db), mono_ns, now_us, trace_argv_, reply);
  }
}

void Engine::TraceEvent(trace::RecordType type, uint64_t connection, std::string_view detail) {
  if (recorder_ == nullptr) return;
  recorder_->Event(type, connection, 0, static_cast<uint64_t>(clock_.MonotonicNs()), clock_.NowUs(),
                   detail);
}

void Engine::Dispatch(Session& session, std::span<const std::string_view> argv,
                      proto::ReplyBuilder& reply, const CommandSpec* spec, int64_t now_us) {
  // Durations use the cycle counter: a clock_gettime pair per command would cost more
  // than a GET does.
  const int64_t start_ticks = CycleClock::Now();
  if (now_us < 0 || session.applies_frames) now_us = clock_.NowUs();
  if (static_cast<uint32_t>(now_us / 1'000'000) != lru_clock_) SetAccessClock(now_us);
  session.last_interaction_ms = now_us / 1000;
  if (pause_.active()) [[unlikely]]
    pause_.EndIfDue(now_us / 1000);
  const int64_t now_ms = session.applies_frames ? 0 : now_us / 1000;
  stats_.total_commands++;

  // A refusal before the command runs. Inside MULTI it also dooms the transaction (EXEC
  // then aborts), and a refused EXEC ends it at once, as in Redis.
  auto refuse = [&](const CommandSpec* row, std::string_view message) {
    if (row != nullptr) row->stats.rejected_calls++;
    stats_.CountError(message);
    if (session.in_multi && row != nullptr && HasFlag(row->flags, CommandFlag::kQueuedReplies)) {
      DiscardTransaction(session);
      reply.Error(fmt::format("EXECABORT Transaction discarded because of: {}", message));
      return;
    }
    if (session.in_multi) session.multi_error = true;
    reply.Error(message);
  };

  if (spec == nullptr) spec = commands_.Find(argv[0]);
  if (spec != nullptr && HasFlag(spec->flags, CommandFlag::kInternal) && !session.applies_frames) {
    spec = nullptr;  // only replication frames may carry it
  }
  if (spec == nullptr) {
    stats_.rejected_unknown++;
    return refuse(nullptr, UnknownCommandError(argv));
  }
  if (spec->is_container() && !(argv.size() == 1 && spec->handler != nullptr)) {
    // A container runs its own handler only when called bare (COMMAND); otherwise the
    // subcommand's row decides everything below.
    if (argv.size() < 2) {
      return refuse(spec,
                    fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
    }
    const CommandSpec* sub = spec->FindSubcommand(argv[1]);
    if (sub == nullptr || (spec->flat_in_redis && !sub->AcceptsArgc(argv.size()))) {
      std::string upper = spec->name;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string_view what = spec->flat_in_redis
                                        ? "unknown subcommand or wrong number of arguments for"
                                        : "unknown subcommand";
      return refuse(sub,
                    fmt::format("ERR {} '{}'. Try {} HELP.", what, argv[1].substr(0, 128), upper));
    }
    spec = sub;
  }
  if (scripts_ != nullptr && scripts_->busy() && session.id != scripts_->running_client() &&
      !HasFlag(spec->flags, CommandFlag::kAllowBusy)) {
    return refuse(spec, scripts_->BusyError());
  }
  session.last_command = spec->name;
  if (!spec->AcceptsArgc(argv.size())) {
    return refuse(spec, fmt::format("ERR wrong number of arguments for '{}' command", spec->name));
  }
  if (session.resp == 2 && session.subscribed() && !session.internal &&
      !HasFlag(spec->flags, CommandFlag::kSubscribedContext)) {
    return refuse(spec, fmt::format("ERR Can't execute '{}': only (P|S)SUBSCRIBE / "
                                    "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
                                    "context",
                                    spec->name));
  }
  // Inside a group (EXEC) the group's checks ran once for all its commands.
  if (group_depth_ == 0) {
    // maxmemory-policy: make room before a client's command (Redis's performEvictions);
    // OverMaxmemory below then refuses a deny-oom command only if that failed.
    if (config_.maxmemory > 0 && !session.internal) evictor_.Perform();
    const bool exec = session.in_multi && HasFlag(spec->flags, CommandFlag::kQueuedReplies);
    // EXEC is checked as the commands it will run (Redis: a write refused now aborts it).
    const CommandFlag flags =
        exec ? spec->flags | static_cast<CommandFlag>(
                                 session.queued.flags_any &
                                 static_cast<uint32_t>(CommandFlag::kWrite | CommandFlag::kDenyOom))
             : spec->flags;
    const bool stale_ok =
        HasFlag(spec->flags, CommandFlag::kStale) && (!exec || session.queued.all_stale_ok);
    if (std::string error = AccessError(session, flags, stale_ok); !error.empty()) {
      return refuse(spec, error);
    }
    // A user with every permission (the default user, as configured by default) is
    // checked no further: one branch on the hot path.
    if (!session.user->unrestricted) [[unlikely]] {
      const AclContext context = session.in_multi ? AclContext::kMulti : AclContext::kTopLevel;
      if (const AclDenial why = CheckAcl(session, *spec, argv, context); why != AclDenial::kNone) {
        return refuse(spec, Acl::DenialError(why, *spec));
      }
    }
  }
  if (session.in_multi && !HasFlag(spec->flags, CommandFlag::kTxControl)) {
    if (HasFlag(spec->flags, CommandFlag::kNoMulti)) {
      return refuse(spec, "ERR Command not allowed inside a transaction");
    }
    QueueCommand(session, *spec, argv);
    reply.Simple("QUEUED");
    return;
  }

  std::string* out = reply.buffer();
  const size_t reply_start = out->size();
  // The outermost command's client: whose changes NOLOOP leaves out, and to whom tracking
  // holds messages back until its reply is written.
  Session* const outer = executing_;
  executing_ = outer != nullptr ? outer : &session;
  CommandContext ctx{*this, session, keyspace_.db(session.db), reply, argv, now_ms, *spec};
  keyspace_.BeginKeyNotes();
  spec->handler(ctx);
  ReportKeyEvents(*spec, ctx.dirty > 0 || ctx.propagated);
  executing_ = outer;

  stats_.dirty += ctx.dirty;
  // A write that changed something and did not describe its own effect is its own effect.
  if (ctx.dirty > 0 && !ctx.propagated && HasFlag(spec->flags, CommandFlag::kWrite)) {
    EmitEffect(&session, session.db, argv, spec);
  }
  if (out->size() > reply_start && (*out)[reply_start] == '-') {
    spec->stats.failed_calls++;
    if (!error_counted_) {
      stats_.CountError(std::string_view(*out).substr(reply_start, 33));
    }
  }
  error_counted_ = false;
  const int64_t ticks = std::max<int64_t>(0, CycleClock::Now() - start_ticks);
  spec->stats.ticks += static_cast<uint64_t>(ticks);
  // A command that blocked counts as one call when it completes (woken or timed out).
  if (!session.blocked_on_keys) {
    spec->stats.calls++;
    if (latency_tracking_) spec->stats.latency.Add(static_cast<double>(ticks) * histogram_scale_);
  }
  if (ticks >= watch_ticks_) [[unlikely]]
    CommandTookLong(session, *spec, argv, ticks);

  if (!HasFlag(spec->flags, CommandFlag::kNoMonitor) &&
      !HasFlag(spec->flags, CommandFlag::kAdmin)) {
    if (spec->secret_arg != nullptr) [[unlikely]] {
      std::vector<std::string_view> shown(argv.begin(), argv.end());
      for (size_t i = 0; i < shown.size(); i++) {
        if (spec->secret_arg(argv, i)) shown[i] = "(redacted)";
      }
      FeedMonitors(session, shown);
    } else {
      FeedMonitors(session, argv);
    }
  }
  if (tracking_.active()) [[unlikely]]
    TrackCommand(session, *spec, argv, outer == nullptr);
}

void Engine::CommandTookLong(Session& session, const CommandSpec& spec,
                             std::span<const std::string_view> argv, int64_t ticks) {
  if (!tick_rate_fixed_) SetTickConversions();
  const int64_t us = CycleClock::ToMicros(ticks);
  // Every command's time on the loop, those EXEC and scripts ran included (as Redis).
  ReportLatency(HasFlag(spec.flags, CommandFlag::kFast) ? "fast-command" : "command", us / 1000);
  if (session.blocked_on_keys) {
    // Logged when it completes: woken, as the run that completes it; timed out, with
    // this run's duration (BlockingRegistry).
    session.blocked_run_us = us;
    return;
  }
  LogSlowCommand(session, &spec, argv, us);
}

void Engine::LogSlowCommand(const Session& session, const CommandSpec* spec,
                            std::span<const std::string_view> argv, int64_t duration_us) {
  // Log replay and frames from a primary are not the clients' commands; EXEC is logged as
  // the commands it ran.
  if (config_.slowlog_log_slower_than < 0 || duration_us < config_.slowlog_log_slower_than ||
      session.internal || (spec != nullptr && HasFlag(spec->flags, CommandFlag::kSkipSlowlog))) {
    return;
  }
  // A script's own client, like any client without a peer address, is "?:0" (as Redis).
  const bool no_peer =
      session.addr.empty() || (scripts_ != nullptr && scripts_->CallerOf(session) != nullptr);
  slowlog_.Push(argv, spec, clock_.NowMs() / 1000, duration_us,
                no_peer ? std::string_view("?:0") : std::string_view(session.addr), session.name,
                static_cast<size_t>(config_.slowlog_max_len));
}

void EngineStats::CountError(std::string_view error) {
  total_errors++;
  if (!error.empty() && error[0] == '-') error.remove_prefix(1);
  // The code is the first word when one ends within 32 bytes; otherwise "ERR", as Redis.
  const size_t space = error.substr(0, 32).find(' ');
  const std::string_view code = space == std::string_view::npos ? "ERR" : error.substr(0, space);
  if (auto it = errors_by_code.find(code); it != errors_by_code.end()) {
    it->second++;
  } else if (errors_by_code.size() < kMaxErrorCodes) {
    errors_by_code.emplace(code, 1);
  }
}

void Engine::FeedMonitors(const Session& session, std::span<const std::string_view> argv) {
  if (hooks_ != nullptr && hooks_->has_monitors()) hooks_->FeedMonitors(session, argv);
}

// ---- transactions and atomic groups ------------------------------------------------------

void Engine::AddToGroup(int db, std::span<const std::string_view> argv) {
  group_args_.push_back(std::to_string(db));
  group_args_.push_back(std::to_string(argv.size()));
  group_args_.insert(group_args_.end(), argv.begin(), argv.end());
  group_effects_++;
}

bool Engine::script_running() const { return scripts_ != nullptr && scripts_->running(); }

ScriptHost& Engine::scripts() {
  if (scripts_ == nullptr) scripts_ = std::make_unique<ScriptHost>(*this);
  return *scripts_;
}

void Engine::EndGroup(Session* session) {
  if (--group_depth_ > 0) return;
  group_muted_ = false;
  // One effect needs no group: it is applied whole anyway. A group with more arguments than
  // a frame may carry (replicas would refuse the frame and could never get past it) goes
  // as its effects one by one, with a warning: only a transaction of millions of writes.
  const bool too_big = group_args_.size() + 2 > static_cast<size_t>(config_.max_multibulk_len);
  if (group_effects_ == 1 || too_big) {
    if (too_big) {
      ModuleLogger("engine")->warn(
          "a transaction's {} effects need {} arguments, more than one frame may carry "
          "(limits.max_multibulk_len {}): they are logged and replicated one by one",
          group_effects_, group_args_.size() + 2, config_.max_multibulk_len);
    }
    std::vector<std::string_view> argv;
    for (size_t i = 0; i < group_args_.size();) {
      const int db = std::stoi(group_args_[i]);
      const size_t argc = std::stoul(group_args_[i + 1]);
      argv.assign(group_args_.begin() + static_cast<ptrdiff_t>(i + 2),
                  group_args_.begin() + static_cast<ptrdiff_t>(i + 2 + argc));
      sink_->OnEffect(session, db, argv, nullptr);
      i += 2 + argc;
    }
  } else if (group_effects_ > 1) {
    std::vector<std::string_view> argv;
    argv.reserve(group_args_.size() + 2);
    const std::string count = std::to_string(group_effects_);
    argv.push_back("TIDEKV.GROUP");
    argv.push_back(count);
    argv.insert(argv.end(), group_args_.begin(), group_args_.end());
    sink_->OnEffect(session, 0, argv, nullptr);
  }
  group_effects_ = 0;
  group_args_.clear();
}

void Engine::DiscardTransaction(Session& session) {
  session.in_multi = false;
  session.multi_error = false;
  session.queued.Clear();
  watches_->Unwatch(session);
}

void Engine::SessionClosed(Session& session) {
  if (session.blocked_on_keys) blocking_->Remove(session.id);
  if (session.waits_for_pause) pause_.Remove(session.id);
  if (session.subscribed()) pubsub_->RemoveClient(session);
  if (session.tracking != 0) tracking_.Disable(session);
  DiscardTransaction(session);
}

void Engine::ExecQueued(Session& session, proto::ReplyBuilder& reply, int64_t now_us) {
  const bool aborted = session.multi_error;
  const bool changed =
      session.watch_dirty || watches_->AnyExpired(session, keyspace_, now_us / 1000);
  QueuedCommands queued = std::move(session.queued);
  DiscardTransaction(session);
  if (aborted) return reply.Error("EXECABORT Transaction discarded because of previous errors.");
  if (changed) return reply.NullArray();
  reply.Array(queued.size());
  // The commands run back to back, none blocks, and their effects are one group.
  session.deny_blocking = true;
  BeginGroup(session.id);
  ForEachQueued(queued, [&](std::span<const std::string_view> argv, const CommandSpec& spec) {
    // The user's rules may have changed since the command was queued (Redis checks again).
    if (!session.user->unrestricted) [[unlikely]] {
      const AclDenial why = CheckAcl(session, spec, argv, AclContext::kMulti);
      if (why != AclDenial::kNone) {
        stats_.CountError("NOPERM");
        return reply.Error(fmt::format(
            "NOPERM ACLs rules changed between the moment the transaction was accumulated and "
            "the EXEC call. This command is no longer allowed for the following reason: {}",
            why == AclDenial::kKey       ? "no permission to touch the specified keys"
            : why == AclDenial::kChannel ? "no permission to access one of the channels used as "
                                           "arguments"
                                         : "no permission to execute the command or subcommand"));
      }
    }
    Execute(session, argv, reply, &spec, now_us);
  });
  EndGroup(&session);
  session.deny_blocking = false;
}

}  // namespace tidekv::engine
