//! What makes two hits the same finding: the check, and the server's
//! observable behaviour, not the command that happened to reach it. A
//! server that closes the connection after every 501 is one cause however
//! many commands draw a 501 from it; a reply that breaks the grammar the
//! same way (a bare LF) is one cause whatever text it echoes.

use crate::codec::Reply;
use crate::driver::TlsFailure;
use crate::oracle::{Check, Violation};

/// Longest shape kept of a reply's text.
const SHAPE: usize = 48;

/// A reply's code and the shape of its text: the command's own verb and
/// argument (which servers echo) taken out, every word that holds a digit
/// (a count, a port, a name the server made up: pyftpdlib's STOU names its
/// file `ftpd.k3j2ab`, another run `ftpd.x9qz1c`) made one `#`, spaces
/// collapsed, cut short. `500 'XYZZ': command not understood` and `500
/// 'FOO 12': command not understood` have one shape.
///
/// A shape that kept such a word would differ on every re-run, and triage
/// verifies a finding only by seeing its cause again.
pub fn reply_shape(reply: &Reply, verb: &str, sent: &[u8]) -> String {
    let mut text = reply.text().to_ascii_lowercase();
    let line = String::from_utf8_lossy(sent).to_ascii_lowercase();
    let line = line.trim_end_matches(['\r', '\n']);
    let arg = line.split_once(' ').map(|(_, a)| a.trim()).unwrap_or("");
    for echo in [line, arg, &verb.to_ascii_lowercase()] {
        if echo.len() >= 2 {
            text = text.replace(echo, "*");
        }
    }
    let mut out = String::with_capacity(SHAPE);
    let mut last = ' ';
    for word in words(&text) {
        let shaped = if word.chars().any(|c| c.is_ascii_digit()) {
            "#"
        } else if word.starts_with(char::is_whitespace) {
            " "
        } else {
            word
        };
        for c in shaped.chars() {
            if (c == '#' || c == ' ') && c == last {
                continue;
            }
            out.push(c);
            last = c;
        }
        if out.len() >= SHAPE {
            break;
        }
    }
    format!("{} {}", reply.code(), out.trim())
}

/// `text` cut into words (runs of letters, digits, `.`, `_` and `-`),
/// runs of white space, and every other character alone.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let class = |c: char| {
        if c.is_alphanumeric() || matches!(c, '.' | '_' | '-') {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let end = match class(first) {
            2 => first.len_utf8(),
            k => rest.find(|c| class(c) != k).unwrap_or(rest.len()),
        };
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}

/// The cause of a per-reply violation: the grammar deviation itself for a
/// syntax finding (whatever the reply said), otherwise the rule broken and
/// the reply's shape.
pub fn of_reply(v: &Violation, shape: &str) -> String {
    match v.check {
        Check::ReplySyntax => of_stream(v),
        _ => format!("{} {shape}", v.rule.citation()),
    }
}

/// The cause of a reply the stream could not decode ([`oracle::syntax::stream`]):
/// the kind of deviation, without the bytes it quotes or the numbers it
/// counts. LightFTP's reply buffer, shared with a transfer's worker, came
/// out garbled after PASV, PROT, RMD, USER and more: one cause.
///
/// [`oracle::syntax::stream`]: crate::oracle::syntax::stream
/// The same deviation seen by the per-reply grammar check is the same
/// cause ([`of_reply`]).
pub fn of_stream(v: &Violation) -> String {
    let text = v.received.as_str();
    let text = text.strip_prefix("undecodable reply: ").unwrap_or(text);
    let kind = text.split(": ").next().unwrap_or(text);
    let kind: String = kind.chars().filter(|c| !c.is_ascii_digit()).collect();
    format!("{} {kind}", v.rule.citation())
}

/// The cause of a TLS failure at `stage` ("after 234": the handshake the
/// 234 announced; "in TLS": a reply inside the session): the kind of
/// failure, without the bytes it quotes. LightFTP answered the ClientHello
/// with its plain "500 Syntax error" after a 234 that reached it as the
/// reply to a line sent out of step: one cause, whichever command the 234
/// showed at (STOR, STRU, RNFR in one 10-minute run).
pub fn of_tls(stage: &str, failure: &TlsFailure) -> String {
    let no_digits = |s: &str| -> String { s.chars().filter(|c| !c.is_ascii_digit()).collect() };
    let kind = match failure {
        TlsFailure::NotTls(bytes) => match Reply::parse(bytes) {
            Ok(r) => format!("not TLS but a {} reply", r.code()),
            Err(_)
                if bytes
                    .get(..3)
                    .is_some_and(|c| c.iter().all(u8::is_ascii_digit)) =>
            {
                format!(
                    "not TLS but a {} reply",
                    String::from_utf8_lossy(&bytes[..3])
                )
            }
            Err(_) => "not TLS".to_owned(),
        },
        TlsFailure::ServerActedAsClient => "the server as TLS client".to_owned(),
        TlsFailure::Alert(a) => format!("alert {a}"),
        TlsFailure::Closed => "closed in the handshake".to_owned(),
        TlsFailure::Silent(_) => "no answer to the ClientHello".to_owned(),
        TlsFailure::Broken { why, .. } => format!("broken: {}", no_digits(why)),
        TlsFailure::Certificate(_) => "certificate".to_owned(),
        TlsFailure::Other(why) => no_digits(why),
    };
    format!("{stage}: {kind}")
}

/// The cause of a hang after the command's preliminary reply `code` (a
/// 1yz): a transfer begun and never ended, whichever command began it.
/// Against the embedded libunftp an ABOR, then a transfer under PROT P
/// whose data connection the server closed in the handshake, left APPE,
/// MLSD, RETR and STOR each without a final reply: one cause, four
/// findings while hangs were keyed by their command.
pub fn no_final_reply_after(code: u16) -> String {
    format!("no final reply after a {code} reply")
}

/// The cause of a connection closed once replies could no longer be
/// matched to commands ([`Execution::out_of_step`](super::execute::Execution)):
/// the code recorded for the command before may answer an earlier one, so
/// it tells nothing. Against the embedded libunftp, a `USER \x87` (which
/// closes the connection at once) after a transfer waiting for our held
/// end was recorded with that transfer's late 550, another run's with a
/// 451 or a 425: one cause, five findings while such closes were keyed by
/// that code. Triage re-runs the command in step (`triage::alone`) for
/// the key it deserves; what no run in step shows stays under this one
/// key: a single finding.
pub fn closed_out_of_step() -> String {
    "closed while replies were out of step".into()
}

/// The cause of a closed connection blamed on the command before, whose
/// reply was `code`: the server closes after such replies.
pub fn closed_after(code: Option<u16>) -> String {
    match code {
        Some(c) => format!("closed after a {c} reply"),
        None => "closed after the command before".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ReplyCode;

    fn reply(code: u16, text: &str) -> Reply {
        Reply::new(ReplyCode::new(code).unwrap(), &[text.as_bytes()]).unwrap()
    }

    #[test]
    fn echoes_and_numbers_do_not_make_a_new_cause() {
        let a = reply_shape(
            &reply(500, "'XYZZ': command not understood"),
            "XYZZ",
            b"XYZZ\r\n",
        );
        let b = reply_shape(
            &reply(500, "'FOO 12': command not understood"),
            "FOO",
            b"FOO 12\r\n",
        );
        assert_eq!(a, b);
        let c = reply_shape(&reply(501, "Invalid Parameter 77"), "CCC", b"CCC a b\r\n");
        let d = reply_shape(&reply(501, "Invalid Parameter 3"), "OPTS", b"OPTS x\r\n");
        assert_eq!(c, d);
        assert_ne!(a, c);
    }

    #[test]
    fn a_name_the_server_made_up_is_not_part_of_the_cause() {
        let stou = |name: &str| {
            reply_shape(
                &reply(150, &format!("FILE: ftpd.{name}")),
                "STOU",
                b"STOU\r\n",
            )
        };
        assert_eq!(stou("k3j2ab"), stou("x9qz1c"));
        assert_eq!(stou("k3j2ab"), "150 file: #");
        // Words without digits still tell causes apart.
        assert_ne!(
            reply_shape(&reply(550, "No such file"), "RETR", b"RETR a\r\n"),
            reply_shape(&reply(550, "Permission denied"), "RETR", b"RETR a\r\n")
        );
        let pasv = |text: &str| reply_shape(&reply(227, text), "PASV", b"PASV\r\n");
        assert_eq!(
            pasv("Entering Passive Mode (127,0,0,1,39,16)."),
            "227 entering passive mode (#,#,#,#,#,#)."
        );
    }

    #[test]
    fn a_tls_failure_is_one_cause_whatever_bytes_it_quotes() {
        let not_tls = |b: &[u8]| of_tls("after 234", &TlsFailure::NotTls(b.to_vec()));
        assert_eq!(
            not_tls(b"500 Syntax error, command unrecognized.\r\n"),
            not_tls(b"500 Syntax error, command unrecognized.\r\n500 again\r\n")
        );
        assert_ne!(not_tls(b"500 no\r\n"), not_tls(b"\x16\x03 binary"));
        let broken = |why: &str, seen: &[u8]| {
            of_tls(
                "in TLS",
                &TlsFailure::Broken {
                    why: why.into(),
                    seen: seen.to_vec(),
                },
            )
        };
        assert_eq!(
            broken("cannot decrypt peer's message", b"\x17\x03\x03\x00M"),
            broken("cannot decrypt peer's message", b"\x17\x03\x03\x00K")
        );
        assert_ne!(
            broken("cannot decrypt peer's message", b""),
            broken("received corrupt message", b"")
        );
    }

    #[test]
    fn a_garbled_reply_is_one_cause_whatever_it_quotes() {
        use crate::driver::DriverError;
        let garbled = |bytes: &[u8]| {
            let e = Reply::parse(bytes).map(|_| ()).unwrap_err();
            of_stream(&crate::oracle::syntax::stream(&DriverError::Reply(e)).unwrap())
        };
        let a = garbled(b"pasv OK. Password required\r\n");
        let b = garbled(b"USER / OK. Password required\r\n");
        assert_eq!(a, b);
        let pending = |n: usize| {
            let e = DriverError::Unterminated(std::time::Duration::from_secs(5), n);
            of_stream(&crate::oracle::syntax::stream(&e).unwrap())
        };
        assert_eq!(pending(3), pending(12));
        assert_ne!(a, pending(3));
    }
}
