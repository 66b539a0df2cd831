#!/usr/bin/env python3
"""A minimal inetd: accept TCP connections on one loopback address and port and
run a command per connection with the socket as its stdin and stdout (what
inetd(8) does for "nowait" services). Used by inetutils.sh, because
inetutils ftpd's own daemon mode (-D) can only listen on the wildcard address
and the "ftp" port of /etc/services.

usage: inetd_serve.py --host 127.0.0.1|::1 --port N [--max-sessions 64] -- CMD [ARG...]

The command's stderr goes to ours. On SIGTERM/SIGINT the listener closes and
every running session gets SIGTERM (then SIGKILL after 2 s).
"""
import argparse
import os
import signal
import socket
import sys
import time

LOOPBACK = ("127.0.0.1", "::1")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True, choices=LOOPBACK)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--max-sessions", type=int, default=64)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command after --")

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        lsock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(64)
    log = lambda msg: print(f"inetd_serve: {msg}", file=sys.stderr, flush=True)
    log(f"listening on {args.host} port {args.port}: {' '.join(cmd)}")

    children = set()
    stopping = False

    def reap():
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                return
            if pid == 0:
                return
            children.discard(pid)

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        try:
            lsock.close()
        except OSError:
            pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lsock.settimeout(0.5)   # wake up to reap children and to notice a stop
    while not stopping:
        reap()
        try:
            conn, peer = lsock.accept()
        except (socket.timeout, InterruptedError):
            continue
        except OSError:
            if stopping:
                break
            raise
        reap()
        if len(children) >= args.max_sessions:
            conn.sendall(b"421 Too many sessions.\r\n")
            conn.close()
            continue
        pid = os.fork()
        if pid == 0:  # child: the connection becomes fds 0 and 1, then exec
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                lsock.close()
                conn.setblocking(True)
                os.dup2(conn.fileno(), 0)
                os.dup2(conn.fileno(), 1)
                conn.close()
                os.execv(cmd[0], cmd)
            finally:
                os._exit(127)
        children.add(pid)
        conn.close()

    for pid in list(children):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            children.discard(pid)
    deadline = time.monotonic() + 2
    while children and time.monotonic() < deadline:
        reap()
        time.sleep(0.05)
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
