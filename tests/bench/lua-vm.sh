#!/bin/bash
# Lua 5.1 vs LuaJIT for scripts (docs/scripting.md, "Which Lua"): the same kernels under
# lua5.1, luajit and luajit -joff (the interpreter alone), REPEATS runs each, medians in ns per
# iteration; then whether each VM's count hook stops a busy loop (what SCRIPT KILL needs).
# Needs the lua5.1 and luajit binaries (Debian: apt-get install lua5.1 luajit).
#   tests/bench/lua-vm.sh            REPEATS=5 tests/bench/lua-vm.sh
set -euo pipefail
cd "$(dirname "$0")/lua-vm"
REPEATS=${REPEATS:-3}
for bin in lua5.1 luajit; do
  command -v "$bin" >/dev/null || { echo "missing $bin (apt-get install lua5.1 luajit)"; exit 1; }
done
vms=("lua5.1" "luajit" "luajit -joff")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$REPEATS"); do
  for vm in "${vms[@]}"; do
    $vm kernels.lua | awk -v vm="$vm" '{print vm "\t" $1 "\t" $2}' >>"$out"
  done
done
echo "| kernel | lua5.1 ns | luajit ns | luajit -joff ns | lua5.1 / luajit -joff |"
echo "|---|---|---|---|---|"
for kernel in $(awk -F'\t' '{print $2}' "$out" | sort -u); do
  meds=()
  for vm in "${vms[@]}"; do
    meds+=("$(awk -F'\t' -v vm="$vm" -v k="$kernel" '$1 == vm && $2 == k {print $3}' "$out" |
      sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')")
  done
  echo "| $kernel | ${meds[0]} | ${meds[1]} | ${meds[2]} | $(echo "${meds[0]} / ${meds[2]}" | bc -l | cut -c1-4) |"
done
echo
for vm in "${vms[@]}"; do
  if timeout 5 $vm hook.lua >/dev/null 2>&1; then
    echo "$vm: the count hook stopped a busy loop"
  else
    echo "$vm: the count hook did NOT stop a busy loop (killed after 5 s)"
  fi
done
