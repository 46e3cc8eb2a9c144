#!/usr/bin/env bash
# The issue-14 figures, one run after another, raw JSON into loadtest/results/issue14/.
# Run it on a quiet machine (nothing else on the 2 cores): ./loadtest/issue14.sh [names...]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
OUT=${OUT:-loadtest/results/issue14}
mkdir -p "$OUT"
KEYS='"(delivered_pct|p50_ms|p99_ms|server_cpu_us_per_delivery|server_cpu_us_per_command|rss_kb_per_idle_connection|frames_per_delivery|claims_per_s|server_cpu_us_per_claim|accepted|oversold|load_average_1_5_15)"'

run() {  # name, loadtest.run arguments
  local name=$1; shift
  [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && return
  echo "== $name: $*"
  $PY -m loadtest.run "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
  grep -E -A0 "$KEYS" "$OUT/$name.json" | tr -d '\n' ; echo
}

claims() {  # name, loadtest.claims arguments
  local name=$1; shift
  [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]] && return
  echo "== $name: $*"
  $PY -m loadtest.claims "$@" > "$OUT/$name.json" 2> "$OUT/$name.err"
  grep -E "$KEYS" "$OUT/$name.json" | tr -d '\n' ; echo
}

ONLY="${*:-}"
run small-rooms-1node    --viewers 5000 --rooms 500 --rate 1 --duration 20 --procs 4
run small-rooms-2nodes   --viewers 5000 --rooms 500 --rate 1 --duration 20 --procs 4 --nodes 2
run big-5000x100         --viewers 5000 --rate 100 --duration 20 --procs 4
run huge-10000x20        --viewers 10000 --rate 20 --duration 20 --procs 4
run idle-5000            --viewers 5000 --idle --procs 4
run idle-18000           --viewers 18000 --idle --procs 4
run huge-18000x5         --viewers 18000 --rate 5 --duration 20 --procs 4
run chatty-2000x400      --viewers 2000 --rate 400 --chatters 400 --duration 15 --procs 4
claims claims-1node      --buyers 10000 --units 5000 --wait 15
claims claims-3nodes     --buyers 10000 --units 5000 --wait 20 --nodes 3
run workers-1            --viewers 5000 --rooms 500 --rate 2 --duration 20 --procs 4 --redis --workers 1
run workers-2            --viewers 5000 --rooms 500 --rate 2 --duration 20 --procs 4 --redis --workers 2
run scale-1node-redis    --viewers 3000 --rate 50 --duration 15 --procs 3 --redis
run scale-2nodes         --viewers 3000 --rate 50 --duration 15 --procs 3 --nodes 2
run scale-3nodes         --viewers 3000 --rate 50 --duration 15 --procs 3 --nodes 3
