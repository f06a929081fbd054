#!/usr/bin/env bash
# tidekv's persistence vs Redis's, same machine, same run, same client (not run by make test).
#
# Four measurements against a Debian redis-server, each printed as a ratio tidekv/redis:
#   1. SET throughput, pipelined, tidekv logstore.fsync=everysec vs redis AOF everysec;
#   2. the same with fsync=always vs appendfsync always (fewer requests: it is slower);
#   3. restart time: load KEYS keys of 64 bytes (redis: DEBUG POPULATE; tidekv: the same keys
#      and values through redis-cli --pipe), stop (tidekv: SHUTDOWN; redis: SAVE, then
#      SHUTDOWN NOSAVE, so it restarts from that RDB), start again and time until PING
#      answers and DBSIZE equals KEYS;
#   4. steady state: bytes of the data directory per byte of live keys and values after a
#      sustained overwrite load (at the end of it, and the largest seen while it ran).
# Throughput runs alternate between the servers REPEATS times and report medians (with each
# server's CPU seconds per million requests, from /proc/<pid>/stat around each run).
#
#   tests/bench/persistence-vs-redis.sh
#   KEYS=1000000 REQUESTS=300000 REQUESTS_ALWAYS=100000 tests/bench/persistence-vs-redis.sh
#   WORK=/mnt/nvme/tmp tests/bench/persistence-vs-redis.sh   # fsync cost is the disk's
#   OUT=docs/bench-persistence.md tests/bench/persistence-vs-redis.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

TIDEKV=${TIDEKV:-build/tidekv-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
REQUESTS=${REQUESTS:-1000000}
REQUESTS_ALWAYS=${REQUESTS_ALWAYS:-300000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
SIZE=${SIZE:-64}
PIPELINE=${PIPELINE:-16}
REPEATS=${REPEATS:-3}
KEYS=${KEYS:-5000000}
STEADY_REQUESTS=${STEADY_REQUESTS:-5000000}
WORK=${WORK:-/tmp}
OUT=${OUT:-}

BENCH=persistence-vs-redis
. tests/bench/lib.sh
[ -x "$TIDEKV" ] || die "$TIDEKV not built (make build)"
[ -n "$REDIS" ] && [ -x "$REDIS" ] || die "redis-server not found (make deps)"
for tool in redis-benchmark redis-cli perl; do
  command -v "$tool" >/dev/null || die "$tool missing"
done

bench_init

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Bytes under a directory; files a server deletes during the walk are skipped.
dir_bytes() { { du -sb "$1" 2>/dev/null || true; } | cut -f1 | head -1; }

# Waits for a process to exit (SHUTDOWN sent elsewhere); SIGKILL after 60 s.
wait_exit() {
  local pid=$1
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return; }; sleep 0.1; done
  echo "persistence-vs-redis: pid $pid did not exit; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
}


# start_redis NAME PORT ARGS...: starts on <work>/NAME (PORT 0: try free-looking ports);
# sets redis_pid and redis_port once it answers PING.
start_redis() {
  local name=$1 want=$2; shift 2
  mkdir -p "$work/$name"
  local ports=$want
  [ "$want" = 0 ] && ports=$(shuf -i 20000-29999 -n 20)
  redis_port=""
  for port in $ports; do
    "$REDIS" --port "$port" --bind 127.0.0.1 --dir "$work/$name" --logfile "$work/$name.log" \
      --daemonize no --enable-debug-command local "$@" >/dev/null 2>&1 &
    local p=$!
    for _ in $(seq 6000); do
      [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
      kill -0 "$p" 2>/dev/null || break
      sleep 0.01
    done
    if kill -0 "$p" 2>/dev/null && [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
      redis_port=$port; redis_pid=$p; pids+=("$p"); return
    fi
    kill "$p" 2>/dev/null || true
  done
  die "redis-server ($name) did not start"
}

stop_server() {  # PORT PID: SHUTDOWN (Redis: without saving again) and wait for the exit
  redis-cli -p "$1" shutdown nosave >/dev/null 2>&1 || true
  wait_exit "$2"
}


# run_set PORT PID REQUESTS -> "req/s cpu_seconds_per_million"
run_set() {
  local port=$1 pid=$2 n=$3 before after rps
  before=$(cpu_ticks "$pid")
  rps=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" -r "$KEYSPACE" -d "$SIZE" \
          -P "$PIPELINE" -t set --csv 2>/dev/null | awk -F'","' 'NR==2 {print $2}')
  after=$(cpu_ticks "$pid")
  awk -v r="$rps" -v t=$((after - before)) -v hz="$hz" -v n="$n" \
    'BEGIN { printf "%s %.4f\n", r, (t / hz) / (n / 1e6) }'
}

rows=()
row() { rows+=("$1"); echo "$1"; }
ratio() { awk -v t="$1" -v r="$2" 'BEGIN { printf "%.2f", (r > 0 ? t / r : 0) }'; }

echo "tidekv $("$TIDEKV" --version) vs $("$REDIS" --version | cut -d' ' -f1-3), data in $WORK"
echo "SET: redis-benchmark -c $CLIENTS -r $KEYSPACE -d $SIZE -P $PIPELINE, $REPEATS runs each," \
  "medians; restart: $KEYS keys of $SIZE bytes; steady state: $STEADY_REQUESTS SETs"
header="| measurement | tidekv | redis | tidekv/redis |"
rule="|---|---|---|---|"
echo; echo "$header"; echo "$rule"

# ---- 1 and 2: SET throughput with each fsync policy ------------------------------------
for policy in everysec always; do
  n=$REQUESTS
  [ "$policy" = always ] && n=$REQUESTS_ALWAYS
  start_tidekv "set-$policy" --logstore.fsync "$policy"
  start_redis "redis-set-$policy" 0 --save '' --appendonly yes --appendfsync "$policy"
  : >"$work/t.rps"; : >"$work/r.rps"; : >"$work/t.cpu"; : >"$work/r.cpu"
  for _ in $(seq "$REPEATS"); do
    read -r rps cpu < <(run_set "$tidekv_port" "$tidekv_pid" "$n")
    echo "$rps" >>"$work/t.rps"; echo "$cpu" >>"$work/t.cpu"
    read -r rps cpu < <(run_set "$redis_port" "$redis_pid" "$n")
    echo "$rps" >>"$work/r.rps"; echo "$cpu" >>"$work/r.cpu"
  done
  stop_server "$tidekv_port" "$tidekv_pid"
  stop_server "$redis_port" "$redis_pid"
  t=$(median <"$work/t.rps"); r=$(median <"$work/r.rps")
  tc=$(median <"$work/t.cpu"); rc=$(median <"$work/r.cpu")
  row "$(printf '| SET -P %s req/s, fsync %s (%s requests) | %.0f | %.0f | %s |' \
    "$PIPELINE" "$policy" "$n" "$t" "$r" "$(ratio "$t" "$r")")"
  row "$(printf '| server CPU s per M SETs, fsync %s | %.3f | %.3f | %s |' \
    "$policy" "$tc" "$rc" "$(ratio "$tc" "$rc")")"
done

# ---- 3: restart with KEYS keys ------------------------------------------------------------
# tidekv gets exactly what DEBUG POPULATE makes: key:<i> -> "value:<i>" zero-padded to SIZE.
populate_pipe() {
  perl -e '
    my ($n, $size) = @ARGV;
    for my $i (0 .. $n - 1) {
      my $k = "key:$i";
      my $v = substr("value:$i" . ("\0" x $size), 0, $size);
      print "*3\r\n\$3\r\nSET\r\n\$", length($k), "\r\n$k\r\n\$$size\r\n$v\r\n";
    }' "$KEYS" "$SIZE"
}

# restart_ms START_MS PORT: ms from START_MS until PING answers and DBSIZE == KEYS.
restart_ms() {
  local start=$1 port=$2
  for _ in $(seq 60000); do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] &&
       [ "$(redis-cli -p "$port" dbsize 2>/dev/null)" = "$KEYS" ]; then
      echo $(( $(now_ms) - start )); return
    fi
    sleep 0.01
  done
  die "no full dataset on port $port after 10 minutes"
}

start_tidekv restart
populate_pipe | redis-cli -p "$tidekv_port" --pipe >"$work/pipe.out" 2>&1 ||
  { cat "$work/pipe.out" >&2; die "redis-cli --pipe into tidekv failed"; }
[ "$(redis-cli -p "$tidekv_port" dbsize)" = "$KEYS" ] || die "tidekv did not take $KEYS keys"
# Let the seals and merges the load started finish: the restart then reads a settled image.
for _ in $(seq 600); do
  info=$(redis-cli -p "$tidekv_port" info persistence | tr -d '\r')
  grep -q '^dirty_keys:0$' <<<"$info" && grep -q '^merges_in_progress:0$' <<<"$info" &&
    grep -q '^seal_in_progress:0$' <<<"$info" && break
  sleep 0.1
done
redis-cli -p "$tidekv_port" shutdown >/dev/null 2>&1 || true
wait_exit "$tidekv_pid"
tidekv_disk=$(dir_bytes "$work/restart")
start=$(now_ms)
start_tidekv restart
t_restart=$(restart_ms "$start" "$tidekv_port")
stop_server "$tidekv_port" "$tidekv_pid"

start_redis redis-restart 0 --save '' --appendonly no
redis-cli -p "$redis_port" debug populate "$KEYS" key "$SIZE" >/dev/null
[ "$(redis-cli -p "$redis_port" dbsize)" = "$KEYS" ] || die "redis did not take $KEYS keys"
redis-cli -p "$redis_port" save >/dev/null
stop_server "$redis_port" "$redis_pid"
redis_disk=$(dir_bytes "$work/redis-restart")
port=$redis_port
start=$(now_ms)
"$REDIS" --port "$port" --bind 127.0.0.1 --dir "$work/redis-restart" \
  --logfile "$work/redis-restart.log" --daemonize no --save '' --appendonly no >/dev/null 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
r_restart=$(restart_ms "$start" "$port")
stop_server "$port" "$redis_pid"
row "$(printf '| restart with %s keys: ms until PING and DBSIZE = %s | %s | %s | %s |' \
  "$KEYS" "$KEYS" "$t_restart" "$r_restart" "$(ratio "$t_restart" "$r_restart")")"
row "$(printf '| data directory bytes at that restart | %s | %s | %s |' \
  "$tidekv_disk" "$redis_disk" "$(ratio "$tidekv_disk" "$redis_disk")")"

# ---- 4: steady state: disk bytes per live byte after sustained overwrites --------------------
# steady PORT PID DIR -> "final_ratio max_ratio" (bytes of DIR / bytes of live keys + values)
steady() {
  local port=$1 pid=$2 dir=$3 max=0 size keys keylen live final
  redis-benchmark -p "$port" -c "$CLIENTS" -n "$STEADY_REQUESTS" -r "$KEYSPACE" -d "$SIZE" \
    -P "$PIPELINE" -t set -q >/dev/null 2>&1 &
  local bench=$!
  while kill -0 "$bench" 2>/dev/null; do
    size=$(dir_bytes "$dir")
    [ "${size:-0}" -gt "$max" ] && max=$size
    sleep 0.5
  done
  wait "$bench" || true
  final=$(dir_bytes "$dir")
  [ "$final" -gt "$max" ] && max=$final
  keys=$(redis-cli -p "$port" dbsize)
  keylen=$(redis-cli -p "$port" randomkey | tr -d '\n' | wc -c)  # key:<12 digits>
  live=$(( keys * (keylen + SIZE) ))
  awk -v f="$final" -v m="$max" -v l="$live" 'BEGIN { printf "%.2f %.2f\n", f / l, m / l }'
}

start_tidekv steady
read -r t_final t_max < <(steady "$tidekv_port" "$tidekv_pid" "$work/steady")
stop_server "$tidekv_port" "$tidekv_pid"
start_redis redis-steady 0 --save '' --appendonly yes --appendfsync everysec
read -r r_final r_max < <(steady "$redis_port" "$redis_pid" "$work/redis-steady")
stop_server "$redis_port" "$redis_pid"
row "$(printf '| disk bytes per live byte after %s overwrites (end) | %s | %s | %s |' \
  "$STEADY_REQUESTS" "$t_final" "$r_final" "$(ratio "$t_final" "$r_final")")"
row "$(printf '| disk bytes per live byte, largest seen during the load | %s | %s | %s |' \
  "$t_max" "$r_max" "$(ratio "$t_max" "$r_max")")"

echo
echo "req/s: higher is better; CPU, restart time and disk bytes: lower is better."
echo "Restarts of hashes and sets (and strings) vs Redis's RDB load, on the memory benchmark's"
echo "data: tests/bench/memory-vs-redis.sh (its second table)."

if [ -n "$OUT" ]; then
  {
    echo "$header"; echo "$rule"
    printf '%s\n' "${rows[@]}"
  } >"$OUT"
fi
