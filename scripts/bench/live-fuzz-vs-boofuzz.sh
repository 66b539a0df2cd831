#!/usr/bin/env bash
# Throughput of `ftpspec fuzz` and of boofuzz against the same vsftpd, in
# one run, with the same session shape: a new connection, login (USER,
# PASS), fuzzed commands, close. Inside a private network namespace
# (scripts/ci/real-servers.sh), loopback only.
#
#   sudo scripts/bench/live-fuzz-vs-boofuzz.sh [SECONDS] [BOOFUZZ_CASES]
#
# Defaults: ftpspec fuzz for 60 s (--jobs 1, then --jobs 4); boofuzz for
# 300 test cases. Prints sessions/s for each and the ratios. Needs root
# (vsftpd setup, unshare -n) and, the first time, network access for pip
# (boofuzz goes into a venv under $FTPSPEC_CACHE).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SECS="${1:-60}"
CASES="${2:-300}"
export FTPSPEC_CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}"
VENV="$FTPSPEC_CACHE/boofuzz-venv"

if [ "${FTPSPEC_BENCH_INSIDE:-}" != 1 ]; then
    # Outside: build, install boofuzz, then into the namespace with the servers.
    (cd "$REPO" && cargo build --release --bin ftpspec)
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import boofuzz' 2>/dev/null; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q boofuzz
    fi
    FTPSPEC_BENCH_INSIDE=1 exec "$REPO/scripts/ci/real-servers.sh" "$0" "$SECS" "$CASES"
fi

url="$(awk -F'\t' '$1 == "vsftpd" { print $2 }' "$FTPSPEC_TARGETS")"   # ftp://ftpspec:ftpspec@127.0.0.1:2121/
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== the ceiling: vsftpd's own cost of one connection with a login (connect, USER, PASS, QUIT; 50 in a row)"
python3 - <<'PY'
import socket, time
t = time.time()
for _ in range(50):
    s = socket.create_connection(("127.0.0.1", 2121)); f = s.makefile("rb")
    f.readline(); s.sendall(b"USER ftpspec\r\n"); f.readline(); s.sendall(b"PASS ftpspec\r\n"); f.readline()
    s.sendall(b"QUIT\r\n"); f.readline(); s.close()
d = (time.time() - t) / 50
print(f"login-only sessions: {d * 1000:.0f} ms each, at most {1 / d:.1f} sessions/s for any client, one at a time")
PY
echo "== ftpspec fuzz, --jobs 1, ${SECS}s"
"$REPO/target/release/ftpspec" fuzz --target "$url" --duration "${SECS}s" --seed 1 >"$work/f1" 2>/dev/null || true
grep 'sessions in' "$work/f1"
echo "== ftpspec fuzz, --jobs 4, ${SECS}s"
"$REPO/target/release/ftpspec" fuzz --target "$url" --duration "${SECS}s" --seed 1 --jobs 4 >"$work/f4" 2>/dev/null || true
grep 'sessions in' "$work/f4"
echo "== boofuzz 0.4, $CASES test cases"
(cd "$work" && "$VENV/bin/python" "$HERE/boofuzz_ftp.py" 127.0.0.1 2121 ftpspec ftpspec "$CASES" "$work/boofuzz.db") >"$work/b" 2>&1 || true
tail -1 "$work/b"

num() { grep 'sessions in' "$1" | sed "s/.*(\([0-9]*\) sessions\/s, \([0-9]*\) commands\/s).*/\\$2/"; }
s1="$(num "$work/f1" 1)"; c1="$(num "$work/f1" 2)"
s4="$(num "$work/f4" 1)"; c4="$(num "$work/f4" 2)"
b="$(tail -1 "$work/b" | sed 's/.*(\([0-9.]*\) cases\/s).*/\1/')"
# A boofuzz test case is one session with one fuzzed command.
awk -v s1="$s1" -v c1="$c1" -v s4="$s4" -v c4="$c4" -v b="$b" 'BEGIN {
    printf "sessions/s: ftpspec %s (jobs 1), %s (jobs 4); boofuzz %s: %.1fx, %.1fx\n", s1, s4, b, s1 / b, s4 / b
    printf "fuzzed commands/s: ftpspec %s (jobs 1), %s (jobs 4); boofuzz %s: %.1fx, %.1fx\n", c1, c4, b, c1 / b, c4 / b }'
