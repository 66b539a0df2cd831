#!/usr/bin/env node
// Run a Node ftp-srv server on loopback for ftpspec tests (started by ftpsrv.sh).
//
// usage: node ftpsrv_serve.js --root DIR --anon-root DIR --port N [--host 127.0.0.1|::1]
//            [--pasv-min N --pasv-max N] [--user ftpspec --password ftpspec]
//            [--tls explicit|implicit --cert PEM --key PEM]
//
// ftp-srv must be resolvable (ftpsrv.sh sets NODE_PATH to its install).
// <user>/<password> gets <root> read-write; anonymous (ftp-srv logs it in at
// USER, without PASS) gets <anon-root> read-only through ReadOnlyFileSystem.
// --tls explicit: AUTH TLS on the port (clear sessions still allowed);
// --tls implicit: an ftps:// server, TLS from the first byte.
//
// One fix to ftp-srv 4.6.3 (off with FTPSPEC_FTPSRV_AUTH_RACE=1): its AUTH TLS
// wraps the control socket in a TLSSocket only after the "234 Honored" write
// has completed (a later tick), and a ClientHello the socket reads in between
// is parsed as an FTP command and answered in clear text ("502 Command not
// allowed: \x16\x03..."): the client sees a TLS error. Most sessions that sent
// any command before AUTH TLS hit it. The fix writes the 234 and wraps the
// socket in the same tick, so no byte of the client's reply can be read as a
// command (pausing the socket is not enough: the TLSSocket drains the paused
// socket's buffer with read(), which emits the same bytes as 'data' too).
'use strict';

const fs = require('fs');
const tls = require('tls');
const bunyan = require('bunyan');
const {FtpSrv, FileSystem, ftpErrors} = require('ftp-srv');

const LOOPBACK = ['127.0.0.1', '::1'];

function parseArgs(argv) {
  const opts = {host: '127.0.0.1', user: 'ftpspec', password: 'ftpspec'};
  const known = ['root', 'anon-root', 'port', 'host', 'pasv-min', 'pasv-max', 'user',
    'password', 'tls', 'cert', 'key'];
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || !known.includes(name) || i + 1 >= argv.length) {
      throw new Error(`bad argument: ${argv[i]}`);
    }
    opts[name] = argv[i + 1];
  }
  for (const need of ['root', 'anon-root', 'port']) {
    if (!opts[need]) throw new Error(`--${need} is required`);
  }
  if (!LOOPBACK.includes(opts.host)) throw new Error(`--host must be one of ${LOOPBACK}`);
  if (opts.tls && !['explicit', 'implicit'].includes(opts.tls)) {
    throw new Error('--tls must be explicit or implicit');
  }
  if (opts.tls && !(opts.cert && opts.key)) throw new Error('--tls needs --cert and --key');
  return opts;
}

// Anonymous: every call that would change the tree fails, which ftp-srv turns
// into a 550 reply carrying the message.
class ReadOnlyFileSystem extends FileSystem {
  denied() {
    throw new ftpErrors.FileSystemError('Permission denied');
  }
  write() { this.denied(); }
  delete() { this.denied(); }
  mkdir() { this.denied(); }
  rename() { this.denied(); }
  chmod() { this.denied(); }
}

function fixAuthRace() {
  if (process.env.FTPSPEC_FTPSRV_AUTH_RACE === '1') return;
  const registry = require('ftp-srv/src/commands/registry');
  const auth = registry.AUTH;
  const original = auth.handler;
  auth.handler = function (args = {}) {
    const arg = String((args.command && args.command.arg) || '').trim();
    if (!/^tls$/i.test(arg) || !this.server.options.tls || this.secure) {
      return original.call(this, args);   // 504, 502 or 202 as before
    }
    // What ftp-srv's handleTLS does, with no tick between the write and the wrap.
    const raw = this.commandSocket;
    raw.write('234 Honored\r\n');
    const secureSocket = new tls.TLSSocket(raw, {
      isServer: true,
      secureContext: tls.createSecureContext(this.server.options.tls),
    });
    ['data', 'timeout', 'end', 'close', 'drain', 'error'].forEach((event) => {
      secureSocket.on(event, (...a) => raw.emit(event, ...a));
    });
    this.commandSocket = secureSocket;
    this.secure = true;
    return Promise.resolve();
  };
}

function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`ftpsrv_serve.js: ${err.message}\n`);
    process.exit(2);
  }
  fixAuthRace();
  const hostInUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  const scheme = opts.tls === 'implicit' ? 'ftps' : 'ftp';
  const log = bunyan.createLogger({name: 'ftp-srv', level: 'info', stream: process.stderr});
  const server = new FtpSrv({
    log,
    url: `${scheme}://${hostInUrl}:${opts.port}`,
    // PASV replies carry this address (ftp-srv uses the client's own address
    // instead when that is 127.0.0.1 or ::1); passive sockets bind the url's host.
    pasv_url: opts.host,
    pasv_min: opts['pasv-min'] ? Number(opts['pasv-min']) : 1024,
    pasv_max: opts['pasv-max'] ? Number(opts['pasv-max']) : 65535,
    anonymous: true,
    tls: opts.tls ? {cert: fs.readFileSync(opts.cert), key: fs.readFileSync(opts.key)} : false,
    timeout: 120000,
  });

  server.on('login', ({connection, username, password}, resolve, reject) => {
    if (username === 'anonymous') {
      resolve({root: opts['anon-root'], fs: new ReadOnlyFileSystem(connection, {root: opts['anon-root']})});
    } else if (username === opts.user && password === opts.password) {
      resolve({root: opts.root});
    } else {
      reject(new ftpErrors.GeneralError('Invalid username or password', 530));
    }
  });
  server.on('client-error', ({context, error}) => {
    log.warn({context, err: error && error.message}, 'client error');
  });

  server.listen().catch((err) => {
    log.error(err, 'listen failed');
    process.exit(1);
  });
}

main();
