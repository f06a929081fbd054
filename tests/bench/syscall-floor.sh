#!/usr/bin/env bash
# The kernel's floor under CPU per request at `-P 1`, next to redis-server and tidekv.
#
# Runs redis-benchmark ping_inline (-c CLIENTS -P 1) against build/tests/tidekv-noop-server
# (an epoll loop that answers +PONG and does nothing else), a redis-server without
# persistence and tidekv-server in spill mode (busy polling at its default and off),
# REPEATS times each, and prints each server's median CPU microseconds per request (user and
# system from /proc/<pid>/stat) and its ratio to Redis's. The no-op server's ratio is the
# lowest any server that reads and writes a socket per request can reach on this machine.
#
#   tests/bench/syscall-floor.sh
#   REQUESTS=200000 REPEATS=5 tests/bench/syscall-floor.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

TIDEKV=${TIDEKV:-build/tidekv-server}
NOOP=${NOOP:-build/tests/tidekv-noop-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}
REPEATS=${REPEATS:-5}

BENCH=syscall-floor
. tests/bench/lib.sh
[ -x "$TIDEKV" ] && [ -x "$NOOP" ] || die "$TIDEKV or $NOOP not built (make build)"
[ -x "$REDIS" ] || die "redis-server not found (make deps)"
bench_init

start_tidekv tidekv --logstore.mode spill
poll_pid=$tidekv_pid poll_port=$tidekv_port
start_tidekv tidekv-nopoll --logstore.mode spill --server.busy_poll_us 0
start_redis redis "$(shuf -i 20000-29999 -n 20)" --save '' --appendonly no
noop_port=""
for port in $(shuf -i 30000-39999 -n 20); do
  "$NOOP" "$port" 2>/dev/null &
  p=$!
  pids+=("$p")
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && { noop_port=$port; break; }
    kill -0 "$p" 2>/dev/null || break
    sleep 0.01
  done
  [ -n "$noop_port" ] && { noop_pid=$p; break; }
done
[ -n "$noop_port" ] || die "tidekv-noop-server did not start"

# measure NAME PID PORT: appends "rps cpu_us_per_request" to $work/NAME.cpu.
measure() {
  local before after rps
  before=$(cpu_ticks "$2")
  rps=$(redis-benchmark -p "$3" -c "$CLIENTS" -n "$REQUESTS" -P 1 --csv -t ping_inline \
          2>/dev/null | awk -F'","' 'NR>1 {r=$2} END {print r}')
  after=$(cpu_ticks "$2")
  awk -v r="$rps" -v t=$((after - before)) -v hz="$hz" -v n="$REQUESTS" \
    'BEGIN { printf "%s %.3f\n", r, (t / hz) * 1e6 / n }' >>"$work/$1.cpu"
}

names=(noop redis tidekv tidekv-nopoll)
for _ in $(seq "$REPEATS"); do
  measure noop "$noop_pid" "$noop_port"
  measure redis "$redis_pid" "$redis_port"
  measure tidekv "$poll_pid" "$poll_port"
  measure tidekv-nopoll "$tidekv_pid" "$tidekv_port"
done

echo "redis-benchmark ping_inline -c $CLIENTS -n $REQUESTS -P 1, $REPEATS runs each, medians"
echo "| server | req/s | CPU us/req | CPU ratio to redis |"
echo "|---|---|---|---|"
redis_cpu=$(awk '{print $2}' "$work/redis.cpu" | median)
for name in "${names[@]}"; do
  rps=$(awk '{print $1}' "$work/$name.cpu" | median)
  cpu=$(awk '{print $2}' "$work/$name.cpu" | median)
  awk -v n="$name" -v r="$rps" -v c="$cpu" -v rc="$redis_cpu" \
    'BEGIN { printf "| %s | %.0f | %.2f | %.2f |\n", n, r, c, (rc > 0 ? c / rc : 0) }'
done
