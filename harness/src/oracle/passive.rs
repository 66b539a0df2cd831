//! Passive replies: every 227 (PASV, RFC 959) and 229 (EPSV, RFC 2428)
//! is parsed and judged wherever it arrives, and gives the port to connect
//! to. The address a 227 names is judged but never used: data connections
//! go to the control connection's peer (`Control::connect_passive`).

use super::rule::{Rule, Violation};
use crate::codec::{Deviation, ExtPassiveReply, Leniency, PassiveReply, Reply};
use crate::verdict::Check;
use std::net::IpAddr;

/// RFC 959 §4.1.2, PASV: what a 227 carries.
pub const PASV_ADDRESS: Rule = Rule::must(
    959,
    "4.1.2",
    "The response to this command includes the host and port address this server is listening on.",
);

/// RFC 2428 §3: the shape of a 229.
pub const EPSV_FORMAT: Rule = Rule::must(
    2428,
    "3",
    "The text returned in response to the EPSV command MUST be: <text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)",
);

/// RFC 2428 §3: a 229 names no protocol and no address.
pub const EPSV_BLANK: Rule = Rule::must(
    2428,
    "3",
    "The first two fields contained in the parenthesis MUST be blank.",
);

/// RFC 2428 §3: the port of a 229.
pub const EPSV_PORT: Rule = Rule::must(
    2428,
    "3",
    "The third field MUST be the string representation of the TCP port number on which the server is listening for a data connection.",
);

/// RFC 1123 §4.1.2.6: every server takes PASV.
pub const PASV_REQUIRED: Rule = Rule::must(
    1123,
    "4.1.2.6",
    "A server-FTP MUST implement the PASV command.",
);

/// Every rule this family enforces.
pub const RULES: &[Rule] = &[
    PASV_ADDRESS,
    EPSV_FORMAT,
    EPSV_BLANK,
    EPSV_PORT,
    PASV_REQUIRED,
];

/// PASV answered as a command the server does not have (500: not
/// recognised; 502: not implemented). Any other refusal (421 closing,
/// 425, 530, 550 busy, …) is the server's to give for its own reasons:
/// it breaks no sentence by itself, and its code is judged against RFC
/// 959 §5.4's table as every reply's is. `None` then.
pub fn pasv_unimplemented(reply: &Reply) -> Option<Violation> {
    matches!(reply.code().get(), 500 | 502).then(|| {
        Violation::broken(
            Check::DataSetup,
            PASV_REQUIRED,
            "227 (PASV implemented)",
            reply.to_string(),
        )
    })
}

/// A judged 227 or 229.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Passive {
    /// The port to connect to on the control connection's peer; `None`
    /// when the reply names none that could be listening.
    pub port: Option<u16>,
    /// What is wrong with the reply.
    pub violations: Vec<Violation>,
}

/// Judge `reply` if it is a 227 or a 229 (whatever command it answers);
/// `peer` is the control connection's peer. `None` for other codes.
pub fn judge(reply: &Reply, peer: IpAddr) -> Option<Passive> {
    match reply.code().get() {
        227 => Some(pasv(reply, peer)),
        229 => Some(epsv(reply)),
        _ => None,
    }
}

/// A 227. Its format "is not well standardized" (RFC 1123 §4.1.2.6: a
/// client "cannot assume that the parentheses shown on page 40 of RFC-959
/// will be present" and "must scan the reply for the first digit of the
/// host and port numbers"), so the codec's 227 leniencies (no
/// parentheses, spaces, leading zeros) are accepted without a finding.
pub fn pasv(reply: &Reply, peer: IpAddr) -> Passive {
    let parsed = match PassiveReply::from_reply(reply, Leniency::PERMISSIVE) {
        Ok(p) => p.value.0,
        // On an IPv6 control connection no 227 can name the server's
        // address (RFC 2428 §1: PASV "only provides the ability to
        // communicate information about IPv4 data connections"), so one
        // that tries another form is a suspected breach only.
        Err(e) if peer.is_ipv6() => {
            return Passive {
                port: None,
                violations: vec![Violation::suspected(
                    Check::PassiveReply,
                    PASV_ADDRESS,
                    "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2), or a refusal: over IPv6 PASV is replaced by EPSV (RFC 2428 §1)",
                    format!("{reply} ({e})"),
                )],
            };
        }
        Err(e) => {
            return Passive {
                port: None,
                violations: vec![Violation::broken(
                    Check::PassiveReply,
                    PASV_ADDRESS,
                    "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)",
                    format!("{reply} ({e})"),
                )],
            };
        }
    };
    let mut violations = Vec::new();
    if parsed.port() == 0 {
        violations.push(Violation::broken(
            Check::PassiveReply,
            PASV_ADDRESS,
            "a port the server listens on",
            format!("{reply} (port 0)"),
        ));
    }
    let named = IpAddr::V4(parsed.ip());
    if named != peer {
        // The server may have several addresses (or sit behind NAT) and the
        // unspecified address is what a socket bound to all of them reports:
        // from here it cannot be told whether it listens there.
        violations.push(Violation::suspected(
            Check::PassiveReply,
            PASV_ADDRESS,
            format!(
                "{peer}, the address of the control connection (used instead: a 227's address is never followed)"
            ),
            format!("{named} in {reply}"),
        ));
    }
    Passive {
        port: (parsed.port() != 0).then_some(parsed.port()),
        violations,
    }
}

/// A 229.
pub fn epsv(reply: &Reply) -> Passive {
    let parsed = match ExtPassiveReply::from_reply(reply, Leniency::PERMISSIVE) {
        Ok(p) => p,
        Err(e) => {
            return Passive {
                port: None,
                violations: vec![Violation::broken(
                    Check::PassiveReply,
                    EPSV_FORMAT,
                    "229 <text> (|||port|)",
                    format!("{reply} ({e})"),
                )],
            };
        }
    };
    let mut violations: Vec<Violation> = parsed
        .deviations
        .iter()
        .map(|d| {
            let rule = match d {
                Deviation::ExtAddrFieldsNotBlank => EPSV_BLANK,
                _ => EPSV_FORMAT,
            };
            Violation::broken(
                Check::PassiveReply,
                rule,
                "229 <text> (|||port|)",
                format!("{}: {reply}", d.describe()),
            )
        })
        .collect();
    let port = parsed.value.port();
    if port == 0 {
        violations.push(Violation::broken(
            Check::PassiveReply,
            EPSV_PORT,
            "a port the server listens on",
            format!("{reply} (port 0)"),
        ));
    }
    Passive {
        port: (port != 0).then_some(port),
        violations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    fn reply(s: &str) -> Reply {
        Reply::parse(format!("{s}\r\n").as_bytes()).unwrap()
    }

    const LO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn pasv_refusals_fail_only_as_unimplemented() {
        for r in [
            "500 Syntax error, command unrecognized.",
            "502 Not implemented.",
        ] {
            let v = pasv_unimplemented(&reply(r)).expect(r);
            assert_eq!(v.rule, PASV_REQUIRED);
            assert_eq!(v.finding(None).verdict, Verdict::Fail);
        }
        for r in [
            "550 Another action is in progress, use ABOR command first.",
            "421 Closing.",
            "425 No ports left.",
            "227 Entering Passive Mode (127,0,0,1,4,1).",
        ] {
            assert!(pasv_unimplemented(&reply(r)).is_none(), "{r}");
        }
    }

    #[test]
    fn pasv_decisions() {
        let ok = pasv(&reply("227 Entering Passive Mode (127,0,0,1,4,1)."), LO);
        assert_eq!(ok.port, Some(1025));
        assert!(ok.violations.is_empty());
        // RFC 1123 §4.1.2.6: no parentheses is a form clients must accept.
        let bare = pasv(&reply("227 Entering Passive Mode 127,0,0,1,4,1"), LO);
        assert!(bare.violations.is_empty(), "{bare:?}");
        // Another address: suspected only (a warning), never followed.
        let foreign = pasv(&reply("227 x (10,0,0,1,4,1)"), LO);
        assert_eq!(foreign.port, Some(1025));
        assert_eq!(foreign.violations[0].verdict(), Verdict::Warn);
        let zero = pasv(&reply("227 x (0,0,0,0,4,1)"), LO);
        assert_eq!(zero.violations[0].verdict(), Verdict::Warn);
        // Port 0 and no address at all: failures.
        let p0 = pasv(&reply("227 x (127,0,0,1,0,0)"), LO);
        assert_eq!((p0.port, p0.violations[0].verdict()), (None, Verdict::Fail));
        let bad = pasv(&reply("227 Entering Passive Mode (1,117,162)."), LO);
        assert_eq!(
            (bad.port, bad.violations[0].verdict()),
            (None, Verdict::Fail)
        );
    }

    #[test]
    fn epsv_decisions() {
        let ok = epsv(&reply("229 Entering Extended Passive Mode (|||6446|)"));
        assert_eq!((ok.port, ok.violations.len()), (Some(6446), 0));
        let fields = epsv(&reply("229 x (|1|127.0.0.1|6446|)"));
        assert_eq!(fields.violations[0].rule, EPSV_BLANK);
        assert_eq!(fields.port, Some(6446));
        let p0 = epsv(&reply("229 x (|||0|)"));
        assert_eq!((p0.port, p0.violations[0].rule), (None, EPSV_PORT));
        assert_eq!(epsv(&reply("229 x")).violations[0].rule, EPSV_FORMAT);
        assert!(judge(&reply("200 x"), LO).is_none());
    }
}
