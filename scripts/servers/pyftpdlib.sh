#!/usr/bin/env bash
# Install and run pyftpdlib on loopback for ftpspec tests.
#
#   pyftpdlib.sh install
#   pyftpdlib.sh start <dir> <port> [ipv4|ipv6]   # dir may be "" -> mktemp; prints dir
#   pyftpdlib.sh stop <dir>
#
# pyftpdlib comes from PyPI into a venv at $FTPSPEC_CACHE/venv (override the
# version with FTPSPEC_PYFTPDLIB_VERSION, the interpreter with FTPSPEC_PYTHON).
# Logins: ftpspec/ftpspec (perm elradfmwMT on <dir>/root), anonymous
# (read-only, <dir>/anon). Passive ports: FTPSPEC_PASV_MIN..FTPSPEC_PASV_MAX
# (default port+1000..port+1019).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}/venv"
PY="$VENV/bin/python"
VERSION="${FTPSPEC_PYFTPDLIB_VERSION:-2.2.0}"
WAIT_SECS="${FTPSPEC_WAIT_SECS:-10}"

die() { echo "pyftpdlib.sh: $*" >&2; exit 1; }

installed() {
    [ -x "$PY" ] && "$PY" -c 'import sys, pyftpdlib; sys.exit(pyftpdlib.__ver__ != sys.argv[1])' "$VERSION" 2>/dev/null
}

cmd_install() {
    installed && return 0
    local base="${FTPSPEC_PYTHON:-python3}"
    [ -x "$PY" ] || "$base" -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "pyftpdlib==$VERSION"
    installed || die "pyftpdlib $VERSION not importable from $VENV"
}

is_listening() { # addr port pid
    local want
    if [ "$1" = "::1" ]; then want="[::1]:$2"; else want="$1:$2"; fi
    ss -Hltnp 2>/dev/null | awk -v w="$want" -v p="pid=$3," '$4 == w && index($0, p)' | grep -q .
}

cmd_start() {
    local dir="${1:-}" port="${2:-}" family="${3:-ipv4}" addr
    [ -n "$port" ] || die "usage: start <dir> <port> [ipv4|ipv6]"
    case "$family" in
        ipv4) addr=127.0.0.1 ;;
        ipv6) addr=::1 ;;
        *) die "family must be ipv4 or ipv6, got: $family" ;;
    esac
    installed || cmd_install
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/ftpspec-pyftpdlib.XXXXXX)"; fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/pyftpdlib.pid" ] && kill -0 "$(cat "$dir/pyftpdlib.pid")" 2>/dev/null; then
        die "already running in $dir (pid $(cat "$dir/pyftpdlib.pid"))"
    fi
    mkdir -p "$dir/root" "$dir/anon/pub"
    [ -f "$dir/root/hello.txt" ] || printf 'hello from pyftpdlib\r\n' >"$dir/root/hello.txt"
    [ -f "$dir/anon/pub/readme.txt" ] || printf 'anonymous readme\n' >"$dir/anon/pub/readme.txt"

    local pmin="${FTPSPEC_PASV_MIN:-$((port + 1000))}" pmax="${FTPSPEC_PASV_MAX:-$((port + 1019))}"
    : >"$dir/pyftpdlib.log"
    setsid "$PY" "$HERE/pyftpd_serve.py" --root "$dir/root" --anon-root "$dir/anon" \
        --host "$addr" --port "$port" --pasv-min "$pmin" --pasv-max "$pmax" \
        </dev/null >>"$dir/pyftpdlib.log" 2>&1 &
    local pid=$! i
    echo "$pid" >"$dir/pyftpdlib.pid"
    for ((i = 0; i < WAIT_SECS * 10; i++)); do
        if is_listening "$addr" "$port" "$pid"; then
            echo "pyftpdlib listening on $addr port $port (pid $pid, dir $dir)" >&2
            echo "$dir"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "pyftpdlib failed to listen on $addr:$port; log $dir/pyftpdlib.log:" >&2
    cat "$dir/pyftpdlib.log" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$dir/pyftpdlib.pid"
    exit 1
}

cmd_stop() {
    local dir="${1:-}"
    [ -n "$dir" ] || die "usage: stop <dir>"
    local pidfile="$dir/pyftpdlib.pid"
    [ -f "$pidfile" ] || { echo "pyftpdlib.sh: no pid file in $dir" >&2; return 0; }
    local pid i
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) echo "usage: $0 install | start <dir> <port> [ipv4|ipv6] | stop <dir>" >&2; exit 2 ;;
esac
