//! RFC 2822 timestamps in GMT, the format of the Message resource's `date_*` fields
//! (`Fri, 13 Aug 2010 01:16:24 +0000`).

use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) fn now() -> String {
    format_unix(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0))
}

pub(crate) fn format_unix(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31); Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    // python3: email.utils.formatdate(t, usegmt=False) with "-0000" read as "+0000".
    #[test]
    fn matches_known_dates() {
        assert_eq!(format_unix(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(format_unix(1_281_662_184), "Fri, 13 Aug 2010 01:16:24 +0000");
        assert_eq!(format_unix(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(format_unix(1_735_689_599), "Tue, 31 Dec 2024 23:59:59 +0000");
    }
}
