//! Durations typed on the command line and timestamps in AWS responses, both
//! handled in-process: no platform `date`, whose flags differ between GNU and BSD.

use std::time::Duration;

use serde_json::Value;

/// Parses `90`, `90s`, `500ms`, `15m` or `1h` into a duration.
///
/// Fails on anything else, naming the value and the accepted forms.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let invalid = || {
        format!("invalid duration {text:?}; use seconds (90), or a number with ms, s, m or h (15m)")
    };

    let number: u64 = number.parse().map_err(|_| invalid())?;
    let duration = match unit {
        "" | "s" => Duration::from_secs(number),
        "ms" => Duration::from_millis(number),
        "m" => Duration::from_secs(number * 60),
        "h" => Duration::from_secs(number * 3600),
        _ => return Err(invalid()),
    };
    Ok(duration)
}

/// Reads an AWS timestamp as milliseconds since the Unix epoch. The aws CLI
/// v1 prints ECS timestamps as epoch seconds (`1733338127.512`), v2 as ISO 8601
/// (`2024-12-04T18:48:47.512000+00:00`); both are accepted.
pub fn timestamp_millis(value: &Value) -> Option<i64> {
    match value {
        Value::Number(number) => number
            .as_f64()
            .map(|seconds| (seconds * 1000.0).round() as i64),
        Value::String(text) => parse_iso8601_millis(text),
        _ => None,
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
fn parse_iso8601_millis(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once(['T', ' '])?;
    let mut date_parts = date.split('-').map(|part| part.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );

    let zone_start = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_start);
    let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut clock_parts = clock.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (
        clock_parts.next()??,
        clock_parts.next()??,
        clock_parts.next()??,
    );
    let millis = format!("{fraction:0<3}").get(..3)?.parse::<i64>().ok()?;

    let offset_minutes = match zone {
        "" | "Z" | "z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let (hours, minutes) = zone[1..]
                .split_once(':')
                .unwrap_or((&zone[1..3.min(zone.len())], "0"));
            sign * (hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?)
        }
    };

    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_in_each_unit() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    }

    #[test]
    fn bad_durations_are_rejected() {
        for text in ["", "m", "5 minutes", "-5s", "1.5m", "5d"] {
            assert!(parse_duration(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn epoch_seconds_and_iso_agree() {
        let epoch = timestamp_millis(&json!(1733338127.512)).unwrap();
        let iso = timestamp_millis(&json!("2024-12-04T18:48:47.512000+00:00")).unwrap();
        let zulu = timestamp_millis(&json!("2024-12-04T18:48:47.512Z")).unwrap();
        let offset = timestamp_millis(&json!("2024-12-04T19:48:47.512+01:00")).unwrap();

        assert_eq!(epoch, 1_733_338_127_512);
        assert_eq!(iso, epoch);
        assert_eq!(zulu, epoch);
        assert_eq!(offset, epoch);
    }

    #[test]
    fn result_has_thirteen_digits() {
        let millis = timestamp_millis(&json!("2026-12-04T20:08:47Z")).unwrap();

        assert_eq!(millis.to_string().len(), 13);
    }

    #[test]
    fn other_values_are_not_timestamps() {
        assert_eq!(timestamp_millis(&json!(null)), None);
        assert_eq!(timestamp_millis(&json!("yesterday")), None);
    }
}
