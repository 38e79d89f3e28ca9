//! Timestamps as Amazon Forecast and Personalize accept them: a Java-style pattern
//! (`yyyy-MM-dd`, `yyyy-MM-dd HH:mm:ss`), `epoch` seconds, and ISO 8601 always.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

/// Parses the timestamps of one dataset.
#[derive(Clone, Debug)]
pub struct TimestampParser {
    /// The pattern translated to chrono's syntax, and whether it has a time part.
    pattern: Option<(String, bool)>,
    epoch: bool,
    offset: FixedOffset,
}

impl TimestampParser {
    /// `format`: a pattern of `yyyy MM dd HH mm ss` and literal separators (`'T'` quoted),
    /// or `epoch`. `time_zone`: UTC (default) or a fixed offset such as `+02:00`.
    pub fn new(format: Option<&str>, time_zone: Option<&str>) -> Result<TimestampParser, String> {
        let offset = match time_zone.map(str::trim) {
            None | Some("") | Some("UTC") | Some("Etc/UTC") | Some("Z") => FixedOffset::east_opt(0).ok_or("offset")?,
            Some(tz) => tz
                .parse::<FixedOffset>()
                .map_err(|_| format!("time zone {tz:?}: only UTC and fixed offsets such as +02:00 are supported"))?,
        };
        let (pattern, epoch) = match format.map(str::trim) {
            None | Some("") => (None, false),
            Some(f) if f.eq_ignore_ascii_case("epoch") => (None, true),
            Some(f) => (Some(translate(f)?), false),
        };
        Ok(TimestampParser { pattern, epoch, offset })
    }

    /// Unix seconds (UTC) of one value, or why not.
    pub fn parse(&self, text: &str) -> Result<i64, String> {
        let t = text.trim();
        if self.epoch {
            return t.parse::<i64>().map_err(|_| format!("expected unix seconds (timestampFormat epoch), found {t:?}"));
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
        dt.and_local_timezone(self.offset).single().map(|d| d.timestamp()).ok_or_else(|| format!("{dt} is ambiguous"))
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
        let p = TimestampParser::new(None, None).unwrap();
        assert_eq!(p.parse("2024-01-02T01:00:00Z").unwrap(), 1_704_157_200);
        assert!(p.parse("yesterday").unwrap_err().contains("cannot read \"yesterday\""));
        assert!(TimestampParser::new(Some("yyyy-MM-dd hh"), None).unwrap_err().contains("unsupported"));
        assert!(TimestampParser::new(None, Some("Europe/Berlin")).unwrap_err().contains("fixed offsets"));
    }
}
