# Shared by the server scripts (sourced): wait for a started server to listen,
# stop it by its pid file, create the ftpspec system users (vsftpd.sh and
# inetutils.sh), make TLS certificates and check FTPSPEC_TLS.
# Each script defines WAIT_SECS and die() before sourcing this.

FTP_USER="${FTPSPEC_USER:-ftpspec}"
FTP_PASS="${FTPSPEC_PASS:-ftpspec}"
ANON_USER="ftpspec-anon"   # uid of anonymous sessions (vsftpd's ftp_username, inetutils' "ftp")

is_listening() { # addr port pid -- true if <pid> itself listens on addr:port
    local want
    if [ "$1" = "::1" ]; then want="[::1]:$2"; else want="$1:$2"; fi
    ss -Hltnp 2>/dev/null | awk -v w="$want" -v p="pid=$3," '$4 == w && index($0, p)' | grep -q .
}

wait_listening() { # name addr port pid dir -- print dir once listening, else show the log and exit 1
    local name="$1" addr="$2" port="$3" pid="$4" dir="$5" i
    for ((i = 0; i < WAIT_SECS * 10; i++)); do
        if is_listening "$addr" "$port" "$pid"; then
            echo "$name listening on $addr port $port (pid $pid, dir $dir)" >&2
            echo "$dir"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$name failed to listen on $addr:$port; log $dir/$name.log:" >&2
    cat "$dir/$name.log" >&2 || true
    kill "$pid" 2>/dev/null || true
    rm -f "$dir/$name.pid"
    exit 1
}

stop_server() { # name dir -- stop the server whose pid is in <dir>/<name>.pid
    local name="$1" dir="${2:-}"
    [ -n "$dir" ] || die "usage: stop <dir>"
    local pidfile="$dir/$name.pid"
    [ -f "$pidfile" ] || { echo "$name.sh: no pid file in $dir" >&2; return 0; }
    local pid i
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

ensure_one_user() { # name home -- a system user with a nologin shell and a real home dir
    if ! getent passwd "$1" >/dev/null; then
        useradd --system --no-create-home --home-dir "$2" --shell /usr/sbin/nologin "$1"
    fi
    # vsftpd chdir()s to the account's home *before* applying local_root /
    # anon_root and fails with "500 OOPS: cannot change directory" if it does
    # not exist: so the home must be a real directory (not /nonexistent).
    local home
    home="$(getent passwd "$1" | cut -d: -f6)"
    if [ ! -d "$home" ] && [ "$home" != "$2" ]; then
        usermod --home "$2" "$1"
        home="$2"
    fi
    mkdir -p "$home"
}

ensure_users() { # system users ftpspec (password ftpspec) and ftpspec-anon
    [ "$(id -u)" = 0 ] || die "must run as root (creates system users)"
    ensure_one_user "$FTP_USER" "/var/lib/$FTP_USER"
    ensure_one_user "$ANON_USER" "/var/lib/$ANON_USER"
    # (Re)set the password every time: cheap and keeps things idempotent.
    echo "$FTP_USER:$FTP_PASS" | chpasswd
}

users_ok() { # true once ensure_users has run (both users, homes exist)
    getent passwd "$FTP_USER" >/dev/null && getent passwd "$ANON_USER" >/dev/null \
        && [ -d "$(getent passwd "$FTP_USER" | cut -d: -f6)" ] \
        && [ -d "$(getent passwd "$ANON_USER" | cut -d: -f6)" ]
}

# ---- TLS (FTPSPEC_TLS=explicit|implicit for `start`) ----

CERT_DIR="${FTPSPEC_CERT_DIR:-${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}/certs}"

certs_ok() { # dir -- ca.pem, server.pem, server.key there, valid for > 1 day, chain verifies
    [ -s "$1/ca.pem" ] && [ -s "$1/server.pem" ] && [ -s "$1/server.key" ] \
        && openssl x509 -noout -checkend 86400 -in "$1/server.pem" >/dev/null 2>&1 \
        && openssl verify -CAfile "$1/ca.pem" "$1/server.pem" >/dev/null 2>&1
}

ensure_certs() { # dir -- a self-signed CA (ca.pem) and a server certificate (server.pem,
    # server.key) for localhost, 127.0.0.1 and ::1, signed by it; kept and reused while valid.
    local d="$1"
    [ -n "$d" ] || die "ensure_certs: no directory"
    mkdir -p "$d"
    certs_ok "$d" && return 0
    command -v openssl >/dev/null || die "openssl is needed for TLS (apt-get install openssl)"
    (
        # (set -e would be ignored here, inside `( ... ) || die`: check each step.)
        # Parallel starts: one makes them, the others wait for the lock and reuse.
        if command -v flock >/dev/null; then exec 9>"$d/.lock"; flock -w 60 9 || true; fi
        certs_ok "$d" && exit 0
        t="$(mktemp -d "$d/.gen.XXXXXX")" || exit 1
        trap 'rm -rf "$t"' EXIT
        printf '%s\n' 'basicConstraints = critical, CA:FALSE' \
            'keyUsage = critical, digitalSignature, keyEncipherment' \
            'extendedKeyUsage = serverAuth' \
            'subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1' \
            'subjectKeyIdentifier = hash' \
            'authorityKeyIdentifier = keyid' >"$t/server.ext"
        openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
            -subj "/CN=ftpspec test CA" -keyout "$t/ca.key" -out "$t/ca.pem" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" >"$t/log" 2>&1 || { cat "$t/log" >&2; exit 1; }
        openssl req -new -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
            -keyout "$t/server.key" -out "$t/server.csr" >>"$t/log" 2>&1 || { cat "$t/log" >&2; exit 1; }
        openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" -CAkey "$t/ca.key" \
            -CAcreateserial -days 3650 -sha256 -extfile "$t/server.ext" \
            -out "$t/server.pem" >>"$t/log" 2>&1 || { cat "$t/log" >&2; exit 1; }
        chmod 600 "$t/server.key" "$t/ca.key"
        chmod 644 "$t/ca.pem" "$t/server.pem"
        certs_ok "$t" || exit 1
        for f in ca.key server.key server.pem ca.pem; do mv -f "$t/$f" "$d/$f" || exit 1; done
        echo "made TLS certificates in $d (CA: $d/ca.pem)" >&2
    ) || die "could not make TLS certificates in $d"
    certs_ok "$d" || die "TLS certificates in $d do not verify"
}

tls_mode() { # supported-modes... -- check $FTPSPEC_TLS ("" = plain) against what the server can do
    local m="${FTPSPEC_TLS:-}" ok
    [ -z "$m" ] && return 0
    for ok in "$@"; do [ "$m" = "$ok" ] && return 0; done
    die "FTPSPEC_TLS=$m is not supported by this server (supported: ${*:-none})"
}
