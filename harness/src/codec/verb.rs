//! Command codes as an open newtype: known verbs are constants, unknown verbs
//! are kept exactly as received.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Whether a verb takes an argument, per its RFC syntax line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// `NOOP <CRLF>`
    None,
    /// `LIST [<SP> <pathname>] <CRLF>`
    Optional,
    /// `USER <SP> <username> <CRLF>`
    Required,
}

/// An FTP command code. Compared case-insensitively (RFC 959 §5.3: "The
/// command codes ... may be in upper or lower case").
#[derive(Clone)]
pub struct Verb(Cow<'static, str>);

macro_rules! verbs {
    ($( $name:ident, $arity:ident, $rfc:literal, $section:literal; )*) => {
        impl Verb {
            $(
                #[doc = concat!("`", stringify!($name), "` (RFC ", $rfc, " §", $section, ")")]
                pub const $name: Verb = Verb(Cow::Borrowed(stringify!($name)));
            )*

            /// Every verb this codec knows, in RFC order.
            pub const KNOWN: &'static [Verb] = &[$(Verb::$name,)*];

            /// The argument rule of a known verb; `None` for an unknown one.
            pub fn arity(&self) -> Option<Arity> {
                $( if self == &Verb::$name { return Some(Arity::$arity); } )*
                None
            }

            /// The RFC and section defining a known verb.
            pub fn defined_in(&self) -> Option<(u16, &'static str)> {
                $( if self == &Verb::$name { return Some(($rfc, $section)); } )*
                None
            }
        }
    };
}

verbs! {
    USER, Required, 959, "4.1.1";
    PASS, Required, 959, "4.1.1";
    ACCT, Required, 959, "4.1.1";
    CWD, Required, 959, "4.1.1";
    CDUP, None, 959, "4.1.1";
    SMNT, Required, 959, "4.1.1";
    REIN, None, 959, "4.1.1";
    QUIT, None, 959, "4.1.1";
    PORT, Required, 959, "4.1.2";
    PASV, None, 959, "4.1.2";
    TYPE, Required, 959, "4.1.2";
    STRU, Required, 959, "4.1.2";
    MODE, Required, 959, "4.1.2";
    RETR, Required, 959, "4.1.3";
    STOR, Required, 959, "4.1.3";
    STOU, None, 959, "4.1.3";
    APPE, Required, 959, "4.1.3";
    ALLO, Required, 959, "4.1.3";
    REST, Required, 959, "4.1.3";
    RNFR, Required, 959, "4.1.3";
    RNTO, Required, 959, "4.1.3";
    ABOR, None, 959, "4.1.3";
    DELE, Required, 959, "4.1.3";
    RMD, Required, 959, "4.1.3";
    MKD, Required, 959, "4.1.3";
    PWD, None, 959, "4.1.3";
    LIST, Optional, 959, "4.1.3";
    NLST, Optional, 959, "4.1.3";
    SITE, Required, 959, "4.1.3";
    SYST, None, 959, "4.1.3";
    STAT, Optional, 959, "4.1.3";
    HELP, Optional, 959, "4.1.3";
    NOOP, None, 959, "4.1.3";
    EPRT, Required, 2428, "2";
    EPSV, Optional, 2428, "3";
    FEAT, None, 2389, "3";
    OPTS, Required, 2389, "4";
    SIZE, Required, 3659, "4";
    MDTM, Required, 3659, "3";
    MLST, Optional, 3659, "7";
    MLSD, Optional, 3659, "7";
    AUTH, Required, 2228, "3";
    ADAT, Required, 2228, "3";
    PBSZ, Required, 2228, "3";
    PROT, Required, 2228, "3";
    CCC, None, 2228, "3";
}

impl Verb {
    /// A verb from its text: a known verb (any case) becomes its canonical
    /// constant, anything else is kept as given.
    pub fn new(text: &str) -> Verb {
        Verb::KNOWN
            .iter()
            .find(|k| k.0.eq_ignore_ascii_case(text))
            .cloned()
            .unwrap_or_else(|| Verb(Cow::Owned(text.to_owned())))
    }

    /// The verb's text (canonical upper case for known verbs).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this codec knows the verb.
    pub fn is_known(&self) -> bool {
        self.arity().is_some()
    }
}

impl PartialEq for Verb {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for Verb {}

impl Hash for Verb {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_uppercase());
        }
    }
}

impl fmt::Debug for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verb({})", self.0)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_verbs_are_case_insensitive_and_canonical() {
        let v = Verb::new("uSeR");
        assert_eq!(v, Verb::USER);
        assert_eq!(v.as_str(), "USER");
        assert_eq!(v.arity(), Some(Arity::Required));
    }

    #[test]
    fn unknown_verbs_are_kept_as_is() {
        let v = Verb::new("xYzZy");
        assert_eq!(v.as_str(), "xYzZy");
        assert_eq!(v, Verb::new("XYZZY"));
        assert!(!v.is_known());
    }

    #[test]
    fn every_rfc959_verb_is_known() {
        for v in [
            "USER", "PASS", "ACCT", "CWD", "CDUP", "SMNT", "QUIT", "REIN", "PORT", "PASV", "TYPE",
            "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST", "RNFR", "RNTO", "ABOR",
            "DELE", "RMD", "MKD", "PWD", "LIST", "NLST", "SITE", "SYST", "STAT", "HELP", "NOOP",
        ] {
            assert_eq!(Verb::new(v).defined_in().map(|d| d.0), Some(959), "{v}");
        }
    }
}
