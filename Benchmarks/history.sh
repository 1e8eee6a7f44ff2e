#!/usr/bin/env bash
# Run history at casework scale: four monthly runs of the statutory pack over the same generated
# cases into one history database, first keeping every run, then with --history-keep 1; prints
# each run's wall time, peak memory and the database's size after it. By hand, not in CI.
#   Benchmarks/history.sh [COUNT]      (default 1000000; needs python3)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

swift build -c release --product stocktake >/dev/null
bin=.build/release/stocktake
python3 ../shared/bench/gen_cases.py --count "$count" --seed 7 --as-of 2025-03-31 > "$work/cases.csv"
echo "== $count cases, $(du -h "$work/cases.csv" | cut -f1), --format summary with history"
printf '%-22s %-11s %8s %9s %8s\n' "history" "as of" "wall s" "peak MiB" "db MB"
for keep in all 1; do
    rm -f "$work"/h.sqlite*
    option=()
    [ "$keep" = all ] || option=(--history-keep "$keep")
    for asOf in 2025-03-31 2025-04-30 2025-05-31 2025-06-30; do
        /usr/bin/time -f "%e %M" -o "$work/time" $bin check "$work/cases.csv" --rules rules/send-statutory.yaml --as-of "$asOf" \
            --format summary --fail-on never --history "$work/h.sqlite" "${option[@]}" >/dev/null
        read -r secs kb < "$work/time"
        bytes=$(cat "$work"/h.sqlite* | wc -c)
        printf '%-22s %-11s %8s %9d %8d\n' "keep $keep" "$asOf" "$secs" $((kb / 1024)) $((bytes / 1000000))
    done
done
