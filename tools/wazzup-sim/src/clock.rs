//! ISO 8601 UTC instants: Wazzup writes `dateTime` and `timestamp` as `2025-02-05T06:01:07.499Z`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now as `2025-02-05T06:01:07.499Z`.
pub(crate) fn iso8601_now() -> String {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    iso8601(millis)
}

/// UTC `YYYY-MM-DDThh:mm:ss.mmmZ` for Unix milliseconds (proleptic Gregorian calendar).
pub(crate) fn iso8601(millis: i64) -> String {
    let (days, ms_of_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let secs = ms_of_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ms_of_day % 1000
    )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::iso8601;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        // date -u -d @1738735267 → Wed Feb  5 06:01:07 UTC 2025 (the docs' status example)
        assert_eq!(iso8601(1_738_735_267_499), "2025-02-05T06:01:07.499Z");
        assert_eq!(iso8601(951_868_799_000), "2000-02-29T23:59:59.000Z");
    }
}
