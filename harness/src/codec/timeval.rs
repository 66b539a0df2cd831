//! RFC 3659 §2.3 time values: `time-val = 14DIGIT [ "." 1*DIGIT ]`,
//! `YYYYMMDDHHMMSS` in UTC (MDTM replies, MLSx `modify` facts).

use std::fmt;

/// A time value, to the second (a fraction is parsed and dropped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeVal {
    /// Seconds since 1970-01-01T00:00:00 UTC.
    pub unix_secs: i64,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl TimeVal {
    /// Parse `YYYYMMDDHHMMSS[.d+]`; `None` unless it names a real date and
    /// time (a leap second, 60, is allowed: RFC 3659 §2.3).
    pub fn parse(s: &str) -> Option<TimeVal> {
        let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
        if whole.len() != 14
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || frac.is_empty()
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let n = |r: std::ops::Range<usize>| whole[r].parse::<i64>().ok();
        let (y, mo, d, h, mi, se) = (
            n(0..4)?,
            n(4..6)?,
            n(6..8)?,
            n(8..10)?,
            n(10..12)?,
            n(12..14)?,
        );
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
            return None;
        }
        Some(TimeVal {
            unix_secs: days_from_civil(y, mo, d) * 86_400 + h * 3_600 + mi * 60 + se,
        })
    }

    /// The time value of `unix_secs`.
    pub fn from_unix(unix_secs: i64) -> TimeVal {
        TimeVal { unix_secs }
    }
}

impl fmt::Display for TimeVal {
    /// `YYYYMMDDHHMMSS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.unix_secs;
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // H. Hinnant's civil_from_days, the inverse of days_from_civil.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        write!(
            f,
            "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
            rem / 3_600,
            rem % 3_600 / 60,
            rem % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<i64> {
        TimeVal::parse(s).map(|t| t.unix_secs)
    }

    #[test]
    fn time_vals() {
        assert_eq!(p("19700101000000"), Some(0));
        assert_eq!(p("20260101000000"), Some(1_767_225_600));
        assert_eq!(p("20260101000000.123"), Some(1_767_225_600));
        assert_eq!(p("2026010100000"), None);
        assert_eq!(p("20261301000000"), None);
        assert_eq!(p("20260101000000."), None);
        assert_eq!(
            TimeVal::from_unix(1_767_225_600).to_string(),
            "20260101000000"
        );
        for s in [0, 951_782_400, 1_767_225_599, 4_102_444_800] {
            assert_eq!(p(&TimeVal::from_unix(s).to_string()), Some(s));
        }
    }
}
