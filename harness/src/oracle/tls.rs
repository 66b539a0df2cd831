//! TLS (RFC 4217, RFC 2228): what a TLS handshake that failed, or a TLS
//! data connection that ended, says about the server. The handshakes
//! themselves are the driver's (`driver/tls.rs`); this judges how they
//! went.

use super::rule::{Rule, Violation};
use crate::driver::{DataTls, TlsFailure};
use crate::verdict::Check;

/// RFC 2228 §3: a 234 says the mechanism is accepted; a server that then
/// does not negotiate TLS used the code of a situation that was not its own.
pub const SAME_DIGIT: Rule = Rule::must(
    2228,
    "3",
    "In all cases, the server must use a reply code which is documented as returnable from the command received, and this reply code must begin with the same digit as the recommended reply code for the situation.",
);

/// RFC 4217 §9: PROT P, once accepted, holds for every data connection.
pub const PROT_HOLDS: Rule = Rule::must(
    4217,
    "9",
    "Once a PROT command has been issued by the client and accepted by the server returning the '200' reply, the security of subsequent data connections MUST be at that level until another PROT command is issued and accepted; the session ends and a REIN command is issued, or the security of the session (via an AUTH command) is re-negotiated.",
);

/// RFC 4217 §7: the FTP server is always the TLS server.
pub const ROLES: Rule = Rule::must(
    4217,
    "7",
    "For i) and ii), the FTP client MUST be the TLS client and the FTP server MUST be the TLS server.",
);

/// RFC 8446 §6.1: a TLS connection ends with close_notify, so that the
/// end of the data is known not to be a truncation.
pub const CLOSE_NOTIFY: Rule = Rule::must(
    8446,
    "6.1",
    "Each party MUST send a \"close_notify\" alert before closing its write side of the connection, unless it has already sent some error alert.",
);

/// RFC 4217 §13: REIN ends TLS.
pub const REIN_CLEARS: Rule = Rule::must(
    4217,
    "13",
    "When this command is processed by the server, the TLS session(s) MUST be cleared and the control and data connections revert to unprotected, clear communications.",
);

/// Every rule this family enforces.
pub const RULES: &[Rule] = &[SAME_DIGIT, PROT_HOLDS, ROLES, CLOSE_NOTIFY, REIN_CLEARS];

/// After a REIN the server accepted (and both sides left TLS), the reply
/// to `command`, sent in clear, could not be read (`why`): the server is
/// still speaking TLS.
pub fn not_cleared_after_rein(command: &str, why: &str) -> Violation {
    Violation::broken(
        Check::Tls,
        REIN_CLEARS,
        format!("a reply in clear to {command}, TLS having ended with the REIN"),
        format!("no readable reply to {command} in clear after REIN ({why})"),
    )
}

/// The handshake after a 234 to AUTH TLS failed as `failure` shows. Only
/// a server that did not take part in TLS at all is judged; a certificate
/// ftpspec does not trust, or an alert refusing ftpspec's offer, is not a
/// breach of the FTP rules.
pub fn after_234(failure: &TlsFailure) -> Option<Violation> {
    failure.is_protocol_breach().then(|| {
        Violation::broken(
            Check::Tls,
            SAME_DIGIT,
            "a TLS handshake after 234, which RFC 4217 §4.2 calls \"the server response to an 'AUTH TLS' command that it will honour\"",
            format!("234, then {failure}"),
        )
    })
}

/// A data connection under PROT P whose handshake failed as `failure` shows.
pub fn data_connection(failure: &TlsFailure) -> Option<Violation> {
    let (rule, acceptable) = match failure {
        TlsFailure::ServerActedAsClient => (
            ROLES,
            "the server as the TLS server on the data connection, whichever side connected",
        ),
        TlsFailure::NotTls(_) | TlsFailure::Silent(_) => (
            PROT_HOLDS,
            "a TLS data connection, PROT P having been accepted with 200",
        ),
        _ => return None,
    };
    Some(Violation::broken(
        Check::Tls,
        rule,
        acceptable,
        failure.to_string(),
    ))
}

/// A PROT P transfer the server reported complete (`reply`, a 2yz) on a
/// data connection whose TLS handshake failed as `failure` shows: the data,
/// if any went, went without TLS.
pub fn claimed_without_tls(failure: &TlsFailure, reply: &crate::codec::Reply) -> Violation {
    Violation::broken(
        Check::Tls,
        PROT_HOLDS,
        "a TLS data connection, PROT P having been accepted with 200",
        format!("{failure}; yet the server replied {reply}"),
    )
}

/// Where the reply to `command` was owed, the server broke the TLS session
/// of the control connection (`failure`: bytes in clear inside it, a
/// record that does not decrypt): no reply could be read.
pub fn garbled(command: &str, failure: &TlsFailure) -> Violation {
    Violation::broken(
        Check::Tls,
        super::sequence::AT_LEAST_ONE,
        format!("a reply to {command}, inside the TLS session"),
        format!("instead of a reply to {command}: {failure}"),
    )
}

/// A TLS data connection the server closed: without close_notify, the
/// end of the data cannot be told from a truncation. RFC 8446 makes the
/// alert a MUST for TLS 1.3; for TLS 1.2 (RFC 5246 §7.2.1, where the
/// same rule reads "is required" in lower case) it is a warning.
pub fn data_close(tls: &DataTls) -> Option<Violation> {
    if tls.close_notify {
        return None;
    }
    let acceptable = "close_notify before the server closes the data connection";
    let received = format!(
        "the server closed the {} data connection without close_notify",
        tls.info.version
    );
    Some(if tls.info.is_tls13() {
        Violation::broken(Check::Tls, CLOSE_NOTIFY, acceptable, received)
    } else {
        Violation::suspected(Check::Tls, CLOSE_NOTIFY, acceptable, received)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::TlsInfo;
    use crate::verdict::Verdict;
    use std::time::Duration;

    #[test]
    fn only_a_server_outside_tls_breaks_the_234() {
        assert_eq!(
            after_234(&TlsFailure::NotTls(b"500 ?\r\n".to_vec()))
                .unwrap()
                .verdict(),
            Verdict::Fail
        );
        assert!(after_234(&TlsFailure::Silent(Duration::from_secs(5))).is_some());
        assert!(after_234(&TlsFailure::Certificate("UnknownIssuer".into())).is_none());
        assert!(after_234(&TlsFailure::Alert("ProtocolVersion".into())).is_none());
    }

    #[test]
    fn data_in_clear_and_reversed_roles_fail() {
        let clear = data_connection(&TlsFailure::NotTls(b"hello".to_vec())).unwrap();
        assert_eq!(clear.rule, PROT_HOLDS);
        let roles = data_connection(&TlsFailure::ServerActedAsClient).unwrap();
        assert_eq!(roles.rule, ROLES);
        assert!(data_connection(&TlsFailure::Closed).is_none());
    }

    #[test]
    fn a_missing_close_notify_fails_under_tls13_and_warns_under_tls12() {
        let info = |v: &str| TlsInfo {
            version: v.into(),
            cipher: String::new(),
            resumed: false,
        };
        let tls = |v, close_notify| DataTls {
            info: info(v),
            close_notify,
        };
        assert!(data_close(&tls("TLSv1.3", true)).is_none());
        assert_eq!(
            data_close(&tls("TLSv1.3", false)).unwrap().verdict(),
            Verdict::Fail
        );
        assert_eq!(
            data_close(&tls("TLSv1.2", false)).unwrap().verdict(),
            Verdict::Warn
        );
    }
}
