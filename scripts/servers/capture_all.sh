#!/usr/bin/env bash
# Regenerate the real-server reply corpora (corpora/{reply,hostport,extpassive}).
#
#   scripts/servers/capture_all.sh [out-dir]     (default: <repo>/corpora)
#
# 1. In the normal network namespace: vsftpd and pyftpdlib on 127.0.0.1 and ::1,
#    PASV/EPSV only (sessions prelogin,main,data,anon,epsvall).
# 2. Inside a private network namespace (unshare -n, only lo up): the same
#    servers again for the PORT/EPRT replies (session "port"), so no active-mode
#    address can ever leave the machine.
# Ports used: 2121-2124 / 2221-2224 (+1000..+1019 for passive data).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="$(mkdir -p "${1:-$REPO/corpora}" && cd "${1:-$REPO/corpora}" && pwd)"
export FTPSPEC_CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}"

"$HERE/vsftpd.sh" install
"$HERE/pyftpdlib.sh" install

if [ "${FTPSPEC_IN_NETNS:-}" = 1 ]; then
    base=2123 sessions=port
else
    base=2121 sessions=prelogin,main,data,anon,epsvall
fi

work="$(mktemp -d /tmp/ftpspec-capture.XXXXXX)"
chmod 755 "$work"   # vsftpd's local user must be able to traverse into it
started=()
cleanup() {
    local d
    for d in "${started[@]}"; do "$HERE/${d%%:*}.sh" stop "${d#*:}" || true; done
    rm -rf "$work"
}
trap cleanup EXIT

rc=0
# name  script  family  port
while read -r name script family port; do
    dir="$work/$name"
    "$HERE/$script.sh" start "$dir" "$port" "$family" >/dev/null
    started+=("$script:$dir")
    host=127.0.0.1; [ "$family" = ipv6 ] && host=::1
    timeout 300 python3 "$REPO/scripts/capture_replies.py" --server "$name" \
        --host "$host" --port "$port" --out "$OUT" --sessions "$sessions" || rc=1
done <<LIST
vsftpd          vsftpd    ipv4 $base
vsftpd-ipv6     vsftpd    ipv6 $((base + 1))
pyftpdlib       pyftpdlib ipv4 $((base + 100))
pyftpdlib-ipv6  pyftpdlib ipv6 $((base + 101))
LIST

if [ "${FTPSPEC_IN_NETNS:-}" != 1 ] && [ "${FTPSPEC_SKIP_PORT:-}" != 1 ]; then
    # PORT/EPRT only inside a fresh private network namespace with just lo.
    FTPSPEC_IN_NETNS=1 timeout 600 unshare -n bash -c \
        'ip link set lo up && exec "$0" "$1"' "$HERE/capture_all.sh" "$OUT" || rc=1
fi
exit $rc
