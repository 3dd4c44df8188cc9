#!/usr/bin/env bash
# `collaudo run --jobs N` against a station that takes 200 ms to answer every call (the
# reference station with --latency-ms 200): whole-suite wall time at --jobs 1 and at the
# default, and their ratio (BENCHMARKS.md, "Jobs against a slow station"). A fresh station per
# run, since a run consumes its notices. Needs a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
LATENCY_MS=${LATENCY_MS:-200}
JOBS=${JOBS:-"1 4"}
cargo build --release --locked -p collaudo --bin collaudo
BIN=$PWD/target/release/collaudo
WORK=$(mktemp -d)
PID=""
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
declare -A WALL
for j in $JOBS; do
  PORT=$((18100 + j))
  "$BIN" station --listen 127.0.0.1:$PORT --latency-ms "$LATENCY_MS" > "$WORK/station-$j.log" &
  PID=$!
  for _ in $(seq 1 200); do grep -q listening "$WORK/station-$j.log" && break; sleep 0.05; done
  "$BIN" station --listen 127.0.0.1:$PORT --print-config > "$WORK/collaudo-$j.toml"
  start=$(date +%s.%N)
  (cd "$WORK" && "$BIN" run --config "collaudo-$j.toml" --jobs "$j" --no-progress --non-interactive --out "run-$j" > /dev/null 2> "run-$j.log") || true
  end=$(date +%s.%N)
  kill $PID; wait $PID 2>/dev/null || true
  WALL[$j]=$(echo "$end - $start" | bc)
  echo "--jobs $j: ${WALL[$j]} s wall, $(grep -E '^[0-9]+ passed' "$WORK/run-$j.log")"
done
set -- $JOBS
echo "ratio --jobs $1 / --jobs ${!#}: $(echo "scale=2; ${WALL[$1]} / ${WALL[${!#}]}" | bc)"
