#!/usr/bin/env bash
# SEN2 returns at scale: the same generated requests as the DfE's XML return and as a flat CSV
# export, each checked against rules/sen2.yaml (summary and measures); prints wall time and peak
# memory of each, and how many times the XML takes of the CSV. By hand, not in CI.
#   Benchmarks/sen2.sh [COUNT]        (children in the return; default 20000, a large local area;
#                                      640000 is about England's plans; needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product stocktake >/dev/null
bin=.build/release/stocktake
python3 scripts/gen-sen2.py --count "$count" --seed 7 --malformed 0.5 > "$work/sen2.xml"
python3 scripts/gen-sen2.py --count "$count" --seed 7 --malformed 0.5 --format csv > "$work/sen2.csv"
echo "== $count children: XML $(du -h "$work/sen2.xml" | cut -f1), CSV $(du -h "$work/sen2.csv" | cut -f1)"

best() {   # label, then the command: best wall seconds of 3 and that run's peak RSS
    local label=$1; shift
    local best_s="" best_kb=0
    for _ in 1 2 3; do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
        read -r secs kb < "$work/time"
        if [ -z "$best_s" ] || awk "BEGIN{exit !($secs < $best_s)}"; then best_s=$secs; best_kb=$kb; fi
    done
    printf '%-34s %8s s %7d MiB\n' "$label" "$best_s" $((best_kb / 1024))
    echo "$best_s" > "$work/$label.s"
}
for file in sen2.xml sen2.csv; do
    best "$file --format summary" $bin check "$work/$file" --rules rules/sen2.yaml --as-of 2025-01-16 \
        --format summary --fail-on never --no-history
    best "$file --format measures" $bin check "$work/$file" --rules rules/sen2.yaml --as-of 2025-01-16 \
        --format measures --fail-on never --no-history
done
xml=$(cat "$work/sen2.xml --format summary.s"); csv=$(cat "$work/sen2.csv --format summary.s")
echo "XML takes $(awk "BEGIN{printf \"%.2f\", $xml / $csv}")x the time of the CSV (summary)"
