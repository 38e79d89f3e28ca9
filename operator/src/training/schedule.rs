//! `spec.retrain.schedule`: cron in the schedule's time zone, read the way a Kubernetes
//! CronJob reads it. Of several ticks missed (the operator was down), only the most recent
//! is acted on; one older than `startingDeadlineSeconds` is skipped, not replayed.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use croner::{
    Cron,
    parser::{CronParser, Seconds},
};
use seer_api::RetrainSpec;

use crate::error::{Error, Result};

/// A parsed schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    cron: Cron,
    tz: chrono_tz::Tz,
}

/// What a schedule says at a moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// The most recent tick after the last one acted on and not after now, if any.
    pub tick: Option<DateTime<Utc>>,
    /// Whether that tick is older than the starting deadline.
    pub missed_deadline: bool,
    /// The next tick after now.
    pub next: Option<DateTime<Utc>>,
}

impl Schedule {
    /// Parses `schedule` (five fields or a macro) and `timeZone` (IANA, default UTC).
    pub fn parse(spec: &RetrainSpec) -> Result<Schedule> {
        let cron =
            CronParser::builder().seconds(Seconds::Disallowed).build().parse(spec.schedule.trim()).map_err(|e| {
                Error::InvalidSpec {
                    reason: "InvalidSchedule",
                    message: format!("retrain.schedule {:?}: {e}", spec.schedule),
                }
            })?;
        let tz = match spec.time_zone.as_deref() {
            None | Some("") => chrono_tz::UTC,
            Some(name) => chrono_tz::Tz::from_str(name).map_err(|_| Error::InvalidSpec {
                reason: "InvalidTimeZone",
                message: format!("retrain.timeZone {name:?} is not an IANA time zone such as Europe/Berlin"),
            })?,
        };
        Ok(Schedule { cron, tz })
    }

    /// The first tick strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&t.with_timezone(&self.tz), false).ok().map(|d| d.with_timezone(&Utc))
    }

    /// Where the schedule stands at `now`, `since` being the last tick acted on (or the
    /// resource's creation).
    pub fn due(&self, since: DateTime<Utc>, now: DateTime<Utc>, starting_deadline_seconds: Option<i64>) -> Due {
        // The latest tick in (since, now]: walk forward; bounded so a minutely schedule left
        // alone for a year cannot spin (then the latest is found from the other side).
        let mut tick = None;
        let mut t = since;
        for _ in 0..1000 {
            match self.next_after(t) {
                Some(n) if n <= now => {
                    tick = Some(n);
                    t = n;
                }
                _ => break,
            }
        }
        if tick.is_some_and(|found| self.next_after(found).is_some_and(|n| n <= now)) {
            tick = self
                .cron
                .find_previous_occurrence(&now.with_timezone(&self.tz), true)
                .ok()
                .map(|d| d.with_timezone(&Utc))
                .filter(|d| *d > since);
        }
        let missed_deadline = match (tick, starting_deadline_seconds) {
            (Some(t), Some(deadline)) => (now - t).num_seconds() > deadline,
            _ => false,
        };
        Due { tick, missed_deadline, next: self.next_after(now) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    fn spec(schedule: &str, tz: Option<&str>) -> RetrainSpec {
        RetrainSpec { schedule: schedule.into(), time_zone: tz.map(str::to_string), ..Default::default() }
    }

    #[test]
    fn five_fields_and_macros() {
        let s = Schedule::parse(&spec("0 3 * * 1", None)).expect("parse");
        // 2026-11-30 is a Monday.
        assert_eq!(s.next_after(at("2026-11-29T10:00:00Z")), Some(at("2026-11-30T03:00:00Z")));
        let d = Schedule::parse(&spec("@daily", None)).expect("parse");
        assert_eq!(d.next_after(at("2026-11-29T10:00:00Z")), Some(at("2026-11-30T00:00:00Z")));
    }

    #[test]
    fn time_zone_moves_the_tick() {
        let s = Schedule::parse(&spec("0 3 * * *", Some("Europe/Berlin"))).expect("parse");
        assert_eq!(s.next_after(at("2026-11-29T10:00:00Z")), Some(at("2026-11-30T02:00:00Z")));
    }

    #[test]
    fn bad_schedule_and_zone_are_spec_errors() {
        for (sched, tz, word) in [("61 * * * *", None, "schedule"), ("0 3 * * *", Some("Mars/Olympus"), "timeZone")] {
            let e = Schedule::parse(&spec(sched, tz)).expect_err("invalid");
            assert!(e.is_permanent() && e.to_string().contains(word), "{e}");
        }
        // Seconds are not a CronJob's format.
        assert!(Schedule::parse(&spec("*/10 * * * * *", None)).is_err());
    }

    #[test]
    fn only_the_latest_missed_tick_counts_and_the_deadline_skips_it() {
        let s = Schedule::parse(&spec("0 * * * *", None)).expect("parse");
        let due = s.due(at("2026-11-29T05:30:00Z"), at("2026-11-29T09:10:00Z"), Some(300));
        assert_eq!(due.tick, Some(at("2026-11-29T09:00:00Z")));
        assert!(due.missed_deadline, "10 minutes late with a 5 minute deadline");
        assert_eq!(due.next, Some(at("2026-11-29T10:00:00Z")));
        let due = s.due(at("2026-11-29T05:30:00Z"), at("2026-11-29T09:02:00Z"), Some(300));
        assert!(!due.missed_deadline);
        let none = s.due(at("2026-11-29T09:00:00Z"), at("2026-11-29T09:30:00Z"), None);
        assert_eq!(none.tick, None);
        // A minutely schedule not looked at for months: still the latest tick, found quickly.
        let m = Schedule::parse(&spec("* * * * *", None)).expect("parse");
        let due = m.due(at("2026-01-01T00:00:00Z"), at("2026-11-29T09:30:30Z"), None);
        assert_eq!(due.tick, Some(at("2026-11-29T09:30:00Z")));
    }
}
