#!/usr/bin/env bash
# The casework benchmark of ../shared/bench: stocktake with rules/send-statutory.yaml against the
# peers, on the same generated CSV and the same as-of date, in one run. By hand, not in CI.
#   Benchmarks/cases.sh [COUNT]        (default 1000000; needs python3, and for the DuckDB and
#                                       pandas peers a venv with ../shared/bench/requirements.txt
#                                       at $PEERS_VENV, default ~/peers-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
bench=../shared/bench
venv=${PEERS_VENV:-$HOME/peers-venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product stocktake >/dev/null
bin=.build/release/stocktake
python3 "$bench/gen_cases.py" --count "$count" --seed 7 --as-of 2025-03-31 > "$work/cases.csv"
echo "== $count cases, $(du -h "$work/cases.csv" | cut -f1), as of 2025-03-31"

run() {   # label, then the command; prints wall seconds and peak RSS
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
    read -r secs kb < "$work/time"
    printf '%-40s %8.2f s %8d MiB\n' "$label" "$secs" $((kb / 1024))
}
run "stocktake --format summary" $bin check "$work/cases.csv" --rules rules/send-statutory.yaml --as-of 2025-03-31 \
    --format "summary:$work/counts.json" --fail-on never
run "stocktake --format json (all findings)" $bin check "$work/cases.csv" --rules rules/send-statutory.yaml --as-of 2025-03-31 \
    --format "json:$work/findings.json" --fail-on never

python=python3
peers=""
if [ -x "$venv/bin/python" ]; then python="$venv/bin/python"; peers="wc,csvread,python,duckdb,pandas"; else peers="wc,csvread,python"; fi
"$python" "$bench/peers.py" "$work/cases.csv" --as-of 2025-03-31 --only "$peers" --compare "$work/counts.json"
