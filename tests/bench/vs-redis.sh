#!/usr/bin/env bash
# tidekv vs redis-server, same machine, same run, same client.
#
# Starts build/tidekv-server (logstore.mode = spill: no per-write logging) and a Debian
# redis-server (no persistence: no RDB, no AOF) on loopback and runs
# redis-benchmark against them alternately, REPEATS times per test. Prints per test the
# median requests/s of each server, the tidekv/redis ratio, and each server's CPU seconds
# per million requests (utime+stime from /proc/<pid>/stat around the run, so a saturated
# client cannot hide a difference in server cost).
#
#   tests/bench/vs-redis.sh                 # defaults below
#   REQUESTS=200000 REPEATS=3 tests/bench/vs-redis.sh
#   TESTS="set:1 get:16" tests/bench/vs-redis.sh
#   TESTS=collections tests/bench/vs-redis.sh   # ZADD ZINCRBY ZRANGE-top-10 LPUSH RPOP LRANGE_100
#   TESTS=scripting tests/bench/vs-redis.sh     # EVALSHA of a 3-command script, PUBLISH to 10
#                                               # subscribers, MULTI/EXEC of 3 INCRs
#                                               # (build/tests/tidekv-multi-bench: one request
#                                               # is one whole transaction)
#   OUT=docs/bench-latest.md tests/bench/vs-redis.sh   # also writes the Markdown table
set -euo pipefail
cd "$(dirname "$0")/../.."

TIDEKV=${TIDEKV:-build/tidekv-server}
REDIS=${REDIS:-$(command -v redis-server)}
REQUESTS=${REQUESTS:-1000000}
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-100000}
SIZE=${SIZE:-64}
REPEATS=${REPEATS:-3}
TESTS=${TESTS:-"set:1 get:1 set:16 get:16 incr:1 incr:16 mset:1"}
# Sorted sets and lists (issue 14): TESTS="$COLLECTION_TESTS" tests/bench/vs-redis.sh
COLLECTION_TESTS="zadd:1 zadd:16 zincrby:1 zincrby:16 zrange10:1 zrange10:16 lpush:1 lpush:16 rpop:1 rpop:16 lrange_100:1 lrange_100:16"
# Scripts and pub/sub (issue 15).
SCRIPTING_TESTS="evalsha3:1 evalsha3:16 publish10:1 publish10:16 multi3:1 multi3:16"
MULTI_BENCH=${MULTI_BENCH:-build/tests/tidekv-multi-bench}
OUT=${OUT:-}

[ "$TESTS" = collections ] && TESTS=$COLLECTION_TESTS
[ "$TESTS" = scripting ] && TESTS=$SCRIPTING_TESTS
[ -x "$TIDEKV" ] || { echo "vs-redis: $TIDEKV not built (make build)"; exit 2; }
[ -x "$REDIS" ] || { echo "vs-redis: redis-server not found (make deps)"; exit 2; }
command -v redis-benchmark >/dev/null || { echo "vs-redis: redis-benchmark missing"; exit 2; }
if [[ " $TESTS " == *" multi3:"* ]] && [ ! -x "$MULTI_BENCH" ]; then
  echo "vs-redis: $MULTI_BENCH not built (make build)"; exit 2
fi

BENCH=vs-redis
. tests/bench/lib.sh
bench_init

# TIDEKV_ARGS: extra server flags, e.g. TIDEKV_ARGS="--server.busy_poll_us 0".
# shellcheck disable=SC2086
start_tidekv tidekv --logstore.mode spill ${TIDEKV_ARGS:-}

# redis-server: no RDB, no AOF (Redis cannot take a kernel-chosen port: a few are tried).
start_redis redis "$(shuf -i 20000-29999 -n 20)" --save '' --appendonly no


# run_one PORT PID TEST PIPELINE -> "rps cpu_seconds_per_million"
run_one() {
  local port=$1 pid=$2 test=$3 pipe=$4
  local before after rps
  before=$(cpu_ticks "$pid")
  # Built-in tests by name; the others as commands. The last CSV row is the test's own
  # (LRANGE_100 first runs the LPUSH that fills its list).
  local -a what=(-t "$test")
  case $test in
    zincrby) what=(ZINCRBY leaderboard 1 "member:__rand_int__") ;;
    zrange10) what=(ZREVRANGE leaderboard 0 9 WITHSCORES) ;;
    # The same 3-command script, loaded on both servers below (SCRIPT LOAD gives one SHA-1).
    evalsha3) what=(EVALSHA "$script_sha" 2 "counter:__rand_int__" "copy:__rand_int__" v) ;;
    publish10) what=(PUBLISH news "message:__rand_int__") ;;
  esac
  if [ "$test" = multi3 ]; then
    rps=$("$MULTI_BENCH" -p "$port" -c "$CLIENTS" -n "$REQUESTS" -r "$KEYSPACE" -P "$pipe")
  else
    rps=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$REQUESTS" -r "$KEYSPACE" -d "$SIZE" \
            -P "$pipe" --csv "${what[@]}" 2>/dev/null | awk -F'","' 'NR>1 {r=$2} END {print r}')
  fi
  after=$(cpu_ticks "$pid")
  awk -v r="$rps" -v t=$((after - before)) -v hz="$hz" -v n="$REQUESTS" \
    'BEGIN { printf "%s %.4f\n", r, (t / hz) / (n / 1e6) }'
}


# Fill both servers with the keyspace the tests use, so GETs find values (-d bytes each).
for port in "$tidekv_port" "$redis_port"; do
  redis-benchmark -p "$port" -c 10 -n $((KEYSPACE * 4)) -r "$KEYSPACE" -d "$SIZE" -P 32 -t set \
    -q >/dev/null 2>&1
done

# EVALSHA's script, and 10 subscribers of "news" on each server for PUBLISH.
script='redis.call("INCR", KEYS[1]); local v = redis.call("GET", KEYS[1]); return redis.call("SET", KEYS[2], v)'
script_sha=""
for port in "$tidekv_port" "$redis_port"; do
  script_sha=$(redis-cli -p "$port" SCRIPT LOAD "$script")
  if [[ " $TESTS " == *" publish10:"* ]]; then
    for _ in $(seq 10); do
      redis-cli -p "$port" SUBSCRIBE news >/dev/null 2>&1 &
      pids+=("$!")
    done
  fi
done

echo "tidekv $( "$TIDEKV" --version ) vs $("$REDIS" --version | cut -d' ' -f1-3)"
echo "redis-benchmark -c $CLIENTS -n $REQUESTS -r $KEYSPACE -d $SIZE, $REPEATS runs each, medians"
header="| test | pipeline | tidekv req/s | redis req/s | ratio | tidekv CPU s/M req | redis CPU s/M req | CPU ratio |"
rule="|---|---|---|---|---|---|---|---|"
echo "$header"; echo "$rule"
rows=()
for spec in $TESTS; do
  test=${spec%%:*}; pipe=${spec##*:}
  : >"$work/t.rps"; : >"$work/r.rps"; : >"$work/t.cpu"; : >"$work/r.cpu"
  for _ in $(seq "$REPEATS"); do
    read -r rps cpu < <(run_one "$tidekv_port" "$tidekv_pid" "$test" "$pipe")
    echo "$rps" >>"$work/t.rps"; echo "$cpu" >>"$work/t.cpu"
    read -r rps cpu < <(run_one "$redis_port" "$redis_pid" "$test" "$pipe")
    echo "$rps" >>"$work/r.rps"; echo "$cpu" >>"$work/r.cpu"
  done
  t_rps=$(median <"$work/t.rps"); r_rps=$(median <"$work/r.rps")
  t_cpu=$(median <"$work/t.cpu"); r_cpu=$(median <"$work/r.cpu")
  row=$(awk -v t="$t_rps" -v r="$r_rps" -v tc="$t_cpu" -v rc="$r_cpu" -v n="$test" -v p="$pipe" \
    'BEGIN { printf "| %s | %s | %.0f | %.0f | %.2f | %.3f | %.3f | %.2f |", toupper(n), p, t, r, \
             (r > 0 ? t / r : 0), tc, rc, (rc > 0 ? tc / rc : 0) }')
  echo "$row"
  rows+=("$row")
done

if [ -n "$OUT" ]; then
  {
    echo "$header"; echo "$rule"
    printf '%s\n' "${rows[@]}"
  } >"$OUT"
fi
