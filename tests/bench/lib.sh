# Shared by the benchmark scripts in tests/bench (sourced, not run). The caller sets BENCH
# (its name, for messages), TIDEKV (the server binary) and optionally WORK (where the
# scratch directory goes; /tmp by default).

die() { echo "$BENCH: $*" >&2; exit 2; }

# bench_init: a fresh scratch directory in $work; every pid the script adds to $pids is
# stopped (continued first if SIGSTOPped, SIGKILL after 10 s) and $work removed at exit.
bench_init() {
  work=$(mktemp -d "${WORK:-/tmp}/tidekv-$BENCH.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}
bench_cleanup() {
  local p
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}

# start_tidekv NAME ARGS...: a tidekv on $work/NAME with a kernel-chosen port; sets tidekv_pid
# and tidekv_port once its ready line is out (printed after recovery, so this waits for it).
start_tidekv() {
  local name=$1; shift
  local out="$work/$name.out"
  : >"$out"
  "$TIDEKV" --port 0 --bind 127.0.0.1 --dir "$work/$name" --loglevel warn "$@" \
    >"$out" 2>>"$work/$name.err" &
  tidekv_pid=$!
  pids+=("$tidekv_pid")
  for _ in $(seq 60000); do
    grep -q 'ready: port=' "$out" 2>/dev/null && break
    kill -0 "$tidekv_pid" 2>/dev/null || break
    sleep 0.01
  done
  tidekv_port=$(sed -n 's/.*ready: port=\([0-9]*\).*/\1/p' "$out")
  [ -n "$tidekv_port" ] || { cat "$work/$name.err" >&2; die "tidekv ($name) did not start"; }
}

drop_pid() {  # forget PID in $pids (it has exited; a reused pid must not be killed at exit)
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}
wait_exit() {  # PID: waits for an exit asked for elsewhere; SIGKILL after 120 s
  for _ in $(seq 1200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then
    echo "$BENCH: pid $1 did not exit in 120 s; killing it" >&2
    kill -9 "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
  drop_pid "$1"
}

# start_redis NAME PORTS ARGS...: redis-server on $work/NAME, trying each port of PORTS (Redis
# cannot take a kernel-chosen one); sets redis_pid and redis_port once PING answers PONG, which
# with AOF is after the load (up to 600 s).
start_redis() {
  local name=$1 ports=$2 port p; shift 2
  mkdir -p "$work/$name"
  redis_port=""
  for port in $ports; do
    "$REDIS" --port "$port" --bind 127.0.0.1 --dir "$work/$name" --logfile "$work/$name.log" \
      --daemonize no "$@" >/dev/null 2>&1 &
    p=$!
    pids+=("$p")
    for _ in $(seq 30000); do
      [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
      kill -0 "$p" 2>/dev/null || break
      sleep 0.02
    done
    if kill -0 "$p" 2>/dev/null && [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
      redis_pid=$p; redis_port=$port; return
    fi
    kill "$p" 2>/dev/null || true
    wait_exit "$p"
  done
  die "redis-server ($name) did not start"
}
# Server CPU: utime + stime ticks of a process, and ticks per second.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# The median of the numbers on stdin, one per line ("nan" for none).
median() {
  sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
