#!/usr/bin/env bash
# One hot large collection under a write load: disk bytes per write and restart time, tidekv
# (logstore.mode = wal, logstore.fsync = everysec) vs a Debian redis-server (appendonly yes,
# appendfsync everysec, default auto-aof-rewrite settings, no RDB saves). Not run by make test.
#
# Per workload, each server alone on the machine in turn:
#   1. preload one collection of N elements (N = 1M / SCALE) through redis-cli --pipe, check
#      its size, and wait until background work (tidekv: seals and merges; redis: an AOF
#      rewrite) is over;
#   2. run redis-benchmark for DURATION seconds (bounded by timeout) with random elements;
#   3. read write_bytes of /proc/<pid>/io before and after 2 (the whole process: RocksDB's
#      threads are the server's threads, and a reaped child such as Redis's AOF rewrite is
#      added to its parent), once at the end of the run and once more when background work is
#      over again; divide by the writes done (INFO commandstats calls delta);
#   4. SHUTDOWN, start again on the same directory, time from the launch until HLEN / SCARD
#      returns the full count again (polled every 20 ms, at most 600 s).
# Workloads:
#   hash  bighash of N fields field:<12 digits>; HSET bighash field:__rand_int__
#         value:__rand_int__ with -r N: every write overwrites one existing field's value.
#   set   bigset of N members member:<12 digits>, the even numbers below 2N; SADD and SREM of
#         member:__rand_int__ with -r 2N, half the clients each: the set stays near N members
#         and about half the writes change it (a SADD-only load on a full set would change
#         nothing, and Redis logs nothing for a write that changes nothing).
#   zset  bigzset of N members member:<12 digits> (score = the number); ZINCRBY bigzset 1
#         member:__rand_int__ with -r N: every write changes one member's score (a
#         leaderboard).
#   list  biglist of N elements value:<12 digits>; LPUSH biglist value:__rand_int__ and RPOP
#         biglist, half the clients each (a queue): the list stays near N elements.
#
#   tests/bench/collections-vs-redis.sh
#   WORKLOADS="zset list" tests/bench/collections-vs-redis.sh
#   SCALE=20 DURATION=5 tests/bench/collections-vs-redis.sh      # a quick smoke run
#   WORKLOADS=hash PIPELINE=16 tests/bench/collections-vs-redis.sh
#   WORK=/mnt/nvme/tmp OUT=docs/bench-collections.md tests/bench/collections-vs-redis.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

TIDEKV=${TIDEKV:-build/tidekv-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
SCALE=${SCALE:-1}
WORKLOADS=${WORKLOADS:-"hash set zset list"}
DURATION=${DURATION:-30}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-1}
REPEATS=${REPEATS:-1}
SETTLE_TIMEOUT=${SETTLE_TIMEOUT:-300}  # most seconds to wait for background work to end
LOAD_TIMEOUT=${LOAD_TIMEOUT:-900}
WORK=${WORK:-/tmp}
OUT=${OUT:-}

BENCH=collections-vs-redis
. tests/bench/lib.sh
[ -x "$TIDEKV" ] || die "$TIDEKV not built (make build)"
if [ -z "$REDIS" ] || [ ! -x "$REDIS" ]; then die "redis-server not found (make deps)"; fi
for tool in redis-cli redis-benchmark python3 timeout; do
  command -v "$tool" >/dev/null || die "$tool missing"
done
for v in SCALE DURATION CLIENTS PIPELINE REPEATS; do
  case ${!v} in '' | *[!0-9]* | 0) die "$v must be a positive integer" ;; esac
done
for w in $WORKLOADS; do
  case $w in hash | set | zset | list) ;; *) die "unknown workload '$w'" ;; esac
done

bench_init

n=$((1000000 / SCALE))
[ "$n" -gt 0 ] || n=1
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# RESP for a preload on stdout, 100 elements per command: gen hash|set N.
gen() {
  python3 -c '
import sys

def cmd(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

kind, n = sys.argv[1], int(sys.argv[2])
w = sys.stdout.buffer.write
for lo in range(0, n, 100):
    ids = range(lo, min(n, lo + 100))
    if kind == "hash":
        args = [b"HSET", b"bighash"]
        for i in ids:
            args += [b"field:%012d" % i, b"value:%012d" % i]
    elif kind == "zset":
        args = [b"ZADD", b"bigzset"]
        for i in ids:
            args += [b"%d" % i, b"member:%012d" % i]
    elif kind == "list":
        args = [b"RPUSH", b"biglist"] + [b"value:%012d" % i for i in ids]
    else:
        args = [b"SADD", b"bigset"] + [b"member:%012d" % (2 * i) for i in ids]
    w(cmd(args))
' "$@"
}

# show_pipe FILE: the first replies redis-cli --pipe complained about, and its summary line.
show_pipe() { { head -n 5 "$1"; echo "..."; tail -n 1 "$1"; } >&2; }
redis_args=(--save '' --appendonly yes --appendfsync everysec)
tidekv_args=(--logstore.mode wal --logstore.fsync everysec)

write_bytes() { awk '/^write_bytes:/ {print $2}' "/proc/$1/io"; }
info_field() {  # PORT SECTION FIELD
  redis-cli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3:\(.*\)$/\1/p"
}
calls() {  # PORT COMMAND...: summed INFO commandstats calls of the (lowercase) commands
  local port=$1; shift
  redis-cli -p "$port" info commandstats | tr -d '\r' | awk -F'[:=,]' -v list="$*" '
    BEGIN { split(list, c, " "); for (i in c) want["cmdstat_" c[i]] = 1 }
    ($1 in want) { for (i = 2; i < NF; i++) if ($i == "calls") s += $(i + 1) }
    END { print s + 0 }'
}

# settle KIND PORT: waits (at most SETTLE_TIMEOUT s) until the server has no background
# persistence work: tidekv no dirty keys, seal or merge; redis no AOF rewrite running or due.
settle() {
  local kind=$1 port=$2 info
  for _ in $(seq $((SETTLE_TIMEOUT * 10))); do
    info=$(redis-cli -p "$port" info persistence | tr -d '\r')
    if [ "$kind" = tidekv ]; then
      grep -q '^dirty_keys:0$' <<<"$info" && grep -q '^seal_in_progress:0$' <<<"$info" &&
        grep -q '^merges_in_progress:0$' <<<"$info" && return
    else
      grep -q '^aof_rewrite_in_progress:0$' <<<"$info" &&
        grep -q '^aof_rewrite_scheduled:0$' <<<"$info" && return
    fi
    sleep 0.1
  done
  echo "$BENCH: $kind on port $port still busy after $SETTLE_TIMEOUT s; measuring anyway" >&2
}

size_of() {  # PORT WORKLOAD: HLEN bighash / SCARD bigset / ZCARD bigzset / LLEN biglist
  case $2 in
    hash) redis-cli -p "$1" hlen bighash 2>&1 ;;
    set) redis-cli -p "$1" scard bigset 2>&1 ;;
    zset) redis-cli -p "$1" zcard bigzset 2>&1 ;;
    list) redis-cli -p "$1" llen biglist 2>&1 ;;
  esac
}
dir_bytes() { { du -sb "$1" 2>/dev/null || true; } | cut -f1 | head -1; }

# run_one KIND WORKLOAD: one fresh server of KIND (tidekv|redis) through the four steps.
# Appends "ops ops_per_s bytes_per_op_run bytes_per_op_settled restart_s dir_bytes count" to
# $work/KIND-WORKLOAD.res.
run_one() {
  local kind=$1 wl=$2 name="$1-$2" port pid got w0 w1 w2 c0 c1 full start elapsed bench_pids=()
  local cmds="hset" r=$n
  case $wl in
    set) cmds="sadd srem"; r=$((2 * n)) ;;
    zset) cmds="zincrby" ;;
    list) cmds="lpush rpop" ;;
  esac
  rm -rf "${work:?}/$name"
  if [ "$kind" = tidekv ]; then
    start_tidekv "$name" "${tidekv_args[@]}"; port=$tidekv_port; pid=$tidekv_pid
  else
    start_redis "$name" "$(shuf -i 20000-29999 -n 20)" "${redis_args[@]}"
    port=$redis_port; pid=$redis_pid
  fi

  # 1. preload
  if ! timeout "$LOAD_TIMEOUT" redis-cli -p "$port" --pipe <"$work/$wl.resp" \
       >"$work/$name.pipe" 2>&1; then
    show_pipe "$work/$name.pipe"
    die "$kind: preloading the $wl failed (or took over $LOAD_TIMEOUT s)"
  fi
  grep -q "errors: 0, replies: $(((n + 99) / 100))\$" "$work/$name.pipe" ||
    { show_pipe "$work/$name.pipe"; die "$kind: $wl preload: errors, or replies missing"; }
  got=$(size_of "$port" "$wl")
  [ "$got" = "$n" ] || die "$kind: the $wl holds '$got' elements after the preload, expected $n"
  settle "$kind" "$port"

  # 2 and 3. the timed write load
  w0=$(write_bytes "$pid"); c0=$(calls "$port" "$cmds")
  if [ "$wl" = hash ] || [ "$wl" = zset ]; then
    local -a load=(HSET bighash field:__rand_int__ value:__rand_int__)
    [ "$wl" = zset ] && load=(ZINCRBY bigzset 1 member:__rand_int__)
    timeout -k 5 "$DURATION" redis-benchmark -p "$port" -c "$CLIENTS" -n 1000000000 -r "$r" \
      -P "$PIPELINE" "${load[@]}" >"$work/$name.bench" 2>&1 &
    bench_pids+=($!)
  elif [ "$wl" = list ]; then
    timeout -k 5 "$DURATION" redis-benchmark -p "$port" -c $(((CLIENTS + 1) / 2)) -n 1000000000 \
      -r "$r" -P "$PIPELINE" LPUSH biglist value:__rand_int__ >"$work/$name.LPUSH.bench" 2>&1 &
    bench_pids+=($!)
    timeout -k 5 "$DURATION" redis-benchmark -p "$port" -c $(((CLIENTS + 1) / 2)) -n 1000000000 \
      -P "$PIPELINE" RPOP biglist >"$work/$name.RPOP.bench" 2>&1 &
    bench_pids+=($!)
  else
    for c in SADD SREM; do
      timeout -k 5 "$DURATION" redis-benchmark -p "$port" -c $(((CLIENTS + 1) / 2)) -n 1000000000 \
        -r "$r" -P "$PIPELINE" "$c" bigset member:__rand_int__ >"$work/$name.$c.bench" 2>&1 &
      bench_pids+=($!)
    done
  fi
  for b in "${bench_pids[@]}"; do wait "$b" || true; done
  w1=$(write_bytes "$pid"); c1=$(calls "$port" "$cmds")
  kill -0 "$pid" 2>/dev/null || die "$kind exited during the $wl write load"
  settle "$kind" "$port"
  w2=$(write_bytes "$pid")
  if [ $((c1 - c0)) -le 0 ]; then
    tail -n 5 "$work/$name".*bench >&2
    die "$kind: no writes counted during the $wl load"
  fi
  full=$(size_of "$port" "$wl")
  case $full in '' | *[!0-9]*) die "$kind: size of the $wl after the load: '$full'" ;; esac
  case $wl in
    hash | zset) [ "$full" = "$n" ] || die "$kind: the $wl holds $full after the load, expected $n" ;;
  esac

  # 4. clean stop, restart on the same directory
  redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
  wait_exit "$pid"
  local bytes; bytes=$(dir_bytes "$work/$name")
  start=$(now_ms)
  if [ "$kind" = tidekv ]; then
    start_tidekv "$name" "${tidekv_args[@]}"; port=$tidekv_port; pid=$tidekv_pid
  else
    start_redis "$name" "$port" "${redis_args[@]}"; pid=$redis_pid
  fi
  elapsed=""
  while [ $(($(now_ms) - start)) -lt 600000 ]; do
    [ "$(size_of "$port" "$wl")" = "$full" ] && { elapsed=$(($(now_ms) - start)); break; }
    sleep 0.02
  done
  [ -n "$elapsed" ] ||
    die "$kind: the $wl does not hold its $full elements 600 s after the restart ($(size_of "$port" "$wl"))"
  redis-cli -p "$port" shutdown >/dev/null 2>&1 || true
  wait_exit "$pid"
  if [ "$kind" = tidekv ] && [ -s "$work/$name.err" ]; then
    echo "$BENCH: $name logged:" >&2
    head -n 20 "$work/$name.err" >&2
  fi
  rm -rf "${work:?}/$name" "$work/$name.err"

  awk -v ops=$((c1 - c0)) -v run=$((w1 - w0)) -v all=$((w2 - w0)) -v d="$DURATION" \
    -v ms="$elapsed" -v b="$bytes" -v full="$full" \
    'BEGIN { printf "%d %.0f %.1f %.1f %.3f %d %d\n", ops, ops / d, run / ops, all / ops,
             ms / 1000, b, full }' >>"$work/$name.res"
}

col() { awk -v c="$2" '{print $c}' "$work/$1.res" | median; }
rows=()
row() { rows+=("$1"); echo "$1"; }
ratio() { awk -v t="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.2f", t / r; else print "n/a" }'; }
# pair WORKLOAD LABEL COLUMN FORMAT: one table row of the medians of COLUMN for both servers.
pair() {
  local t r
  t=$(col "tidekv-$1" "$3"); r=$(col "redis-$1" "$3")
  row "$(printf "| %s | $4 | $4 | %s |" "$2" "$t" "$r" "$(ratio "$t" "$r")")"
}

echo "tidekv $("$TIDEKV" --version) (logstore.mode wal, fsync everysec) vs" \
  "$("$REDIS" --version | cut -d' ' -f1-3) (AOF, appendfsync everysec, no RDB), data in $WORK"
echo "N=$n elements; write load: redis-benchmark -c $CLIENTS -P $PIPELINE for $DURATION s;" \
  "$REPEATS run(s) per server, medians"
header="| measurement | tidekv | redis | tidekv/redis |"
rule="|---|---|---|---|"
echo; echo "$header"; echo "$rule"
for wl in $WORKLOADS; do
  gen "$wl" "$n" >"$work/$wl.resp"
  for kind in tidekv redis; do : >"$work/$kind-$wl.res"; done
  for _ in $(seq "$REPEATS"); do
    run_one tidekv "$wl"
    run_one redis "$wl"
  done
  rm -f "$work/$wl.resp"
  case $wl in
    hash) what="HSET on a $n-field hash"; count="HLEN = $n" ;;
    set) what="SADD/SREM on a ~$n-member set"; count="SCARD = full" ;;
    zset) what="ZINCRBY on a $n-member sorted set"; count="ZCARD = $n" ;;
    list) what="LPUSH/RPOP on a ~$n-element list"; count="LLEN = full" ;;
  esac
  pair "$wl" "$what: writes in $DURATION s" 1 %.0f
  pair "$wl" "$what: writes/s" 2 %.0f
  pair "$wl" "$what: disk bytes written per write, during the load" 3 %.1f
  pair "$wl" "$what: disk bytes per write, with background work to its end" 4 %.1f
  pair "$wl" "$what: data directory bytes at the restart" 6 %.0f
  case $wl in set | list) pair "$wl" "$what: elements at the restart" 7 %.0f ;; esac
  pair "$wl" "$what: restart, s from launch until $count" 5 %.3f
done
echo
echo "Disk bytes: write_bytes of /proc/<pid>/io. Lower is better except writes and writes/s."

if [ -n "$OUT" ]; then
  {
    echo "$header"; echo "$rule"
    printf '%s\n' "${rows[@]}"
  } >"$OUT"
fi
