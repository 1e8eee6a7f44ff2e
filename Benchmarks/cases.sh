#!/usr/bin/env bash
# The casework benchmark of ../shared/bench: stocktake with rules/send-statutory.yaml against the
# peers, on the same generated CSV and the same as-of date, in one run; prints wall time and peak
# memory of each, and how many times faster or slower than DuckDB each one is. By hand, not in CI.
#   Benchmarks/cases.sh [COUNT]        (default 1000000; needs python3, and for the DuckDB and
#                                       pandas peers a venv with ../shared/bench/requirements.txt
#                                       at $PEERS_VENV, default ~/peers-venv)
# stocktake runs with --no-history, like the peers, which keep none; best of 3 each, as the peers.
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

best() {   # label, then the command: best wall seconds of 3 and the peak RSS of that run, to $work/times
    local label=$1; shift
    local best_s="" best_kb=0
    for _ in 1 2 3; do
        rm -f "$work/findings.json"
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
        read -r secs kb < "$work/time"
        if [ -z "$best_s" ] || awk "BEGIN{exit !($secs < $best_s)}"; then best_s=$secs; best_kb=$kb; fi
    done
    echo "$label	$best_s	$((best_kb / 1024))" >> "$work/times"
}
best "stocktake --format summary" $bin check "$work/cases.csv" --rules rules/send-statutory.yaml --as-of 2025-03-31 \
    --format "summary:$work/counts.json" --fail-on never --no-history
best "stocktake --format json" $bin check "$work/cases.csv" --rules rules/send-statutory.yaml --as-of 2025-03-31 \
    --format "json:$work/findings.json" --fail-on never --no-history
findings=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['findings'])" "$work/findings.json")
echo "   JSON report: $findings findings, $(du -h "$work/findings.json" | cut -f1)"

python=python3
peers="wc,csvread,python"
if [ -x "$venv/bin/python" ]; then python="$venv/bin/python"; peers="wc,csvread,python,duckdb,pandas"; fi
"$python" "$bench/peers.py" "$work/cases.csv" --as-of 2025-03-31 --only "$peers" --repeat 3 \
    --compare "$work/counts.json" --json "$work/peers.json" | grep -v '^{'

python3 - "$work/times" "$work/peers.json" <<'EOF'
import json, sys
rows = [(label, float(s), int(mib)) for label, s, mib in (line.rstrip("\n").split("\t") for line in open(sys.argv[1]))]
peers = json.load(open(sys.argv[2]))["peers"]
rows += [(name, p["seconds"], None) for name, p in peers.items()]
duck = next((s for name, s, _ in rows if name == "duckdb"), None)
print(f"\n{'':32} {'wall s':>8} {'peak MiB':>9} {'vs DuckDB':>10}")
for name, s, mib in rows:
    ratio = "" if duck is None or name == "duckdb" else (f"{duck / s:.2f}x faster" if s < duck else f"{s / duck:.2f}x slower")
    print(f"{name:32} {s:8.3f} {'' if mib is None else mib:>9} {ratio:>14}")
EOF
