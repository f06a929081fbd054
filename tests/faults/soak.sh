#!/usr/bin/env bash
# Soak run of the randomized fault test (tests/integration/fault_test.cc) outside `make test`:
# a primary and two replicas under kill -9, restarts, failovers and cut links, for many
# rounds and seeds.
#
#   tests/faults/soak.sh [--rounds N] [--seed S] [--runs K] [--build DIR] [--keep DIR]
#
#   --rounds N   rounds per run (default 50; the test's own default is 7)
#   --seed S     seed of the first run (default: random); run i uses S+i
#   --runs K     runs one after another (default 1; 0 = until one fails)
#   --build DIR  build directory holding tests/integration_test (default: build)
#   --keep DIR   keep the data directories and logs of failing runs under DIR
#                (default: /tmp/tidekv-fault-soak)
#
# TIDEKV_SERVER_BIN=/path/to/tidekv-server soaks another server binary with the same test.
# Every seed is printed before its run starts, so a failure can be replayed with
#   TIDEKV_FAULT_SEED=<seed> TIDEKV_FAULT_ROUNDS=<N> build/tests/integration_test '[faults]'
# Exit status: 0 when every run passed, 1 otherwise.
set -euo pipefail

rounds=50
seed=""
runs=1
build=build
keep=/tmp/tidekv-fault-soak

while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "soak.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

binary="$build/tests/integration_test"
if [[ ! -x "$binary" ]]; then
  echo "soak.sh: $binary not found; build it first (cmake --build $build --target integration_test)" >&2
  exit 2
fi
if [[ -z "$seed" ]]; then
  # 48 random bits: any seed the test's std::stoull accepts.
  seed=$(( $(od -An -N6 -tu8 /dev/urandom | tr -d ' ') ))
fi
mkdir -p "$keep"

failed=0
run=0
while [[ "$runs" -eq 0 || "$run" -lt "$runs" ]]; do
  s=$((seed + run))
  echo "soak run $((run + 1)): seed $s, $rounds rounds ($(date '+%F %T'))"
  if TIDEKV_FAULT_SEED="$s" TIDEKV_FAULT_ROUNDS="$rounds" TIDEKV_FAULT_KEEP="$keep" \
      "$binary" '[faults]'; then
    echo "soak run $((run + 1)): seed $s passed"
  else
    echo "soak run $((run + 1)): seed $s FAILED (artifacts under $keep/seed-$s)"
    failed=1
    [[ "$runs" -eq 0 ]] && break
  fi
  run=$((run + 1))
done
exit "$failed"
