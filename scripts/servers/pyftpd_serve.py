#!/usr/bin/env python3
"""Run a pyftpdlib server on loopback for ftpspec tests.

usage: pyftpd_serve.py --root DIR --anon-root DIR --port N [--host 127.0.0.1|::1]
                       [--pasv-min N --pasv-max N] [--user ftpspec --password ftpspec]
                       [--tls explicit --certfile PEM --keyfile PEM]

User <user>/<password> gets full permissions ("elradfmwMT") on --root;
anonymous gets read-only ("elr") on --anon-root.
--tls explicit uses pyftpdlib's TLS_FTPHandler (needs pyOpenSSL): AUTH TLS,
PBSZ, PROT; TLS is offered, not required, on control and data connections.
"""
import argparse
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

LOOPBACK = ("127.0.0.1", "::1")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--anon-root", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", default="127.0.0.1", choices=LOOPBACK)
    ap.add_argument("--pasv-min", type=int)
    ap.add_argument("--pasv-max", type=int)
    ap.add_argument("--user", default="ftpspec")
    ap.add_argument("--password", default="ftpspec")
    ap.add_argument("--max-cons", type=int, default=64)
    ap.add_argument("--tls", choices=("explicit",))
    ap.add_argument("--certfile")
    ap.add_argument("--keyfile")
    args = ap.parse_args()
    if args.tls and not args.certfile:
        ap.error("--tls needs --certfile (and --keyfile unless the key is in it)")

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")

    authorizer = DummyAuthorizer()
    authorizer.add_user(args.user, args.password, args.root, perm="elradfmwMT")
    authorizer.add_anonymous(args.anon_root, perm="elr")

    from pyftpdlib.handlers.ftp.dispatchers import ActiveDTP

    class FixedActiveDTP(ActiveDTP):
        def handle_connect(self):
            # The socket now belongs to the DTPHandler: forget it, so a later
            # PORT/EPRT does not close() (unregister) a reused fd number.
            if self.cmd_channel._dtp_connector is self:
                self.cmd_channel._dtp_connector = None
            return super().handle_connect()

    base = FTPHandler
    if args.tls:
        from pyftpdlib.handlers import TLS_FTPHandler  # ImportError without pyOpenSSL

        base = TLS_FTPHandler

    class Handler(base):
        active_dtp = FixedActiveDTP

    if args.tls:
        Handler.certfile = args.certfile
        Handler.keyfile = args.keyfile or args.certfile
        Handler.tls_control_required = False
        Handler.tls_data_required = False

    Handler.authorizer = authorizer
    # Never let a client point the server's data connection at a non-local
    # address: PORT/EPRT stay usable, but only back to the client's own IP.
    Handler.permit_foreign_addresses = False
    Handler.permit_privileged_ports = False
    if args.pasv_min and args.pasv_max:
        Handler.passive_ports = range(args.pasv_min, args.pasv_max + 1)

    server = FTPServer((args.host, args.port), Handler)
    server.max_cons = args.max_cons
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
