//! Stateful sequences: chains of commands that build state and consume it
//! (USER→PASS→ACCT, RNFR→RNTO, REST→RETR, MKD→CWD→…, PASV→transfer,
//! AUTH→PBSZ→PROT, a transfer held waiting for its data connection while
//! USER, RMD or RNFR change what it refers to, …), sharing one value across their steps (the name a
//! MKD made is the one CWD enters), with other commands inserted between
//! the steps, and steps duplicated, swapped or dropped now and then: a
//! server's state bugs sit behind such orders.

use super::generate::Generator;
use super::session::{Action, DataKind};
use arbitrary::{Result, Unstructured};

/// What a step's argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    /// None.
    None,
    /// The chain's shared value (a path or name).
    Shared,
    /// A number (a REST marker).
    Number,
    /// The login's own user or password (in order).
    Login,
    /// Another identity's user or password (in order): the anonymous
    /// login of RFC 1635, `anonymous` with an e-mail address as password.
    /// What a lesser identity may not do is code of its own.
    Guest,
    /// Whatever the generator makes for the verb.
    Fresh,
    /// A path inside the chain's shared value (`value/f`).
    Inside,
    /// A directory outside any served tree: where a server that reuses a
    /// path buffer would end up (CVE-2023-24042's `USER /dev`).
    Outside,
}

use Arg::*;

/// The other identity's user and password ([`Arg::Guest`]).
const GUEST: [&[u8]; 2] = [b"anonymous", b"fuzz@example.org"];

/// A data connection set up in a random mode, as a step.
const DATA: &str = "<data>";
/// The same with our end held back until the session ends
/// ([`Action::DataHeld`]): the transfer after it waits meanwhile.
const HELD: &str = "<held data>";

/// [`Arg::Outside`]'s directories.
const OUTSIDE: [&[u8]; 4] = [b"/", b"/dev", b"/etc", b"../../../.."];

const CHAINS: &[&[(&str, Arg)]] = &[
    &[("USER", Login), ("PASS", Login), ("ACCT", Fresh)],
    &[("RNFR", Shared), ("RNTO", Fresh)],
    &[("REST", Number), (DATA, None), ("RETR", Shared)],
    &[("REST", Number), (DATA, None), ("STOR", Shared)],
    &[("REST", Number), (DATA, None), ("APPE", Shared)],
    &[
        ("MKD", Shared),
        ("CWD", Shared),
        ("CDUP", None),
        ("RMD", Shared),
    ],
    &[
        ("MKD", Shared),
        ("CWD", Shared),
        ("RNFR", Fresh),
        ("RNTO", Fresh),
    ],
    &[("MKD", Shared), ("RMD", Shared)],
    &[
        (DATA, None),
        ("STOR", Shared),
        ("SIZE", Shared),
        ("MDTM", Shared),
        ("DELE", Shared),
    ],
    &[
        (DATA, None),
        ("STOR", Shared),
        ("RNFR", Shared),
        ("RNTO", Fresh),
    ],
    &[(DATA, None), ("LIST", Shared)],
    &[(DATA, None), ("NLST", Shared)],
    &[(DATA, None), ("MLSD", Shared)],
    &[(DATA, None), ("STOU", Fresh)],
    &[("TYPE", Fresh), ("SIZE", Shared)],
    &[
        ("MODE", Fresh),
        ("STRU", Fresh),
        (DATA, None),
        ("RETR", Shared),
    ],
    &[("AUTH", Fresh), ("PBSZ", Fresh), ("PROT", Fresh)],
    &[
        ("PBSZ", Fresh),
        ("PROT", Fresh),
        (DATA, None),
        ("LIST", None),
    ],
    &[("REIN", None), ("USER", Login), ("PASS", Login)],
    &[
        ("USER", Guest),
        ("PASS", Guest),
        ("MKD", Shared),
        ("RNFR", Shared),
        ("RNTO", Fresh),
        ("RMD", Shared),
    ],
    &[
        ("USER", Guest),
        ("PASS", Guest),
        (DATA, None),
        ("STOR", Shared),
        ("DELE", Shared),
    ],
    &[("HOST", Fresh), ("USER", Login), ("PASS", Login)],
    &[("OPTS", Fresh), (DATA, None), ("NLST", None)],
    &[("SITE", Fresh), (DATA, None), ("STOR", Shared)],
    &[("LANG", Fresh), ("FEAT", None), ("HELP", Fresh)],
    &[("EPSV", Fresh), ("EPRT", Fresh), ("PASV", None)],
    // A transfer waiting for its data connection while what it refers to
    // changes: the path buffer (USER), the directory or the file.
    &[(HELD, None), ("LIST", None), ("USER", Outside)],
    &[
        ("MKD", Shared),
        (HELD, None),
        ("LIST", Shared),
        ("RMD", Shared),
    ],
    &[
        ("MKD", Shared),
        (HELD, None),
        ("APPE", Inside),
        ("RMD", Shared),
    ],
    &[
        (DATA, None),
        ("STOR", Shared),
        (HELD, None),
        ("RETR", Shared),
        ("RNFR", Shared),
        ("RNTO", Fresh),
    ],
];

fn pick<'a, T>(u: &mut Unstructured, items: &'a [T]) -> Result<&'a T> {
    u.choose(items)
}

impl Generator {
    /// One chain, with noise between its steps, and steps duplicated,
    /// swapped or dropped now and then.
    pub(super) fn chain(&self, u: &mut Unstructured, favoured: &[String]) -> Result<Vec<Action>> {
        let chain = *pick(u, CHAINS)?;
        let shared = self.value(u)?;
        let mut login = 0;
        let mut steps = Vec::new();
        for (i, &(verb, kind)) in chain.iter().enumerate() {
            // Other commands between the steps: the state must survive them.
            if i > 0 && u.ratio(1, 3)? {
                for _ in 0..u.int_in_range(1..=2u8)? {
                    steps.push(self.action(u, favoured)?);
                }
            }
            let step = if verb == DATA {
                Action::DataOpen(*pick(u, &DataKind::ALL)?)
            } else if verb == HELD {
                Action::DataHeld(*pick(u, &DataKind::ALL)?)
            } else {
                let arg = match kind {
                    None => Option::None,
                    Shared => Some(shared.clone()),
                    Number => Some(self.arg(u, "REST")?),
                    Login => {
                        login += 1;
                        Some(self.login_value(login - 1))
                    }
                    Guest => {
                        login += 1;
                        Some(GUEST[(login - 1).min(1)].to_vec())
                    }
                    Fresh => Some(self.arg(u, verb)?),
                    Inside => Some([&shared[..], b"/f"].concat()),
                    Outside => Some(pick(u, &OUTSIDE)?.to_vec()),
                };
                Action::Command {
                    verb: verb.to_owned(),
                    arg,
                }
            };
            if u.ratio(1, 10)? {
                steps.push(step.clone());
            }
            steps.push(step);
        }
        let n = steps.len();
        if n > 1 && u.ratio(1, 8)? {
            let i = u.int_in_range(0..=n - 2)?;
            steps.swap(i, i + 1);
        }
        if n > 1 && u.ratio(1, 8)? {
            steps.remove(u.int_in_range(0..=n - 1)?);
        }
        Ok(steps)
    }
}
