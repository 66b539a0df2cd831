#!/usr/bin/env python3
"""boofuzz against an FTP server with a grammar of every command verb of
RFC 959, 2428, 2389 and 3659 (and AUTH/PBSZ/PROT of RFC 2228/4217, which
`ftpspec fuzz` sends too), for a fixed time: the boofuzz side of
scripts/bench/coverage.sh.

    boofuzz_ftp_verbs.py --port 2200 --user ftpspec --password ftpspec \
        --duration 60 [--target-cmd CMD] [--order interleave|sequential] [--db FILE]

Session shape (as in boofuzz_ftp.py and `ftpspec fuzz`): a new connection per
test case, USER and PASS (not fuzzed), then one fuzzed command line. Every
verb has three requests, each fuzzing one part of `VERB SP ARG CRLF` with
boofuzz's own mutations: the verb (s_string), the delimiter (s_delim) and
the argument (s_string, from a sensible default per verb).

--order interleave (the default) takes the test cases of those requests
round-robin (the first mutation of each, then the second of each, ...).
Stock boofuzz (--order sequential) walks them one request after the
other: about 2,000 string mutations each, so in ten minutes at a few tens
of cases a second it never gets past the first few verbs. Interleaving
changes only the order, not the cases; it is the fairer reading of "boofuzz
with a grammar of every verb" for a time-bounded run.

--target-cmd: a shell command that starts the server; it is started first,
and restarted (boofuzz restart callback) whenever boofuzz cannot connect,
so a crash does not end the run. It is started in its own process group
and killed (SIGKILL to the group) on restart and at the end, like
`ftpspec fuzz --target-cmd`.

Prints one line: `boofuzz: N test cases in S s (R cases/s), K restarts`.
Exit status 0, or 1 on an error (an exception from boofuzz, or the
target command not coming up).
"""
import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from boofuzz import (
    Session,
    TCPSocketConnection,
    Target,
    exception,
    s_delim,
    s_get,
    s_initialize,
    s_static,
    s_string,
)

# verb -> default argument ("" for none). The RFC 959 set (§4.1, §5.3.1),
# then RFC 2428 (EPRT, EPSV), RFC 2389 (FEAT, OPTS), RFC 3659 (MDTM, SIZE,
# MLST, MLSD; REST STREAM is REST), and AUTH/PBSZ/PROT (RFC 2228/4217).
# File names refer to what coverage.sh puts in the server's root
# (hello.txt, sub/); PORT/EPRT name a closed loopback port.
VERBS = {
    # RFC 959 access control
    "USER": "ftpspec",
    "PASS": "ftpspec",
    "ACCT": "account",
    "CWD": "sub",
    "CDUP": "",
    "SMNT": "sub",
    "REIN": "",
    "QUIT": "",
    # RFC 959 transfer parameters
    "PORT": "127,0,0,1,4,1",
    "PASV": "",
    "TYPE": "I",
    "STRU": "F",
    "MODE": "S",
    # RFC 959 service commands
    "RETR": "hello.txt",
    "STOR": "new.txt",
    "STOU": "",
    "APPE": "new.txt",
    "ALLO": "100",
    "REST": "100",
    "RNFR": "hello.txt",
    "RNTO": "renamed.txt",
    "ABOR": "",
    "DELE": "new.txt",
    "RMD": "newdir",
    "MKD": "newdir",
    "PWD": "",
    "LIST": "",
    "NLST": "",
    "SITE": "HELP",
    "SYST": "",
    "STAT": "",
    "HELP": "",
    "NOOP": "",
    # RFC 2428
    "EPRT": "|1|127.0.0.1|1025|",
    "EPSV": "",
    # RFC 2389
    "FEAT": "",
    "OPTS": "UTF8 ON",
    # RFC 3659
    "MDTM": "hello.txt",
    "SIZE": "hello.txt",
    "MLST": "hello.txt",
    "MLSD": "",
    # RFC 2228 / 4217
    "AUTH": "TLS",
    "PBSZ": "0",
    "PROT": "P",
}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", default="ftpspec")
    p.add_argument("--password", default="ftpspec")
    p.add_argument("--duration", type=float, required=True, help="seconds")
    p.add_argument("--target-cmd", help="shell command that starts the server")
    p.add_argument("--order", choices=("interleave", "sequential"), default="interleave")
    p.add_argument("--db", default=None, help="boofuzz's SQLite results file (default: a temporary one, removed)")
    p.add_argument("--timeout", type=float, default=5.0, help="send/receive timeout, seconds (ftpspec fuzz: 5s)")
    return p.parse_args()


class Server:
    """The --target-cmd process: start, wait until it accepts, kill its group."""

    def __init__(self, cmd, host, port, startup=15.0):
        self.cmd, self.host, self.port, self.startup = cmd, host, port, startup
        self.proc = None
        self.restarts = 0

    def start(self):
        self.proc = subprocess.Popen(
            ["sh", "-c", self.cmd],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + self.startup
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise exception.BoofuzzRestartFailedError(
                    f"target command exited while starting (status {self.proc.returncode})"
                )
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.01)
        raise exception.BoofuzzRestartFailedError(f"target command not listening on port {self.port}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc is not None:
            self.proc.wait()
        self.proc = None

    def restart(self, *args, **kwargs):  # boofuzz restart callback
        self.restarts += 1
        self.stop()
        self.start()


class TimedSession(Session):
    """Stops at a deadline; optionally takes the requests' cases round-robin."""

    def __init__(self, *args, deadline, interleave, **kwargs):
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.interleave = interleave

    def _generate_n_mutations(self, depth, path):
        if not self.interleave:
            yield from super()._generate_n_mutations(depth, path)
            return
        # (boofuzz reuses one list for the paths it yields: copy each. It
        # renders the request in self.fuzz_node, which a generator sets only
        # when it starts: set it for every case.)
        paths = [list(p) for p in self._iterate_protocol_message_paths(path=path)]
        gens = [self._generate_n_mutations_for_path(p, depth=depth) for p in paths]
        while gens:
            alive = []
            for g in gens:
                m = next(g, None)
                if m is not None:
                    alive.append(g)
                    self.fuzz_node = self.nodes[m.message_path[-1].dst]
                    yield m
            gens = alive

    def _main_fuzz_loop(self, fuzz_case_iterator):
        def bounded():
            for m in fuzz_case_iterator:
                if time.time() >= self.deadline:
                    return
                yield m

        return super()._main_fuzz_loop(bounded())


def main():
    a = parse_args()
    tmp = None
    if not a.db:
        tmp = tempfile.TemporaryDirectory(prefix="boofuzz-")
        a.db = os.path.join(tmp.name, "boofuzz.db")
    server = Server(a.target_cmd, a.host, a.port) if a.target_cmd else None
    if server:
        server.start()
    start = time.time()
    session = TimedSession(
        target=Target(connection=TCPSocketConnection(a.host, a.port, send_timeout=a.timeout, recv_timeout=a.timeout)),
        deadline=start + a.duration,
        interleave=a.order == "interleave",
        sleep_time=0,
        restart_sleep_time=0,
        restart_callbacks=[server.restart] if server else None,
        web_port=None,
        keep_web_open=False,
        fuzz_loggers=[],
        receive_data_after_each_request=True,
        receive_data_after_fuzz=True,
        db_filename=a.db,
    )

    s_initialize("user")
    s_static(f"USER {a.user}\r\n")
    s_initialize("pass")
    s_static(f"PASS {a.password}\r\n")
    session.connect(s_get("user"))
    session.connect(s_get("user"), s_get("pass"))
    for verb, arg in VERBS.items():
        tail = f" {arg}" if arg else ""
        # the verb
        s_initialize(f"{verb}.verb")
        s_string(verb, name="verb")
        s_static(f"{tail}\r\n")
        # the delimiter between verb and argument
        s_initialize(f"{verb}.sep")
        s_static(verb)
        s_delim(" ", name="sep")
        s_static(f"{arg}\r\n")
        # the argument
        s_initialize(f"{verb}.arg")
        s_static(f"{verb} ")
        s_string(arg, name="arg")
        s_static("\r\n")
        for part in ("verb", "sep", "arg"):
            session.connect(s_get("pass"), s_get(f"{verb}.{part}"))

    rc = 0
    try:
        session.fuzz()
    except Exception as e:  # boofuzz logs nothing here (no fuzz loggers)
        import traceback; traceback.print_exc()
        rc = 1
    finally:
        elapsed = time.time() - start
        if server:
            server.stop()
        if tmp:
            tmp.cleanup()
    done = session.num_cases_actually_fuzzed
    restarts = server.restarts if server else 0
    print(
        f"boofuzz: {done} test cases in {elapsed:.1f} s ({done / max(elapsed, 1e-9):.1f} cases/s), "
        f"{restarts} restarts, {len(VERBS)} verbs, order {a.order}"
    )
    return rc


if __name__ == "__main__":
    sys.exit(main())
