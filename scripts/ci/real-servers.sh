#!/usr/bin/env bash
# Run a command next to four real FTP servers, inside a private network namespace.
#
#   scripts/ci/real-servers.sh <command...>
#
# e.g. (build first, outside: cargo cannot reach the network in the namespace)
#   cargo test --no-run --test real_servers
#   scripts/ci/real-servers.sh cargo test --offline --test real_servers -- --nocapture
#   FTPSPEC_UPDATE_EXPECTATIONS=1 scripts/ci/real-servers.sh cargo test --offline --test real_servers -- --nocapture
#
# 1. Outside: makes sure ip/ss (iproute2), unshare/runuser (util-linux) and
#    python3-venv are there (apt-get), then installs vsftpd and pyftpdlib with
#    scripts/servers/*.sh install (idempotent; cached in $FTPSPEC_CACHE).
# 2. Re-executes itself under `unshare -n` (a fresh network namespace whose only
#    interface is lo, brought up here), so PORT/EPRT can never reach anything
#    but loopback. Needs root.
# 3. Starts, each with a throwaway root:
#      vsftpd          127.0.0.1:2121  passive 3100-3149
#      vsftpd-ipv6     [::1]:2122      passive 3200-3249
#      pyftpdlib       127.0.0.1:2221  passive 3300-3349
#      pyftpdlib-ipv6  [::1]:2222      passive 3400-3449
#    and writes a targets file of `name<TAB>url` lines (login ftpspec/ftpspec,
#    e.g. `vsftpd<TAB>ftp://ftpspec:ftpspec@127.0.0.1:2121/`), exported as
#    FTPSPEC_TARGETS.
# 4. Runs the command there (bounded by FTPSPEC_CI_TIMEOUT seconds, default
#    1800), stops the servers and exits with the command's status (124 on timeout).
#
# FTPSPEC_KEEP_WORK=1 keeps the work directory (server logs) for inspection;
# FTPSPEC_SERVERS_DIR=<dir> uses another copy of scripts/servers.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SERVERS="${FTPSPEC_SERVERS_DIR:-$REPO/scripts/servers}"   # override to try patched server scripts
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
export FTPSPEC_CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}"
CMD_TIMEOUT="${FTPSPEC_CI_TIMEOUT:-1800}"

die() { echo "real-servers.sh: $*" >&2; exit 2; }
log() { echo "real-servers.sh: $*" >&2; }

[ $# -gt 0 ] || die "usage: $0 <command...>   (e.g. cargo test --offline --test real_servers)"
[ "$(id -u)" = 0 ] || die "must run as root (vsftpd setup, unshare -n)"

apt_updated=0
apt_install() { # packages...
    command -v apt-get >/dev/null || die "missing $*, and no apt-get to install them"
    # Refresh the lists first on CI or when they were never fetched (fresh machine);
    # otherwise only when the install fails.
    if [ "$apt_updated" = 0 ] && { [ -n "${CI:-}" ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v '^lock$\|^partial$')" ]; }; then
        apt-get update -qq && apt_updated=1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; then
        [ "$apt_updated" = 1 ] && die "apt-get install $* failed"
        apt-get update -qq && apt_updated=1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
    fi
}

ensure_tools() {
    local pkgs=()
    command -v ip >/dev/null && command -v ss >/dev/null || pkgs+=(iproute2)
    command -v unshare >/dev/null && command -v runuser >/dev/null || pkgs+=(util-linux)
    command -v python3 >/dev/null || pkgs+=(python3)
    # pyftpdlib.sh makes a venv; Debian's python3 needs python3-venv for ensurepip.
    # Only needed until the venv exists.
    if [ ! -x "$FTPSPEC_CACHE/venv/bin/python" ] \
        && ! { command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
        pkgs+=(python3-venv)
    fi
    # vsftpd.sh needs useradd/usermod/chpasswd (passwd) and dpkg-deb (dpkg);
    # both are on every Debian, so just check.
    command -v useradd >/dev/null && command -v chpasswd >/dev/null || pkgs+=(passwd)
    if [ ${#pkgs[@]} -gt 0 ]; then
        log "installing ${pkgs[*]}"
        apt_install "${pkgs[@]}"
    fi
}

if [ "${FTPSPEC_REAL_SERVERS_NETNS:-}" != 1 ]; then
    # ---- outside: tools, server installs, then into a private namespace ----
    ensure_tools
    if [ -n "${CI:-}" ] && [ ! -x "$FTPSPEC_CACHE/vsftpd/rootfs/usr/sbin/vsftpd" ]; then
        apt-get update -qq && apt_updated=1
    fi
    # vsftpd.sh itself retries `apt-get download` once after `apt-get update`.
    "$SERVERS/vsftpd.sh" install >/dev/null 2>&1 || "$SERVERS/vsftpd.sh" install
    "$SERVERS/pyftpdlib.sh" install
    FTPSPEC_REAL_SERVERS_NETNS=1 exec unshare -n "$SELF" "$@"
    die "unshare -n failed"
fi

# ---- inside the private network namespace ----
# Refuse to go on if this is not a namespace of our own (anything but lo).
others="$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx lo || true)"
[ -z "$others" ] || die "not in a private network namespace (interfaces: $others)"
ip link set lo up
# ::1 on lo: a fresh namespace normally has it at once; enable IPv6 if off.
if [ "$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null || echo 1)" != 0 ]; then
    sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 2>/dev/null || true
fi
for ((i = 0; i < 50; i++)); do
    ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128' && break
    sleep 0.1
done
ip -6 addr show dev lo | grep -q 'inet6 ::1/128' || die "::1 did not come up on lo"

work="$(mktemp -d /tmp/ftpspec-ci.XXXXXX)"
chmod 755 "$work"   # vsftpd's local user must be able to traverse into it
started=()
cleanup() {
    local d
    # In parallel: each stop takes a couple of seconds.
    for d in "${started[@]}"; do "$SERVERS/${d%%:*}.sh" stop "${d#*:}" >/dev/null 2>&1 & done
    wait
    if [ "${FTPSPEC_KEEP_WORK:-}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
cpid=
on_signal() { # forward to the command (timeout passes it on), then clean up
    [ -n "$cpid" ] && kill -"$1" "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
    exit "$2"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

targets="$work/targets.tsv"
: >"$targets"
# name  script  family  port  pasv-min
while read -r name script family port pmin; do
    dir="$work/$name"
    FTPSPEC_PASV_MIN="$pmin" FTPSPEC_PASV_MAX="$((pmin + 49))" \
        "$SERVERS/$script.sh" start "$dir" "$port" "$family" >/dev/null
    started+=("$script:$dir")
    host=127.0.0.1; [ "$family" = ipv6 ] && host='[::1]'
    printf '%s\tftp://ftpspec:ftpspec@%s:%s/\n' "$name" "$host" "$port" >>"$targets"
done <<'LIST'
vsftpd          vsftpd    ipv4 2121 3100
vsftpd-ipv6     vsftpd    ipv6 2122 3200
pyftpdlib       pyftpdlib ipv4 2221 3300
pyftpdlib-ipv6  pyftpdlib ipv6 2222 3400
LIST
export FTPSPEC_TARGETS="$targets"

rc=0
timeout -k 10 "$CMD_TIMEOUT" "$@" &
cpid=$!
wait "$cpid" || rc=$?
cpid=
[ "$rc" = 124 ] && log "command timed out after ${CMD_TIMEOUT}s: $*"
exit "$rc"
