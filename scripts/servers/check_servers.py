#!/usr/bin/env python3
"""Smoke-check the real FTP servers that scripts/ci/real-servers.sh started.

usage (inside the namespace, e.g.):
  scripts/ci/real-servers.sh python3 scripts/servers/check_servers.py [--observe] [--only NAME...]

Reads `name<TAB>url` lines from $FTPSPEC_TARGETS (ftp://) and
$FTPSPEC_TLS_TARGETS (ftpes:// = AUTH TLS, ftps:// = implicit TLS; CA from
$FTPSPEC_TLS_CA) and, per target, with the stdlib ftplib only:
  banner, FEAT; for TLS: AUTH TLS (explicit), PBSZ 0, PROT P;
  login ftpspec/ftpspec, PWD, MKD, STOR, RETR (compared), LIST over PASV,
  EPSV, and - only inside a private network namespace whose only interface
  is lo - PORT and EPRT; DELE, RMD; anonymous LIST/RETR and a refused MKD;
  a wrong password (reply and how long it took).
TLS data connections resume the control connection's TLS session (what
vsftpd's require_ssl_reuse=YES wants; ftplib.FTP_TLS does not by default);
--no-reuse checks what happens without. With PROT P the data connection's
TLS handshake starts right after the command is sent, before the 1xx reply is
read (curl's order; ftp-srv sends its 150 only after that handshake);
--rfc-data-tls waits for the 1xx first (RFC 4217 section 12's diagrams,
ftplib's order), which ftp-srv answers with 425 after 5 s.
PASV on an IPv6 connection, and EPRT where the server does not know it
(500/502), are reported but do not fail the check.
--observe prints the raw replies worth documenting (banner, FEAT, PASV/EPSV
replies on the target's family, multi-line shapes).
Prints one line per check; exits 1 if any check failed. Every socket
operation times out after 10 s.
"""
import argparse
import ftplib
import io
import os
import socket
import ssl
import sys
import time
import urllib.parse

TIMEOUT = 10


EARLY_TLS = True  # False with --rfc-data-tls


def in_private_netns() -> bool:
    """True if this process's network namespace has no interface but lo
    (/proc/net/dev is per namespace; /sys/class/net is not remounted by unshare -n)."""
    try:
        with open("/proc/net/dev") as f:
            names = [line.split(":")[0].strip() for line in f.readlines()[2:]]
        return names == ["lo"]
    except OSError:
        return False


class Client(ftplib.FTP_TLS):
    """ftplib.FTP_TLS that can do implicit TLS, resume the control session on
    data connections, and use a chosen data command (PASV, EPSV, PORT, EPRT)."""

    def __init__(self, context, implicit=False, reuse=True):
        super().__init__(context=context, timeout=TIMEOUT)
        self.implicit = implicit
        self.reuse = reuse
        self.dmode = "PASV"
        self.tls_control = False
        self.last_data_reply = None
        self.early_tls = EARLY_TLS

    def connect(self, host, port):
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), TIMEOUT)
        self.af = self.sock.family
        if self.implicit:
            self.sock = self.context.wrap_socket(self.sock, server_hostname=host)
            self.tls_control = True
        self.file = self.sock.makefile("r", encoding=self.encoding)
        self.welcome = self.getresp()
        return self.welcome

    def auth(self):
        resp = super().auth()
        self.tls_control = True
        return resp

    def login_plain(self, user, passwd):
        # FTP_TLS.login() would send AUTH TLS itself when not yet secured.
        return ftplib.FTP.login(self, user, passwd)

    def makepasv(self):
        peer = self.sock.getpeername()[0]
        if self.dmode == "PASV":
            resp = self.sendcmd("PASV")
            self.last_data_reply = resp
            _untrusted, port = ftplib.parse227(resp)
            return peer, port
        resp = self.sendcmd("EPSV")
        self.last_data_reply = resp
        return ftplib.parse229(resp, self.sock.getpeername())

    def makeport(self):
        sock = socket.create_server((self.sock.getsockname()[0], 0), family=self.af, backlog=1)
        host, port = sock.getsockname()[:2]
        if self.dmode == "PORT":
            resp = self.sendport(host, port)
        else:
            resp = self.sendeprt(host, port)
        self.last_data_reply = resp
        sock.settimeout(TIMEOUT)
        return sock

    def _wrap_data(self, conn):
        session = self.sock.session if self.reuse else None
        return self.context.wrap_socket(conn, server_hostname=self.host, session=session)

    def ntransfercmd(self, cmd, rest=None):
        """Open the data connection for cmd. With PROT P, the TLS handshake on
        it comes after the 1xx reply (RFC 4217 section 12, ftplib's order), or
        with self.early_tls right after sending cmd, before reading the 1xx
        (curl's order; ftp-srv sends its 150 only after the handshake)."""
        tls = self._prot_p
        early = tls and self.early_tls
        if rest is not None:
            self.sendcmd("REST %s" % rest)
        if self.dmode in ("PASV", "EPSV"):
            host, port = self.makepasv()
            conn = socket.create_connection((host, port), TIMEOUT)
            try:
                self.putcmd(cmd)
                if early:
                    conn = self._wrap_data(conn)
                resp = self.getresp()
                if resp[0] != "1":
                    raise ftplib.error_reply(resp)
                if tls and not early:
                    conn = self._wrap_data(conn)
            except BaseException:
                conn.close()
                raise
            return conn, None
        with self.makeport() as sock:
            self.putcmd(cmd)
            if early:
                conn, _ = sock.accept()
                conn.settimeout(TIMEOUT)
                conn = self._wrap_data(conn)
                resp = self.getresp()
            else:
                resp = self.getresp()
            if resp[0] != "1":
                raise ftplib.error_reply(resp)
            if not early:
                conn, _ = sock.accept()
                conn.settimeout(TIMEOUT)
                if tls:
                    conn = self._wrap_data(conn)
        return conn, None


def check_target(name, url, ca, observe, reuse):
    u = urllib.parse.urlsplit(url)
    host, port = u.hostname, u.port or 21
    tls = {"ftp": None, "ftpes": "explicit", "ftps": "implicit"}[u.scheme]
    results = []
    obs = []

    def ok(what, good, detail=""):
        results.append((what, good, detail))

    ctx = ssl.create_default_context(cafile=ca) if tls else ssl.create_default_context()
    data_modes = ["PASV", "EPSV"]
    if in_private_netns():
        data_modes += ["PORT", "EPRT"] if ":" not in host else ["EPRT"]
    c = Client(ctx, implicit=tls == "implicit", reuse=reuse)
    try:
        banner = c.connect(host, port)
        obs.append(("banner", banner))
        ok("connect", True, banner.splitlines()[0])
        try:
            obs.append(("FEAT before login", c.sendcmd("FEAT")))
        except ftplib.all_errors as e:
            obs.append(("FEAT before login", f"{e}"))
        if tls == "explicit":
            resp = c.auth()
            ok("AUTH TLS", resp.startswith("234"), f"{resp} ({c.sock.version()})")
        elif tls == "implicit":
            ok("implicit TLS", True, c.sock.version())
        resp = c.login_plain("ftpspec", "ftpspec")
        ok("login", resp.startswith("230"), resp.splitlines()[-1])
        if tls:
            r1 = c.sendcmd("PBSZ 0")
            r2 = c.prot_p()
            ok("PBSZ 0 / PROT P", r2.startswith("200"), f"{r1} / {r2}")
        try:
            obs.append(("FEAT after login", c.sendcmd("FEAT")))
        except ftplib.all_errors as e:
            obs.append(("FEAT after login", f"{e}"))
        ok("PWD", c.pwd() == "/", c.pwd())
        c.mkd("ftpspec-check")
        c.cwd("ftpspec-check")
        payload = (f"ftpspec check {name}\r\n" * 50).encode()
        for mode in data_modes:
            c.dmode = mode
            try:
                c.storbinary(f"STOR f-{mode}.bin", io.BytesIO(payload))
                stor_reply = c.last_data_reply
                buf = io.BytesIO()
                c.retrbinary(f"RETR f-{mode}.bin", buf.write)
                lines = []
                c.retrlines("LIST", lines.append)
                good = buf.getvalue() == payload and any(f"f-{mode}.bin" in l for l in lines)
                ok(f"{mode} STOR/RETR/LIST", good, stor_reply)
                obs.append((f"{mode} reply", stor_reply))
            except (ftplib.all_errors + (ValueError,)) as e:
                # PASV on an IPv6 control connection, and an EPRT the server does
                # not implement, are only observed, not required.
                optional = ((mode == "PASV" and ":" in host)
                            or (mode == "EPRT" and str(e)[:3] in ("500", "502")))
                ok(f"{mode} STOR/RETR/LIST" + (" (optional)" if optional else ""), optional,
                   f"{type(e).__name__}: {e} (last: {c.last_data_reply})")
                obs.append((f"{mode} reply", f"{type(e).__name__}: {e} (last: {c.last_data_reply})"))
                if isinstance(e, (OSError, EOFError)) and not isinstance(e, ftplib.Error):
                    # The control connection may be unusable now: reconnect.
                    c.close()
                    c = Client(ctx, implicit=tls == "implicit", reuse=reuse)
                    c.connect(host, port)
                    if tls == "explicit":
                        c.auth()
                    c.login_plain("ftpspec", "ftpspec")
                    if tls:
                        c.sendcmd("PBSZ 0")
                        c.prot_p()
                    c.cwd("ftpspec-check")
        for mode in data_modes:
            try:
                c.delete(f"f-{mode}.bin")
            except ftplib.all_errors:
                pass
        c.cwd("/")
        ok("RMD", c.rmd("ftpspec-check").startswith("250"))
        if ":" in host and "PASV" in data_modes:
            try:
                obs.append(("PASV on IPv6", c.sendcmd("PASV")))
            except ftplib.all_errors as e:
                obs.append(("PASV on IPv6", str(e)))
        for cmd in ("EPSV 1", "EPSV 2", "SYST", "HELP"):
            try:
                obs.append((cmd, c.sendcmd(cmd)))
            except ftplib.all_errors as e:
                obs.append((cmd, str(e)))
        c.quit()
    except (ftplib.all_errors + (ValueError,)) as e:
        ok("session", False, f"{type(e).__name__}: {e}")
    finally:
        c.close()

    # anonymous, read-only
    a = Client(ctx, implicit=tls == "implicit", reuse=reuse)
    try:
        a.connect(host, port)
        if tls == "explicit":
            a.auth()
        resp = a.login_plain("anonymous", "ftpspec@example.com")
        if tls:
            a.sendcmd("PBSZ 0")
            a.prot_p()
        a.dmode = "EPSV"
        lines = []
        a.retrlines("LIST pub", lines.append)
        buf = io.BytesIO()
        a.retrbinary("RETR pub/readme.txt", buf.write)
        try:
            r = a.mkd("nope")
            denied = f"MKD allowed: {r}"
        except ftplib.error_perm as e:
            denied = str(e)
        ok("anonymous", buf.getvalue() == b"anonymous readme\n" and "MKD allowed" not in denied,
           f"{resp.splitlines()[-1]}; MKD: {denied}")
        a.quit()
    except (ftplib.all_errors + (ValueError,)) as e:
        ok("anonymous", False, f"{type(e).__name__}: {e}")
    finally:
        a.close()

    # wrong password: reply and delay
    b = Client(ctx, implicit=tls == "implicit", reuse=reuse)
    try:
        b.connect(host, port)
        if tls == "explicit":
            b.auth()
        b.sendcmd("USER ftpspec")
        t0 = time.monotonic()
        try:
            r = b.sendcmd("PASS wrong")
        except ftplib.all_errors as e:
            r = str(e)
        took = time.monotonic() - t0
        ok("wrong password refused", r.startswith("530"), f"{r} after {took:.2f} s")
        obs.append(("wrong password", f"{r} after {took:.2f} s"))
    except (ftplib.all_errors + (ValueError,)) as e:
        ok("wrong password refused", False, f"{type(e).__name__}: {e}")
    finally:
        b.close()
    return results, obs


def read_targets(path):
    out = []
    if path and os.path.exists(path):
        for line in open(path):
            if line.strip() and not line.startswith("#"):
                name, url = line.rstrip("\n").split("\t", 1)
                out.append((name, url))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--observe", action="store_true")
    ap.add_argument("--no-reuse", action="store_true")
    ap.add_argument("--rfc-data-tls", action="store_true")
    ap.add_argument("--only", nargs="*")
    args = ap.parse_args()
    global EARLY_TLS
    EARLY_TLS = not args.rfc_data_tls
    targets = read_targets(os.environ.get("FTPSPEC_TARGETS")) + read_targets(
        os.environ.get("FTPSPEC_TLS_TARGETS"))
    if args.only:
        targets = [t for t in targets if t[0] in args.only]
    if not targets:
        print("check_servers.py: no targets (FTPSPEC_TARGETS / FTPSPEC_TLS_TARGETS)", file=sys.stderr)
        return 2
    ca = os.environ.get("FTPSPEC_TLS_CA")
    print(f"private netns: {in_private_netns()} (PORT/EPRT only then)")
    failed = 0
    for name, url in targets:
        t0 = time.monotonic()
        results, obs = check_target(name, url, ca, args.observe, not args.no_reuse)
        bad = [r for r in results if not r[1]]
        failed += bool(bad)
        print(f"== {name} {url.split('@')[-1]} {'OK' if not bad else 'FAILED'} ({time.monotonic() - t0:.1f} s)")
        for what, good, detail in results:
            print(f"   {'ok  ' if good else 'FAIL'} {what}: {detail}")
        if args.observe:
            for what, text in obs:
                print(f"   -- {what}: {text!r}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
