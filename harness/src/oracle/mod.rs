//! The built-in checks: one file per family, each check a pure function
//! over what was sent and what was observed, returning [`Violation`]s that
//! carry the RFC sentence the check enforces. The scenario runner
//! (`runner/case/`) and the live fuzzer (`fuzzer/`) call the same
//! functions; they differ only in what they do with the result (a case
//! records every finding; the fuzzer keeps failures and security warnings).
//!
//! | file | checks | [`Check`] |
//! |------|--------|-----------|
//! | `rule.rs` | [`Rule`], [`Check`], [`Violation`]: the vocabulary | |
//! | `syntax.rs` | reply grammar (RFC 959 §4.2, RFC 1123 §4.1.2.11) | `reply-syntax` |
//! | `codes.rs` | the RFC 959 §5.4 code table; the greeting | `reply-code`, `greeting` |
//! | `passive.rs` | every 227 and 229: format, address, port | `passive-reply` |
//! | `feat.rs` | the FEAT listing's format (RFC 2389 §3.2) | `feat-format` |
//! | `image.rs` | TYPE I byte-exactness (RFC 959 §3.1.1.3), compared as it streams | `image-bytes` |
//! | `sequence.rs` | one reply per command: none unasked for, none skipped | `one-reply` |
//! | `port.rs` | PORT/EPRT to a privileged port accepted or connected to (RFC 2577 §3) | `port-accepted` |
//! | `fate.rs` | crash, hang, or a close instead of a reply | `crash`, `hang`, `closed` |
//! | `tls.rs` | TLS after 234, PROT P data connections, close_notify (RFC 4217, 2228, 8446) | `tls` |
//!
//! [`judge_reply`] applies every per-reply family to one reply.

pub mod codes;
pub mod fate;
pub mod feat;
pub mod image;
pub mod passive;
pub mod port;
mod rule;
pub mod sequence;
pub mod syntax;
pub mod tls;

pub use crate::verdict::Check;
pub use codes::allowed;
pub use passive::Passive;
pub use rule::{Certainty, Rule, SUSPECTED, Violation};

use crate::codec::{Parsed, Reply, Verb};
use std::net::IpAddr;

/// Catalogue rows (`scenarios/requirements.tsv`) the built-in checks
/// verify on every exchange of every case, with the check that does.
pub const BUILTIN_COVERS: &[(&str, &str)] = &[
    ("R959-4.2-three-digit-code", "built-in: reply syntax"),
    ("R959-4.2-single-line-format", "built-in: reply syntax"),
    ("R959-4.2-multiline-format", "built-in: reply syntax"),
    ("R959-4.2-multiline-pad", "built-in: reply syntax"),
    (
        "R959-4.2-1yz-at-most-one",
        "built-in: RFC 959 §5.4 code table",
    ),
    (
        "R959-3.1.1.3-store-contiguous",
        "built-in: TYPE I byte-exact",
    ),
    ("R959-4.2.1-227-format", "built-in: 227 parser"),
    (
        "R4217-9-prot-holds",
        "built-in: TLS data connections under PROT P",
    ),
    (
        "R4217-7-tls-roles",
        "built-in: TLS data connections under PROT P",
    ),
    (
        "R8446-6.1-close-notify",
        "built-in: TLS data connections under PROT P",
    ),
    ("R2228-3-auth-234", "built-in: the TLS handshake after 234"),
    ("R2428-3-epsv-229", "built-in: EPSV data setup"),
    ("R2428-3-epsv-format", "built-in: 229 parser"),
    ("R2428-3-epsv-blank-fields", "built-in: 229 parser"),
    ("R2428-3-epsv-port-field", "built-in: 229 parser"),
    ("R2389-3.2-feature-leading-space", "built-in: FEAT format"),
    ("R959-4.2-1yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-2yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-3yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-4yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-5yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-no-new-codes", "built-in: RFC 959 §5.4 code table"),
    ("R959-5.4-reply-table", "built-in: RFC 959 §5.4 code table"),
    (
        "R959-6-no-1yz-first-group",
        "built-in: RFC 959 §5.4 code table",
    ),
    ("R959-4.2-no-nesting", "built-in: reply syntax"),
    ("R959-4.2-multiline-offset", "built-in: reply syntax"),
    ("R1123-4.1.2.11-correct-replies", "built-in: reply syntax"),
];

/// Every rule a built-in check enforces (for the quote test and `ftpspec show`).
pub fn rules() -> Vec<Rule> {
    [
        syntax::RULES,
        codes::RULES,
        passive::RULES,
        feat::RULES,
        image::RULES,
        sequence::RULES,
        port::RULES,
        tls::RULES,
    ]
    .concat()
}

/// One reply as the per-reply checks see it.
#[derive(Clone, Copy, Debug)]
pub struct Exchange<'a> {
    /// The command it answers; `None` when not known (the greeting, or a
    /// fuzz session that lost count after a malformed line).
    pub verb: Option<&'a Verb>,
    /// Whether a positive preliminary (1yz) reply to it came first.
    pub after_preliminary: bool,
    /// The reply, with what the decoder tolerated to read it.
    pub reply: &'a Parsed<Reply>,
    /// The control connection's peer: the only host data connections go to.
    pub peer: IpAddr,
    /// How the session is secured: RFC 2228 and RFC 4217 add replies to
    /// the data commands in a secured session.
    pub security: codes::SessionSecurity,
}

/// What the per-reply checks found.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// Every violation, in family order.
    pub violations: Vec<Violation>,
    /// For a 227 or 229: the port to connect to, if it names a usable one.
    pub passive_port: Option<u16>,
}

/// Apply every per-reply family to one reply: syntax, the code table, a
/// 227/229's address (whatever command it answers), and FEAT's listing.
pub fn judge_reply(x: &Exchange<'_>) -> Judgement {
    let reply = &x.reply.value;
    let mut violations = syntax::reply(x.reply);
    if let Some(verb) = x.verb {
        violations.extend(codes::reply_code_in(
            verb,
            reply.code(),
            x.after_preliminary,
            x.security,
        ));
        if *verb == Verb::FEAT {
            violations.extend(feat::listing(reply));
        }
    }
    let mut passive_port = None;
    if let Some(p) = passive::judge(reply, x.peer) {
        violations.extend(p.violations);
        passive_port = p.port;
    }
    Judgement {
        violations,
        passive_port,
    }
}
