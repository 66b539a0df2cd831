//! Mutation of corpus sessions: insert, delete, swap, duplicate and splice
//! actions, regenerate or corrupt arguments, break §6 orders by moving
//! commands around. Built on the same [`Unstructured`] stream as generation.

use super::generate::Generator;
use super::session::{Action, Session};
use arbitrary::{Result, Unstructured};

/// Apply one to four mutations to `s`; `other` is a second corpus session
/// for splicing. The result has at least one action and at most `max`.
pub fn mutate(
    g: &Generator,
    u: &mut Unstructured,
    s: &Session,
    other: Option<&Session>,
    favoured: &[String],
    max: usize,
) -> Result<Session> {
    let mut a = s.actions.clone();
    for _ in 0..u.int_in_range(1..=4u8)? {
        let n = a.len();
        match u.int_in_range(0..=8u8)? {
            0 | 1 => {
                let at = u.int_in_range(0..=n)?;
                a.insert(at, g.action(u, favoured)?);
            }
            2 if n > 1 => {
                a.remove(u.int_in_range(0..=n - 1)?);
            }
            3 if n > 1 => {
                let (i, j) = (u.int_in_range(0..=n - 1)?, u.int_in_range(0..=n - 1)?);
                a.swap(i, j);
            }
            4 if n > 0 => {
                let i = u.int_in_range(0..=n - 1)?;
                a.insert(i, a[i].clone());
            }
            5 | 6 if n > 0 => {
                // A new argument for the same command: same state, new input.
                let i = u.int_in_range(0..=n - 1)?;
                if let Action::Command { verb, arg } = &a[i] {
                    let verb = verb.clone();
                    let new = g.arg(u, &verb)?;
                    a[i] = Action::Command {
                        verb,
                        arg: if arg.is_some() || u.ratio(1, 4)? {
                            Some(new)
                        } else {
                            None
                        },
                    };
                } else {
                    a[i] = g.action(u, favoured)?;
                }
            }
            7 => {
                if let Some(o) = other.filter(|o| !o.actions.is_empty()) {
                    let cut = u.int_in_range(0..=n)?;
                    let from = u.int_in_range(0..=o.actions.len() - 1)?;
                    a.truncate(cut);
                    a.extend_from_slice(&o.actions[from..]);
                }
            }
            _ if n > 0 => {
                // Flip bytes inside an argument.
                let i = u.int_in_range(0..=n - 1)?;
                if let Some(arg) = a[i].arg_mut().filter(|x| !x.is_empty()) {
                    for _ in 0..u.int_in_range(1..=3u8)? {
                        let at = u.int_in_range(0..=arg.len() - 1)?;
                        arg[at] = u.arbitrary()?;
                    }
                }
            }
            _ => a.push(g.action(u, favoured)?),
        }
    }
    a.truncate(max);
    if a.is_empty() {
        a.push(g.action(u, favoured)?);
    }
    Ok(Session { actions: a })
}
