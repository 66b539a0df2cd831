//! What counts as a finding, and the per-reply checks. Crash and hang are
//! judged by the engine after a liveness probe; the rest here, reply by reply.

use crate::codec::{ExtAddr, ExtPassiveReply, HostPort, Leniency, PassiveReply, Reply, Verb};
use crate::oracle::check_code;
use crate::verdict::Verdict;
use std::fmt;
use std::net::IpAddr;

/// The kinds of finding; with the verb, the key findings are deduplicated by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Oracle {
    /// The server stopped accepting connections, or its process exited.
    Crash,
    /// A well-formed command got no reply within the timeout.
    Hang,
    /// The server closed the control connection instead of replying to a
    /// well-formed command (a crashed session process, typically).
    Closed,
    /// A reply the RFC 959 §4.2 grammar rejects, multi-line replies included.
    ReplySyntax,
    /// A reply code outside RFC 959 §5.4's table for the command.
    ReplyCode,
    /// A 227/229 naming another host than the server, or port 0.
    PassiveAddress,
    /// PORT/EPRT to a third party or to a privileged port was accepted.
    PortAccepted,
}

impl Oracle {
    /// Short name used in file names and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Oracle::Crash => "crash",
            Oracle::Hang => "hang",
            Oracle::Closed => "closed",
            Oracle::ReplySyntax => "reply-syntax",
            Oracle::ReplyCode => "reply-code",
            Oracle::PassiveAddress => "passive-address",
            Oracle::PortAccepted => "port-accepted",
        }
    }
}

impl fmt::Display for Oracle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One oracle firing on one action of a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Which oracle.
    pub oracle: Oracle,
    /// The command it is about (upper case).
    pub verb: String,
    /// Index of the action in the session.
    pub action: usize,
    /// What was seen, in a sentence.
    pub detail: String,
}

impl Hit {
    /// The deduplication key.
    pub fn key(&self) -> (Oracle, String) {
        (self.oracle, self.verb.clone())
    }
}

/// Replies that do not follow the grammar in a way the RFC says MUST.
pub fn syntax(reply: &crate::codec::Parsed<Reply>) -> Option<String> {
    if let Some(d) = reply.deviations.iter().find(|d| d.level() == "MUST") {
        return Some(format!("{}: {}", d.describe(), reply.value));
    }
    (!reply.value.code().has_defined_class()).then(|| {
        format!(
            "reply code {} has no defined first digit",
            reply.value.code()
        )
    })
}

/// §5.4: a code that is not even of a class the table allows (codes of an
/// allowed class only warn in `ftpspec run`; a fuzzer reports failures).
pub fn code(verb: &str, reply: &Reply, after_preliminary: bool) -> Option<String> {
    let f = check_code(&Verb::new(verb), reply.code(), after_preliminary)?;
    (f.verdict == Verdict::Fail)
        .then(|| format!("{verb} got {} (allowed: {})", reply.code(), f.acceptable))
}

/// 227: the address must be the server's and the port not 0. Returns the
/// port to connect to (always on `peer`) and a finding, if any.
pub fn pasv(reply: &Reply, peer: IpAddr) -> (Option<u16>, Option<String>) {
    match PassiveReply::from_reply(reply, Leniency::PERMISSIVE) {
        Ok(p) => {
            let hp = p.value.0;
            let why = if hp.port() == 0 {
                Some(format!("227 names port 0: {reply}"))
            } else if IpAddr::V4(hp.ip()) != peer && !hp.ip().is_unspecified() {
                Some(format!(
                    "227 names {}, not the server {peer}: {reply}",
                    hp.ip()
                ))
            } else {
                None
            };
            ((hp.port() != 0).then_some(hp.port()), why)
        }
        Err(e) => (
            None,
            Some(format!("227 without a usable address ({e}): {reply}")),
        ),
    }
}

/// 229: the port must not be 0.
pub fn epsv(reply: &Reply) -> (Option<u16>, Option<String>) {
    match ExtPassiveReply::from_reply(reply, Leniency::PERMISSIVE) {
        Ok(p) if p.value.port() == 0 => (None, Some(format!("229 names port 0: {reply}"))),
        Ok(p) => (Some(p.value.port()), None),
        Err(e) => (
            None,
            Some(format!("229 without a usable port ({e}): {reply}")),
        ),
    }
}

/// A PORT/EPRT argument naming a third party (a host other than ours) or
/// a privileged port, which a server should refuse (RFC 2577 §3).
pub fn risky_port(verb: &str, arg: &[u8], own: IpAddr) -> Option<String> {
    let addr = match verb {
        "PORT" => HostPort::parse(arg)
            .ok()
            .map(|h| std::net::SocketAddr::V4(h.0)),
        "EPRT" => ExtAddr::parse(arg).ok().and_then(|a| a.socket_addr()),
        _ => None,
    }?;
    if addr.ip() != own {
        Some(format!("{verb} to a third party, {addr}, was accepted"))
    } else if addr.port() < 1024 {
        Some(format!("{verb} to privileged port {addr} was accepted"))
    } else {
        None
    }
}
