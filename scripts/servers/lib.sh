# Shared by vsftpd.sh and pyftpdlib.sh (sourced): wait for a started server
# to listen, and stop it by its pid file. Each expects WAIT_SECS and die().

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
