#!/usr/bin/env bash
# Runs one already-built libFuzzer binary for a bounded time, starting from a small seed
# corpus of valid requests, and fails if the fuzzer finds a crash, leak, timeout or
# sanitizer report. Builds nothing.
#
#   tests/fuzz/run.sh FUZZER_BINARY [SECONDS] [extra libFuzzer flags...]
#
# SECONDS defaults to 30 (passed as -max_total_time). On a finding, the reproducer is kept
# in $FUZZ_ARTIFACTS (default: a temporary directory, printed) and the exit status is the
# fuzzer's, non-zero.
set -euo pipefail

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 FUZZER_BINARY [SECONDS] [libFuzzer flags...]" >&2
  exit 2
fi
fuzzer=$1
seconds=${2:-30}
shift $(( $# >= 2 ? 2 : 1 ))

work=$(mktemp -d "${TMPDIR:-/tmp}/tidekv-fuzz.XXXXXX")
artifacts=${FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$work/corpus" "$artifacts"
cleanup() { [ "${keep:-0}" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

# Seeds: requests a real client sends (multibulk, inline, quoting, pipelining).
seed() { printf "$2" > "$work/corpus/$1"; }
seed ping '*1\r\n$4\r\nPING\r\n'
seed set '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n'
seed binary '*2\r\n$4\r\nECHO\r\n$6\r\na\0\r\nb\r\r\n'
seed pipeline '*2\r\n$3\r\nGET\r\n$1\r\na\r\n*0\r\n*-1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nb\r\n'
seed empty_bulk '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n'
seed inline 'PING\r\nSET a b\n\r\n  GET   a  \r\n'
seed quoted 'SET "k \\x41\\n" '"'"'it\\'"'"'s'"'"'\n'
seed mixed 'PING\r\n*1\r\n$4\r\nPING\r\nECHO "x"\n'

# A dictionary of protocol tokens named after the fuzzer (e.g. resp.dict), when present.
dict_args=()
dict="$(dirname "$0")/$(basename "$fuzzer" | sed -E 's/_parser_fuzz$|_fuzz$//').dict"
[ -f "$dict" ] && dict_args=(-dict="$dict")

status=0
"$fuzzer" -max_total_time="$seconds" -artifact_prefix="$artifacts/" -print_final_stats=1 \
  "${dict_args[@]}" "$@" "$work/corpus" || status=$?

if [ $status -ne 0 ]; then
  keep=1
  echo "fuzz: $fuzzer failed (exit $status); reproducers in $artifacts:" >&2
  ls -l "$artifacts" >&2 || true
  exit $status
fi
echo "fuzz: $fuzzer ran ${seconds}s without findings"
