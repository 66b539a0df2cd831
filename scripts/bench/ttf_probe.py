#!/usr/bin/env python3
"""Reachability check of one planted fault of tests/support/buggy_ftpd.py,
the way a client that knows FTP would reach it (for time-to-find.sh).

    ttf_probe.py PORT FAULT fired|silent

Logs in, sends near misses that must get their normal replies (no crash, no
stall), then the trigger. `fired`: the trigger must crash the server (the
connection closes without a reply and new connections are refused) or, for
stall-arg, get no reply in 3 s while a second session is still served.
`silent` (the server without that bug, `--bugs none --full`): every command,
the trigger too, gets a reply with the expected code. Exit 0 when so, 1 with
the reason otherwise.
"""
import socket
import sys
import time

port, fault, expect = int(sys.argv[1]), sys.argv[2], sys.argv[3]

# (command, expected reply code) before the trigger; then the trigger and the
# code the server without the bug answers it with.
PLANS = {
    "token-arg": (
        [("MODE S", "200"), ("MODE B", "504"), ("MODE %s", "501"), ("TYPE %s%s", "501"), ("STRU %s%s", "501")],
        ("MODE S%s%s", "501"),
    ),
    "long-after-state": (
        [("RETR " + "a" * 400, "550"), ("REST 100", "350"), ("NOOP", "200"), ("PWD", "257"),
         ("RETR " + "a" * 300, "550"), ("RETR " + "b" * 400, "550"), ("REST 7", "350"), ("TYPE I", "200")],
        ("RETR " + "c" * 301, "550"),
    ),
    "chain3": (
        [("RNFR x", "550"), ("MKD d1", "257"), ("RNFR d1", "350"), ("NOOP", "200"), ("CWD nope", "550"),
         ("RNFR d1", "350"), ("RNTO d2", "250"), ("CWD d2", "250"), ("PWD", "257"), ("NOOP", "200")],
        ("RNFR anything", "550"),
    ),
    "stall-arg": (
        [("CWD ~", "550"), ("CWD a~b", "550"), ("CWD 1~", "550"), ("PWD", "257")],
        ("CWD PROGRA~1", "550"),
    ),
}


class Conn:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=3)
        self.f = self.s.makefile("rb")
        self.read()

    def read(self):
        line = self.f.readline()
        if not line:
            raise EOFError
        return line.decode("latin-1").rstrip("\r\n")

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.read()

    def login(self):
        assert self.cmd("USER ftpspec").startswith("331")
        assert self.cmd("PASS ftpspec").startswith("230")


def fail(msg):
    print(f"probe {fault} ({expect}): {msg}")
    sys.exit(1)


def refused():
    for _ in range(20):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.05)
    return False


steps, (trigger, normal) = PLANS[fault]
c = Conn()
c.login()
for text, code in steps:
    try:
        got = c.cmd(text)
    except (EOFError, OSError) as e:
        fail(f"{text[:40]!r}: no reply ({e!r}): a near miss fired the fault")
    if not got.startswith(code):
        fail(f"{text[:40]!r}: {got!r}, expected {code}")
try:
    got = c.cmd(trigger)
except socket.timeout:
    got = "timeout"
except (EOFError, OSError):
    got = "closed"
if expect == "silent":
    if not got.startswith(normal):
        fail(f"trigger {trigger[:40]!r}: {got!r}, expected {normal}")
elif fault == "stall-arg":
    if got != "timeout":
        fail(f"trigger {trigger[:40]!r}: {got!r}, expected no reply")
    d = Conn()
    d.login()
    if not d.cmd("NOOP").startswith("200"):
        fail("a second session was not served during the stall")
else:
    if got != "closed":
        fail(f"trigger {trigger[:40]!r}: {got!r}, expected the connection to close")
    if not refused():
        fail("the server still accepts connections after the trigger")
print(f"probe {fault} ({expect}): ok")
