//! Forecast frequencies (`15min`, `H`, `D`, `W`, `2W`, `M`, `Q`, `Y`) and the regular grid of
//! periods they cut time into.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

/// The unit of a frequency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// A frequency: a unit and a multiple (`2W` is two weeks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frequency {
    pub unit: Unit,
    pub multiple: u32,
}

impl Frequency {
    /// Parses `[N](min|H|D|W|M|Q|Y)`.
    pub fn parse(text: &str) -> Result<Frequency, String> {
        let t = text.trim();
        let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
        let unit = match &t[digits.len()..] {
            "min" | "T" => Unit::Minute,
            "H" | "h" => Unit::Hour,
            "D" => Unit::Day,
            "W" => Unit::Week,
            "M" => Unit::Month,
            "Q" => Unit::Quarter,
            "Y" | "A" => Unit::Year,
            _ => return Err(format!("frequency {t:?}: expected such as 15min, H, D, W, 2W, M, Q or Y")),
        };
        let multiple = if digits.is_empty() {
            1
        } else {
            digits.parse::<u32>().ok().filter(|m| *m >= 1).ok_or_else(|| format!("frequency {t:?}: bad multiple"))?
        };
        Ok(Frequency { unit, multiple })
    }

    fn fixed_seconds(self) -> Option<i64> {
        let unit = match self.unit {
            Unit::Minute => 60,
            Unit::Hour => 3_600,
            Unit::Day => 86_400,
            Unit::Week => 7 * 86_400,
            Unit::Month | Unit::Quarter | Unit::Year => return None,
        };
        Some(unit * i64::from(self.multiple))
    }

    fn months(self) -> i64 {
        let per = match self.unit {
            Unit::Quarter => 3,
            Unit::Year => 12,
            _ => 1,
        };
        per * i64::from(self.multiple)
    }

    /// The usual season length in periods: a day of hours (24), a week of days (7), a year
    /// of weeks (52), months (12) or quarters (4); 1 when there is none.
    pub fn default_season(self) -> usize {
        let m = self.multiple as usize;
        let per = |n: usize| if m <= n && n.is_multiple_of(m) { n / m } else { 1 };
        match self.unit {
            Unit::Minute => per(24 * 60),
            Unit::Hour => per(24),
            Unit::Day => per(7),
            Unit::Week => per(52),
            Unit::Month => per(12),
            Unit::Quarter => per(4),
            Unit::Year => 1,
        }
    }

    /// The season lengths, in periods, that the global model (`BOOSTED_TREES`) takes
    /// seasonal lags at: a day and a week of minutes or hours, a week of days, a year of
    /// weeks, months or quarters; none for years. A multiple keeps the seasons it divides
    /// (`2H`: 12 and 84; `2D`: none, a week is not a whole number of its periods), and a
    /// season of one period is no season.
    pub fn seasons(self) -> Vec<usize> {
        let m = self.multiple as usize;
        let lengths: &[usize] = match self.unit {
            Unit::Minute => &[24 * 60, 7 * 24 * 60],
            Unit::Hour => &[24, 7 * 24],
            Unit::Day => &[7],
            Unit::Week => &[52],
            Unit::Month => &[12],
            Unit::Quarter => &[4],
            Unit::Year => &[],
        };
        lengths.iter().filter(|n| n.is_multiple_of(m) && **n / m >= 2).map(|n| n / m).collect()
    }
}

fn months_since_epoch(secs: i64) -> i64 {
    let d = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
    i64::from(d.year()) * 12 + i64::from(d.month0())
}

/// A grid of periods: period 0 starts at the anchor, a period boundary on the frequency's
/// unit at or before the earliest timestamp (weeks start on the weekday of the earliest data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub frequency: Frequency,
    /// Seconds (fixed units) or months since year 0 (calendar units) of period 0's start.
    anchor: i64,
}

impl Grid {
    /// The grid for data whose earliest timestamp is `earliest` (unix seconds).
    pub fn new(frequency: Frequency, earliest: i64) -> Grid {
        let anchor = match frequency.unit {
            Unit::Minute => {
                earliest.div_euclid(60 * i64::from(frequency.multiple)) * 60 * i64::from(frequency.multiple)
            }
            Unit::Hour => earliest.div_euclid(3_600) * 3_600,
            Unit::Day | Unit::Week => earliest.div_euclid(86_400) * 86_400,
            Unit::Month => months_since_epoch(earliest),
            Unit::Quarter => months_since_epoch(earliest).div_euclid(3) * 3,
            Unit::Year => months_since_epoch(earliest).div_euclid(12) * 12,
        };
        Grid { frequency, anchor }
    }

    /// The period a timestamp falls in.
    pub fn period(&self, secs: i64) -> i64 {
        match self.frequency.fixed_seconds() {
            Some(step) => (secs - self.anchor).div_euclid(step),
            None => (months_since_epoch(secs) - self.anchor).div_euclid(self.frequency.months()),
        }
    }

    /// Start of a period (unix seconds).
    pub fn start_of(&self, period: i64) -> i64 {
        match self.frequency.fixed_seconds() {
            Some(step) => self.anchor + period * step,
            None => {
                let months = self.anchor + period * self.frequency.months();
                let (year, month0) = (months.div_euclid(12), months.rem_euclid(12));
                NaiveDate::from_ymd_opt(year as i32, month0 as u32 + 1, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|d| d.and_utc().timestamp())
                    .unwrap_or_default()
            }
        }
    }

    /// A period's start as the export writes it: a date for daily and coarser grids,
    /// a date and time otherwise.
    pub fn label(&self, period: i64) -> String {
        let t = DateTime::<Utc>::from_timestamp(self.start_of(period), 0).unwrap_or_default();
        match self.frequency.unit {
            Unit::Minute | Unit::Hour => t.format("%Y-%m-%dT%H:%M:%S").to_string(),
            _ => t.format("%Y-%m-%d").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap().and_utc().timestamp()
    }

    #[test]
    fn parses_frequencies() {
        assert_eq!(Frequency::parse("15min").unwrap(), Frequency { unit: Unit::Minute, multiple: 15 });
        assert_eq!(Frequency::parse("2W").unwrap(), Frequency { unit: Unit::Week, multiple: 2 });
        assert_eq!(Frequency::parse("M").unwrap().default_season(), 12);
        assert_eq!(Frequency::parse("H").unwrap().default_season(), 24);
        assert_eq!(Frequency::parse("15min").unwrap().default_season(), 96);
        assert!(Frequency::parse("fortnight").unwrap_err().contains("expected such as"));
        assert!(Frequency::parse("0D").is_err());
    }

    #[test]
    fn seasons_of_each_frequency() {
        let seasons = |f: &str| Frequency::parse(f).unwrap().seasons();
        assert_eq!(seasons("15min"), vec![96, 672]);
        assert_eq!(seasons("H"), vec![24, 168]);
        assert_eq!(seasons("2H"), vec![12, 84]);
        assert_eq!(seasons("5H"), Vec::<usize>::new());
        assert_eq!(seasons("D"), vec![7]);
        assert_eq!(seasons("2D"), Vec::<usize>::new());
        assert_eq!(seasons("W"), vec![52]);
        assert_eq!(seasons("2W"), vec![26]);
        assert_eq!(seasons("M"), vec![12]);
        assert_eq!(seasons("3M"), vec![4]);
        assert_eq!(seasons("Q"), vec![4]);
        assert_eq!(seasons("4Q"), Vec::<usize>::new());
        assert_eq!(seasons("Y"), Vec::<usize>::new());
    }

    #[test]
    fn grids_cut_time_into_periods() {
        let g = Grid::new(Frequency::parse("W").unwrap(), ts("2017-01-01 10:00")); // a Sunday
        assert_eq!(g.period(ts("2017-01-07 23:59")), 0);
        assert_eq!(g.period(ts("2017-01-08 00:00")), 1);
        assert_eq!(g.label(1), "2017-01-08");
        let g = Grid::new(Frequency::parse("M").unwrap(), ts("2024-01-15 00:00"));
        assert_eq!(g.period(ts("2024-03-31 23:00")), 2);
        assert_eq!(g.label(13), "2025-02-01");
        let g = Grid::new(Frequency::parse("Q").unwrap(), ts("2024-02-15 00:00"));
        assert_eq!(g.label(0), "2024-01-01");
        assert_eq!(g.period(ts("2024-04-01 00:00")), 1);
        let g = Grid::new(Frequency::parse("15min").unwrap(), ts("2024-01-01 10:07"));
        assert_eq!(g.label(0), "2024-01-01T10:00:00");
        assert_eq!(g.period(ts("2024-01-01 10:31")), 2);
    }
}
