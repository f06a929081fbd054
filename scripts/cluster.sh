#!/usr/bin/env bash
# A small tidekv cluster on loopback for development: one primary and N-1 replicas.
#
#   scripts/cluster.sh start [N]   start N nodes (default 3): the primary on the base port,
#                                  replicas on the next ports, each a replica of the primary
#   scripts/cluster.sh status      port, pid, role and replication offset of every node
#   scripts/cluster.sh stop        SIGTERM every node, SIGKILL what is still up after a wait
#
# Environment:
#   TIDEKV_CLUSTER_BASE_PORT  port of the primary; replicas use the ports after it (7000)
#   TIDEKV_CLUSTER_DIR        where node directories live (/tmp/tidekv-cluster)
#   TIDEKV_SERVER             the server binary (build/tidekv-server of this checkout)
#   TIDEKV_CLUSTER_WAIT       seconds start waits for each node to answer PING (10)
#   TIDEKV_CLUSTER_STOP_WAIT  seconds stop waits after SIGTERM before SIGKILL (10)
#
# Each node gets ${TIDEKV_CLUSTER_DIR}/node-<port>/ holding data/ (its --dir), tidekv.log
# (its --log.file), console.log (its stdout and stderr) and tidekv.pid. cluster.ports lists
# the ports of the last start, which status reports on (plus any other node still running).
# Nodes listen on 127.0.0.1 only and have no password, so protected mode lets local clients in.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
server="${TIDEKV_SERVER:-${repo_root}/build/tidekv-server}"
base_port="${TIDEKV_CLUSTER_BASE_PORT:-7000}"
cluster_dir="${TIDEKV_CLUSTER_DIR:-/tmp/tidekv-cluster}"
start_wait="${TIDEKV_CLUSTER_WAIT:-10}"
stop_wait="${TIDEKV_CLUSTER_STOP_WAIT:-10}"

usage() {
  echo "usage: $(basename "$0") start [N] | stop [N] | status [N]" >&2
  echo "  N = number of nodes, primary included (default 3); see the header of this script" >&2
  exit 2
}

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}

is_uint() {
  [[ "$1" =~ ^[0-9]+$ ]]
}

node_dir() { echo "${cluster_dir}/node-$1"; }
pid_file() { echo "$(node_dir "$1")/tidekv.pid"; }
log_file() { echo "$(node_dir "$1")/tidekv.log"; }
console_file() { echo "$(node_dir "$1")/console.log"; }

# The pid recorded for a node's port, or nothing.
recorded_pid() {
  local file
  file="$(pid_file "$1")"
  [ -f "$file" ] || return 0
  local pid
  pid="$(tr -dc '0-9' <"$file")"
  echo "$pid"
}

# True when pid is a live tidekv-server started for this port (guards against pid reuse:
# never signal a process this script did not start). An exited process that is not reaped
# yet (a zombie) has an empty command line, so it counts as not running.
is_our_server() {
  local pid="$1" port="$2"
  [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local cmdline
  cmdline="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *tidekv-server* && "$cmdline" == *"--port ${port} "* ]]
}

# Ports of the nodes that have a directory under cluster_dir, ascending.
known_ports() {
  local d
  shopt -s nullglob
  for d in "${cluster_dir}"/node-*; do
    local port="${d##*/node-}"
    if is_uint "$port" && [ -d "$d" ]; then echo "$port"; fi
  done | sort -n
  shopt -u nullglob
}

# The ports the last start asked for, plus any other node that is still running.
status_ports() {
  local port
  {
    if [ -f "${cluster_dir}/cluster.ports" ]; then
      grep -E '^[0-9]+$' "${cluster_dir}/cluster.ports" || true
    fi
    for port in $(known_ports); do
      if is_our_server "$(recorded_pid "$port")" "$port"; then echo "$port"; fi
    done
  } | sort -n -u
}

# redis-cli against a loopback port, bounded in time so a wedged node cannot hang us.
cli() {
  local port="$1"
  shift
  timeout 3 redis-cli -h 127.0.0.1 -p "$port" "$@" 2>&1
}

show_log_tail() {
  local port="$1" f
  for f in "$(console_file "$port")" "$(log_file "$port")"; do
    if [ -s "$f" ]; then
      echo "--- last lines of $f" >&2
      tail -n 20 "$f" >&2
    fi
  done
}

# Sends SIGTERM to the given ports' servers, waits up to stop_wait seconds, then SIGKILLs
# whatever is still up. Removes the pid files.
stop_ports() {
  local port pid
  local -a pending=()
  for port in "$@"; do
    pid="$(recorded_pid "$port")"
    if is_our_server "$pid" "$port"; then
      kill -TERM "$pid" 2>/dev/null || true
      pending+=("$port")
      echo "node ${port}: SIGTERM sent to pid ${pid}"
    else
      [ -z "$pid" ] || echo "node ${port}: not running (stale pid ${pid})"
      rm -f "$(pid_file "$port")"
    fi
  done

  local deadline=$((SECONDS + stop_wait))
  while [ ${#pending[@]} -gt 0 ] && [ "$SECONDS" -lt "$deadline" ]; do
    local -a still=()
    for port in "${pending[@]}"; do
      if is_our_server "$(recorded_pid "$port")" "$port"; then still+=("$port"); fi
    done
    pending=("${still[@]+"${still[@]}"}")
    [ ${#pending[@]} -eq 0 ] || sleep 0.2
  done

  for port in "${pending[@]+"${pending[@]}"}"; do
    pid="$(recorded_pid "$port")"
    if is_our_server "$pid" "$port"; then
      echo "node ${port}: still up after ${stop_wait}s, sending SIGKILL to pid ${pid}" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # SIGKILL is not refused, but the process may take a moment to go away.
  for port in "${pending[@]+"${pending[@]}"}"; do
    local tries=0
    while is_our_server "$(recorded_pid "$port")" "$port" && [ "$tries" -lt 25 ]; do
      sleep 0.2
      tries=$((tries + 1))
    done
  done
  for port in "$@"; do
    rm -f "$(pid_file "$port")"
  done
}

# Waits until the node answers PING; fails when it exits or the wait runs out.
wait_ready() {
  local port="$1" pid="$2"
  local deadline=$((SECONDS + start_wait))
  while :; do
    if [ "$(cli "$port" ping)" = "PONG" ]; then
      return 0
    fi
    if ! is_our_server "$pid" "$port"; then
      echo "cluster.sh: node ${port} (pid ${pid}) exited during start-up" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "cluster.sh: node ${port} (pid ${pid}) did not answer PING within ${start_wait}s" >&2
      return 1
    fi
    sleep 0.2
  done
}

cmd_start() {
  local nodes="${1:-3}"
  if ! is_uint "$nodes" || [ "$nodes" -lt 1 ]; then
    die "N must be a positive number, got '${nodes}'"
  fi
  is_uint "$base_port" || die "TIDEKV_CLUSTER_BASE_PORT must be a port number"
  [ $((base_port + nodes - 1)) -le 65535 ] || die "ports ${base_port}.. do not fit below 65536"
  is_uint "$start_wait" || die "TIDEKV_CLUSTER_WAIT must be a number of seconds"
  [ -x "$server" ] || die "no server binary at ${server} (run make build, or set TIDEKV_SERVER)"
  command -v redis-cli >/dev/null || die "redis-cli not found (scripts/setup installs redis-tools)"

  mkdir -p "$cluster_dir"
  seq "$base_port" $((base_port + nodes - 1)) >"${cluster_dir}/cluster.ports"
  local -a started=()
  local i port pid
  for ((i = 0; i < nodes; i++)); do
    port=$((base_port + i))
    pid="$(recorded_pid "$port")"
    if is_our_server "$pid" "$port"; then
      echo "node ${port}: already running (pid ${pid})"
      continue
    fi
    local -a args=(--port "$port" --dir "$(node_dir "$port")/data" --bind 127.0.0.1
      --log.file "$(log_file "$port")")
    local role="primary"
    if [ "$i" -gt 0 ]; then
      args+=(--replicaof "127.0.0.1:${base_port}")
      role="replica of 127.0.0.1:${base_port}"
    fi
    mkdir -p "$(node_dir "$port")/data"
    # setsid: the node does not share our session, so a Ctrl-C at this terminal later does
    # not reach it; stop it with `cluster.sh stop`.
    setsid "$server" "${args[@]}" </dev/null >>"$(console_file "$port")" 2>&1 &
    pid=$!
    echo "$pid" >"$(pid_file "$port")"
    started+=("$port")
    if ! wait_ready "$port" "$pid"; then
      show_log_tail "$port"
      echo "cluster.sh: stopping the nodes this start launched" >&2
      stop_ports "${started[@]}" >&2
      exit 1
    fi
    echo "node ${port}: up (pid ${pid}, ${role}), data in $(node_dir "$port")/data"
  done
  echo "cluster: ${nodes} node(s) on 127.0.0.1:${base_port}-$((base_port + nodes - 1)), files in ${cluster_dir}"
}

cmd_stop() {
  local -a ports
  mapfile -t ports < <(known_ports)
  if [ ${#ports[@]} -eq 0 ]; then
    echo "cluster: no nodes under ${cluster_dir}"
    return 0
  fi
  stop_ports "${ports[@]}"
  echo "cluster: stopped (data kept in ${cluster_dir}; delete it for a fresh start)"
}

# One status line per node. Exit status 0 when every node is up, 1 otherwise.
cmd_status() {
  local -a ports
  mapfile -t ports < <(status_ports)
  if [ ${#ports[@]} -eq 0 ]; then
    echo "cluster: no nodes under ${cluster_dir}"
    return 1
  fi
  local all_up=0 port pid state role offset link
  printf '%-6s %-8s %-6s %-8s %-10s %s\n' PORT PID STATE ROLE OFFSET LINK
  for port in "${ports[@]}"; do
    pid="$(recorded_pid "$port")"
    role="-" offset="-" link="-"
    if is_our_server "$pid" "$port"; then
      state="up"
      # ROLE answers like Redis: master <offset> <replicas...>, or
      # slave <host> <port> <link state> <offset>.
      local -a reply
      mapfile -t reply < <(cli "$port" role || true)
      role="${reply[0]:-?}"
      case "$role" in
        master)
          offset="${reply[1]:--}"
          ;;
        slave | replica)
          link="${reply[1]:-?}:${reply[2]:-?} ${reply[3]:-?}"
          offset="${reply[4]:--}"
          ;;
        *)
          # No ROLE reply (a build without the command, AUTH needed, LOADING...): fall back
          # to INFO replication, else show the answer as it came.
          local info
          info="$(cli "$port" info replication | tr -d '\r' || true)"
          role="$(sed -n 's/^role://p' <<<"$info")"
          if [ -n "$role" ]; then
            offset="$(sed -n 's/^\(master\|slave\)_repl_offset://p' <<<"$info" | tail -n 1)"
            link="$(sed -n 's/^master_link_status://p' <<<"$info")"
            if [ -n "$link" ]; then
              link="$(sed -n 's/^master_host://p' <<<"$info"):$(sed -n 's/^master_port://p' <<<"$info") ${link}"
            fi
            [ -n "$offset" ] || offset="-"
            [ -n "$link" ] || link="-"
          else
            role="?"
            link="$(echo "${reply[*]:-no answer}" | tr -s ' ' | sed 's/ *$//')"
          fi
          ;;
      esac
    else
      state="down"
      all_up=1
      [ -n "$pid" ] || pid="-"
    fi
    printf '%-6s %-8s %-6s %-8s %-10s %s\n' "$port" "$pid" "$state" "$role" "$offset" "$link"
  done
  return "$all_up"
}

[ $# -ge 1 ] || usage
command="$1"
shift
case "$command" in
  start)
    [ $# -le 1 ] || usage
    cmd_start "$@"
    ;;
  stop)
    # An N is accepted (and not needed): stop and status act on the nodes start recorded.
    [ $# -le 1 ] || usage
    cmd_stop
    ;;
  status)
    [ $# -le 1 ] || usage
    cmd_status
    ;;
  *) usage ;;
esac
