//! Delta debugging: fewer actions first, then shorter arguments, keeping a
//! change only if the same oracle still fires on the same command.

use super::session::Session;
use std::future::Future;

/// Shrink `s` while `still(candidate)` holds, within `budget` checks.
/// `hit_action` is the index of the action the oracle fired on; actions
/// after it are cut at once.
pub async fn minimise<F, Fut>(
    s: &Session,
    hit_action: usize,
    budget: usize,
    mut still: F,
) -> Session
where
    F: FnMut(Session) -> Fut,
    Fut: Future<Output = Option<usize>>,
{
    let mut best = s.clone();
    let mut at = hit_action;
    let mut left = budget;
    best.actions.truncate(at + 1);
    // 1. Drop chunks of actions, halving the chunk size (ddmin without the
    //    complement step: sessions are short).
    let mut chunk = best.actions.len().div_ceil(2).max(1);
    while chunk >= 1 && left > 0 {
        let mut i = 0;
        while i < best.actions.len() && left > 0 {
            let end = (i + chunk).min(best.actions.len());
            if best.actions.len() == end - i {
                i = end;
                continue;
            }
            let mut c = best.clone();
            c.actions.drain(i..end);
            left -= 1;
            match still(c.clone()).await {
                Some(a) => {
                    best = c;
                    at = a;
                    best.actions.truncate(at + 1);
                }
                None => i = end,
            }
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    // 2. Shorten arguments: the shortest prefix that still fires (binary
    //    search, assuming longer keeps firing), then drop inner chunks.
    for idx in 0..best.actions.len() {
        let len = best.actions[idx].arg_mut().map_or(0, |a| a.len());
        let (mut lo, mut hi) = (0, len);
        while lo < hi && left > 0 {
            let mid = (lo + hi) / 2;
            let mut c = best.clone();
            if let Some(arg) = c.actions[idx].arg_mut() {
                arg.truncate(mid);
            }
            left -= 1;
            match still(c.clone()).await {
                Some(a) if a == at => {
                    best = c;
                    hi = mid;
                }
                _ => lo = mid + 1,
            }
        }
    }
    // Inner chunks only of arguments that are short by now: on a long one
    // this costs more re-runs than it is worth.
    for idx in 0..best.actions.len() {
        if best.actions[idx].arg_mut().map_or(0, |a| a.len()) > 512 {
            continue;
        }
        let mut size = best.actions[idx]
            .arg_mut()
            .map_or(0, |a| a.len())
            .div_ceil(2);
        while size >= 1 && left > 0 {
            let len = best.actions[idx].arg_mut().map_or(0, |a| a.len());
            let mut i = 0;
            let mut shrunk = false;
            while i < len && left > 0 {
                let mut c = best.clone();
                let Some(arg) = c.actions[idx].arg_mut() else {
                    break;
                };
                let end = (i + size).min(arg.len());
                if i >= end {
                    break;
                }
                arg.drain(i..end);
                left -= 1;
                if let Some(a) = still(c.clone()).await {
                    best = c;
                    at = a;
                    best.actions.truncate(at + 1);
                    shrunk = true;
                    break;
                }
                i = end;
            }
            if !shrunk {
                if size == 1 {
                    break;
                }
                size /= 2;
            }
            if idx >= best.actions.len() {
                break;
            }
        }
        if idx + 1 >= best.actions.len() {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzer::session::Action;

    fn cmd(v: &str, a: &[u8]) -> Action {
        Action::Command {
            verb: v.into(),
            arg: Some(a.to_vec()),
        }
    }

    /// "Crashes" when REST precedes an APPE whose argument holds "%n".
    #[tokio::test]
    async fn keeps_only_what_matters() {
        let s = Session {
            actions: vec![
                cmd("NOOP", b"x"),
                cmd("REST", b"100"),
                cmd("MKD", b"abc"),
                cmd("APPE", b"aaaa%nbbbbbbbbb"),
                cmd("PWD", b""),
            ],
        };
        let check = |c: Session| async move {
            let rest = c.actions.iter().position(|a| a.verb() == "REST")?;
            let appe = c.actions.iter().position(|a| {
                matches!(a, Action::Command { verb, arg: Some(arg) } if verb == "APPE" && arg.windows(2).any(|w| w == b"%n"))
            })?;
            (rest < appe).then_some(appe)
        };
        let m = minimise(&s, 3, 500, check).await;
        assert_eq!(m.actions, vec![cmd("REST", b""), cmd("APPE", b"%n")]);
    }
}
