//! Instants written as bare numbers — an interactions file's `TIMESTAMP`, an event's
//! `sentAt`, a dataset with `timestampFormat: epoch` — are Unix seconds, read within the range
//! an ISO 8601 / RFC 3339 timestamp can name: a four-digit year, 0 to 9999, in any UTC
//! offset (so a day either side). The bound catches the usual unit mistake: milliseconds
//! (JavaScript's `Date.now()`, Java's `currentTimeMillis()`) of any instant after 1978 read as
//! seconds fall after the year 10000, where nothing is timestamped.

/// 0000-01-01T00:00:00+24:00, a day before the first instant of the year 0: the first
/// second accepted.
pub const EARLIEST_UNIX_SECONDS: i64 = -62_167_219_200 - 86_400;

/// 10000-01-01T00:00:00-24:00, a day after the end of the year 9999: the first second not
/// accepted.
pub const END_UNIX_SECONDS: i64 = 253_402_300_800 + 86_400;

/// `secs` if it is an instant a four-digit year can name, or a sentence saying it is not and,
/// where the size suggests one, which unit it was probably written in.
pub fn checked_unix_seconds(secs: i64) -> Result<i64, String> {
    if (EARLIEST_UNIX_SECONDS..END_UNIX_SECONDS).contains(&secs) {
        return Ok(secs);
    }
    let unit = match secs.unsigned_abs() {
        a if a >= 1_000_000_000_000_000 => " (it looks like microseconds or nanoseconds)",
        a if a >= 253_402_300_800 => " (it looks like milliseconds: divide by 1000)",
        _ => "",
    };
    Err(format!(
        "{secs} read as Unix seconds is beyond the year 9999{unit}; numeric timestamps are seconds since \
         1970-01-01T00:00:00Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_digit_years_and_a_hint_at_the_unit() {
        assert_eq!(checked_unix_seconds(1_704_153_600), Ok(1_704_153_600));
        assert_eq!(checked_unix_seconds(-2_208_988_800), Ok(-2_208_988_800), "1900");
        assert_eq!(checked_unix_seconds(-62_167_219_200), Ok(-62_167_219_200), "0000-01-01T00:00:00Z");
        assert_eq!(checked_unix_seconds(253_402_300_799), Ok(253_402_300_799), "9999-12-31T23:59:59Z");
        // ... and the same instants written with the largest offsets.
        assert!(checked_unix_seconds(-62_167_219_200 - 86_340).is_ok(), "0000-01-01T00:00:00+23:59");
        assert!(checked_unix_seconds(253_402_300_799 + 86_340).is_ok(), "9999-12-31T23:59:59-23:59");
        let err = checked_unix_seconds(END_UNIX_SECONDS).unwrap_err();
        assert!(err.starts_with("253402387200 read as Unix seconds is beyond the year 9999"), "{err}");
        assert!(checked_unix_seconds(EARLIEST_UNIX_SECONDS - 1).is_err());
        // Milliseconds of anything after 1978 (here 2024-01-02) are out of range and named.
        let err = checked_unix_seconds(1_704_153_600_000).unwrap_err();
        assert!(err.contains("(it looks like milliseconds: divide by 1000)"), "{err}");
        assert!(checked_unix_seconds(-1_704_153_600_000).unwrap_err().contains("milliseconds"));
        assert!(checked_unix_seconds(1_704_153_600_000_000).unwrap_err().contains("microseconds"));
        assert!(checked_unix_seconds(i64::MIN).unwrap_err().contains("nanoseconds"));
    }
}
