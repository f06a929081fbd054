#!/usr/bin/env bash
# What the op trace costs (docs/trace.md): tidekv with tracing off vs. on, same machine, same
# run, same client.
#
# Starts build/tidekv-server twice, identically (logstore.mode = spill, as vs-redis.sh, so
# that per-write logging does not dilute the difference) except that the second one records
# every command to a trace file in a temp dir. Runs redis-benchmark SET and GET (pipelined)
# against them alternately, REPEAT times per test, and prints per test the median requests/s
# of each, the traced/untraced ratio (target: >= 0.85) and each server's CPU seconds per
# million requests (utime+stime of all its threads, so the trace writer thread counts).
# Ends with the traced server's INFO trace: records written, dropped (queue full), bytes,
# rotations. The trace is capped at 2 x TRACE_MAX_BYTES on disk (rotate).
#
#   tests/bench/trace-cost.sh                  # defaults below
#   N=200000 REPEAT=5 tests/bench/trace-cost.sh
#   TIDEKV=build-release/tidekv-server PIPELINE=1 tests/bench/trace-cost.sh
#   LOGSTORE=log tests/bench/trace-cost.sh     # with per-write logging on both
set -euo pipefail
cd "$(dirname "$0")/../.."

TIDEKV=${TIDEKV:-build/tidekv-server}
N=${N:-1000000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
SIZE=${SIZE:-64}
PIPELINE=${PIPELINE:-16}
REPEAT=${REPEAT:-3}
TESTS=${TESTS:-"set get"}
LOGSTORE=${LOGSTORE:-spill}
TRACE_MAX_BYTES=${TRACE_MAX_BYTES:-256mb}
TARGET=${TARGET:-0.85}

[ -x "$TIDEKV" ] || { echo "trace-cost: $TIDEKV not built (make build)"; exit 2; }
command -v redis-benchmark >/dev/null || { echo "trace-cost: redis-benchmark missing"; exit 2; }
command -v redis-cli >/dev/null || { echo "trace-cost: redis-cli missing"; exit 2; }

BENCH=trace-cost
. tests/bench/lib.sh
bench_init

# start NAME ARGS... -> sets port_NAME and pid_NAME.
start() {
  local name=$1
  shift
  start_tidekv "$name" --logstore.mode "$LOGSTORE" "$@"
  printf -v "port_$name" '%s' "$tidekv_port"
  printf -v "pid_$name" '%s' "$tidekv_pid"
}

start plain
start traced --trace-file "$work/ops.trace" --trace.max_bytes "$TRACE_MAX_BYTES" --trace.on_full rotate
[ "$(redis-cli -p "$port_traced" info trace | tr -d '\r' | sed -n 's/^trace_enabled://p')" = 1 ] ||
  { echo "trace-cost: tracing is not on in the traced server"; exit 1; }


# run_one PORT PID TEST -> "rps cpu_seconds_per_million"
run_one() {
  local port=$1 pid=$2 test=$3
  local before after rps
  before=$(cpu_ticks "$pid")
  rps=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -r "$KEYSPACE" -d "$SIZE" \
          -P "$PIPELINE" -t "$test" --csv 2>/dev/null | awk -F'","' 'NR==2 {print $2}')
  after=$(cpu_ticks "$pid")
  awk -v r="$rps" -v t=$((after - before)) -v hz="$hz" -v n="$N" \
    'BEGIN { printf "%s %.4f\n", r, (t / hz) / (n / 1e6) }'
}


# Fill both with the keyspace the tests use, so GETs find values (-d bytes each).
for port in "$port_plain" "$port_traced"; do
  redis-benchmark -p "$port" -c 10 -n $((KEYSPACE * 4)) -r "$KEYSPACE" -d "$SIZE" -P 32 -t set \
    -q >/dev/null 2>&1
done

echo "tidekv $("$TIDEKV" --version), tracing off vs on (logstore.mode = $LOGSTORE)"
echo "redis-benchmark -c $CLIENTS -n $N -r $KEYSPACE -d $SIZE -P $PIPELINE, $REPEAT runs each, alternating, medians"
echo "| test | untraced req/s | traced req/s | ratio | untraced CPU s/M req | traced CPU s/M req |"
echo "|---|---|---|---|---|---|"
below=0
for test in $TESTS; do
  : >"$work/p.rps"; : >"$work/t.rps"; : >"$work/p.cpu"; : >"$work/t.cpu"
  for _ in $(seq "$REPEAT"); do
    read -r rps cpu < <(run_one "$port_plain" "$pid_plain" "$test")
    echo "$rps" >>"$work/p.rps"; echo "$cpu" >>"$work/p.cpu"
    read -r rps cpu < <(run_one "$port_traced" "$pid_traced" "$test")
    echo "$rps" >>"$work/t.rps"; echo "$cpu" >>"$work/t.cpu"
  done
  p_rps=$(median <"$work/p.rps"); t_rps=$(median <"$work/t.rps")
  p_cpu=$(median <"$work/p.cpu"); t_cpu=$(median <"$work/t.cpu")
  row=$(awk -v p="$p_rps" -v t="$t_rps" -v pc="$p_cpu" -v tc="$t_cpu" -v n="$test" \
    'BEGIN { printf "| %s | %.0f | %.0f | %.2f | %.3f | %.3f |", toupper(n), p, t, \
             (p > 0 ? t / p : 0), pc, tc }')
  echo "$row"
  if awk -v p="$p_rps" -v t="$t_rps" -v target="$TARGET" 'BEGIN { exit !(p > 0 && t / p < target) }'; then
    below=1
  fi
done

info=$(redis-cli -p "$port_traced" info trace | tr -d '\r')
field() { sed -n "s/^$1://p" <<<"$info"; }
echo "traced server: trace_records=$(field trace_records) trace_dropped=$(field trace_dropped)" \
  "trace_bytes=$(field trace_bytes) trace_rotations=$(field trace_rotations)" \
  "trace_error=$(field trace_error)"
if [ "$below" = 1 ]; then
  echo "trace-cost: a traced/untraced ratio is below $TARGET (on a busy machine, rerun before concluding)"
fi
