//! Which films a run fetches, beyond the ones never fetched.
//!
//! A refresh is needed for two reasons. TMDB's figures change, such as popularity,
//! votes, ratings and revenue. And TMDB learns of films it did not know.
//!
//! Each run takes films in this order, within a request budget:
//!
//! 1. Films never fetched.
//! 2. Films of the selection not fetched in the current collection period. The period
//!    is a calendar month by default, so the run on the 1st of each month takes a new
//!    snapshot of every film.
//! 3. Ids TMDB did not know, asked again after a longer age (6 months by default).

use std::num::NonZeroU32;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};

use crate::state::State;

/// How often a fetched film is fetched again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Once per calendar month: due when last fetched before the 1st of the run's month.
    Month,
    /// Due when last fetched this many days (or more) before the run's date.
    Days(NonZeroU32),
    /// Never: a fetched film is settled for good.
    Never,
}

impl FromStr for Period {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "month" => Ok(Period::Month),
            "never" => Ok(Period::Never),
            _ => s
                .strip_suffix('d')
                .unwrap_or(&s)
                .parse::<u32>()
                .ok()
                .and_then(NonZeroU32::new)
                .map(Period::Days)
                .ok_or_else(|| {
                    format!(
                        "{s:?} is not a refresh period: month, never, or a number of days (30d)"
                    )
                }),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Month => write!(f, "month"),
            Period::Days(n) => write!(f, "{n}d"),
            Period::Never => write!(f, "never"),
        }
    }
}

impl Period {
    /// Whether a film last fetched on `last` is due again on `today`.
    fn due(self, last: Option<NaiveDate>, today: NaiveDate) -> bool {
        let Some(last) = last else { return true };
        match self {
            Period::Month => last < today.with_day(1).unwrap_or(today),
            Period::Days(n) => (today - last).num_days() >= i64::from(n.get()),
            Period::Never => false,
        }
    }
}

/// The refresh policy of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPolicy {
    pub period: Period,
    /// Ids TMDB did not know are looked up again this many months after the last time
    /// (0: never).
    pub recheck_missing_months: u32,
    /// At most this many TMDB requests this run (estimated before: 2 for a film whose
    /// TMDB id is not known yet, 1 otherwise).
    pub max_requests: Option<usize>,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            period: Period::Month,
            recheck_missing_months: 6,
            max_requests: None,
        }
    }
}

/// Why a film is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// Never fetched nor looked up.
    New,
    /// Fetched before the current period.
    Refresh,
    /// TMDB did not know it, long enough ago to ask again.
    Recheck,
}

fn date(s: Option<&String>) -> Option<NaiveDate> {
    s.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

impl RefreshPolicy {
    /// Whether `imdb` is due on `today`, and why.
    pub fn due(&self, st: &State, imdb: &str, today: NaiveDate) -> Option<Why> {
        let fetched = st.fetched.contains_key(imdb);
        let missing = st.not_found.contains(imdb);
        if !fetched && !missing {
            return Some(Why::New);
        }
        let missing_on = date(st.missing_on.get(imdb));
        if fetched {
            // A film TMDB dropped on a refresh counts as looked at on that day.
            let last = date(st.fetched_on.get(imdb)).max(missing_on);
            return self.period.due(last, today).then_some(Why::Refresh);
        }
        if self.recheck_missing_months == 0 {
            return None;
        }
        let again = match missing_on {
            None => true,
            Some(d) => d
                .checked_add_months(Months::new(self.recheck_missing_months))
                .is_none_or(|next| next <= today),
        };
        again.then_some(Why::Recheck)
    }

    /// The estimated requests of fetching a film whose TMDB id is or is not known.
    pub fn cost(tmdb_known: bool) -> usize {
        if tmdb_known { 1 } else { 2 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn state() -> State {
        let mut st = State::default();
        st.fetched.insert("tt1".into(), 1);
        st.fetched_on.insert("tt1".into(), "2026-01-01".into());
        st.fetched.insert("tt2".into(), 2);
        st.fetched_on.insert("tt2".into(), "2026-02-01".into());
        st.not_found.insert("tt3".into());
        st.missing_on.insert("tt3".into(), "2026-01-01".into());
        st.fetched.insert("tt5".into(), 5);
        st.not_found.insert("tt5".into());
        st.fetched_on.insert("tt5".into(), "2026-01-01".into());
        st.missing_on.insert("tt5".into(), "2026-02-01".into());
        st
    }

    #[test]
    fn new_then_monthly_refreshes_then_rechecks_after_six_months() {
        let p = RefreshPolicy::default();
        let st = state();
        let on = |id: &str, day: &str| p.due(&st, id, d(day));
        assert_eq!(on("tt4", "2026-01-01"), Some(Why::New));
        // Fetched on Jan 1: not again in January, due from Feb 1 (a short month too).
        assert_eq!(on("tt1", "2026-01-31"), None);
        assert_eq!(on("tt1", "2026-02-01"), Some(Why::Refresh));
        assert_eq!(on("tt2", "2026-02-28"), None);
        assert_eq!(on("tt2", "2026-03-01"), Some(Why::Refresh));
        // Unknown on Jan 1: asked again from Jul 1.
        assert_eq!(on("tt3", "2026-06-30"), None);
        assert_eq!(on("tt3", "2026-07-01"), Some(Why::Recheck));
        // Dropped by TMDB on a February refresh: not again in February.
        assert_eq!(on("tt5", "2026-02-15"), None);
        assert_eq!(on("tt5", "2026-03-01"), Some(Why::Refresh));
    }

    #[test]
    fn periods_in_days_never_and_no_rechecks() {
        let st = state();
        let days = RefreshPolicy {
            period: "30d".parse().unwrap(),
            recheck_missing_months: 0,
            max_requests: None,
        };
        assert_eq!(days.due(&st, "tt1", d("2026-01-30")), None);
        assert_eq!(days.due(&st, "tt1", d("2026-01-31")), Some(Why::Refresh));
        assert_eq!(days.due(&st, "tt3", d("2030-01-01")), None);
        let never = RefreshPolicy {
            period: Period::Never,
            ..RefreshPolicy::default()
        };
        assert_eq!(never.due(&st, "tt1", d("2030-01-01")), None);
        assert_eq!(never.due(&st, "tt4", d("2030-01-01")), Some(Why::New));
        // An old checkpoint has no dates: everything it holds is due.
        let mut old = State::default();
        old.fetched.insert("tt1".into(), 1);
        old.not_found.insert("tt3".into());
        let p = RefreshPolicy::default();
        assert_eq!(p.due(&old, "tt1", d("2026-01-01")), Some(Why::Refresh));
        assert_eq!(p.due(&old, "tt3", d("2026-01-01")), Some(Why::Recheck));
    }

    #[test]
    fn periods_read_and_refuse() {
        assert_eq!("month".parse::<Period>(), Ok(Period::Month));
        assert_eq!("Never".parse::<Period>(), Ok(Period::Never));
        assert_eq!(
            "30".parse::<Period>(),
            Ok(Period::Days(NonZeroU32::new(30).unwrap()))
        );
        assert_eq!(Period::Days(NonZeroU32::new(7).unwrap()).to_string(), "7d");
        let err = "weekly".parse::<Period>().unwrap_err();
        assert!(err.contains("weekly") && err.contains("month"), "{err}");
        assert!("0d".parse::<Period>().is_err());
    }
}
