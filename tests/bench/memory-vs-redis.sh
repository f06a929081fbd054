#!/usr/bin/env bash
# Memory per key: tidekv vs redis-server, same data, same machine, same run (not run by make test).
#
# For each dataset a fresh pair of servers is started: build/tidekv-server (logstore.mode =
# spill: nothing logged per write) and a Debian redis-server (no RDB, no AOF). The same RESP
# stream goes into each through redis-cli --pipe (made once per dataset by a small python3
# generator and kept in a scratch file, so the load times are the servers'). The counts are
# checked on both (DBSIZE, and HLEN / SCARD of sampled keys); then the growth of each server's
# resident set (VmRSS in /proc/<pid>/status) and of its INFO memory used_memory from before to
# after the load is divided by the number of keys (of fields, for the one large hash).
#
# Datasets (counts at SCALE=1; SCALE divides them all):
#   strings   1M string keys, 64-byte values (SET)
#   hashes    100k hashes of 10 fields with short values (HSET key f1 v1 ... f10 v10)
#   sets      100k sets of 10 short members (SADD)
#   bighash   1 hash of 1M fields (HSET, 100 fields per command)
#   zsets     100k sorted sets of 10 short members (ZADD key 1 m1-i ... 10 m10-i)
#   lists     100k lists of 10 short elements (RPUSH)
#   bigzset   1 sorted set of 1M members (ZADD, 100 members per command)
#   biglist   1 list of 1M elements (RPUSH, 100 elements per command)
#
#   tests/bench/memory-vs-redis.sh
#   SCALE=100 REPEATS=1 tests/bench/memory-vs-redis.sh        # a quick smoke run
#   DATASETS="strings bighash" tests/bench/memory-vs-redis.sh
#   OUT=docs/bench-memory.md tests/bench/memory-vs-redis.sh   # also writes the Markdown table
#
# Restart of the same data (RESTART=1, the default; RESTART=0 skips it): after the memory
# readings each server saves (SAVE: tidekv seals a batch, Redis writes its RDB) and stops,
# then starts again on its directory and port; the time from launching the process until it
# answers PING and DBSIZE has every key is reported per dataset (medians over the repeats).
set -euo pipefail
cd "$(dirname "$0")/../.."

TIDEKV=${TIDEKV:-build/tidekv-server}
REDIS=${REDIS:-$(command -v redis-server || true)}
SCALE=${SCALE:-1}
DATASETS=${DATASETS:-"strings hashes sets bighash zsets lists bigzset biglist"}
REPEATS=${REPEATS:-3}
SETTLE=${SETTLE:-2}         # seconds between the end of a load and the memory readings
LOAD_TIMEOUT=${LOAD_TIMEOUT:-900}
OUT=${OUT:-}
RESTART=${RESTART:-1}

BENCH=memory-vs-redis
. tests/bench/lib.sh
[ -x "$TIDEKV" ] || die "$TIDEKV not built (make build)"
if [ -z "$REDIS" ] || [ ! -x "$REDIS" ]; then die "redis-server not found (make deps)"; fi
for tool in redis-cli python3 timeout; do
  command -v "$tool" >/dev/null || die "$tool missing"
done
case $SCALE in '' | *[!0-9]* | 0) die "SCALE must be a positive integer" ;; esac
for d in $DATASETS; do
  case $d in strings | hashes | sets | bighash | zsets | lists | bigzset | biglist) ;;
    *) die "unknown dataset '$d'" ;;
  esac
done

bench_init
mkfifo "$work/pause"
exec {pause_fd}<>"$work/pause"  # never written: reads on it time out (pauses without a process)

scaled() { local n=$(($1 / SCALE)); echo $((n > 0 ? n : 1)); }
n_strings=$(scaled 1000000)
n_hashes=$(scaled 100000)
n_sets=$(scaled 100000)
n_bigfields=$(scaled 1000000)
n_zsets=$(scaled 100000)
n_lists=$(scaled 100000)

# RESP for one dataset on stdout: gen DATASET COUNT.
gen() {
  python3 -c '
import sys

def cmd(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

kind, n = sys.argv[1], int(sys.argv[2])
w = sys.stdout.buffer.write
buf = []
def emit(c):
    buf.append(c)
    if len(buf) >= 4096:
        w(b"".join(buf)); buf.clear()

if kind == "strings":
    for i in range(n):
        v = (b"value:%d:" % i).ljust(64, b"x")
        emit(cmd(b"SET", b"key:%d" % i, v))
elif kind == "hashes":
    for i in range(n):
        args = [b"HSET", b"hash:%d" % i]
        for j in range(1, 11):
            args += [b"f%d" % j, b"v%d-%d" % (j, i)]
        emit(cmd(*args))
elif kind == "sets":
    for i in range(n):
        emit(cmd(b"SADD", b"set:%d" % i, *[b"m%d-%d" % (j, i) for j in range(1, 11)]))
elif kind == "zsets":
    for i in range(n):
        args = [b"ZADD", b"zset:%d" % i]
        for j in range(1, 11):
            args += [b"%d" % j, b"m%d-%d" % (j, i)]
        emit(cmd(*args))
elif kind == "lists":
    for i in range(n):
        emit(cmd(b"RPUSH", b"list:%d" % i, *[b"e%d-%d" % (j, i) for j in range(1, 11)]))
elif kind == "bigzset":
    for lo in range(0, n, 100):
        args = [b"ZADD", b"bigzset"]
        for i in range(lo, min(n, lo + 100)):
            args += [b"%d" % i, b"member:%d" % i]
        emit(cmd(*args))
elif kind == "biglist":
    for lo in range(0, n, 100):
        emit(cmd(b"RPUSH", b"biglist", *[b"element:%d" % i for i in range(lo, min(n, lo + 100))]))
elif kind == "bighash":
    for lo in range(0, n, 100):
        args = [b"HSET", b"bighash"]
        for i in range(lo, min(n, lo + 100)):
            args += [b"field:%d" % i, b"value:%d" % i]
        emit(cmd(*args))
w(b"".join(buf))
' "$@"
}

# Number of commands gen emits for DATASET.
commands_of() {
  case $1 in
    strings) echo "$n_strings" ;;
    hashes) echo "$n_hashes" ;;
    sets) echo "$n_sets" ;;
    bighash | bigzset | biglist) echo $(((n_bigfields + 99) / 100)) ;;
    zsets) echo "$n_zsets" ;;
    lists) echo "$n_lists" ;;
  esac
}
# What bytes are divided by: keys, or fields for the one big hash.
units_of() {
  case $1 in
    strings) echo "$n_strings" ;;
    hashes) echo "$n_hashes" ;;
    sets) echo "$n_sets" ;;
    bighash | bigzset | biglist) echo "$n_bigfields" ;;
    zsets) echo "$n_zsets" ;;
    lists) echo "$n_lists" ;;
  esac
}

stop_pid() {  # SIGTERM, bounded wait, then SIGKILL
  kill "$1" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  drop_pid "$1"
}

rss_bytes() { awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$1/status"; }
used_memory() { redis-cli -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)$/\1/p'; }

# show_pipe FILE: the first replies redis-cli --pipe complained about, and its summary line.
show_pipe() { { head -n 5 "$1"; echo "..."; tail -n 1 "$1"; } >&2; }
# show_log FILE: what tidekv logged at warn or above, but for the start-up warning that spill
# mode logs nothing per write.
show_log() {
  local lines
  lines=$(grep -v 'logstore.mode = spill: writes are not logged' "$1" 2>/dev/null || true)
  [ -n "$lines" ] || return 0
  echo "$BENCH: $(basename "$1" .err) logged:" >&2
  head -n 20 <<<"$lines" >&2
}
# load NAME PORT DATASET: pipes $work/DATASET.resp in; dies unless every command got a non-error
# reply. Prints the seconds it took.
load() {
  local name=$1 port=$2 ds=$3 want start end
  want=$(commands_of "$ds")
  start=$(date +%s%N)
  if ! timeout "$LOAD_TIMEOUT" redis-cli -p "$port" --pipe <"$work/$ds.resp" \
       >"$work/$name.pipe" 2>&1; then
    show_pipe "$work/$name.pipe"
    die "loading $ds into $name failed (or took over $LOAD_TIMEOUT s)"
  fi
  end=$(date +%s%N)
  grep -q "errors: 0, replies: $want\$" "$work/$name.pipe" ||
    { show_pipe "$work/$name.pipe"; die "$name: $ds load: expected $want replies and no errors"; }
  awk -v ns=$((end - start)) 'BEGIN { printf "%.2f\n", ns / 1e9 }'
}

# check NAME PORT DATASET: dies unless the server holds exactly the expected counts.
check() {
  local name=$1 port=$2 ds=$3 n got i
  expect() {  # WHAT WANT COMMAND...
    local what=$1 want=$2; shift 2
    got=$(redis-cli -p "$port" "$@" 2>&1)
    [ "$got" = "$want" ] || die "$name: $ds: $what is '$got', expected $want"
  }
  case $ds in
    strings)
      expect DBSIZE "$n_strings" dbsize
      expect "STRLEN key:$((n_strings - 1))" 64 strlen "key:$((n_strings - 1))" ;;
    hashes | sets | zsets | lists)
      n=$(units_of "$ds")
      expect DBSIZE "$n" dbsize
      for i in 0 $((n / 2)) $((n - 1)); do
        case $ds in
          hashes) expect "HLEN hash:$i" 10 hlen "hash:$i" ;;
          sets) expect "SCARD set:$i" 10 scard "set:$i" ;;
          zsets) expect "ZCARD zset:$i" 10 zcard "zset:$i" ;;
          lists) expect "LLEN list:$i" 10 llen "list:$i" ;;
        esac
      done ;;
    bighash)
      expect DBSIZE 1 dbsize
      expect "HLEN bighash" "$n_bigfields" hlen bighash ;;
    bigzset)
      expect DBSIZE 1 dbsize
      expect "ZCARD bigzset" "$n_bigfields" zcard bigzset ;;
    biglist)
      expect DBSIZE 1 dbsize
      expect "LLEN biglist" "$n_bigfields" llen biglist ;;
  esac
}

# serving_ms START_US PORT DBSIZE: waits until the server on PORT answers PING with PONG
# (Redis answers -LOADING while it loads its RDB; tidekv does not listen before its batches
# are loaded) and DBSIZE with the expected count; sets serving to the ms since START_US
# (from $EPOCHREALTIME). It starts no
# process while it waits (bash's /dev/tcp, and a read timeout on a FIFO for the pauses), so
# the time is the server's, not the cost of spawning redis-cli and sleep, which is tens of
# ms on a loaded machine.
serving_ms() {
  local start=$1 port=$2 want=$3 fd line i now
  for ((i = 0; i < 200000; i++)); do
    if { exec {fd}<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
      printf 'PING\r\n' >&"$fd"
      if IFS= read -r -t 10 -u "$fd" line && [ "${line%$'\r'}" = "+PONG" ]; then
        printf 'DBSIZE\r\n' >&"$fd"
        IFS= read -r -t 10 -u "$fd" line || line=""
        exec {fd}>&-
        [ "${line%$'\r'}" = ":$want" ] || die "port $port: DBSIZE is '${line%$'\r'}', expected $want"
        now=${EPOCHREALTIME/./}
        serving=$(((now - start) / 1000))
        return
      fi
      exec {fd}>&-
    fi
    read -r -t 0.002 -u "$pause_fd" line || true
  done
  die "port $port: not serving the full data set after the restart"
}

# restart NAME PORT DATASET: SAVE, stop, start again on the same directory and port
# (tidekv: spill, as loaded; redis: no persistence, so it only reads the RDB), time it with
# serving_ms, then check every count. Sets restart_ms (not in a subshell: the new server's
# pid must reach $pids and the caller).
restart() {
  local name=$1 port=$2 ds=$3 want start
  [ "$(redis-cli -p "$port" save)" = OK ] || die "$name: SAVE failed"
  want=$(case $ds in big*) echo 1 ;; *) units_of "$ds" ;; esac)
  if [ "$name" = tidekv ]; then
    stop_pid "$tidekv_pid"
    start=${EPOCHREALTIME/./}
    "$TIDEKV" --port "$port" --bind 127.0.0.1 --dir "$work/tidekv-$ds" --loglevel warn \
      --logstore.mode spill >"$work/tidekv-$ds.out" 2>>"$work/tidekv-$ds.err" &
    tidekv_pid=$!
    pids+=("$tidekv_pid")
  else
    stop_pid "$redis_pid"
    start=${EPOCHREALTIME/./}
    "$REDIS" --port "$port" --bind 127.0.0.1 --dir "$work/redis-$ds" \
      --logfile "$work/redis-$ds.log" --daemonize no --save '' --appendonly no >/dev/null 2>&1 &
    redis_pid=$!
    pids+=("$redis_pid")
  fi
  serving_ms "$start" "$port" "$want"
  restart_ms=$serving
  check "$name" "$port" "$ds"
}

# run_pair DATASET: one fresh tidekv and one fresh redis, same data. Appends a line
# "t_rss r_rss t_used r_used t_load r_load t_restart_ms r_restart_ms" (bytes per unit,
# seconds, ms; restarts 0 with RESTART=0) to $work/DATASET.res.
run_pair() {
  local ds=$1 units t0r t0u r0r r0u t1r t1u r1r r1u tl rl tr=0 rr=0
  units=$(units_of "$ds")
  rm -rf "$work/tidekv-$ds" "$work/redis-$ds"
  start_tidekv "tidekv-$ds" --logstore.mode spill
  start_redis "redis-$ds" "$(shuf -i 20000-29999 -n 20)" --save '' --appendonly no
  sleep "$SETTLE"
  t0r=$(rss_bytes "$tidekv_pid"); t0u=$(used_memory "$tidekv_port")
  r0r=$(rss_bytes "$redis_pid"); r0u=$(used_memory "$redis_port")

  tl=$(load "tidekv-$ds" "$tidekv_port" "$ds")
  check tidekv "$tidekv_port" "$ds"
  rl=$(load "redis-$ds" "$redis_port" "$ds")
  check redis "$redis_port" "$ds"
  sleep "$SETTLE"
  t1r=$(rss_bytes "$tidekv_pid"); t1u=$(used_memory "$tidekv_port")
  r1r=$(rss_bytes "$redis_pid"); r1u=$(used_memory "$redis_port")
  kill -0 "$tidekv_pid" 2>/dev/null || die "tidekv exited during the $ds run"
  if [ "$RESTART" = 1 ]; then
    # One restart at a time, tidekv's first, each with the whole machine.
    restart tidekv "$tidekv_port" "$ds"
    tr=$restart_ms
    restart redis "$redis_port" "$ds"
    rr=$restart_ms
  fi

  stop_pid "$tidekv_pid"
  stop_pid "$redis_pid"
  show_log "$work/tidekv-$ds.err"
  rm -rf "$work/tidekv-$ds" "$work/redis-$ds" "$work/tidekv-$ds.err"
  awk -v u="$units" -v a="$((t1r - t0r))" -v b="$((r1r - r0r))" -v c="$((t1u - t0u))" \
    -v d="$((r1u - r0u))" -v tl="$tl" -v rl="$rl" -v tr="$tr" -v rr="$rr" \
    'BEGIN { printf "%.1f %.1f %.1f %.1f %s %s %s %s\n", a / u, b / u, c / u, d / u, tl, rl, tr, rr }' \
    >>"$work/$ds.res"
}

col() { awk -v c="$2" '{print $c}' "$work/$1.res" | median; }
ratio() { awk -v t="$1" -v r="$2" 'BEGIN { if (r > 0) printf "%.2f", t / r; else print "n/a" }'; }

echo "tidekv $("$TIDEKV" --version) (logstore.mode spill) vs" \
  "$("$REDIS" --version | cut -d' ' -f1-3) (no RDB, no AOF)"
echo "SCALE=$SCALE: strings $n_strings, hashes $n_hashes x 10 fields, sets $n_sets x 10" \
  "members, bighash 1 x $n_bigfields fields; $REPEATS fresh server pairs per dataset, medians"
header="| dataset | per | tidekv RSS B | redis RSS B | RSS ratio | tidekv used_memory B | redis used_memory B | used_memory ratio | tidekv load s | redis load s |"
rule="|---|---|---|---|---|---|---|---|---|---|"
echo; echo "$header"; echo "$rule"
rows=()
restarts=()
for ds in $DATASETS; do
  : >"$work/$ds.res"
  gen "$ds" "$(units_of "$ds")" >"$work/$ds.resp"  # made once: load times are the servers'
  for _ in $(seq "$REPEATS"); do run_pair "$ds"; done
  rm -f "$work/$ds.resp"
  case $ds in
    strings) what="$n_strings SET, 64 B values"; per=key ;;
    hashes) what="$n_hashes HSET x 10 fields"; per=key ;;
    sets) what="$n_sets SADD x 10 members"; per=key ;;
    bighash) what="1 hash, $n_bigfields fields"; per=field ;;
    zsets) what="$n_zsets ZADD x 10 members"; per=key ;;
    lists) what="$n_lists RPUSH x 10 elements"; per=key ;;
    bigzset) what="1 sorted set, $n_bigfields members"; per=member ;;
    biglist) what="1 list, $n_bigfields elements"; per=element ;;
  esac
  tr=$(col "$ds" 1); rr=$(col "$ds" 2); tu=$(col "$ds" 3); ru=$(col "$ds" 4)
  tl=$(col "$ds" 5); rl=$(col "$ds" 6)
  row=$(printf '| %s: %s | %s | %.0f | %.0f | %s | %.0f | %.0f | %s | %.2f | %.2f |' \
    "$ds" "$what" "$per" "$tr" "$rr" "$(ratio "$tr" "$rr")" "$tu" "$ru" "$(ratio "$tu" "$ru")" \
    "$tl" "$rl")
  echo "$row"
  rows+=("$row")
  if [ "$RESTART" = 1 ]; then
    ts=$(col "$ds" 7); rs=$(col "$ds" 8)
    restarts+=("$(printf '| %s: %s | %s | %s | %s |' "$ds" "$what" "$ts" "$rs" "$(ratio "$ts" "$rs")")")
  fi
done
echo
echo "Bytes are growth per key (per field for bighash) from before to after the load: lower is"
echo "better. used_memory is each server's own INFO memory figure (tidekv: its allocator count)."
if [ "$RESTART" = 1 ]; then
  rheader="| restart after SAVE | tidekv ms | redis ms (RDB) | ratio |"
  rrule="|---|---|---|---|"
  echo; echo "$rheader"; echo "$rrule"
  printf '%s\n' "${restarts[@]}"
  echo
  echo "Restart: ms from launching the server on the saved directory until it answers PING and"
  echo "DBSIZE has every key (polled without starting processes; the sampled counts are checked"
  echo "after): lower is better."
fi

if [ -n "$OUT" ]; then
  {
    echo "$header"; echo "$rule"
    printf '%s\n' "${rows[@]}"
    if [ "$RESTART" = 1 ]; then
      echo; echo "$rheader"; echo "$rrule"
      printf '%s\n' "${restarts[@]}"
    fi
  } >"$OUT"
fi
