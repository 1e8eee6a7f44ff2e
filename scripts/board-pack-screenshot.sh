#!/usr/bin/env bash
# Renders the HTML board pack for a plan in headless Chromium and saves what a board member
# would see: a PNG of the first screen (1280 x 800), one of the whole page, and the printed PDF.
#   scripts/board-pack-screenshot.sh [PLAN] [AS-OF] [OUT.png]
# Needs Debian's chromium (apt-get install -y chromium). Run by hand; nothing it writes is checked in.
set -euo pipefail
cd "$(dirname "$0")/.."
plan=${1:-Tests/Fixtures/plans/oldham-priority-action-plan.tsv}
as_of=${2:-2024-07-01}
out=${3:-board-pack.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift build -c release --product stocktake >/dev/null
bin=$(swift build -c release --show-bin-path)/stocktake
"$bin" check "$plan" --rules rules/send-plan.yaml --as-of "$as_of" --no-history --fail-on never \
    --format "html:$work/board.html" --format "pdf:${out%.png}.pdf"
shot() {
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
        --window-size="$1" --screenshot="$2" "file://$work/board.html" 2>/dev/null
}
shot 1280,800 "$out"
shot 1280,6000 "${out%.png}-full.png"
echo "wrote $out (first screen), ${out%.png}-full.png and ${out%.png}.pdf"
