#!/usr/bin/env bash
# Time the whole suite with /usr/bin/time -v: wall clock and peak RSS.
#
#   scripts/bench/suite.sh            # embedded libunftp, then vsftpd with --jobs 1 and --jobs 4
#   scripts/bench/suite.sh embedded   # only the embedded target (no root needed)
#
# vsftpd runs inside scripts/ci/real-servers.sh (a private network namespace
# with only lo, so PORT/EPRT reach nothing but loopback; needs root). Each run
# is bounded by --case-timeout and by `timeout`. One line per run:
#   target  jobs  wall_s  peak_rss_mb  summary
# Budget (README, Performance): embedded under 5 s wall and 64 MB peak RSS.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"
BIN="$REPO/target/release/ftpspec"

# One timed run: label, jobs, then ftpspec arguments.
measure() {
    local label=$1 jobs=$2 log json
    shift 2
    log=$(mktemp)
    json=$(mktemp)
    # Exit 1 only means the target failed some cases; 2 and 3 are real trouble.
    local status=0
    timeout 300 /usr/bin/time -v "$BIN" run --jobs "$jobs" --report "json=$json" "$@" \
        >/dev/null 2>"$log" || status=$?
    if [ "$status" -gt 1 ]; then
        echo "suite.sh: $label --jobs $jobs exited $status" >&2
        cat "$log" >&2
        rm -f "$log" "$json"
        return 1
    fi
    local wall rss summary
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.2f", s }' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$log")
    summary=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(" ".join(f"{k}={v}" for k,v in s.items()))' "$json")
    printf '%-14s jobs=%s  wall %6ss  peak RSS %6s MB  %s\n' "$label" "$jobs" "$wall" "$rss" "$summary"
    rm -f "$log" "$json"
}

if [ "${1:-}" = --inside-netns ]; then
    # Called back by real-servers.sh with FTPSPEC_TARGETS set.
    url=$(awk -F'\t' '$1 == "vsftpd" { print $2 }' "$FTPSPEC_TARGETS")
    [ -n "$url" ] || { echo "suite.sh: no vsftpd in $FTPSPEC_TARGETS" >&2; exit 2; }
    measure vsftpd 1 --target "$url"
    measure vsftpd 4 --target "$url"
    exit 0
fi

cargo build --release --quiet
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(rustc --version)"
measure embedded 4
[ "${1:-}" = embedded ] && exit 0
"$REPO/scripts/ci/real-servers.sh" bash "$HERE/suite.sh" --inside-netns
