//! Instants written as bare numbers — an interactions file's `TIMESTAMP`, an event's
//! `sentAt`, a dataset with `timestampFormat: epoch` — are Unix seconds, read in the years 1
//! to 2999. The bound catches the usual unit mistake: milliseconds (JavaScript's
//! `Date.now()`, Java's `currentTimeMillis()`) read as seconds fall tens of thousands of years
//! ahead, where nothing is timestamped.

/// 0001-01-01T00:00:00Z, the first instant accepted.
pub const EARLIEST_UNIX_SECONDS: i64 = -62_135_596_800;

/// 3000-01-01T00:00:00Z, the first instant not accepted.
pub const END_UNIX_SECONDS: i64 = 32_503_680_000;

/// `secs` if it is in the years 1 to 2999, or a sentence saying it is not and, where the size
/// suggests one, which unit it was probably written in.
pub fn checked_unix_seconds(secs: i64) -> Result<i64, String> {
    if (EARLIEST_UNIX_SECONDS..END_UNIX_SECONDS).contains(&secs) {
        return Ok(secs);
    }
    let unit = match secs.unsigned_abs() {
        a if a >= 1_000_000_000_000_000 => " (it looks like microseconds or nanoseconds)",
        a if a >= 1_000_000_000_000 => " (it looks like milliseconds: divide by 1000)",
        _ => "",
    };
    Err(format!(
        "{secs} read as Unix seconds is outside the years 1 to 2999{unit}; numeric timestamps are seconds \
         since 1970-01-01T00:00:00Z"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_years_1_to_2999_and_a_hint_at_the_unit() {
        assert_eq!(checked_unix_seconds(1_704_153_600), Ok(1_704_153_600));
        assert_eq!(checked_unix_seconds(-2_208_988_800), Ok(-2_208_988_800), "1900");
        assert_eq!(checked_unix_seconds(EARLIEST_UNIX_SECONDS), Ok(EARLIEST_UNIX_SECONDS));
        assert_eq!(checked_unix_seconds(END_UNIX_SECONDS - 1), Ok(END_UNIX_SECONDS - 1), "2999-12-31T23:59:59Z");
        let err = checked_unix_seconds(END_UNIX_SECONDS).unwrap_err();
        assert!(err.starts_with("32503680000 read as Unix seconds is outside the years 1 to 2999;"), "{err}");
        assert!(checked_unix_seconds(EARLIEST_UNIX_SECONDS - 1).is_err());
        let err = checked_unix_seconds(1_704_153_600_000).unwrap_err();
        assert!(err.contains("(it looks like milliseconds: divide by 1000)"), "{err}");
        assert!(checked_unix_seconds(-1_704_153_600_000).unwrap_err().contains("milliseconds"));
        assert!(checked_unix_seconds(1_704_153_600_000_000).unwrap_err().contains("microseconds"));
        assert!(checked_unix_seconds(i64::MIN).unwrap_err().contains("nanoseconds"));
    }
}
