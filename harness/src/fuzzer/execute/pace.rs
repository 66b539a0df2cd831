//! How long to wait for a reply that may never come: after a malformed
//! line (a server may answer it, or read it as part of the next one) and
//! after a 1yz with no data connection to use (a failing server answers at
//! once, a waiting one never does).
//!
//! Nothing in RFC 959 says how soon a reply comes, so no fixed wait is
//! right for every server. A wait long enough for a slow server costs a
//! fast one dearly: against vsftpd on loopback a well-formed command is
//! answered in about 0.1 ms, and with an anonymous login the 30 ms waits
//! after unanswered lines were the largest cost after the login. So the
//! wait is estimated from the server's answers to well-formed commands the
//! way TCP estimates its retransmission timeout (RFC 6298 §2: a smoothed
//! mean plus four times the smoothed deviation), between a floor and the
//! configured ceiling. A reply later than that is not lost: the session is
//! already out of step after a malformed line, and the next exchange reads
//! the late reply, unattributed.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Never wait less than this (a loaded machine's scheduling delay).
const FLOOR: Duration = Duration::from_millis(1);

/// The server's answer times, shared by a run's sessions (microseconds;
/// the mean 0 before the first answer). Two jobs updating at once may
/// lose an observation, which an estimate can afford.
#[derive(Debug, Default)]
pub struct Pace {
    mean_us: AtomicU64,
    deviation_us: AtomicU64,
}

impl Pace {
    /// A well-formed command was answered after `took`.
    pub fn observe(&self, took: Duration) {
        let r = u64::try_from(took.as_micros())
            .unwrap_or(u64::MAX / 8)
            .max(1);
        let mean = self.mean_us.load(Ordering::Relaxed);
        let (mean, deviation) = if mean == 0 {
            (r, r / 2)
        } else {
            // RFC 6298 §2.3, with alpha = 1/8 and beta = 1/4.
            let deviation = self.deviation_us.load(Ordering::Relaxed);
            ((7 * mean + r) / 8, (3 * deviation + mean.abs_diff(r)) / 4)
        };
        self.mean_us.store(mean.max(1), Ordering::Relaxed);
        self.deviation_us.store(deviation, Ordering::Relaxed);
    }

    /// How long to wait for a reply that may not come: `ceiling` until an
    /// answer was seen, then the mean plus four deviations, within
    /// [`FLOOR`] and `ceiling`.
    pub fn settle(&self, ceiling: Duration) -> Duration {
        match self.mean_us.load(Ordering::Relaxed) {
            0 => ceiling,
            mean => {
                let deviation = self.deviation_us.load(Ordering::Relaxed);
                Duration::from_micros(mean.saturating_add(deviation.saturating_mul(4)))
                    .max(FLOOR)
                    .min(ceiling)
            }
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
        let fast = Pace::default();
        for _ in 0..20 {
            fast.observe(Duration::from_micros(100));
        }
        assert_eq!(fast.settle(CEILING), FLOOR);
        let slow = Pace::default();
        slow.observe(Duration::from_millis(50));
        assert_eq!(slow.settle(CEILING), CEILING);
    }

    #[test]
    fn the_first_answer_counts_three_times_over() {
        // RFC 6298 §2.2: mean R, deviation R/2; R + 4 × R/2.
        let p = Pace::default();
        p.observe(Duration::from_millis(2));
        assert_eq!(p.settle(CEILING), Duration::from_millis(6));
    }

    #[test]
    fn an_uneven_server_gets_a_longer_wait_than_a_steady_one_as_fast() {
        let steady = Pace::default();
        let uneven = Pace::default();
        for i in 0..40 {
            steady.observe(Duration::from_micros(1_500));
            uneven.observe(Duration::from_micros(if i % 2 == 0 { 500 } else { 2_500 }));
        }
        assert!(
            uneven.settle(CEILING) > steady.settle(CEILING) + Duration::from_millis(2),
            "{:?} vs {:?}",
            uneven.settle(CEILING),
            steady.settle(CEILING)
        );
    }
}
