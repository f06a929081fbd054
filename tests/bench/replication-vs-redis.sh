#!/usr/bin/env bash
# tidekv's replication vs Redis's, same machine, same run, same client (not run by make test).
#
# Three measurements; where Redis has an equivalent, each is printed as a ratio tidekv/redis.
#   1. Full sync: load KEYS keys of SIZE bytes into a primary (both servers: the same keys
#      and values through redis-cli --pipe), start a SET load on it (redis-benchmark -t set
#      -P 16 -c 20 -d SIZE -r LOAD_KEYSPACE, overwriting loaded keys), then start an empty
#      replica and time until the replica's link is up, no sync is in progress and it holds
#      >= KEYS keys. During that window: the peak memory growth of the primary process plus
#      every process it forked (Redis forks for its RDB; sampled every SAMPLE_MS ms, peak
#      minus the median of the last second before the replica started), both as the sum of
#      VmRSS (counts the pages a fork shares with its parent twice) and as the sum of
#      Pss_Anon (anonymous pages, shared ones split between the sharers: the memory really
#      added); the primary's SET throughput during the sync (mean of redis-benchmark's
#      per-interval rps lines inside the window) next to the same in the second before it;
#      the primary's CPU seconds in the window (including reaped children).
#   2. SET -P 16 throughput (redis-benchmark -c CLIENTS -n REQUESTS -r 100000 -d SIZE -P 16)
#      on a primary with two attached replicas; the primary's CPU seconds per run; the ms
#      from the end of a run until both replicas report the primary's offset.
#   3. tidekv only: catch-up from the log store. Primary with --replication.backlog_bytes
#      16384; a synced replica is stopped (SIGSTOP), M SETs are written (-P 16), the replica
#      is continued (SIGCONT): frames/s until its offset equals the primary's, and how many
#      frames the primary read from disk (frames_sent_from_disk) for it.
# Every measurement is repeated REPEAT times (alternating between the servers) and the
# medians are printed.
#
# Servers: tidekv with its defaults (logstore.mode = wal, fsync everysec) plus TIDEKV_ARGS
# for measurements 1 and 2 (measurement 3 always uses wal: a spill-mode primary sends a replica
# behind its memory backlog to a full resync). redis-server with its defaults (Redis 7:
# repl-diskless-sync yes, repl-diskless-sync-delay 5) plus --save '' --appendonly no on the
# primary and on its replicas (so a replica does not BGSAVE in the middle of a measurement)
# and REDIS_ARGS.
#
#   tests/bench/replication-vs-redis.sh
#   KEYS=200000 M=200000 REPEAT=1 tests/bench/replication-vs-redis.sh      # smoke test
#   TIDEKV_ARGS="--logstore.mode spill" tests/bench/replication-vs-redis.sh
#   REDIS_ARGS="--repl-diskless-sync-delay 0" tests/bench/replication-vs-redis.sh
#   ONLY="1 3" OUT=docs/bench-replication.md tests/bench/replication-vs-redis.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

TIDEKV=${TIDEKV:-build/tidekv-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
KEYS=${KEYS:-5000000}
M=${M:-2000000}
REPEAT=${REPEAT:-3}
SIZE=${SIZE:-64}
PIPELINE=${PIPELINE:-16}
CLIENTS=${CLIENTS:-50}
REQUESTS=${REQUESTS:-1000000}
KEYSPACE=${KEYSPACE:-100000}
LOAD_CLIENTS=${LOAD_CLIENTS:-20}
LOAD_KEYSPACE=${LOAD_KEYSPACE:-$((KEYS < 1000000 ? KEYS : 1000000))}
WARMUP_S=${WARMUP_S:-2}           # load before the replica starts; the last second is the baseline
SAMPLE_MS=${SAMPLE_MS:-50}
PSS_EVERY=${PSS_EVERY:-4}          # Pss (smaps_rollup walks page tables) every Nth sample
BACKLOG_BYTES=${BACKLOG_BYTES:-16384}
SYNC_TIMEOUT_S=${SYNC_TIMEOUT_S:-300}
TIDEKV_ARGS=${TIDEKV_ARGS:-}
REDIS_ARGS=${REDIS_ARGS:-}
ONLY=${ONLY:-"1 2 3"}
WORK=${WORK:-/tmp}
OUT=${OUT:-}

BENCH=replication-vs-redis
. tests/bench/lib.sh
note() { echo "  .. $*" >&2; }
[ -x "$TIDEKV" ] || die "$TIDEKV not built (make build, or TIDEKV=path)"
{ [ -n "$REDIS" ] && [ -x "$REDIS" ]; } || die "redis-server not found (make deps)"
for tool in redis-benchmark redis-cli perl ss; do
  command -v "$tool" >/dev/null || die "$tool missing"
done
perl -MDigest::MD5 -MTime::HiRes -e1 2>/dev/null || die "perl lacks Digest::MD5 / Time::HiRes"
read -r -a tidekv_args <<<"$TIDEKV_ARGS"
read -r -a redis_args <<<"$REDIS_ARGS"

bench_init

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
ratio() { awk -v t="$1" -v r="$2" 'BEGIN { printf "%.2f", (r > 0 ? t / r : 0) }'; }
# Own CPU + reaped children's, in seconds (fields 14-17 of /proc/<pid>/stat).
cpu_s() { awk -v hz="$hz" '{printf "%.2f\n", ($14 + $15 + $16 + $17) / hz}' "/proc/$1/stat"; }
field() { tr -d '\r' | sed -n "s/^$1:\\(.*\\)/\\1/p" | head -1; }  # INFO text on stdin
info() { redis-cli -p "$1" info "$2" 2>/dev/null || true; }

# Waits for a process to exit (SHUTDOWN sent elsewhere); SIGKILL after 60 s.
wait_exit() {
  local pid=$1
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return; }; sleep 0.1; done
  echo "replication-vs-redis: pid $pid did not exit; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_server() {  # PORT PID
  kill -CONT "$2" 2>/dev/null || true
  redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true
  wait_exit "$2"
}


# start_redis NAME ARGS...: a redis-server on <work>/NAME on a free port of 20000-29999;
# sets redis_pid and redis_port once it answers INFO with its own pid.
start_redis() {
  local name=$1; shift
  mkdir -p "$work/$name"
  redis_port=""
  local port p
  for port in $(shuf -i 20000-29999 -n 30); do
    ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
    "$REDIS" --port "$port" --bind 127.0.0.1 --dir "$work/$name" --logfile "$work/$name.log" \
      --daemonize no "$@" >/dev/null 2>&1 &
    p=$!
    for _ in $(seq 3000); do
      kill -0 "$p" 2>/dev/null || break
      [ "$(info "$port" server | field process_id)" = "$p" ] && break
      sleep 0.01
    done
    if kill -0 "$p" 2>/dev/null && [ "$(info "$port" server | field process_id)" = "$p" ]; then
      redis_port=$port; redis_pid=$p; pids+=("$p"); return
    fi
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  die "redis-server ($name) did not start"
}

# start_server KIND NAME [replica-of-port] -> server_pid, server_port (KIND: tidekv | redis)
start_server() {
  local kind=$1 name=$2 of=${3:-}
  if [ "$kind" = tidekv ]; then
    if [ -n "$of" ]; then start_tidekv "$name" "${tidekv_args[@]}" --replicaof "127.0.0.1:$of"
    else start_tidekv "$name" "${tidekv_args[@]}"; fi
    server_pid=$tidekv_pid; server_port=$tidekv_port
  else
    if [ -n "$of" ]; then
      start_redis "$name" --save '' --appendonly no "${redis_args[@]}" --replicaof 127.0.0.1 "$of"
    else start_redis "$name" --save '' --appendonly no "${redis_args[@]}"; fi
    server_pid=$redis_pid; server_port=$redis_port
  fi
}

# The same KEYS keys for both servers, named as redis-benchmark names its -r keys
# (key:%012d), so the load of measurement 1 overwrites them; values are SIZE hex digits.
populate() {
  local port=$1 n
  perl -MDigest::MD5=md5_hex -e '
    my ($n, $size) = @ARGV;
    for my $i (0 .. $n - 1) {
      my $k = sprintf("key:%012d", $i);
      my $v = "";
      $v .= md5_hex("$i/" . length($v)) while length($v) < $size;
      $v = substr($v, 0, $size);
      print "*3\r\n\$3\r\nSET\r\n\$", length($k), "\r\n$k\r\n\$$size\r\n$v\r\n";
    }' "$KEYS" "$SIZE" | redis-cli -p "$port" --pipe >"$work/pipe.out" 2>&1 ||
    { cat "$work/pipe.out" >&2; die "redis-cli --pipe into port $port failed"; }
  n=$(redis-cli -p "$port" dbsize)
  [ "$n" = "$KEYS" ] || die "port $port holds $n keys after loading $KEYS"
}

# tidekv: let the seals and merges the load started finish (max 120 s; in spill mode
# nothing seals on its own, so dirty keys stay).
settle_tidekv() {
  local i
  for _ in $(seq 1200); do
    i=$(info "$1" persistence | tr -d '\r')
    { grep -q '^dirty_keys:0$' <<<"$i" || grep -q '^logstore_mode:spill$' <<<"$i"; } &&
      grep -q '^merges_in_progress:0$' <<<"$i" && grep -q '^seal_in_progress:0$' <<<"$i" && return
    sleep 0.1
  done
  note "tidekv on port $1 still sealing/merging after 120 s; going on"
}

# Memory sampler: one line "ms_since_epoch sum_VmRSS_kB sum_Pss_Anon_kB|-" every SAMPLE_MS ms
# for the process and all its descendants (Pss_Anon every PSS_EVERY samples: reading
# smaps_rollup walks the page tables, ~5 ms per 300 MB). Pss_Anon, not Pss: a replica of the
# same binary starting shares the text pages and lowers the primary's file-backed Pss.
start_sampler() {
  perl -MTime::HiRes=time,sleep -e '
    my ($pid, $ms, $every) = @ARGV; $| = 1; my $n = 0;
    sub kids { my @k; for my $c (glob "/proc/$_[0]/task/*/children") {
                 open my $f, "<", $c or next; local $/; push @k, split " ", <$f> // ""; }
               return @k; }
    sub val { my ($file, $key) = @_; open my $f, "<", $file or return 0;
              while (<$f>) { return $1 if /^$key:\s+(\d+)/ } return 0; }
    while (kill 0, $pid) {
      my @all = ($pid); my @todo = ($pid);
      while (@todo) { my @k = kids(shift @todo); push @all, @k; push @todo, @k; }
      my ($rss, $pss) = (0, 0); my $do_pss = ($n++ % $every) == 0;
      for my $p (@all) { $rss += val("/proc/$p/status", "VmRSS");
                         $pss += val("/proc/$p/smaps_rollup", "Pss_Anon") if $do_pss; }
      printf "%d %d %s\n", time * 1000, $rss, $do_pss ? $pss : "-";
      sleep $ms / 1000;
    }' "$1" "$SAMPLE_MS" "$PSS_EVERY" >"$2" &
  sampler_pid=$!
  pids+=("$sampler_pid")
}

# growth FILE T0 T1 COLUMN -> peak in [T0, T1] minus the median of [T0 - 1000, T0), in MB
growth() {
  awk -v t0="$2" -v t1="$3" -v c="$4" '
    $c == "-" { next }
    $1 >= t0 - 1000 && $1 < t0 { base[++nb] = $c }
    $1 >= t0 && $1 <= t1 && $c > peak { peak = $c }
    END {
      if (nb == 0 || peak == "") { print "nan"; exit }
      for (i = 2; i <= nb; i++)  # insertion sort: portable awk has no asort
        for (j = i; j > 1 && base[j - 1] > base[j]; j--) { x = base[j]; base[j] = base[j - 1]; base[j - 1] = x }
      b = (nb % 2) ? base[(nb + 1) / 2] : (base[nb / 2] + base[nb / 2 + 1]) / 2
      printf "%.1f\n", (peak - b) / 1024
    }' "$1"
}

# Mean of redis-benchmark's per-interval "rps=" values written between byte offsets A and B.
window_rps() {
  local file=$1 a=$2 b=$3
  tail -c +"$((a + 1))" "$file" | head -c "$((b - a))" | tr '\r' '\n' |
    sed -n 's/.*rps=\([0-9.]*\) (overall.*/\1/p' |
    awk '{s += $1; n++} END {if (n) printf "%.0f\n", s / n; else print "nan"}'
}

rows=()
row() { rows+=("$1"); echo "$1"; }
kinds=(tidekv redis)
declare -A res  # res[<metric>.<kind>] = newline-separated values of the repeats

add() { res[$1.$2]+="$3"$'\n'; }
med() { printf '%s' "${res[$1.$2]:-}" | { grep -v '^$' || true; } | median; }

# ---- 1: full sync of KEYS keys under a SET load ----------------------------------------------
full_sync() {  # KIND RUN
  local kind=$1 run=$2 ppid pport rpid rport bench t0 t1 a0 b0 b1 c0 c1 syncs done=0 i n
  start_server "$kind" "p1-$kind-$run"; ppid=$server_pid; pport=$server_port
  populate "$pport"
  [ "$kind" = tidekv ] && settle_tidekv "$pport"
  start_sampler "$ppid" "$work/mem-$kind-$run"
  redis-benchmark -p "$pport" -t set -P "$PIPELINE" -c "$LOAD_CLIENTS" -d "$SIZE" \
    -r "$LOAD_KEYSPACE" -n 2000000000 -q >"$work/load-$kind-$run" 2>&1 &
  bench=$!
  pids+=("$bench")
  sleep "$(awk -v w="$WARMUP_S" 'BEGIN {print (w > 1 ? w - 1 : 0)}')"
  a0=$(stat -c %s "$work/load-$kind-$run")
  sleep 1
  kill -0 "$bench" 2>/dev/null || { cat "$work/load-$kind-$run" >&2; die "$kind: SET load died"; }
  syncs=$(info "$pport" "$( [ "$kind" = tidekv ] && echo replication || echo stats )" | field sync_full)
  c0=$(cpu_s "$ppid")
  b0=$(stat -c %s "$work/load-$kind-$run")
  t0=$(now_ms)
  start_server "$kind" "r1-$kind-$run" "$pport"; rpid=$server_pid; rport=$server_port
  while [ $(( $(now_ms) - t0 )) -lt $((SYNC_TIMEOUT_S * 1000)) ]; do
    i=$(info "$rport" replication | tr -d '\r')
    if grep -q '^master_link_status:up$' <<<"$i" && grep -q '^master_sync_in_progress:0$' <<<"$i"; then
      n=$(redis-cli -p "$rport" dbsize 2>/dev/null || true)
      if [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge "$KEYS" ]; then done=1; break; fi
    fi
    sleep 0.05
  done
  t1=$(now_ms)
  c1=$(cpu_s "$ppid")
  sleep 0.3  # one more progress line of the load after t1
  b1=$(stat -c %s "$work/load-$kind-$run")
  syncs=$(( $(info "$pport" "$( [ "$kind" = tidekv ] && echo replication || echo stats )" | field sync_full) - syncs ))
  kill "$bench" 2>/dev/null || true; wait "$bench" 2>/dev/null || true
  kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
  if [ "$done" = 1 ]; then
    add sync_ms "$kind" $((t1 - t0))
    add rss "$kind" "$(growth "$work/mem-$kind-$run" "$t0" "$t1" 2)"
    add pss "$kind" "$(growth "$work/mem-$kind-$run" "$t0" "$t1" 3)"
    add sync_rps "$kind" "$(window_rps "$work/load-$kind-$run" "$b0" "$b1")"
    add pre_rps "$kind" "$(window_rps "$work/load-$kind-$run" "$a0" "$b0")"
    add sync_cpu "$kind" "$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f", b - a}')"
    add syncs "$kind" "$syncs"
    note "$kind run $run: sync $((t1 - t0)) ms, full syncs $syncs"
  else
    note "$kind run $run: replica not in sync after ${SYNC_TIMEOUT_S} s (see $kind logs); counted as failed"
    info "$rport" replication | tr -d '\r' | grep -E 'link_status|sync_in_progress|repl_offset' >&2 || true
    add sync_fail "$kind" 1
  fi
  stop_server "$rport" "$rpid"
  stop_server "$pport" "$ppid"
  rm -rf "$work/p1-$kind-$run" "$work/r1-$kind-$run"
}

# ---- 2: SET -P 16 with two replicas -----------------------------------------------------------
declare -A p2_pid p2_port p2_reps p2_rpids
start_group() {  # KIND: a primary and two synced replicas
  local kind=$1 r i
  start_server "$kind" "p2-$kind"; p2_pid[$kind]=$server_pid; p2_port[$kind]=$server_port
  p2_reps[$kind]=""; p2_rpids[$kind]=""
  for r in 1 2; do
    start_server "$kind" "r2-$kind-$r" "${p2_port[$kind]}"
    p2_reps[$kind]+="$server_port "; p2_rpids[$kind]+="$server_pid "
  done
  for _ in $(seq 1200); do
    local ok=1
    for r in ${p2_reps[$kind]}; do
      i=$(info "$r" replication | tr -d '\r')
      grep -q '^master_link_status:up$' <<<"$i" && grep -q '^master_sync_in_progress:0$' <<<"$i" || ok=0
    done
    [ "$ok" = 1 ] && [ "$(info "${p2_port[$kind]}" replication | field connected_slaves)" = 2 ] && return
    sleep 0.1
  done
  die "$kind: two replicas did not come up"
}
# ms until every replica's slave_repl_offset equals the primary's master_repl_offset
replicas_caught_up_ms() {
  local kind=$1 start target r ok
  start=$(now_ms)
  target=$(info "${p2_port[$kind]}" replication | field master_repl_offset)
  while [ $(( $(now_ms) - start )) -lt 120000 ]; do
    ok=1
    for r in ${p2_reps[$kind]}; do
      [ "$(info "$r" replication | field slave_repl_offset)" = "$target" ] || ok=0
    done
    [ "$ok" = 1 ] && { echo $(( $(now_ms) - start )); return; }
    sleep 0.02
  done
  echo nan
}
set_with_replicas() {  # KIND
  local kind=$1 port=${p2_port[$1]} pid=${p2_pid[$1]} c0 c1 rps
  c0=$(cpu_s "$pid")
  rps=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" -r "$KEYSPACE" -d "$SIZE" \
          -P "$PIPELINE" -t set --csv 2>/dev/null | awk -F'","' 'NR==2 {print $2}')
  c1=$(cpu_s "$pid")
  add p2_rps "$kind" "$rps"
  add p2_cpu "$kind" "$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f", b - a}')"
  add p2_lag "$kind" "$(replicas_caught_up_ms "$kind")"
}

# ---- 3: catch-up from the log store (tidekv only) --------------------------------------------
catch_up() {
  local ppid pport rpid rport o0 o1 d0 d1 f0 f1 pd0 pd1 t0 t1 run off i
  start_tidekv p3 --replication.backlog_bytes "$BACKLOG_BYTES"; ppid=$tidekv_pid; pport=$tidekv_port
  redis-benchmark -p "$pport" -c 10 -n 10000 -r "$KEYSPACE" -d "$SIZE" -t set -q >/dev/null 2>&1
  start_tidekv r3 --replicaof "127.0.0.1:$pport"; rpid=$tidekv_pid; rport=$tidekv_port
  for run in $(seq "$REPEAT"); do
    o0=$(info "$pport" replication | field master_repl_offset)
    for _ in $(seq 1200); do
      [ "$(info "$rport" replication | field slave_repl_offset)" = "$o0" ] && break
      sleep 0.1
    done
    [ "$(info "$rport" replication | field slave_repl_offset)" = "$o0" ] ||
      die "tidekv replica did not reach offset $o0 before run $run"
    kill -STOP "$rpid"
    redis-benchmark -p "$pport" -c "$CLIENTS" -n "$M" -r "$KEYSPACE" -d "$SIZE" -P "$PIPELINE" \
      -t set -q >/dev/null 2>&1
    i=$(info "$pport" replication)
    o1=$(field master_repl_offset <<<"$i"); d0=$(field frames_sent_from_disk <<<"$i")
    f0=$(field sync_full <<<"$i"); pd0=$(field sync_partial_from_disk <<<"$i")
    t0=$(now_ms)
    kill -CONT "$rpid"
    off=""
    while [ $(( $(now_ms) - t0 )) -lt $((SYNC_TIMEOUT_S * 1000)) ]; do
      off=$(info "$rport" replication | field slave_repl_offset)
      [ "$off" = "$o1" ] && break
      sleep 0.05
    done
    t1=$(now_ms)
    [ "$off" = "$o1" ] || die "tidekv replica at offset ${off:-?} of $o1 after ${SYNC_TIMEOUT_S} s"
    i=$(info "$pport" replication)
    d1=$(field frames_sent_from_disk <<<"$i"); f1=$(field sync_full <<<"$i")
    pd1=$(field sync_partial_from_disk <<<"$i")
    add p3_frames tidekv $((o1 - o0))
    add p3_ms tidekv $((t1 - t0))
    add p3_fps tidekv "$(awk -v f=$((o1 - o0)) -v ms=$((t1 - t0)) 'BEGIN {printf "%.0f", f * 1000 / (ms > 0 ? ms : 1)}')"
    add p3_disk tidekv $((d1 - d0))
    add p3_full tidekv $((f1 - f0))
    add p3_pdisk tidekv $((pd1 - pd0))
    note "catch-up run $run: $((o1 - o0)) frames in $((t1 - t0)) ms, $((d1 - d0)) from disk, full syncs $((f1 - f0))"
  done
  stop_server "$rport" "$rpid"
  stop_server "$pport" "$ppid"
}

echo "tidekv $("$TIDEKV" --version) ${TIDEKV_ARGS:+($TIDEKV_ARGS) }vs $("$REDIS" --version | cut -d' ' -f1-3)${REDIS_ARGS:+ ($REDIS_ARGS)}, data in $WORK"
echo "KEYS=$KEYS SIZE=$SIZE M=$M REPEAT=$REPEAT REQUESTS=$REQUESTS; $(nproc) CPUs"

if [[ " $ONLY " == *" 1 "* ]]; then
  echo "1: full sync of $KEYS keys under a SET load (-P $PIPELINE -c $LOAD_CLIENTS -r $LOAD_KEYSPACE)" >&2
  for run in $(seq "$REPEAT"); do
    for kind in "${kinds[@]}"; do full_sync "$kind" "$run"; done
  done
fi
if [[ " $ONLY " == *" 2 "* ]]; then
  echo "2: SET -P $PIPELINE with two replicas" >&2
  for kind in "${kinds[@]}"; do start_group "$kind"; done
  for run in $(seq "$REPEAT"); do
    for kind in "${kinds[@]}"; do set_with_replicas "$kind"; done
    note "run $run done"
  done
  for kind in "${kinds[@]}"; do
    read -r -a ports <<<"${p2_reps[$kind]}"; read -r -a rpids <<<"${p2_rpids[$kind]}"
    for r in 0 1; do stop_server "${ports[$r]}" "${rpids[$r]}"; done
    stop_server "${p2_port[$kind]}" "${p2_pid[$kind]}"
  done
fi
if [[ " $ONLY " == *" 3 "* ]]; then
  echo "3: tidekv catch-up from the log store, $M frames, backlog $BACKLOG_BYTES bytes" >&2
  catch_up
fi

header="| measurement | tidekv | redis | tidekv/redis |"
rule="|---|---|---|---|"
echo; echo "$header"; echo "$rule"
both() {  # METRIC FORMAT LABEL
  local t r
  t=$(med "$1" tidekv); r=$(med "$1" redis)
  # shellcheck disable=SC2059
  row "$(printf "| %s | $2 | $2 | %s |" "$3" "$t" "$r" "$(ratio "$t" "$r")")"
}
one() {  # METRIC FORMAT LABEL
  # shellcheck disable=SC2059
  row "$(printf "| %s | $2 | n/a | |" "$3" "$(med "$1" tidekv)")"
}
if [[ " $ONLY " == *" 1 "* ]]; then
  for kind in "${kinds[@]}"; do
    if [ -n "${res[sync_fail.$kind]:-}" ]; then
      row "| full sync: runs where $kind's replica did not sync within ${SYNC_TIMEOUT_S} s | $(med sync_fail "$kind") of $REPEAT | | |"
    fi
  done
  both sync_ms %.0f "full sync of $KEYS keys: ms from replica start to link up with >= $KEYS keys"
  both rss %.1f "primary memory growth during the sync, MB (peak sum VmRSS primary + children - baseline)"
  both pss %.1f "the same as Pss_Anon (pages shared with a fork counted once), MB"
  both sync_rps %.0f "primary SET -P $PIPELINE req/s during the sync (redis-benchmark)"
  both pre_rps %.0f "the same in the second before the replica started"
  both sync_cpu %.2f "primary CPU s during the sync (serving the load too; incl. reaped children)"
  both syncs %.0f "full syncs the primary ran for it (1 = no retry)"
fi
if [[ " $ONLY " == *" 2 "* ]]; then
  both p2_rps %.0f "SET -P $PIPELINE req/s, primary with 2 replicas ($REQUESTS requests, -c $CLIENTS)"
  both p2_cpu %.2f "primary CPU s per run of $REQUESTS SETs"
  both p2_lag %.0f "ms after the run until both replicas have the primary's offset"
fi
if [[ " $ONLY " == *" 3 "* ]]; then
  one p3_fps %.0f "catch-up from disk: frames/s after SIGCONT (backlog $BACKLOG_BYTES bytes)"
  one p3_frames %.0f "frames the stopped replica was behind"
  one p3_ms %.0f "ms from SIGCONT until the replica's offset = the primary's"
  one p3_disk %.0f "frames_sent_from_disk during the catch-up"
  row "| partial syncs served from disk / full syncs during the catch-up | $(med p3_pdisk tidekv) / $(med p3_full tidekv) | n/a | |"
fi
echo
echo "Medians of $REPEAT. req/s and frames/s: higher is better; ms, MB and CPU: lower is better."

if [ -n "$OUT" ]; then
  {
    echo "$header"; echo "$rule"
    printf '%s\n' "${rows[@]}"
  } >"$OUT"
fi
