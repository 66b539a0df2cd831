//! PORT and EPRT naming a privileged port (RFC 2577 §3, the bounce
//! attack): the suggested answer is 504, and the server should never
//! connect there. RFC 2577 is an informational RFC without RFC 2119
//! keywords; its "it is suggested that" is read as SHOULD (see
//! `scenarios/README.md`), so these checks warn.
//!
//! Naming a host other than the client's own is not in itself a fault:
//! RFC 959 §5.2 provides for transfers between two servers ("proxy FTP").

use super::rule::{Rule, Violation};
use crate::codec::Reply;
use crate::verdict::Check;
use std::net::SocketAddr;

/// RFC 2577 §3: the reply to a PORT naming a port below 1024.
pub const LOW_PORT_REPLY: Rule = Rule::should(
    2577,
    "3",
    "If a server receives a PORT command containing a TCP port number less than 1024, the suggested response is 504 (defined as \"Command not implemented for that parameter\" by [PR85]).",
);

/// RFC 2577 §3: no data connection to a port below 1024.
pub const LOW_PORT_CONNECT: Rule = Rule::should(
    2577,
    "3",
    "To avoid such bounce attacks, it is suggested that servers not open data connections to TCP ports less than 1024.",
);

/// Every rule this family enforces.
pub const RULES: &[Rule] = &[LOW_PORT_REPLY, LOW_PORT_CONNECT];

/// Whether an address is one the bounce checks are about.
pub fn is_privileged(addr: SocketAddr) -> bool {
    addr.port() < 1024
}

/// Judge the reply to `verb` (PORT or EPRT) naming `named`.
pub fn accepted(verb: &str, named: SocketAddr, reply: &Reply) -> Option<Violation> {
    (is_privileged(named) && reply.code().is_completion()).then(|| {
        Violation::broken(
            Check::PortAccepted,
            LOW_PORT_REPLY,
            format!(
                "504 (or another refusal) to a {verb} naming port {}",
                named.port()
            ),
            format!("{verb} {named}: {reply}"),
        )
    })
}

/// The server opened a data connection to `named`, a privileged port.
pub fn connected(named: SocketAddr) -> Option<Violation> {
    is_privileged(named).then(|| {
        Violation::broken(
            Check::PortAccepted,
            LOW_PORT_CONNECT,
            "no data connection to a port below 1024",
            format!("the server opened a data connection to {named}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    #[test]
    fn privileged_ports_only() {
        let ok = Reply::parse(b"200 PORT command successful\r\n").unwrap();
        let no = Reply::parse(b"504 no\r\n").unwrap();
        let low: SocketAddr = "127.0.0.1:1023".parse().unwrap();
        let high: SocketAddr = "127.0.0.1:1024".parse().unwrap();
        assert_eq!(accepted("PORT", low, &ok).unwrap().verdict(), Verdict::Warn);
        assert!(accepted("PORT", low, &no).is_none());
        assert!(accepted("PORT", high, &ok).is_none());
        assert!(connected(low).is_some() && connected(high).is_none());
    }
}
