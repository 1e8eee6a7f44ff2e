#!/usr/bin/env bash
# Renders the HTML board pack for a plan in headless Chromium and saves a PNG to look at:
#   scripts/board-pack-screenshot.sh [PLAN] [AS-OF] [OUT.png]
# Needs Debian's chromium (apt-get install -y chromium). Run by hand; the PNG is not checked in.
set -euo pipefail
cd "$(dirname "$0")/.."
plan=${1:-../shared/plans/oldham-priority-action-plan.tsv}
as_of=${2:-2024-07-01}
out=${3:-board-pack.png}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swift run -c release stocktake check "$plan" --rules rules/send-plan.yaml --as-of "$as_of" --no-history \
    --format "html:$work/board.html" --fail-on never
for width in 1280; do
    chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=$width,2400 \
        --screenshot="$out" "file://$work/board.html" 2>/dev/null
done
chromium --headless --no-sandbox --disable-gpu --print-to-pdf="${out%.png}.pdf" --no-pdf-header-footer "file://$work/board.html" 2>/dev/null
echo "wrote $out and ${out%.png}.pdf"
