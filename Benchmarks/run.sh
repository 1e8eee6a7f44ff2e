#!/usr/bin/env bash
# Runs every stocktake benchmark and its peers in one go, on this machine. By hand, not in CI.
#   Benchmarks/run.sh            (needs python3; the CEL peers need a venv with ../shared/bench/requirements.txt,
#                                 found at $PEERS_VENV, default ~/peers-venv)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
venv=${PEERS_VENV:-$HOME/peers-venv}

swift build -c release --product stocktake >/dev/null
swift build -c release --product stocktake-bench >/dev/null
bin=.build/release

echo "== YAML loading: a ~12 MB plan, against a bare libyaml event loop (best of 5)"
python3 Benchmarks/make_plan.py 33000 > "$work/plan-large.yaml"
$bin/stocktake-bench yaml "$work/plan-large.yaml" 5

echo "== Expression evaluation, one core"
$bin/stocktake-bench eval 1000000
if [ -x "$venv/bin/python" ]; then
    "$venv/bin/python" Benchmarks/cel_peers.py 200000
else
    echo "(CEL peers skipped: no venv at $venv)"
fi

echo "== End to end: 500 actions x 30 rules, process start included"
python3 Benchmarks/make_plan.py 500 > "$work/plan-500.yaml"
cmd="$bin/stocktake check $work/plan-500.yaml --rules Benchmarks/bench-30-rules.yaml --as-of 2024-07-01"
if command -v hyperfine >/dev/null; then
    hyperfine -N -i --warmup 3 --runs 30 "$cmd --format json:$work/out.json" "$cmd --format text:$work/out.txt"
else
    python3 - "$cmd --format json:$work/out.json" <<'PY'
import shlex, subprocess, sys, time
cmd = shlex.split(sys.argv[1]); times = []
for _ in range(30):
    t = time.perf_counter(); subprocess.run(cmd, stdout=subprocess.DEVNULL); times.append(time.perf_counter() - t)
times.sort(); print(f"median {times[15]*1000:.1f} ms, min {times[0]*1000:.1f} ms over 30 runs")
PY
fi
