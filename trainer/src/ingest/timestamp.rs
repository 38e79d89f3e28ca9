//! Timestamps as Amazon Forecast and Personalize accept them: a Java-style pattern
//! (`yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss`), `epoch` seconds, and ISO 8601 always.
//!
//! Timestamps without an offset are read in the dataset's `timeZone`: UTC by default, a
//! fixed offset (`+02:00`), or an IANA name (`America/Los_Angeles`) whose daylight-saving
//! rules apply. Local times that a DST change makes ambiguous or skips are resolved as
//! Java's `ZonedDateTime` does (Amazon Forecast ran on the JVM): in the autumn overlap the
//! earlier instant (the summer offset); in the spring gap the time is moved later by the
//! length of the gap (02:30 on a spring-forward night in Los Angeles is 03:30 PDT).

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;
use seer_api::unix_time::checked_unix_seconds;

/// The zone of local timestamps.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Zone {
    Fixed(FixedOffset),
    Named(Tz),
}

/// Parses the timestamps of one dataset.
#[derive(Clone, Debug)]
pub struct TimestampParser {
    /// The pattern translated to chrono's syntax, and whether it has a time part.
    pattern: Option<(String, bool)>,
    epoch: bool,
    zone: Zone,
}

impl TimestampParser {
    /// `format`: a pattern of `yyyy MM dd HH mm ss` and literal separators (`'T'` quoted),
    /// or `epoch`. `time_zone`: UTC (default), a fixed offset such as `+02:00`, or an IANA
    /// name such as `Europe/Berlin`. Errors start with the field they are about
    /// (`timestampFormat:` or `timeZone:`).
    pub fn new(format: Option<&str>, time_zone: Option<&str>) -> Result<TimestampParser, String> {
        let zone = match time_zone.map(str::trim) {
            None | Some("") | Some("UTC") | Some("Etc/UTC") | Some("Z") => {
                Zone::Fixed(FixedOffset::east_opt(0).ok_or("timeZone: UTC offset")?)
            }
            Some(tz) if tz.starts_with(['+', '-']) => Zone::Fixed(
                tz.parse::<FixedOffset>()
                    .map_err(|_| format!("timeZone: {tz:?} is not an offset such as +02:00 or -05:30"))?,
            ),
            Some(tz) => Zone::Named(tz.parse::<Tz>().map_err(|_| {
                format!(
                    "timeZone: unknown time zone {tz:?} (expected an IANA name such as America/Los_Angeles or \
                     Europe/Berlin, UTC, or an offset such as +02:00)"
                )
            })?),
        };
        let (pattern, epoch) = match format.map(str::trim) {
            None | Some("") => (None, false),
            Some(f) if f.eq_ignore_ascii_case("epoch") => (None, true),
            Some(f) => (Some(translate(f).map_err(|m| format!("timestampFormat: {m}"))?), false),
        };
        Ok(TimestampParser { pattern, epoch, zone })
    }

    /// Unix seconds (UTC) of one value, or why not.
    pub fn parse(&self, text: &str) -> Result<i64, String> {
        let t = text.trim();
        if self.epoch {
            let secs =
                t.parse::<i64>().map_err(|_| format!("expected unix seconds (timestampFormat epoch), found {t:?}"))?;
            return checked_unix_seconds(secs);
        }
        if let Some((pattern, has_time)) = &self.pattern {
            let parsed = if *has_time {
                NaiveDateTime::parse_from_str(t, pattern).ok()
            } else {
                NaiveDate::parse_from_str(t, pattern).ok().and_then(|d| d.and_hms_opt(0, 0, 0))
            };
            if let Some(dt) = parsed {
                return self.to_utc(dt);
            }
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Ok(dt.timestamp());
        }
        for p in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(t, p) {
                return self.to_utc(dt);
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return self.to_utc(d.and_hms_opt(0, 0, 0).ok_or("midnight")?);
        }
        Err(format!(
            "cannot read {t:?} as a timestamp (expected ISO 8601 such as 2024-01-31 or 2024-01-31T13:00:00{})",
            self.pattern.as_ref().map(|_| ", or the dataset's timestampFormat").unwrap_or_default()
        ))
    }

    fn to_utc(&self, dt: NaiveDateTime) -> Result<i64, String> {
        match self.zone {
            Zone::Fixed(offset) => dt
                .and_local_timezone(offset)
                .single()
                .map(|d| d.timestamp())
                .ok_or_else(|| format!("{dt} is out of range")),
            Zone::Named(tz) => match tz.from_local_datetime(&dt) {
                LocalResult::Single(d) => Ok(d.timestamp()),
                // Autumn overlap: the earlier instant, as Java does.
                LocalResult::Ambiguous(earlier, _) => Ok(earlier.timestamp()),
                // Spring gap: read with the offset in force before the gap, which moves the
                // time later by the gap's length, as Java does.
                LocalResult::None => {
                    let before = dt
                        .checked_sub_signed(Duration::days(1))
                        .and_then(|d| tz.from_local_datetime(&d).earliest())
                        .ok_or_else(|| format!("{dt} does not exist in time zone {tz}"))?;
                    Ok((dt - before.offset().fix()).and_utc().timestamp())
                }
            },
        }
    }
}

/// `yyyy-MM-dd'T'HH:mm:ss` -> `%Y-%m-%dT%H:%M:%S`.
fn translate(java: &str) -> Result<(String, bool), String> {
    let mut out = String::new();
    let mut has_time = false;
    let chars: Vec<char> = java.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        let token: String = chars[i..i + run].iter().collect();
        match (c, run) {
            ('y', 4) => out.push_str("%Y"),
            ('M', 2) => out.push_str("%m"),
            ('d', 2) => out.push_str("%d"),
            ('H', 2) => {
                out.push_str("%H");
                has_time = true;
            }
            ('m', 2) => out.push_str("%M"),
            ('s', 2) => out.push_str("%S"),
            ('\'', _) => {
                // quoted literal: up to the closing quote
                let end = chars[i + 1..].iter().position(|&x| x == '\'').ok_or("unclosed quote")?;
                out.extend(chars[i + 1..i + 1 + end].iter());
                i += end + 2;
                continue;
            }
            (c, _) if c.is_ascii_alphabetic() => {
                return Err(format!("unsupported pattern letters {token:?} (use yyyy, MM, dd, HH, mm, ss)"));
            }
            (c, _) => {
                for _ in 0..run {
                    if c == '%' {
                        out.push_str("%%");
                    } else {
                        out.push(c);
                    }
                }
            }
        }
        i += run;
    }
    Ok((out, has_time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_epoch_and_iso() {
        let p = TimestampParser::new(Some("yyyy-MM-dd"), None).unwrap();
        assert_eq!(p.parse("2024-01-02").unwrap(), 1_704_153_600);
        assert_eq!(p.parse("2024-01-02T01:00:00").unwrap(), 1_704_157_200);
        let p = TimestampParser::new(Some("yyyy-MM-dd HH:mm:ss"), None).unwrap();
        assert_eq!(p.parse("2024-01-02 01:00:00").unwrap(), 1_704_157_200);
        let p = TimestampParser::new(Some("dd/MM/yyyy"), Some("+01:00")).unwrap();
        assert_eq!(p.parse("02/01/2024").unwrap(), 1_704_153_600 - 3600);
        let p = TimestampParser::new(Some("epoch"), None).unwrap();
        assert_eq!(p.parse("1704153600").unwrap(), 1_704_153_600);
        assert!(p.parse("2024-01-02").unwrap_err().contains("unix seconds"));
        assert!(p.parse("1704153600000").unwrap_err().contains("milliseconds: divide by 1000"));
        let p = TimestampParser::new(None, None).unwrap();
        assert_eq!(p.parse("2024-01-02T01:00:00Z").unwrap(), 1_704_157_200);
        assert!(p.parse("yesterday").unwrap_err().contains("cannot read \"yesterday\""));
        assert!(TimestampParser::new(Some("yyyy-MM-dd hh"), None).unwrap_err().contains("unsupported"));
        assert!(TimestampParser::new(None, Some("+25:00")).unwrap_err().starts_with("timeZone:"));
        let err = TimestampParser::new(None, Some("Mars/Olympus_Mons")).unwrap_err();
        assert!(err.starts_with("timeZone: unknown time zone \"Mars/Olympus_Mons\""), "{err}");
        assert!(TimestampParser::new(Some("yyyy-MM-dd hh"), None).unwrap_err().starts_with("timestampFormat:"));
    }

    #[test]
    fn named_zones_follow_daylight_saving() {
        let p = TimestampParser::new(Some("yyyy-MM-dd HH:mm:ss"), Some("America/Los_Angeles")).unwrap();
        let utc = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp();
        // Winter: PST (-08:00); summer: PDT (-07:00).
        assert_eq!(p.parse("2024-01-15 12:00:00").unwrap(), utc("2024-01-15T20:00:00Z"));
        assert_eq!(p.parse("2024-07-15 12:00:00").unwrap(), utc("2024-07-15T19:00:00Z"));
        // Spring forward, 2024-03-10: 01:59 PST is followed by 03:00 PDT, one hour of UTC apart...
        assert_eq!(p.parse("2024-03-10 01:00:00").unwrap(), utc("2024-03-10T09:00:00Z"));
        assert_eq!(p.parse("2024-03-10 03:00:00").unwrap(), utc("2024-03-10T10:00:00Z"));
        // ...and 02:30 does not exist: moved later by the gap, to 03:30 PDT.
        assert_eq!(p.parse("2024-03-10 02:30:00").unwrap(), utc("2024-03-10T10:30:00Z"));
        // Fall back, 2024-11-03: 01:30 happens twice; the earlier (PDT) is taken.
        assert_eq!(p.parse("2024-11-03 01:30:00").unwrap(), utc("2024-11-03T08:30:00Z"));
        assert_eq!(p.parse("2024-11-03 03:00:00").unwrap(), utc("2024-11-03T11:00:00Z"));
        // An explicit offset in the value wins over the zone.
        assert_eq!(p.parse("2024-01-15T12:00:00Z").unwrap(), utc("2024-01-15T12:00:00Z"));
        // Dates are local midnights: a day in Berlin starts at 23:00 or 22:00 UTC.
        let p = TimestampParser::new(Some("yyyy-MM-dd"), Some("Europe/Berlin")).unwrap();
        assert_eq!(p.parse("2024-01-02").unwrap(), utc("2024-01-01T23:00:00Z"));
        assert_eq!(p.parse("2024-07-02").unwrap(), utc("2024-07-01T22:00:00Z"));
    }
}
