#!/usr/bin/env python3
"""Capture byte-exact FTP control replies from a real server on loopback.

Python 3 stdlib only, raw sockets (no ftplib), so every reply is stored exactly
as received, CRLFs and all.

    capture_replies.py --server vsftpd --host 127.0.0.1 --port 2121 [--out corpora]

writes one file per reply to <out>/reply/<server>-<step>-<code>[-multiline].txt,
and additionally every 227 reply to <out>/hostport/<server>-227-<step>.txt and
every 229 reply to <out>/extpassive/<server>-229-<step>.txt.

Sessions (--sessions, comma separated; default: prelogin,main,data,anon,epsvall):
  prelogin  banner and commands before/while logging in (530/503/501 ...)
  main      logged-in command replies (SYST FEAT HELP STAT PASV EPSV ...)
  data      PASV/EPSV + LIST/RETR/STOR, opening the data connection (loopback only)
  anon      anonymous login and a refused write
  epsvall   EPSV ALL on its own connection, then PASV/EPSV
  port      PORT/EPRT replies. Only allowed inside a private network namespace
            whose only interface is lo (unshare -n); no transfer is started.

Safety: the control host must be a loopback address; data connections are only
opened to loopback addresses; every read is bounded (timeout, 64 KiB per reply).
"""
import argparse
import ipaddress
import os
import re
import socket
import sys
import time

MAX_REPLY = 64 * 1024
MAX_DATA = 1024 * 1024
TIMEOUT = 5.0


class NoReply(Exception):
    pass


class SessionAborted(Exception):
    pass


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def only_lo_interface() -> bool:
    """True inside a network namespace that has no interface but lo."""
    try:
        with open("/proc/net/dev") as f:
            lines = f.read().splitlines()[2:]
    except OSError:
        return False
    names = [ln.split(":", 1)[0].strip() for ln in lines if ":" in ln]
    return names == ["lo"]


class Control:
    def __init__(self, host: str, port: int):
        self.host = host
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, line: str):
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def _line(self, deadline: float) -> bytes:
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[: i + 1], self.buf[i + 1 :]
                return line
            if len(self.buf) > MAX_REPLY:
                raise NoReply("line longer than 64 KiB")
            left = deadline - time.monotonic()
            if left <= 0:
                raise NoReply("timeout")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                raise NoReply("timeout") from None
            if not chunk:
                raise NoReply("connection closed" + (f" (partial {self.buf!r})" if self.buf else ""))
            self.buf += chunk

    def reply(self) -> bytes:
        """Read one complete (possibly multi-line) reply, byte-exact."""
        deadline = time.monotonic() + TIMEOUT
        first = self._line(deadline)
        out = first
        m = re.match(rb"(\d{3})-", first)
        if m:
            end = m.group(1) + b" "
            while True:
                ln = self._line(deadline)
                out += ln
                if len(out) > MAX_REPLY:
                    raise NoReply("reply longer than 64 KiB")
                if ln.startswith(end):
                    break
        return out


def reply_code(reply: bytes) -> str:
    m = re.match(rb"(\d{3})", reply)
    return m.group(1).decode() if m else "xxx"


class Capture:
    def __init__(self, server: str, out: str, dry_run: bool):
        self.server = server
        self.out = out
        self.dry_run = dry_run
        self.written = []
        self.labels = set()
        self.failures = 0
        for sub in ("reply", "hostport", "extpassive"):
            os.makedirs(os.path.join(out, sub), exist_ok=True)

    def _write(self, sub: str, name: str, data: bytes):
        path = os.path.join(self.out, sub, name)
        if not self.dry_run:
            with open(path, "wb") as f:
                f.write(data)
        self.written.append(path)

    def _drop_stale(self, label: str, keep: str):
        """Remove an older capture of the same step that got another code
        (e.g. pyftpdlib answers 125 or 150 depending on timing)."""
        pat = re.compile(re.escape(f"{self.server}-{label}-") + r"(\d{3}|xxx)(-multiline)?\.txt")
        d = os.path.join(self.out, "reply")
        for f in os.listdir(d):
            if f != keep and pat.fullmatch(f) and not self.dry_run:
                os.remove(os.path.join(d, f))

    def record(self, label: str, reply: bytes):
        if label in self.labels:
            raise SystemExit(f"duplicate step label {label!r}")
        self.labels.add(label)
        code = reply_code(reply)
        multi = "-multiline" if re.match(rb"\d{3}-", reply) else ""
        name = f"{self.server}-{label}-{code}{multi}.txt"
        self._drop_stale(label, name)
        self._write("reply", name, reply)
        if code == "227":
            self._write("hostport", f"{self.server}-227-{label}.txt", reply)
        elif code == "229":
            self._write("extpassive", f"{self.server}-229-{label}.txt", reply)
        shown = reply.decode("latin-1").replace("\r\n", "\\r\\n\n      ").rstrip()
        print(f"  {label:28} {shown}", file=sys.stderr)

    def step(self, ctl: Control, label: str, cmd: str | None) -> bytes | None:
        """Send cmd (None: just read, e.g. the banner) and record the reply.

    Raises SessionAborted if no complete reply arrives."""
        try:
            if cmd is not None:
                ctl.send(cmd)
            r = ctl.reply()
        except (NoReply, OSError) as e:
            # Connection gone or state unknown (a late reply would be pinned on
            # the next command): give up on the rest of this session.
            raise SessionAborted(f"{label}: no reply to {cmd!r}: {e}") from None
        self.record(label, r)
        return r


def connect(host, port):
    return Control(host, port)


def login(cap: Capture, ctl: Control, user: str, password: str, prefix: str):
    # Banner and login replies are recorded per session too (cheap, and the
    # greeting after e.g. EPSV ALL tests is the same); prefix keeps names unique.
    cap.step(ctl, f"{prefix}-banner", None)
    cap.step(ctl, f"{prefix}-user", f"USER {user}")
    cap.step(ctl, f"{prefix}-pass", f"PASS {password}")


def pasv_target(reply: bytes, ctl_host: str):
    """Data address from a 227 or 229 reply; None if it is not loopback."""
    code = reply_code(reply)
    if code == "227":
        m = re.search(rb"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", reply)
        if not m:
            return None
        n = [int(x) for x in m.groups()]
        host = ".".join(map(str, n[:4]))
        port = n[4] * 256 + n[5]
    elif code == "229":
        m = re.search(rb"\((.)\1\1(\d+)\1\)", reply)
        if not m:
            return None
        host, port = ctl_host, int(m.group(2))
    else:
        return None
    if not is_loopback(host):
        print(f"  refusing data connection to non-loopback {host}", file=sys.stderr)
        return None
    return host, port


def transfer(cap: Capture, ctl: Control, label: str, pasv_cmd: str, cmd: str, upload: bytes | None = None):
    """PASV/EPSV, then a transfer command over a loopback data connection."""
    r = cap.step(ctl, f"{label}-{pasv_cmd.lower().replace(' ', '')}", pasv_cmd)
    target = pasv_target(r, ctl.host) if r else None
    if not target:
        print(f"  {label}: no usable loopback data address, transfer skipped", file=sys.stderr)
        return
    try:
        data = socket.create_connection(target, timeout=TIMEOUT)
    except OSError as e:
        print(f"  {label}: data connect failed: {e}", file=sys.stderr)
        return
    try:
        prelim = cap.step(ctl, f"{label}-start", cmd)
        if prelim is None or not prelim.startswith(b"1"):
            return
        if upload is not None:
            data.sendall(upload)
        else:
            got, deadline = 0, time.monotonic() + TIMEOUT
            while got < MAX_DATA and time.monotonic() < deadline:
                try:
                    chunk = data.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                got += len(chunk)
    finally:
        data.close()
    cap.step(ctl, f"{label}-done", None)


def session_prelogin(cap, host, port, a):
    ctl = connect(host, port)
    try:
        cap.step(ctl, "banner", None)
        cap.step(ctl, "feat-before-login", "FEAT")
        cap.step(ctl, "syst-before-login", "SYST")
        cap.step(ctl, "list-before-login", "LIST")
        cap.step(ctl, "pasv-before-login", "PASV")
        cap.step(ctl, "pwd-before-login", "PWD")
        cap.step(ctl, "cwd-before-login", "CWD /")
        cap.step(ctl, "pass-before-user", "PASS nobody")
        cap.step(ctl, "user-missing-arg", "USER")
        cap.step(ctl, "user-good", f"USER {a.user}")
        cap.step(ctl, "pass-bad", "PASS definitely-wrong")
        cap.step(ctl, "user-unknown", "USER no-such-user-ftpspec")
        cap.step(ctl, "pass-unknown-user", "PASS whatever")
        cap.step(ctl, "quit-before-login", "QUIT")
    finally:
        ctl.close()


def session_main(cap, host, port, a):
    ctl = connect(host, port)
    try:
        cap.step(ctl, "main-banner", None)
        cap.step(ctl, "user", f"USER {a.user}")
        cap.step(ctl, "pass-good", f"PASS {a.password}")
        steps = [
            ("user-after-login", f"USER {a.user}"),
            ("pass-after-login", f"PASS {a.password}"),
            ("syst", "SYST"),
            ("syst-lowercase", "syst"),
            ("feat", "FEAT"),
            ("help", "HELP"),
            ("help-user", "HELP USER"),
            ("site-help", "SITE HELP"),
            ("stat", "STAT"),
            ("stat-file", f"STAT {a.file}"),
            ("noop", "NOOP"),
            ("pwd", "PWD"),
            ("xpwd", "XPWD"),
            ("cwd-nonexistent", "CWD no-such-dir-ftpspec"),
            ("cwd-missing-arg", "CWD"),
            ("mkd", "MKD x"),
            ("mkd-exists", "MKD x"),
            ("cwd", "CWD x"),
            ("cdup", "CDUP"),
            ("rmd", "RMD x"),
            ("rmd-nonexistent", "RMD x"),
            ("mkd-missing-arg", "MKD"),
            ("mkd-quote-in-name", 'MKD q"uote'),
            ("rmd-quote-in-name", 'RMD q"uote'),
            ("type-i", "TYPE I"),
            ("type-a", "TYPE A"),
            ("type-a-n", "TYPE A N"),
            ("type-l8", "TYPE L 8"),
            ("type-x", "TYPE X"),
            ("type-missing-arg", "TYPE"),
            ("mode-s", "MODE S"),
            ("mode-z", "MODE Z"),
            ("stru-f", "STRU F"),
            ("stru-r", "STRU R"),
            ("pasv", "PASV"),
            ("epsv", "EPSV"),
            ("epsv-1", "EPSV 1"),
            ("epsv-2", "EPSV 2"),
            ("epsv-bad-proto", "EPSV 3"),
            ("size", f"SIZE {a.file}"),
            ("size-nonexistent", "SIZE no-such-file-ftpspec"),
            ("mdtm", f"MDTM {a.file}"),
            ("mdtm-nonexistent", "MDTM no-such-file-ftpspec"),
            ("mlst", "MLST"),
            ("mlst-file", f"MLST {a.file}"),
            ("opts-utf8-on", "OPTS UTF8 ON"),
            ("opts-mlst", "OPTS MLST type;size;modify;"),
            ("rest-0", "REST 0"),
            ("rest-bad", "REST abc"),
            ("allo", "ALLO 100"),
            ("acct", "ACCT x"),
            ("abor-idle", "ABOR"),
            ("unknown-verb", "XYZZY"),
            ("unknown-verb-arg", "XYZZY plugh"),
            ("rnto-without-rnfr", "RNTO nowhere"),
            ("rnfr-nonexistent", "RNFR no-such-file-ftpspec"),
            ("rnfr", f"RNFR {a.file}"),
            ("rnto", "RNTO renamed-by-ftpspec.txt"),
            ("rnfr-back", "RNFR renamed-by-ftpspec.txt"),
            ("rnto-back", f"RNTO {a.file}"),
            ("rnfr-missing-arg", "RNFR"),
            ("dele-nonexistent", "DELE no-such-file-ftpspec"),
            ("retr-missing-arg", "RETR"),
            ("port-missing-arg", "PORT"),
            ("eprt-missing-arg", "EPRT"),
            ("quit", "QUIT"),
        ]
        for label, cmd in steps:
            cap.step(ctl, label, cmd)
    finally:
        ctl.close()


def session_data(cap, host, port, a):
    ctl = connect(host, port)
    try:
        login(cap, ctl, a.user, a.password, "data")
        cap.step(ctl, "data-type-i", "TYPE I")
        transfer(cap, ctl, "list-pasv", "PASV", "LIST")
        transfer(cap, ctl, "nlst-epsv", "EPSV", "NLST")
        transfer(cap, ctl, "retr-epsv", "EPSV", f"RETR {a.file}")
        transfer(cap, ctl, "retr-nonexistent", "EPSV", "RETR no-such-file-ftpspec")
        transfer(cap, ctl, "stor-pasv", "PASV", "STOR uploaded-by-ftpspec.txt",
                 upload=b"uploaded by ftpspec capture\r\n")
        cap.step(ctl, "dele", "DELE uploaded-by-ftpspec.txt")
        transfer(cap, ctl, "mlsd-epsv", "EPSV", "MLSD")
        cap.step(ctl, "data-quit", "QUIT")
    finally:
        ctl.close()


def session_anon(cap, host, port, a):
    ctl = connect(host, port)
    try:
        login(cap, ctl, "anonymous", "ftpspec@example.invalid", "anon")
        cap.step(ctl, "anon-pwd", "PWD")
        cap.step(ctl, "anon-mkd-denied", "MKD x")
        cap.step(ctl, "anon-dele-denied", "DELE pub/readme.txt")
        cap.step(ctl, "anon-quit", "QUIT")
    finally:
        ctl.close()


def session_epsvall(cap, host, port, a):
    ctl = connect(host, port)
    try:
        login(cap, ctl, a.user, a.password, "epsvall")
        cap.step(ctl, "epsv-all", "EPSV ALL")
        cap.step(ctl, "epsvall-then-pasv", "PASV")
        cap.step(ctl, "epsvall-then-epsv", "EPSV")
        cap.step(ctl, "epsvall-quit", "QUIT")
    finally:
        ctl.close()


def session_port(cap, host, port, a):
    # Only PORT/EPRT *replies*: no transfer command follows, so the server
    # never connects; and we are in a namespace with only lo anyway.
    if not only_lo_interface():
        raise SystemExit("refusing the 'port' session outside a private network namespace "
                         "(run under: unshare -n sh -c 'ip link set lo up; ...')")
    v6 = ":" in host
    ctl = connect(host, port)
    try:
        login(cap, ctl, a.user, a.password, "port")
        if not v6:
            cap.step(ctl, "port", "PORT 127,0,0,1,7,208")
            cap.step(ctl, "port-other-loopback-ip", "PORT 127,0,0,2,7,208")
            cap.step(ctl, "port-privileged", "PORT 127,0,0,1,0,20")
            cap.step(ctl, "port-short", "PORT 127,0,0,1,7")
            cap.step(ctl, "port-out-of-range", "PORT 127,0,0,1,300,1")
            cap.step(ctl, "port-garbage", "PORT a,b,c,d,e,f")
            cap.step(ctl, "eprt-1", "EPRT |1|127.0.0.1|2000|")
            cap.step(ctl, "eprt-2-on-ipv4", "EPRT |2|::1|2000|")
        else:
            cap.step(ctl, "port-on-ipv6", "PORT 127,0,0,1,7,208")
            cap.step(ctl, "eprt-2", "EPRT |2|::1|2000|")
            cap.step(ctl, "eprt-1-on-ipv6", "EPRT |1|127.0.0.1|2000|")
        cap.step(ctl, "eprt-bad-proto", "EPRT |3|x|2000|")
        cap.step(ctl, "eprt-garbage", "EPRT garbage")
        cap.step(ctl, "eprt-other-delim", "EPRT !1!127.0.0.1!2000!" if not v6 else "EPRT !2!::1!2000!")
        cap.step(ctl, "port-quit", "QUIT")
    finally:
        ctl.close()


SESSIONS = {
    "prelogin": session_prelogin,
    "main": session_main,
    "data": session_data,
    "anon": session_anon,
    "epsvall": session_epsvall,
    "port": session_port,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", required=True, help="name used in file names, e.g. vsftpd or vsftpd-ipv6")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="ftpspec")
    ap.add_argument("--password", default="ftpspec")
    ap.add_argument("--file", default="hello.txt", help="existing file in the user's root")
    ap.add_argument("--out", default="corpora")
    ap.add_argument("--sessions", default="prelogin,main,data,anon,epsvall")
    ap.add_argument("--dry-run", action="store_true", help="print replies, write nothing")
    a = ap.parse_args()

    if not is_loopback(a.host):
        ap.error(f"--host must be a loopback address, got {a.host}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*", a.server):
        ap.error("--server must be [a-z0-9.-]")
    names = [s for s in a.sessions.split(",") if s]
    for s in names:
        if s not in SESSIONS:
            ap.error(f"unknown session {s}; known: {', '.join(SESSIONS)}")

    cap = Capture(a.server, a.out, a.dry_run)
    for s in names:
        print(f"[{a.server}] session {s}", file=sys.stderr)
        try:
            SESSIONS[s](cap, a.host, a.port, a)
        except (OSError, SessionAborted) as e:
            print(f"  session {s} ABORTED: {e}", file=sys.stderr)
            cap.failures += 1
    print(f"[{a.server}] {len(cap.written)} files {'(dry run) ' if a.dry_run else ''}"
          f"{cap.failures} sessions aborted", file=sys.stderr)
    return 1 if cap.failures else 0


if __name__ == "__main__":
    sys.exit(main())
