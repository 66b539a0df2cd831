//! How long to wait for a reply that may never come: after a malformed
//! line (a server may answer it, or read it as part of the next one) and
//! after a 1yz with no data connection to use (a failing server answers at
//! once, a waiting one never does).
//!
//! Nothing in RFC 959 says how soon a reply comes, so no wait is right for
//! every server. A fixed wait long enough for a slow server costs a fast
//! one most of its sessions' time: against vsftpd on loopback a well-formed
//! command is answered in well under a millisecond, and a 30 ms wait after
//! each bare LF was a fifth of the fuzzer's time. So the wait is a multiple
//! of the slowest answer to a well-formed command seen lately, between a
//! floor and the configured ceiling. A reply later than that is not lost:
//! the session is already out of step after a malformed line, and the late
//! reply is read (unattributed) by the next exchange.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The wait is this many times the slowest recent answer.
const FACTOR: u64 = 8;

/// Never wait less than this (a loaded machine's scheduling delay).
const FLOOR: Duration = Duration::from_millis(4);

/// Each observation takes this share of the remembered slowest answer off
/// it before comparing: a slow spell is forgotten over a few sessions.
const DECAY: u64 = 64;

/// The slowest recent answer to a well-formed command, shared by a run's
/// sessions (microseconds; 0 before the first).
#[derive(Debug, Default)]
pub struct Pace {
    slowest_us: AtomicU64,
}

impl Pace {
    /// A well-formed command was answered after `took`.
    pub fn observe(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let _ = self
            .slowest_us
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(us.max(old - old / DECAY))
            });
    }

    /// How long to wait for a reply that may not come: `ceiling` until an
    /// answer was seen, then [`FACTOR`] times the slowest recent one,
    /// within [`FLOOR`] and `ceiling`.
    pub fn settle(&self, ceiling: Duration) -> Duration {
        match self.slowest_us.load(Ordering::Relaxed) {
            0 => ceiling,
            us => Duration::from_micros(us.saturating_mul(FACTOR))
                .max(FLOOR)
                .min(ceiling),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CEILING: Duration = Duration::from_millis(30);

    #[test]
    fn nothing_seen_waits_the_ceiling() {
        assert_eq!(Pace::default().settle(CEILING), CEILING);
    }

    #[test]
    fn a_fast_server_gets_the_floor_and_a_slow_one_the_ceiling() {
        let p = Pace::default();
        p.observe(Duration::from_micros(150));
        assert_eq!(p.settle(CEILING), FLOOR);
        p.observe(Duration::from_millis(2));
        assert_eq!(p.settle(CEILING), Duration::from_millis(16));
        p.observe(Duration::from_millis(50));
        assert_eq!(p.settle(CEILING), CEILING);
    }

    #[test]
    fn a_slow_spell_is_forgotten_slowly() {
        let p = Pace::default();
        p.observe(Duration::from_millis(3));
        p.observe(Duration::from_micros(100));
        // One fast answer takes 1/64 off: still about 8 × 3 ms.
        let after_one = p.settle(CEILING);
        assert!(after_one > Duration::from_millis(23), "{after_one:?}");
        for _ in 0..400 {
            p.observe(Duration::from_micros(100));
        }
        assert_eq!(p.settle(CEILING), FLOOR);
    }
}
