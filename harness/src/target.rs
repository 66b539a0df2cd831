//! The server under test: `ftp://[user[:pass]@]host[:port][/path/]`, and
//! for FTP over TLS (RFC 4217) the schemes FileZilla users know: `ftpes://`
//! (explicit: AUTH TLS on the control connection) and `ftps://` (implicit:
//! TLS from the first byte, port 990 by default).

use crate::scenario::Family;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

/// How the control connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Security {
    /// `ftp://`: no TLS.
    #[default]
    Plain,
    /// `ftpes://`: every session sends AUTH TLS after the greeting and
    /// carries on inside TLS (RFC 4217 §4).
    Explicit,
    /// `ftps://`: TLS from the first byte, before the greeting.
    Implicit,
}

impl Security {
    /// The URL scheme, with `://`.
    pub fn scheme(self) -> &'static str {
        match self {
            Security::Plain => "ftp://",
            Security::Explicit => "ftpes://",
            Security::Implicit => "ftps://",
        }
    }

    /// Whether sessions run inside TLS.
    pub fn is_tls(self) -> bool {
        self != Security::Plain
    }
}

/// Which server certificates to trust.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trust {
    /// Trust this CA (a PEM file, `--tls-ca`) instead of the system's store.
    pub ca: Option<PathBuf>,
    /// Accept any certificate (`--insecure`, curl's `-k`): the connection
    /// is still encrypted, but nothing proves who is at the other end.
    pub insecure: bool,
}

/// Where to connect and how to log in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// How the user named it (password hidden), for reports.
    pub name: String,
    /// Control addresses, at most one per family.
    pub addrs: Vec<SocketAddr>,
    /// Login name; `None` for anonymous.
    pub user: Option<String>,
    /// Password (for anonymous, an e-mail-like string per RFC 1635 custom;
    /// for a named user without one in the URL, `FTPSPEC_PASSWORD`).
    pub pass: String,
    /// The directory the URL names (`ftp://host/upload/` → `/upload`):
    /// every session changes to it after login, and scratch directories
    /// are made in it. `None`: the login directory.
    pub path: Option<String>,
    /// Plain FTP, or FTP over TLS (explicit or implicit).
    pub security: Security,
    /// The host as the URL names it: the name a TLS certificate must carry.
    pub host: String,
    /// Which certificates to trust (TLS targets).
    pub trust: Trust,
}

/// Why a target URL was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not `ftp://`, `ftpes://` or `ftps://`.
    #[error(
        "target must be an ftp:// URL (ftpes:// for explicit TLS, ftps:// for implicit TLS), e.g. ftp://user@127.0.0.1:2121/"
    )]
    Scheme,
    /// Host missing or malformed.
    #[error("bad host in target URL: {0}")]
    Host(String),
    /// Port not a number 1-65535.
    #[error("bad port in target URL: {0}")]
    Port(String),
    /// Bad percent-encoding.
    #[error("bad percent-encoding in target URL")]
    Encoding,
    /// A path that cannot be sent in a command (CR, LF or NUL).
    #[error("the URL's path {0:?} holds CR, LF or NUL, which no FTP command can carry")]
    Path(String),
    /// The host name did not resolve.
    #[error("cannot resolve {0}: {1}")]
    Resolve(String, String),
}

fn percent_decode(s: &str) -> Result<String, TargetError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(TargetError::Encoding)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| TargetError::Encoding)?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| TargetError::Encoding)
}

impl Target {
    /// The anonymous password sent when the URL names no user.
    pub const ANONYMOUS_PASS: &'static str = "ftpspec@example.invalid";

    /// Parse and resolve a URL.
    pub fn parse(url: &str) -> Result<Target, TargetError> {
        let (security, rest) = [Security::Plain, Security::Explicit, Security::Implicit]
            .into_iter()
            .find_map(|s| {
                let n = s.scheme().len();
                url.get(..n)
                    .filter(|p| p.eq_ignore_ascii_case(s.scheme()))
                    .map(|_| (s, &url[n..]))
            })
            .ok_or(TargetError::Scheme)?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let path = percent_decode(path)?;
        let path = path.trim_end_matches('/');
        if path.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
            return Err(TargetError::Path(path.to_owned()));
        }
        let path = (!path.is_empty()).then(|| format!("/{}", path.trim_start_matches('/')));
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, pass) = match userinfo {
            None => (None, Target::ANONYMOUS_PASS.to_owned()),
            Some(u) => {
                let (name, pass) = u.split_once(':').unwrap_or((u, ""));
                let name = percent_decode(name)?;
                let pass = percent_decode(pass)?;
                if name.is_empty()
                    || name.eq_ignore_ascii_case("anonymous")
                    || name.eq_ignore_ascii_case("ftp")
                {
                    (
                        None,
                        if pass.is_empty() {
                            Target::ANONYMOUS_PASS.to_owned()
                        } else {
                            pass
                        },
                    )
                } else if pass.is_empty() {
                    // No password in the URL: FTPSPEC_PASSWORD (so that it
                    // need not appear on a command line or in a CI log).
                    (
                        Some(name),
                        std::env::var("FTPSPEC_PASSWORD").unwrap_or_default(),
                    )
                } else {
                    (Some(name), pass)
                }
            }
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (h, rest) = v6
                .split_once(']')
                .ok_or_else(|| TargetError::Host(hostport.to_owned()))?;
            (h, rest.strip_prefix(':'))
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(TargetError::Host(hostport.to_owned()));
        }
        let port: u16 = match port {
            None if security == Security::Implicit => 990,
            None => 21,
            Some(p) => p
                .parse()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| TargetError::Port(p.to_owned()))?,
        };
        let resolved: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| TargetError::Resolve(host.to_owned(), e.to_string()))?
            .collect();
        let mut addrs = Vec::new();
        for fam in [true, false] {
            if let Some(a) = resolved.iter().find(|a| a.is_ipv4() == fam) {
                addrs.push(*a);
            }
        }
        if addrs.is_empty() {
            return Err(TargetError::Resolve(host.to_owned(), "no addresses".into()));
        }
        let shown_user = user.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
        let shown_host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        let shown_path = path
            .as_deref()
            .map(|p| format!("{}/", p.trim_start_matches('/')))
            .unwrap_or_default();
        Ok(Target {
            name: format!(
                "{}{shown_user}{shown_host}:{port}/{shown_path}",
                security.scheme()
            ),
            addrs,
            user,
            pass,
            path,
            security,
            trust: Trust::default(),
            host: host.to_owned(),
        })
    }

    /// The control address of a family, if the target has one.
    pub fn addr(&self, family: Family) -> Option<SocketAddr> {
        self.addrs
            .iter()
            .copied()
            .find(|a| a.is_ipv4() == (family == Family::V4))
    }

    /// Families the target can be reached over, IPv4 first.
    pub fn families(&self) -> Vec<Family> {
        [Family::V4, Family::V6]
            .into_iter()
            .filter(|f| self.addr(*f).is_some())
            .collect()
    }

    /// The login name sent in USER.
    pub fn login_name(&self) -> &str {
        self.user.as_deref().unwrap_or("anonymous")
    }

    /// Where a case's scratch directory `name` goes: in the URL's
    /// directory, or (without one) the login directory.
    pub fn scratch_dir(&self, name: &str) -> String {
        match &self.path {
            Some(p) => format!("{p}/{name}"),
            None => name.to_owned(),
        }
    }

    /// What keeps this target's password out of reports (nothing to hide
    /// for the anonymous login's made-up address).
    pub fn redactor(&self) -> crate::redact::Redactor {
        if self.pass == Target::ANONYMOUS_PASS {
            crate::redact::Redactor::default()
        } else {
            crate::redact::Redactor::for_login(&self.pass, self.user.as_deref())
        }
    }

    /// Whether every address is loopback.
    pub fn is_loopback(&self) -> bool {
        self.addrs.iter().all(|a| a.ip().is_loopback())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = Target::parse("ftp://bob:s%3Acret@127.0.0.1:2121/").unwrap();
        assert_eq!(t.user.as_deref(), Some("bob"));
        assert_eq!(t.pass, "s:cret");
        assert_eq!(t.addrs, ["127.0.0.1:2121".parse().unwrap()]);
        assert_eq!(t.name, "ftp://bob@127.0.0.1:2121/");
        let a = Target::parse("ftp://[::1]/").unwrap();
        assert_eq!(a.addrs, ["[::1]:21".parse().unwrap()]);
        assert_eq!(a.user, None);
        assert_eq!(a.families(), [Family::V6]);
        assert_eq!(Target::parse("http://x/"), Err(TargetError::Scheme));
        assert!(matches!(
            Target::parse("ftp://127.0.0.1:0/"),
            Err(TargetError::Port(_))
        ));
        assert!(matches!(
            Target::parse("ftp://[::1/"),
            Err(TargetError::Host(_))
        ));
        assert_eq!(
            Target::parse("ftp://anonymous@127.0.0.1/").unwrap().user,
            None
        );
        let p = Target::parse("ftp://u:p@127.0.0.1:21/upload/in%20here/").unwrap();
        assert_eq!(p.path.as_deref(), Some("/upload/in here"));
        assert_eq!(p.name, "ftp://u@127.0.0.1:21/upload/in here/");
        assert_eq!(p.scratch_dir("s"), "/upload/in here/s");
        assert_eq!(Target::parse("ftp://127.0.0.1/").unwrap().path, None);
        let e = Target::parse("ftpes://u:p@localhost:2121/").unwrap();
        assert_eq!(e.security, Security::Explicit);
        assert_eq!(e.host, "localhost");
        assert_eq!(e.name, "ftpes://u@localhost:2121/");
        let i = Target::parse("FTPS://127.0.0.1/").unwrap();
        assert_eq!(i.security, Security::Implicit);
        assert_eq!(i.addrs, ["127.0.0.1:990".parse().unwrap()]);
        assert_eq!(
            Target::parse("ftp://127.0.0.1/").unwrap().security,
            Security::Plain
        );
        assert!(matches!(
            Target::parse("ftp://127.0.0.1/a%0Db"),
            Err(TargetError::Path(_))
        ));
    }
}
