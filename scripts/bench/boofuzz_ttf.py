#!/usr/bin/env python3
"""boofuzz against a server with one planted fault, timed to the first crash
or hang it detects (for scripts/bench/time-to-find.sh).

    boofuzz_ttf.py --port PORT --cmd 'SHELL COMMAND' --seconds N
                   [--seed S] [--timeout T] [--db FILE]

--cmd starts the server (`sh -c`, in a session of its own) and must make it
listen on 127.0.0.1:PORT; the run ends at the first crash, so it is not
restarted. The grammar:
log in (USER ftpspec, PASS ftpspec; not fuzzed), then one request per FTP
verb (RFC 959, 2228, 2389, 2428, 3659, 7151: 47 of them), each
`s_string(VERB) s_delim(" ") s_string(ARG) "\\r\\n"` with a usual argument as
ARG's default, so boofuzz fuzzes the verb, the delimiter and the argument of
every verb; one test case per connection. boofuzz walks that graph in a
fixed order (every mutation of one request before the next); --seed shuffles
the order of the verbs (seed 0: the order below), since where the faulty
verb falls in it is most of what boofuzz's time to find is.

A process monitor (a boofuzz BaseMonitor) watches the server after every test
case:
  crash: the server process has exited (checked after each test case, and
         when boofuzz cannot connect);
  hang:  the fuzzed request got no reply for --timeout seconds (boofuzz's
         recv timeout) while the connection is still open (a MSG_PEEK shows
         neither data nor EOF) and the server is alive.
The first one ends the run. Time is counted from the moment the server first
listens. Prints one line:
  RESULT found SECS KIND cases=N node=VERB element=NAME
  RESULT none SECS - cases=N node=VERB element=NAME
(node/element: what boofuzz was fuzzing at the end). Loopback only.
"""
import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import time

from boofuzz import (
    Session,
    TCPSocketConnection,
    Target,
    s_delim,
    s_get,
    s_initialize,
    s_static,
    s_string,
)
from boofuzz.monitors import BaseMonitor

VERBS = [
    ("USER", "ftpspec"), ("PASS", "ftpspec"), ("ACCT", "ftpspec"), ("CWD", "fuzz"),
    ("CDUP", ""), ("SMNT", "fuzz"), ("REIN", ""), ("QUIT", ""), ("PORT", "127,0,0,1,4,1"),
    ("PASV", ""), ("TYPE", "I"), ("STRU", "F"), ("MODE", "S"), ("RETR", "fuzz"),
    ("STOR", "fuzz"), ("STOU", ""), ("APPE", "fuzz"), ("ALLO", "100"), ("REST", "100"),
    ("RNFR", "fuzz"), ("RNTO", "fuzz2"), ("ABOR", ""), ("DELE", "fuzz"), ("RMD", "fuzz"),
    ("MKD", "fuzz"), ("PWD", ""), ("LIST", ""), ("NLST", ""), ("SITE", "CHMOD 777 fuzz"),
    ("SYST", ""), ("STAT", ""), ("HELP", ""), ("NOOP", ""), ("FEAT", ""),
    ("OPTS", "UTF8 ON"), ("EPRT", "|1|127.0.0.1|1025|"), ("EPSV", ""), ("MDTM", "fuzz"),
    ("SIZE", "fuzz"), ("MLST", "fuzz"), ("MLSD", ""), ("LANG", "EN"), ("AUTH", "TLS"),
    ("PBSZ", "0"), ("PROT", "P"), ("CCC", ""), ("HOST", "127.0.0.1"),
]

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--cmd", required=True)
ap.add_argument("--seconds", type=float, required=True)
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--timeout", type=float, default=5.0)
ap.add_argument("--db", default="boofuzz-ttf.db")
args = ap.parse_args()


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class FtpMonitor(BaseMonitor):
    """Starts the server, detects a crash or a hang, ends the run."""

    def __init__(self):
        super().__init__()
        self.proc = None
        self.t0 = None

    def alive(self):
        return True

    def _spawn(self):
        self.proc = subprocess.Popen(["sh", "-c", args.cmd], start_new_session=True)
        deadline = time.time() + 10
        while not listening(args.port):
            if self.proc.poll() is not None or time.time() > deadline:
                sys.stderr.write("boofuzz_ttf: the server did not start\n")
                self._stop()
                print("RESULT error 0 - cases=0 node=- element=-", flush=True)
                os._exit(3)
            time.sleep(0.02)
        if self.t0 is None:
            self.t0 = time.time()

    def _stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()

    def finish(self, kind, session):
        elapsed = time.time() - self.t0
        node = session.fuzz_node.name if session.fuzz_node is not None else "-"
        mutant = getattr(session.fuzz_node, "mutant", None) if session.fuzz_node is not None else None
        element = getattr(mutant, "name", "-") if mutant is not None else "-"
        status = "found" if kind else "none"
        print(
            f"RESULT {status} {elapsed:.1f} {kind or '-'} cases={session.num_cases_actually_fuzzed} "
            f"node={node} element={element}",
            flush=True,
        )
        if kind:
            print(f"last sent: {session.last_send[:120]!r}", flush=True)
        self._stop()
        os._exit(0)

    def start_target(self):
        self._spawn()
        return True

    def pre_send(self, target=None, fuzz_data_logger=None, session=None):
        if time.time() - self.t0 >= args.seconds:
            self.finish(None, session)
        # The 220 greeting, so that each later recv gets the reply to its own
        # request.
        target.recv()

    def post_send(self, target=None, fuzz_data_logger=None, session=None):
        if self.proc.poll() is None and not session.last_recv:
            # A crash closes the connection as the process goes: give the
            # exit a moment to show.
            for _ in range(10):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        if self.proc.poll() is not None:
            self.finish("crash", session)
        if not session.last_recv and self._silent(target):
            self.finish("hang", session)
        if time.time() - self.t0 >= args.seconds:
            self.finish(None, session)
        return True

    @staticmethod
    def _silent(target):
        """The connection is open and has nothing to read (after boofuzz's
        recv already waited its timeout)."""
        sock = getattr(target._target_connection, "_sock", None)
        if sock is None:
            return False
        try:
            sock.setblocking(False)
            sock.recv(1, socket.MSG_PEEK)  # data (a late reply) or b"" (EOF)
            return False
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            try:
                sock.settimeout(args.timeout)
            except OSError:
                pass

    def restart_target(self, target=None, fuzz_data_logger=None, session=None):
        if self.proc.poll() is not None:
            self.finish("crash", session)
        return False  # alive: nothing to restart

    def get_crash_synopsis(self):
        return "server exited or stopped replying"


monitor = FtpMonitor()
session = Session(
    target=Target(
        connection=TCPSocketConnection("127.0.0.1", args.port, send_timeout=args.timeout, recv_timeout=args.timeout),
        monitors=[monitor],
    ),
    sleep_time=0,
    restart_sleep_time=0,
    web_port=None,
    keep_web_open=False,
    fuzz_loggers=[],
    receive_data_after_each_request=True,
    receive_data_after_fuzz=True,
    db_filename=args.db,
)

s_initialize("user")
s_static("USER ftpspec\r\n")
s_initialize("pass")
s_static("PASS ftpspec\r\n")

order = list(VERBS)
if args.seed:
    random.Random(args.seed).shuffle(order)
for verb, arg in order:
    s_initialize(verb)
    s_string(verb, name="verb")
    s_delim(" ", name="sep")
    s_string(arg, name="arg")
    s_static("\r\n")

session.connect(s_get("user"))
session.connect(s_get("user"), s_get("pass"))
for verb, _ in order:
    session.connect(s_get("pass"), s_get(verb))

sys.stderr.write(f"boofuzz_ttf: verb order: {' '.join(v for v, _ in order)}\n")
try:
    session.fuzz()
finally:
    # Ran out of test cases (or boofuzz gave up): not found.
    monitor.finish(None, session)
