//! Strict by default: every tolerated deviation from the RFC text is a named
//! [`Deviation`], switched on one at a time through [`Leniency`], and reported
//! back in [`Parsed::deviations`] so that the runner can turn it into a warning.

use std::fmt;

/// A citation of one requirement in an RFC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RfcRef {
    /// RFC number, e.g. 959.
    pub rfc: u16,
    /// Section, e.g. "4.2".
    pub section: &'static str,
    /// The sentence the deviation departs from, quoted from the RFC.
    pub quote: &'static str,
}

impl fmt::Display for RfcRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RFC {} §{}", self.rfc, self.section)
    }
}

macro_rules! deviations {
    ($( $(#[$doc:meta])* $name:ident = $bit:literal, $rfc:literal, $section:literal, $quote:literal, $what:literal; )*) => {
        /// A departure from the RFC grammar that a lenient parse may tolerate.
        ///
        /// Each variant names the RFC sentence it departs from ([`Deviation::rfc`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Deviation {
            $( $(#[$doc])* $name = $bit, )*
        }

        impl Deviation {
            /// Every deviation, in declaration order.
            pub const ALL: &'static [Deviation] = &[$(Deviation::$name,)*];

            /// The requirement this deviation departs from.
            pub fn rfc(self) -> RfcRef {
                match self {
                    $( Deviation::$name => RfcRef { rfc: $rfc, section: $section, quote: $quote }, )*
                }
            }

            /// A short description of what was tolerated.
            pub fn describe(self) -> &'static str {
                match self {
                    $( Deviation::$name => $what, )*
                }
            }

            /// Stable identifier, e.g. `bare-lf`, used in reports and options.
            pub fn name(self) -> &'static str {
                match self {
                    $( Deviation::$name => stringify!($name), )*
                }
            }

            const fn bit(self) -> u32 {
                1 << (self as u32)
            }
        }
    };
}

deviations! {
    /// A line ended in LF without the preceding CR.
    BareLf = 0, 959, "5.3",
        "The argument field consists of a variable length character string ending with the character sequence <CRLF> (Carriage Return, Line Feed) for NVT-ASCII representation;",
        "line ended in a bare LF instead of CRLF";
    /// A command verb longer than four letters (`XYZZY`).
    LongVerb = 1, 959, "5.3",
        "The command codes are four or fewer alphabetic characters.",
        "command code longer than four letters";
    /// A NUL byte inside a command argument.
    NulInArgument = 2, 959, "5.3.2",
        "<char> ::= any of the 128 ASCII characters except <CR> and <LF>",
        "NUL byte inside an argument";
    /// A space after a verb that has no argument (`PWD \r\n`).
    TrailingSpace = 3, 959, "5.3",
        "The command codes themselves are alphabetic characters terminated by the character <SP> (Space) if parameters follow and Telnet-EOL otherwise.",
        "space after a command code with no argument";
    /// A reply line holding only the code (`220\r\n`), without the space and text.
    CodeWithoutText = 4, 959, "4.2",
        "A reply is defined to contain the 3-digit code, followed by Space <SP>, followed by one line of text",
        "reply code not followed by a space and text";
    /// An inner line of a multi-line reply that begins with another reply
    /// code and a space (or ends there): a client could take it for the end.
    UnpaddedInnerNumber = 5, 959, "4.2",
        "If an intermediary line begins with a 3-digit number, the Server must pad the front to avoid confusion.",
        "inner line of a multi-line reply begins with another code and a space (could pass for the last line; not padded)";
    /// A 227 reply whose host-port is not inside parentheses.
    HostPortUnparenthesized = 6, 959, "4.2.2",
        "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2).",
        "227 host-port not enclosed in parentheses";
    /// Spaces around the commas of a host-port.
    HostPortSpaces = 7, 959, "5.3.2",
        "<host-port> ::= <host-number>,<port-number>",
        "spaces inside a host-port";
    /// A host-port number written with leading zeros (`127,000,000,001`).
    LeadingZeros = 8, 959, "5.3.2",
        "<number> ::= any decimal integer 1 through 255",
        "number written with leading zeros";
    /// A 229 reply whose address is not inside parentheses.
    ExtAddrUnparenthesized = 9, 2428, "3",
        "The text returned in response to the EPSV command MUST be: <text indicating server is entering extended passive mode> (<d><d><d><tcp-port><d>)",
        "229 extended address not enclosed in parentheses";
    /// A 229 reply whose first two fields are not blank.
    ExtAddrFieldsNotBlank = 10, 2428, "3",
        "The first two fields contained in the parenthesis MUST be blank.",
        "229 network protocol or address field not blank";
    /// A command argument or reply text that is not valid UTF-8.
    NotUtf8 = 11, 2640, "3.1",
        "Pathnames are sequences of bytes.  The encoding of names that are valid UTF-8 sequences is assumed to be UTF-8.",
        "text is not valid UTF-8";
    /// A FEAT feature line not indented by exactly one space.
    FeatLineIndent = 13, 2389, "3.2",
        "Note that each feature line in the feature-listing begins with a single space.",
        "FEAT feature line not indented by a single space";
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.describe(), self.rfc())
    }
}

/// The set of deviations a parse tolerates. [`Leniency::STRICT`] (the default) tolerates none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Leniency(u32);

impl Leniency {
    /// Tolerate nothing: the RFC grammar exactly.
    pub const STRICT: Leniency = Leniency(0);
    /// Tolerate every known deviation (and report each one).
    pub const PERMISSIVE: Leniency = Leniency(u32::MAX);

    /// This leniency plus `d`.
    #[must_use]
    pub const fn allow(self, d: Deviation) -> Leniency {
        Leniency(self.0 | d.bit())
    }

    /// Whether `d` is tolerated.
    pub const fn allows(self, d: Deviation) -> bool {
        self.0 & d.bit() != 0
    }

    /// Accept `d` if tolerated (recording it), or fail with `err(d)`.
    pub(crate) fn tolerate<E>(
        self,
        d: Deviation,
        seen: &mut Deviations,
        err: impl FnOnce(Deviation) -> E,
    ) -> Result<(), E> {
        if self.allows(d) {
            seen.insert(d);
            Ok(())
        } else {
            Err(err(d))
        }
    }
}

/// The deviations a lenient parse actually tolerated.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Deviations(u32);

impl Deviations {
    /// No deviation.
    pub const NONE: Deviations = Deviations(0);

    /// Record `d`.
    pub fn insert(&mut self, d: Deviation) {
        self.0 |= d.bit();
    }

    /// Add all of `other`.
    pub fn extend(&mut self, other: Deviations) {
        self.0 |= other.0;
    }

    /// Whether nothing was tolerated.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether `d` was tolerated.
    pub fn contains(self, d: Deviation) -> bool {
        self.0 & d.bit() != 0
    }

    /// The tolerated deviations, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Deviation> {
        Deviation::ALL
            .iter()
            .copied()
            .filter(move |d| self.contains(*d))
    }
}

impl fmt::Debug for Deviations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// A parsed value and the deviations tolerated to get it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed<T> {
    /// The value.
    pub value: T,
    /// What the parse tolerated; empty for input that follows the grammar.
    pub deviations: Deviations,
}

impl<T> Parsed<T> {
    pub(crate) fn new(value: T, deviations: Deviations) -> Self {
        Parsed { value, deviations }
    }

    /// Map the value, keeping the deviations.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed {
            value: f(self.value),
            deviations: self.deviations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_allows_nothing_and_permissive_everything() {
        for d in Deviation::ALL {
            assert!(!Leniency::STRICT.allows(*d));
            assert!(Leniency::PERMISSIVE.allows(*d));
            assert!(Leniency::STRICT.allow(*d).allows(*d));
        }
    }

    #[test]
    fn bits_are_distinct() {
        let mut seen = Deviations::NONE;
        for d in Deviation::ALL {
            assert!(!seen.contains(*d), "{d:?} shares a bit");
            seen.insert(*d);
        }
        assert_eq!(seen.iter().count(), Deviation::ALL.len());
    }
}
