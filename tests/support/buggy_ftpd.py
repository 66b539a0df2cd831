#!/usr/bin/env python3
"""A small FTP server with planted bugs, for tests/live_fuzz.rs and
scripts/bench/time-to-find.sh.

    buggy_ftpd.py PORT [--bugs NAME[,NAME...]] [--full] [--delay MS]

Login ftpspec/ftpspec (any password is taken). Loopback only (127.0.0.1).
NAME is one of the bugs below, or `none` for no bug at all. Without --bugs:
crash-arg,crash-seq,hang (what tests/live_fuzz.rs expects). An unknown name
is an error (exit 2). `--delay MS` holds every reply back a random 0 to MS
milliseconds (a slow, uneven server: RFC 959 says nothing of how soon a
reply comes).

Two profiles:

  legacy (the default): answers like a plain, conformant-enough server
  (most commands: 502). This is the server tests/live_fuzz.rs was written
  against; its replies do not change.

  full (--full, or as soon as any of the four bench bugs below is named):
  the legacy server plus enough protocol for the bench bugs to be reachable
  by a client that knows FTP: MKD/RMD/CWD/CDUP/PWD over a flat, per-session
  set of directories (MKD x -> 257, then CWD x -> 250; names are compared
  literally after stripping leading/trailing "/"), TYPE/MODE/STRU with real
  argument checks (TYPE A|A N|I|L 8, MODE S, STRU F -> 200; other known
  codes -> 504; anything else -> 501), REST n -> 350 with the offset kept
  until the next RETR/STOR/STOU/APPE, RNFR (350 for a directory made in the
  session, 550 otherwise) / RNTO (250 after a 350 RNFR, 503 otherwise),
  RETR/SIZE/MDTM/DELE -> 550, ALLO -> 202. PASV/EPSV/PORT/EPRT stay 502:
  there are no data connections.

Bugs used by tests/live_fuzz.rs (either profile):

  crash-arg  MKD with an argument longer than 100 bytes that contains "%n":
             the whole process exits (a format-string crash).
  crash-seq  REST <number> (accepted with 350), then, as the very next
             command, APPE: the process exits (a crash that needs a
             particular command order).
  hang       SITE EXEC ...: that session never replies again (a hang); the
             server goes on serving other connections.

Bugs for the fuzzer's triage proofs in tests/live_fuzz.rs (legacy profile,
on only when named):

  lf-502       every 502 reply ends in a bare LF instead of CRLF: one cause
               that every unknown or unimplemented command reaches.
  poison-long  a line longer than 1000 bytes (CRLF not counted) is answered
               with a normal 500, but the next line received, whatever it
               is, crashes the process: the long line is to blame, not the
               harmless command after it.
  close-after-502  after a 502 reply, the next line received, whatever it
               is, gets the connection closed without a reply (vsftpd does
               so after some 500s): one cause, the command before, that
               shows at every command.
  held-list    PASV/EPSV (227/229, a real listener) and LIST/NLST (150, then
               a worker thread waits for the data connection) work, and the
               worker reads the path to list only once the client connects;
               USER overwrites that path (LightFTP's CVE-2023-24042). LIST's
               own argument stays inside the root, but a path from USER
               that starts with /dev crashes the process: reachable only by
               a client that holds its data connection back until after a
               `USER /dev...`.
  list-pasv    held-list's PASV/EPSV and LIST/NLST without its bug: the path
               is read at LIST, whenever the client connects (the fixed
               server for held-list's findings).
  hang-after-150  MLSD, RETR, STOR and STOU (LIST and NLST too, without
               list-pasv) answer 150, close the data connection PASV
               opened (with list-pasv) and then send nothing more on that
               connection (a transfer begun and never ended); the server
               goes on serving other connections.
  crash-at-quit  a session that sent SYST crashes the process at its QUIT,
               before the 221 (a crash in a session's clean-up): a client
               that does not wait for the 221 sees nothing in that session.

Bugs for scripts/bench/time-to-find.sh (they turn the full profile on):

  token-arg         MODE whose argument contains the bytes "%s%s" anywhere
                    (e.g. `MODE S%s%s`, `MODE %s%s%s%s`): the process exits.
                    MODE's usual arguments are the literals S, B, C.
  long-after-state  RETR with an argument longer than 300 bytes (the bytes
                    after "RETR ", CRLF not counted) while a REST offset is
                    pending: after a `REST <digits>` answered 350, with any
                    commands in between except RETR/STOR/STOU/APPE (each of
                    those uses up the offset). The process exits. Without
                    the REST, a long RETR argument is just 550.
  chain3            RNFR with a non-empty argument after a successful
                    `CWD x` into a directory x that a successful `MKD x`
                    made earlier in the same session (any commands before,
                    between and after; e.g. MKD a / NOOP / CWD a / PWD /
                    RNFR b). The process exits.
  stall-arg         CWD whose argument contains "~" followed by a digit
                    anywhere (e.g. `CWD ~1`, `CWD PROGRA~1/x`): that
                    session never replies again (it reads and drops what
                    the client sends until it hangs up); the server goes on
                    serving other connections.

A crash is the process exiting (os._exit(1)): the listener goes away with
it, so new connections are refused until a process monitor (`--target-cmd`)
restarts it. Each time a bug fires, one line `buggy_ftpd: BUG fired: ...`
goes to stderr.
"""
import os
import random
import re
import socket
import sys
import threading
import time

OLD_BUGS = {"crash-arg", "crash-seq", "hang"}
NEW_BUGS = {"token-arg", "long-after-state", "chain3", "stall-arg"}
# Named only, never on by default (legacy profile).
PROOF_BUGS = {"lf-502", "poison-long", "close-after-502", "held-list", "list-pasv", "crash-at-quit", "hang-after-150"}


def parse_args(argv):
    def usage(msg):
        sys.stderr.write(f"buggy_ftpd.py: {msg}\nusage: buggy_ftpd.py PORT [--bugs NAME[,NAME...]] [--full] [--delay MS]\n")
        sys.exit(2)

    if len(argv) < 2 or not argv[1].isdigit():
        usage("PORT missing")
    port = int(argv[1])
    bugs = set(OLD_BUGS)
    full = False
    delay = 0.0
    i = 2
    while i < len(argv):
        if argv[i] == "--bugs" and i + 1 < len(argv):
            bugs = {b for b in argv[i + 1].split(",") if b}
            i += 2
        elif argv[i] == "--full":
            full = True
            i += 1
        elif argv[i] == "--delay" and i + 1 < len(argv) and argv[i + 1].isdigit():
            delay = int(argv[i + 1]) / 1000
            i += 2
        else:
            usage(f"unexpected argument {argv[i]!r}")
    bugs.discard("none")
    unknown = bugs - OLD_BUGS - NEW_BUGS - PROOF_BUGS
    if unknown:
        usage(f"unknown bug(s) {','.join(sorted(unknown))}; known: none,{','.join(sorted(OLD_BUGS | NEW_BUGS | PROOF_BUGS))}")
    return port, bugs, full or bool(bugs & NEW_BUGS), delay


PORT, BUGS, FULL, DELAY = parse_args(sys.argv)


def slow():
    """--delay: hold a reply back a random 0 to DELAY seconds."""
    if DELAY:
        time.sleep(random.random() * DELAY)

KNOWN = {"USER", "PASS", "QUIT", "NOOP", "MKD", "REST", "APPE", "SITE", "SYST", "TYPE", "PWD", "CWD"}


def fired(bug, verb, arg):
    shown = arg[:60].decode("latin-1")
    sys.stderr.write(f"buggy_ftpd: {bug} fired: {verb} {shown!r} ({len(arg)} bytes)\n")
    sys.stderr.flush()


def crash(bug, verb, arg):
    fired(bug, verb, arg)
    os._exit(1)


def serve(conn):
    """The legacy profile: tests/live_fuzz.rs's server, unchanged."""
    f = conn.makefile("rb")
    closing = [False]
    lock = threading.Lock()
    def reply(text):
        end = b"\n" if "lf-502" in BUGS and text.startswith("502") else b"\r\n"
        slow()
        with lock:
            conn.sendall(text.encode() + end)
        closing[0] = "close-after-502" in BUGS and text.startswith("502")
    reply("220 buggy ftpd ready")
    logged_in = False
    rest = False
    poisoned = False
    systed = False
    # held-list, list-pasv: the passive listener, and the path buffer LIST
    # and USER share.
    pasv_list = bool({"held-list", "list-pasv"} & BUGS)
    listener = [None]
    path = ["/srv/ftp/"]
    def list_worker(l, data, listed):
        # With held-list the path is read when the client connects: at LIST
        # if it already has (`data`), otherwise whenever it does.
        if data is None:
            try:
                data, _ = l.accept()
            except OSError:
                reply("425 no data connection")
                return
            finally:
                l.close()
            if "held-list" in BUGS:
                listed = path[0]
        if listed.startswith("/dev"):
            crash("held-list", "LIST", listed.encode("latin-1"))
        try:
            data.sendall(b"file\r\n")
        finally:
            data.close()
        reply("226 listed " + listed)
    while True:
        line = f.readline(65536)
        if not line:
            return
        if closing[0]:
            return
        line = line.rstrip(b"\r\n")
        verb, _, arg = line.partition(b" ")
        verb = verb.decode("latin-1").upper()
        if poisoned:
            crash("poison-long", verb, arg)
        if "poison-long" in BUGS and len(line) > 1000:
            poisoned = True
            reply("500 line too long")
            continue
        if verb == "USER":
            if pasv_list:
                path[0] = arg.decode("latin-1")
            reply("331 password please")
        elif verb == "PASS":
            logged_in = True
            reply("230 logged in")
        elif verb == "QUIT":
            if "crash-at-quit" in BUGS and systed:
                crash("crash-at-quit", verb, arg)
            reply("221 bye")
            return
        elif pasv_list and logged_in and verb in ("PASV", "EPSV"):
            if listener[0]:
                listener[0].close()
            l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            l.bind(("127.0.0.1", 0))
            l.listen(1)
            l.settimeout(5)
            listener[0] = l
            p = l.getsockname()[1]
            if verb == "PASV":
                reply(f"227 Entering Passive Mode (127,0,0,1,{p >> 8},{p & 255})")
            else:
                reply(f"229 Entering Extended Passive Mode (|||{p}|)")
        elif pasv_list and logged_in and verb in ("LIST", "NLST") and listener[0]:
            l, listener[0] = listener[0], None
            path[0] = "/srv/ftp/" + arg.decode("latin-1").lstrip("/")
            data, listed = None, path[0]
            l.setblocking(False)
            try:
                data, _ = l.accept()
                data.setblocking(True)
                l.close()
            except BlockingIOError:
                l.setblocking(True)
                l.settimeout(5)
            reply("150 listing")
            threading.Thread(target=list_worker, args=(l, data, listed), daemon=True).start()
        elif not logged_in:
            reply("530 log in first")
        elif verb == "NOOP":
            reply("200 ok")
        elif verb == "SYST":
            systed = True
            reply("215 UNIX Type: L8")
        elif verb == "PWD":
            reply('257 "/"')
        elif verb == "TYPE":
            reply("200 type set")
        elif verb == "MKD":
            if "crash-arg" in BUGS and len(arg) > 100 and b"%n" in arg:
                crash("crash-arg", verb, arg)
            reply("550 cannot create")
        elif verb == "REST":
            if arg.isdigit():
                rest = True
                reply("350 restarting")
                continue
            reply("501 bad offset")
        elif verb == "APPE":
            if "crash-seq" in BUGS and rest:
                crash("crash-seq", verb, arg)
            reply("450 file unavailable")
        elif verb == "SITE":
            if "hang" in BUGS and arg.upper().startswith(b"EXEC"):
                fired("hang", verb, arg)
                # Never answer again; drain until the client goes.
                while f.readline(65536):
                    pass
                return
            reply("200 site ok")
        elif verb in ("MLSD", "RETR", "STOR", "LIST", "NLST", "STOU"):
            if "hang-after-150" in BUGS:
                fired("hang-after-150", verb, arg)
                # A transfer begun and never ended: the data connection
                # (with list-pasv's PASV) taken and closed at once, and no
                # final reply, ever.
                reply("150 opening data connection")
                if listener[0]:
                    l, listener[0] = listener[0], None
                    try:
                        l.settimeout(1)
                        l.accept()[0].close()
                    except OSError:
                        pass
                    l.close()
                while f.readline(65536):
                    pass
                return
            # 450 is in RFC 959 §5.4's table for every one of them.
            reply("450 file unavailable")
        elif verb in ("FEAT", "HELP", "PASV", "EPSV", "PORT", "EPRT"):
            reply("502 not implemented")
        elif verb and verb.isalpha():
            reply("502 not implemented")
        else:
            reply("500 syntax error")
        rest = False


STALL = re.compile(rb"~[0-9]")


def dir_name(arg):
    """A directory name MKD accepts: 1-255 bytes once leading and trailing
    "/" are stripped, no "/" inside, no control bytes, not "." or ".."."""
    name = arg.strip(b"/")
    if not name or len(name) > 255 or b"/" in name or name in (b".", b".."):
        return None
    if any(c < 0x20 or c == 0x7F for c in name):
        return None
    return name


def serve_full(conn):
    """The full profile (see the module docstring)."""
    f = conn.makefile("rb")

    def reply(data):
        if isinstance(data, str):
            data = data.encode()
        slow()
        conn.sendall(data + b"\r\n")

    def quoted(name):
        return b'"' + name.replace(b'"', b'""') + b'"'

    reply("220 buggy ftpd ready")
    logged_in = False
    prev_rest = False  # crash-seq: the previous command was a REST answered 350
    offset = False  # long-after-state: a REST offset is pending
    made = set()  # directories made by MKD in this session
    cwd = b"/"
    entered = False  # chain3: a CWD into a directory made in this session succeeded
    rnfr = None  # the name a 350 RNFR accepted, for the next command only
    while True:
        line = f.readline(65536)
        if not line:
            return
        line = line.rstrip(b"\r\n")
        verb, _, arg = line.partition(b" ")
        verb = verb.decode("latin-1").upper()
        after_rest, prev_rest = prev_rest, False
        renaming, rnfr = rnfr, None
        if verb == "USER":
            reply("331 password please")
        elif verb == "PASS":
            logged_in = True
            reply("230 logged in")
        elif verb == "QUIT":
            reply("221 bye")
            return
        elif not logged_in:
            reply("530 log in first")
        elif verb == "NOOP":
            reply("200 ok")
        elif verb == "SYST":
            reply("215 UNIX Type: L8")
        elif verb == "PWD":
            reply(b"257 " + quoted(cwd) + b" is the current directory")
        elif verb == "CWD":
            if "stall-arg" in BUGS and STALL.search(arg):
                fired("stall-arg", verb, arg)
                while f.readline(65536):
                    pass
                return
            name = arg.strip(b"/")
            if not arg:
                reply("501 directory name needed")
            elif not name or name == b"..":
                cwd = b"/"
                reply("250 directory changed")
            elif name in made:
                cwd = b"/" + name
                entered = True
                reply("250 directory changed")
            else:
                reply("550 no such directory")
        elif verb == "CDUP":
            cwd = b"/"
            reply("200 directory changed")
        elif verb == "MKD":
            if "crash-arg" in BUGS and len(arg) > 100 and b"%n" in arg:
                crash("crash-arg", verb, arg)
            name = dir_name(arg)
            if not arg:
                reply("501 directory name needed")
            elif name is None or name in made:
                reply("550 cannot create")
            else:
                made.add(name)
                reply(b"257 " + quoted(b"/" + name) + b" created")
        elif verb == "RMD":
            name = arg.strip(b"/")
            if not arg:
                reply("501 directory name needed")
            elif name in made:
                made.discard(name)
                if cwd == b"/" + name:
                    cwd = b"/"
                reply("250 removed")
            else:
                reply("550 no such directory")
        elif verb == "TYPE":
            a = arg.upper()
            if a in (b"A", b"A N", b"I", b"L 8"):
                reply("200 type set")
            elif a[:1] in (b"A", b"E", b"I", b"L"):
                reply("504 type not supported")
            else:
                reply("501 bad type")
        elif verb == "MODE":
            if "token-arg" in BUGS and b"%s%s" in arg:
                crash("token-arg", verb, arg)
            a = arg.upper()
            if a == b"S":
                reply("200 mode set")
            elif a in (b"B", b"C"):
                reply("504 mode not supported")
            else:
                reply("501 bad mode")
        elif verb == "STRU":
            a = arg.upper()
            if a == b"F":
                reply("200 structure set")
            elif a in (b"R", b"P"):
                reply("504 structure not supported")
            else:
                reply("501 bad structure")
        elif verb == "REST":
            if arg.isdigit():
                prev_rest = True
                offset = True
                reply("350 restarting at " + arg.decode())
            else:
                reply("501 bad offset")
        elif verb == "RETR":
            if "long-after-state" in BUGS and offset and len(arg) > 300:
                crash("long-after-state", verb, arg)
            offset = False
            reply("501 file name needed" if not arg else "550 no such file")
        elif verb == "APPE":
            if "crash-seq" in BUGS and after_rest:
                crash("crash-seq", verb, arg)
            offset = False
            reply("450 file unavailable")
        elif verb in ("STOR", "STOU"):
            offset = False
            reply("450 file unavailable")
        elif verb == "RNFR":
            if "chain3" in BUGS and entered and arg:
                crash("chain3", verb, arg)
            name = arg.strip(b"/")
            if not arg:
                reply("501 file name needed")
            elif name in made:
                rnfr = name
                reply("350 ready for RNTO")
            else:
                reply("550 no such file")
        elif verb == "RNTO":
            new = dir_name(arg)
            if renaming is None:
                reply("503 RNFR first")
            elif new is None or new in made:
                reply("553 bad name")
            else:
                made.discard(renaming)
                made.add(new)
                reply("250 renamed")
        elif verb == "SITE":
            if "hang" in BUGS and arg.upper().startswith(b"EXEC"):
                fired("hang", verb, arg)
                while f.readline(65536):
                    pass
                return
            reply("200 site ok")
        elif verb in ("DELE", "SIZE", "MDTM"):
            reply("501 file name needed" if not arg else "550 no such file")
        elif verb == "ALLO":
            reply("202 no storage allocation needed")
        elif verb in ("MLSD", "LIST", "NLST"):
            reply("450 file unavailable")
        elif verb in ("FEAT", "HELP", "PASV", "EPSV", "PORT", "EPRT"):
            reply("502 not implemented")
        elif verb and verb.isalpha():
            reply("502 not implemented")
        else:
            reply("500 syntax error")


def handle(conn):
    try:
        (serve_full if FULL else serve)(conn)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", PORT))
    s.listen(64)
    while True:
        conn, _ = s.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
