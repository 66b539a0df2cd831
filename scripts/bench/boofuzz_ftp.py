#!/usr/bin/env python3
"""boofuzz driving an FTP server with ftpspec fuzz's session shape: log in
(USER, PASS; not fuzzed), then one fuzzed command per test case, on a new
connection each time. Configured for speed, to be fair to it: no web UI, no
console logger, no sleeps between cases or after restarts.

    boofuzz_ftp.py HOST PORT USER PASS CASES DBFILE

Prints one line: `boofuzz: N test cases in S s (R cases/s)`.
"""
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

host, port, user, password, cases, db = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]

session = Session(
    target=Target(connection=TCPSocketConnection(host, port, send_timeout=5.0, recv_timeout=5.0)),
    index_end=cases,
    sleep_time=0,
    restart_sleep_time=0,
    web_port=None,
    keep_web_open=False,
    fuzz_loggers=[],
    receive_data_after_each_request=True,
    receive_data_after_fuzz=True,
    db_filename=db,
)

s_initialize("user")
s_static("USER ")
s_static(user)
s_static("\r\n")

s_initialize("pass")
s_static("PASS ")
s_static(password)
s_static("\r\n")

COMMANDS = {
    "MKD": "fuzz",
    "CWD": "fuzz",
    "RETR": "fuzz",
    "STOR": "fuzz",
    "DELE": "fuzz",
    "REST": "100",
    "PORT": "127,0,0,1,4,1",
    "SITE": "CHMOD 777 fuzz",
    "TYPE": "I",
    "SIZE": "fuzz",
}
for verb, arg in COMMANDS.items():
    s_initialize(verb)
    s_string(verb, name="verb")
    s_delim(" ", name="sep")
    s_string(arg, name="arg")
    s_static("\r\n")

session.connect(s_get("user"))
session.connect(s_get("user"), s_get("pass"))
for verb in COMMANDS:
    session.connect(s_get("pass"), s_get(verb))

start = time.time()
session.fuzz()
elapsed = time.time() - start
done = min(cases, session.total_mutant_index)
print(f"boofuzz: {done} test cases in {elapsed:.1f} s ({done / elapsed:.1f} cases/s)")
