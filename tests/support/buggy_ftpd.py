#!/usr/bin/env python3
"""A small FTP server with planted bugs, for tests/live_fuzz.rs.

    buggy_ftpd.py PORT [--bugs crash-arg,crash-seq,hang]

Login ftpspec/ftpspec. It answers like a plain, conformant-enough server
(most commands: 502), except for three planted bugs at different depths:

  crash-arg  MKD with an argument longer than 100 bytes that contains "%n":
             the whole process exits (a format-string crash).
  crash-seq  REST <number> (accepted with 350), then APPE: the process exits
             (a crash that needs a particular command order).
  hang       SITE EXEC ...: that session never replies again (a hang); the
             server goes on serving other connections.

A crash is the process exiting: the listener goes away with it, so new
connections are refused until a process monitor (`--target-cmd`) restarts it.
Loopback only.
"""
import os
import socket
import sys
import threading

PORT = int(sys.argv[1])
BUGS = set(sys.argv[3].split(",")) if len(sys.argv) > 3 and sys.argv[2] == "--bugs" else {"crash-arg", "crash-seq", "hang"}

KNOWN = {"USER", "PASS", "QUIT", "NOOP", "MKD", "REST", "APPE", "SITE", "SYST", "TYPE", "PWD", "CWD"}


def serve(conn):
    f = conn.makefile("rb")
    def reply(text):
        conn.sendall(text.encode() + b"\r\n")
    reply("220 buggy ftpd ready")
    logged_in = False
    rest = False
    while True:
        line = f.readline(65536)
        if not line:
            return
        line = line.rstrip(b"\r\n")
        verb, _, arg = line.partition(b" ")
        verb = verb.decode("latin-1").upper()
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
            reply('257 "/"')
        elif verb == "TYPE":
            reply("200 type set")
        elif verb == "MKD":
            if "crash-arg" in BUGS and len(arg) > 100 and b"%n" in arg:
                os._exit(1)
            reply("550 cannot create")
        elif verb == "REST":
            if arg.isdigit():
                rest = True
                reply("350 restarting")
                continue
            reply("501 bad offset")
        elif verb == "APPE":
            if "crash-seq" in BUGS and rest:
                os._exit(1)
            reply("450 file unavailable")
        elif verb == "SITE":
            if "hang" in BUGS and arg.upper().startswith(b"EXEC"):
                # Never answer again; drain until the client goes.
                while f.readline(65536):
                    pass
                return
            reply("200 site ok")
        elif verb in ("MLSD", "RETR", "STOR", "LIST", "NLST", "STOU"):
            # 450 is in RFC 959 §5.4's table for every one of them.
            reply("450 file unavailable")
        elif verb in ("FEAT", "HELP", "PASV", "EPSV", "PORT", "EPRT"):
            reply("502 not implemented")
        elif verb and verb.isalpha():
            reply("502 not implemented")
        else:
            reply("500 syntax error")
        rest = False


def handle(conn):
    try:
        serve(conn)
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
