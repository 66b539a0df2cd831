#!/usr/bin/env bash
# Install and run GNU inetutils ftpd on loopback for ftpspec tests.
#
#   inetutils.sh install
#   inetutils.sh start <dir> <port> [ipv4|ipv6]   # dir may be "" -> mktemp; prints dir
#   inetutils.sh stop <dir>
#
# The Debian package inetutils-ftpd is never apt-get installed (it conflicts
# with every other ftp-server package): `apt-get download inetutils-ftpd
# libwrap0` + `dpkg-deb -x` into $FTPSPEC_CACHE/inetutils, run with
# LD_LIBRARY_PATH for libwrap.so.0.
#
# Not in daemon mode: `ftpd -D` always listens on the wildcard address (all
# interfaces) and on the port of "ftp" in /etc/services, with no option for
# either, and forks into the background. So ftpd runs inetd-style, one process
# per connection on stdin/stdout, behind inetd_serve.py, which listens on
# 127.0.0.1 or ::1 only.
#
# Accounts: ftpd authenticates system users (-a default: getpwnam + shadow +
# crypt; Debian's /etc/pam.d/ftp is not used) and refuses users in
# /etc/ftpusers or whose shell is not in /etc/shells; it chroots the users
# listed in /etc/ftpchroot into their home, and "anonymous"/"ftp" into the
# home of the system user "ftp". The script never edits the real /etc: the
# listener runs in a private mount namespace (unshare -m) where /etc is an
# overlay (upper layer on a tmpfs) holding this instance's changes:
#   passwd    ftpspec's home -> <dir>/root; a user "ftp" (uid of ftpspec-anon,
#             created by lib.sh's ensure_users like for vsftpd) with home <dir>/anon
#   shells    + /usr/sbin/nologin (the shell of both users)
#   ftpchroot ftpspec (so PWD is "/" like on the other servers)
#   ftpusers  empty;  ftpwelcome, nologin, motd removed (fixed replies)
# Logins: ftpspec/ftpspec (read-write, <dir>/root) and anonymous or ftp with
# any password (read-only by file modes: <dir>/anon is root's, 755).
#
# Passive ports: ftpd has no option for a range; it takes an ephemeral port
# from the kernel (ip_local_port_range). FTPSPEC_PASV_MIN/MAX are ignored.
# TLS: none (inetutils ftpd has no AUTH TLS); FTPSPEC_TLS must be empty.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}/inetutils"
ROOTFS="$CACHE/rootfs"
BIN="$ROOTFS/usr/sbin/ftpd"
WAIT_SECS="${FTPSPEC_WAIT_SECS:-10}"

die() { echo "inetutils.sh: $*" >&2; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

libpath() {
    echo "$ROOTFS/lib/x86_64-linux-gnu:$ROOTFS/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

cmd_install() {
    [ "$(id -u)" = 0 ] || die "must run as root (system users, mount namespace, setuid to the user)"
    if [ ! -x "$BIN" ]; then
        mkdir -p "$CACHE/debs" "$ROOTFS"
        local pkg deb
        for pkg in inetutils-ftpd libwrap0; do
            if ! ls "$CACHE/debs/${pkg}"_*.deb >/dev/null 2>&1; then
                # Retry once after refreshing the package lists (fresh machines).
                (cd "$CACHE/debs" && apt-get download "$pkg") \
                    || { apt-get update && (cd "$CACHE/debs" && apt-get download "$pkg"); }
            fi
        done
        for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOTFS"; done
        [ -x "$BIN" ] || die "ftpd binary missing after unpack: $BIN"
    fi
    ensure_users
    LD_LIBRARY_PATH="$(libpath)" "$BIN" --version | head -1 >&2
}

cmd_start() {
    local dir="${1:-}" port="${2:-}" family="${3:-ipv4}" addr
    [ -n "$port" ] || die "usage: start <dir> <port> [ipv4|ipv6]"
    case "$family" in
        ipv4) addr=127.0.0.1 ;;
        ipv6) addr=::1 ;;
        *) die "family must be ipv4 or ipv6, got: $family" ;;
    esac
    tls_mode   # none
    [ "$(id -u)" = 0 ] || die "must run as root"
    [ -x "$BIN" ] && users_ok || cmd_install
    command -v unshare >/dev/null || die "needs unshare (util-linux)"
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/ftpspec-inetutils.XXXXXX)"; fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/inetutils.pid" ] && kill -0 "$(cat "$dir/inetutils.pid")" 2>/dev/null; then
        die "already running in $dir (pid $(cat "$dir/inetutils.pid"))"
    fi
    mkdir -p "$dir/root" "$dir/anon/pub" "$dir/etc-overlay"
    chown root:root "$dir/anon" && chmod 755 "$dir/anon"
    [ -f "$dir/root/hello.txt" ] || printf 'hello from inetutils ftpd\r\n' >"$dir/root/hello.txt"
    [ -f "$dir/anon/pub/readme.txt" ] || printf 'anonymous readme\n' >"$dir/anon/pub/readme.txt"
    chown -R "$FTP_USER" "$dir/root"
    # ftpd chroot()s as root, but then works as the user: <dir>/root must be reachable.
    chmod o+x "$dir"
    if ! runuser -u "$FTP_USER" -- test -w "$dir/root"; then
        die "user $FTP_USER cannot reach $dir/root: make its parent directories o+x"
    fi

    : >"$dir/inetutils.log"
    setsid unshare -m --propagation private "$HERE/inetutils.sh" _serve "$dir" "$addr" "$port" \
        </dev/null >>"$dir/inetutils.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/inetutils.pid"
    wait_listening inetutils "$addr" "$port" "$pid" "$dir"
}

# Runs inside the private mount namespace (same pid as `unshare`): make the
# /etc overlay, then become the listener.
cmd_serve() {
    local dir="$1" addr="$2" port="$3" ov="$1/etc-overlay" uid gid
    mount -t tmpfs -o mode=755,size=16m ftpspec-etc "$ov" || die "cannot mount a tmpfs on $ov"
    mkdir -p "$ov/upper" "$ov/work"
    mount -t overlay ftpspec-etc -o "lowerdir=/etc,upperdir=$ov/upper,workdir=$ov/work" /etc \
        || die "cannot mount an overlay on /etc (needs overlayfs in a private mount namespace)"
    uid="$(id -u "$ANON_USER")"
    gid="$(id -g "$ANON_USER")"
    # passwd: ftpspec's home is its chroot; "ftp" is the anonymous account.
    awk -F: -v OFS=: -v u="$FTP_USER" -v h="$dir/root" '$1 == "ftp" { next } $1 == u { $6 = h } { print }' \
        /etc/passwd >"$ov/passwd.new"
    echo "ftp:x:$uid:$gid:ftpspec anonymous:$dir/anon:/usr/sbin/nologin" >>"$ov/passwd.new"
    cat "$ov/passwd.new" >/etc/passwd
    grep -qx /usr/sbin/nologin /etc/shells || echo /usr/sbin/nologin >>/etc/shells
    echo "$FTP_USER" >/etc/ftpchroot
    : >/etc/ftpusers
    rm -f /etc/ftpwelcome /etc/nologin /etc/motd
    export LD_LIBRARY_PATH
    LD_LIBRARY_PATH="$(libpath)"
    # ftpd: -a default = passwd/shadow authentication; -l = log sessions (syslog).
    exec python3 "$HERE/inetd_serve.py" --host "$addr" --port "$port" -- "$BIN" -a default -l
}

cmd_stop() {
    stop_server inetutils "$@"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    _serve) shift; cmd_serve "$@" ;;
    *) echo "usage: $0 install | start <dir> <port> [ipv4|ipv6] | stop <dir>" >&2; exit 2 ;;
esac
