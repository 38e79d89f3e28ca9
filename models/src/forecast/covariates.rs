//! What a global model knows about each item besides its target: related time series known
//! ahead (prices, promotions, weather, holidays, the calendar) and static item metadata.

/// Known covariates of a set of items, aligned with each item's series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Covariates {
    /// Names of the dynamic columns, in column order.
    pub dynamic_names: Vec<String>,
    /// `dynamic[i][c]`: item i's column c, from the item's first period over its history and
    /// the horizon after it (`series.values.len() + horizon` values); NaN where unknown.
    /// Empty (no items) when there are no dynamic columns at all.
    pub dynamic: Vec<Vec<Vec<f64>>>,
    /// Names of the static attributes, in attribute order.
    pub static_names: Vec<String>,
    /// `statics[i][a]`: item i's attribute a as a number (categories numbered from 0 in
    /// the order they were first seen), NaN where unknown. Empty when there are none.
    pub statics: Vec<Vec<f64>>,
    /// Names of the dynamic columns every item shares on one grid of periods (the calendar),
    /// which follow the per-item ones in column order: kept once, not once per item.
    pub shared_names: Vec<String>,
    /// `shared[c][p]`: shared column c at grid period `shared_first + p`.
    pub shared: Vec<Vec<f64>>,
    /// Grid period of `shared[c][0]`.
    pub shared_first: i64,
    /// Grid period of every item's first value (step 0), for the shared columns.
    pub starts: Vec<i64>,
}

impl Covariates {
    /// Number of dynamic columns: the per-item ones, then the shared ones.
    pub fn dynamic_count(&self) -> usize {
        self.dynamic_names.len() + self.shared_names.len()
    }

    /// Dynamic column `c` of item `i` at step `t` (per-item columns first, then the shared
    /// ones), NaN where unknown.
    pub fn dynamic_at(&self, i: usize, c: usize, t: usize) -> f64 {
        let own = self.dynamic_names.len();
        if c < own {
            return self
                .dynamic
                .get(i)
                .and_then(|cols| cols.get(c))
                .and_then(|col| col.get(t))
                .copied()
                .unwrap_or(f64::NAN);
        }
        let period = self.starts.get(i).map(|s| s + t as i64 - self.shared_first);
        period
            .and_then(|p| usize::try_from(p).ok())
            .and_then(|p| self.shared.get(c - own).and_then(|col| col.get(p)))
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// Static attribute `a` of item `i`, NaN where unknown.
    pub fn static_at(&self, i: usize, a: usize) -> f64 {
        self.statics.get(i).and_then(|attrs| attrs.get(a)).copied().unwrap_or(f64::NAN)
    }

    /// Keeps the items at `indices`, in that order (a shard's or a subset's covariates).
    pub fn select(&self, indices: &[usize]) -> Covariates {
        let pick = |rows: &Vec<Vec<Vec<f64>>>| -> Vec<Vec<Vec<f64>>> {
            if rows.is_empty() { Vec::new() } else { indices.iter().map(|&i| rows[i].clone()).collect() }
        };
        Covariates {
            dynamic_names: self.dynamic_names.clone(),
            dynamic: pick(&self.dynamic),
            static_names: self.static_names.clone(),
            statics: if self.statics.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| self.statics[i].clone()).collect()
            },
            shared_names: self.shared_names.clone(),
            shared: self.shared.clone(),
            shared_first: self.shared_first,
            starts: if self.starts.is_empty() { Vec::new() } else { indices.iter().map(|&i| self.starts[i]).collect() },
        }
    }
}

/// Calendar columns of periods starting at `starts` (unix seconds, UTC): hour of day, day of
/// week (Monday 0), day of month, month (1–12) and week of year (ISO, 1–53). Columns that do
/// not vary at a frequency (the hour of monthly data) are constant, which a tree model
/// ignores. Known for every future period, so a global model can learn calendar effects
/// (weekday peaks, December) across items.
pub fn calendar_columns(starts: &[i64]) -> Vec<(String, Vec<f64>)> {
    let mut hour = Vec::with_capacity(starts.len());
    let mut weekday = Vec::with_capacity(starts.len());
    let mut day = Vec::with_capacity(starts.len());
    let mut month = Vec::with_capacity(starts.len());
    let mut week = Vec::with_capacity(starts.len());
    for &s in starts {
        let days = s.div_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        hour.push((s.rem_euclid(86_400) / 3600) as f64);
        // 1970-01-01 was a Thursday (Monday = 0 -> Thursday = 3).
        let wd = (days + 3).rem_euclid(7);
        weekday.push(wd as f64);
        day.push(d as f64);
        month.push(mo as f64);
        week.push(iso_week(days, wd, y) as f64);
    }
    vec![
        ("hour_of_day".into(), hour),
        ("day_of_week".into(), weekday),
        ("day_of_month".into(), day),
        ("month".into(), month),
        ("week_of_year".into(), week),
    ]
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (proleptic Gregorian),
/// by the era arithmetic of Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a (proleptic Gregorian) date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ISO week number of the day `days` (weekday `wd`, Monday 0) in calendar year `year`.
fn iso_week(days: i64, wd: i64, year: i64) -> i64 {
    // The ISO week belongs to the year of its Thursday.
    let thursday = days - wd + 3;
    let (ty, _, _) = civil_from_days(thursday);
    let _ = year;
    (thursday - days_from_civil(ty, 1, 1)) / 7 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_of_known_dates() {
        // 2012-12-25T08:00:00Z was a Tuesday in ISO week 52; 2021-01-03 a Sunday in week 53 of 2020.
        let cols = calendar_columns(&[1_356_422_400, 1_609_632_000]);
        let get = |name: &str| cols.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).expect("column");
        assert_eq!(get("hour_of_day"), vec![8.0, 0.0]);
        assert_eq!(get("day_of_week"), vec![1.0, 6.0]);
        assert_eq!(get("day_of_month"), vec![25.0, 3.0]);
        assert_eq!(get("month"), vec![12.0, 1.0]);
        assert_eq!(get("week_of_year"), vec![52.0, 53.0]);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 365, 11_016, 19_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn select_keeps_the_order_asked() {
        let c = Covariates {
            dynamic_names: vec!["p".into()],
            dynamic: vec![vec![vec![1.0]], vec![vec![2.0]]],
            static_names: vec!["a".into()],
            statics: vec![vec![0.0], vec![1.0]],
            shared_names: vec!["month".into()],
            shared: vec![vec![1.0, 2.0, 3.0, 4.0]],
            shared_first: 10,
            starts: vec![10, 12],
        };
        let s = c.select(&[1, 0]);
        assert_eq!(s.dynamic_count(), 2);
        assert_eq!(s.dynamic_at(0, 0, 0), 2.0);
        assert_eq!(s.static_at(1, 0), 0.0);
        assert!(s.dynamic_at(0, 0, 5).is_nan());
        // Shared columns by grid period: item 1 (was 0) starts at period 10, item 0 at 12.
        assert_eq!(s.dynamic_at(1, 1, 1), 2.0);
        assert_eq!(s.dynamic_at(0, 1, 1), 4.0);
        assert!(s.dynamic_at(0, 1, 2).is_nan());
    }
}
