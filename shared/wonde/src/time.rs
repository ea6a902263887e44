//! Wonde's timestamps, read leniently into UTC. Wonde writes most times as
//! an object of a local date-time and its zone (`{"date": "2018-07-20
//! 10:23:41.000000", "timezone_type": 3, "timezone": "UTC"}`), sometimes
//! without the microseconds, and some fields as a plain date or null.

use std::str::FromStr;

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use serde_json::Value;

/// Why a value is not a timestamp. It never repeats the value, which may be
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    #[error("not a date or date-time Wonde is known to write")]
    Unreadable,
    #[error("a time zone Wonde is not known to write")]
    UnknownZone,
    #[error("a timestamp object without its date")]
    NoDate,
    #[error("neither a string, an object nor null")]
    WrongType,
}

/// Reads any shape Wonde writes a time in: an object with `date` (with or
/// without microseconds) and `timezone`, a plain date or date-time string,
/// or null (`None`).
pub fn parse_timestamp(value: &Value) -> Result<Option<DateTime<Utc>>, TimeError> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => parse_text(text, None).map(Some),
        Value::Object(fields) => {
            let date = match fields.get("date") {
                Some(Value::String(date)) => date,
                Some(Value::Null) | None => return Err(TimeError::NoDate),
                Some(_) => return Err(TimeError::WrongType),
            };
            let zone = fields.get("timezone").and_then(Value::as_str);
            parse_text(date, zone).map(Some)
        }
        _ => Err(TimeError::WrongType),
    }
}

/// A date or date-time in the given zone (UTC when none is given).
pub(crate) fn parse_text(text: &str, zone: Option<&str>) -> Result<DateTime<Utc>, TimeError> {
    let text = text.trim();
    if let Ok(stamped) = DateTime::parse_from_rfc3339(text) {
        return Ok(stamped.with_timezone(&Utc));
    }
    let local = parse_local(text).ok_or(TimeError::Unreadable)?;
    in_zone(local, zone.map(str::trim).unwrap_or("UTC"))
}

fn parse_local(text: &str) -> Option<NaiveDateTime> {
    const DATE_TIMES: [&str; 4] = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ];
    DATE_TIMES
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|date| date.and_time(NaiveTime::MIN))
        })
}

fn in_zone(local: NaiveDateTime, zone: &str) -> Result<DateTime<Utc>, TimeError> {
    if zone.is_empty() || ["UTC", "Z", "GMT", "Etc/UTC"].contains(&zone) {
        return Ok(local.and_utc());
    }
    // Wonde's zone abbreviations (timezone_type 2) are British ones.
    if zone == "BST" {
        return fixed(local, 3600);
    }
    if let Some(seconds) = parse_offset(zone) {
        return fixed(local, seconds);
    }
    let tz = chrono_tz::Tz::from_str(zone).map_err(|_| TimeError::UnknownZone)?;
    Ok(earliest(&tz, local)?.with_timezone(&Utc))
}

fn fixed(local: NaiveDateTime, seconds: i32) -> Result<DateTime<Utc>, TimeError> {
    let offset = FixedOffset::east_opt(seconds).ok_or(TimeError::UnknownZone)?;
    Ok(earliest(&offset, local)?.with_timezone(&Utc))
}

/// The first instant a wall-clock time names; a time skipped when the
/// clocks go forward is read with the offset in force before the change.
fn earliest<Z: TimeZone>(zone: &Z, local: NaiveDateTime) -> Result<DateTime<Z>, TimeError> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at),
        LocalResult::None => zone
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .ok_or(TimeError::Unreadable),
    }
}

/// `+01:00`, `-0500` or `+01` as seconds east of UTC.
fn parse_offset(zone: &str) -> Option<i32> {
    let (sign, rest) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn read(value: Value) -> Option<DateTime<Utc>> {
        parse_timestamp(&value).unwrap()
    }

    #[test]
    fn reads_an_object_with_microseconds() {
        let value =
            json!({"date": "2018-07-20 10:23:41.123456", "timezone_type": 3, "timezone": "UTC"});
        assert_eq!(read(value), Some(utc("2018-07-20T10:23:41.123456Z")));
    }

    #[test]
    fn reads_an_object_without_microseconds() {
        let value = json!({"date": "2018-07-20 10:23:41", "timezone_type": 3, "timezone": "UTC"});
        assert_eq!(read(value), Some(utc("2018-07-20T10:23:41Z")));
    }

    #[test]
    fn reads_an_object_in_london_time_across_the_clock_change() {
        let summer = json!({"date": "2018-07-20 10:23:41.000000", "timezone_type": 3, "timezone": "Europe/London"});
        let winter = json!({"date": "2018-01-20 10:23:41.000000", "timezone_type": 3, "timezone": "Europe/London"});
        assert_eq!(read(summer), Some(utc("2018-07-20T09:23:41Z")));
        assert_eq!(read(winter), Some(utc("2018-01-20T10:23:41Z")));
    }

    #[test]
    fn reads_offsets_and_abbreviations() {
        let offset =
            json!({"date": "2018-07-20 10:23:41", "timezone_type": 1, "timezone": "+01:00"});
        let bst = json!({"date": "2018-07-20 10:23:41", "timezone_type": 2, "timezone": "BST"});
        let gmt = json!({"date": "2018-07-20 10:23:41", "timezone_type": 2, "timezone": "GMT"});
        assert_eq!(read(offset), Some(utc("2018-07-20T09:23:41Z")));
        assert_eq!(read(bst), Some(utc("2018-07-20T09:23:41Z")));
        assert_eq!(read(gmt), Some(utc("2018-07-20T10:23:41Z")));
    }

    #[test]
    fn an_object_without_a_zone_is_utc() {
        assert_eq!(
            read(json!({"date": "2018-07-20 10:23:41.000000"})),
            Some(utc("2018-07-20T10:23:41Z"))
        );
    }

    #[test]
    fn reads_plain_dates_and_date_times() {
        assert_eq!(read(json!("2010-02-11")), Some(utc("2010-02-11T00:00:00Z")));
        assert_eq!(
            read(json!("2018-07-20 10:23:41")),
            Some(utc("2018-07-20T10:23:41Z"))
        );
        assert_eq!(
            read(json!("2018-07-20T10:23:41.5+01:00")),
            Some(utc("2018-07-20T09:23:41.5Z"))
        );
    }

    #[test]
    fn null_is_no_time() {
        assert_eq!(read(Value::Null), None);
    }

    #[test]
    fn a_wall_clock_time_lost_to_the_spring_change_is_read_after_the_gap() {
        let lost = json!({"date": "2024-03-31 01:30:00", "timezone": "Europe/London"});
        assert_eq!(read(lost), Some(utc("2024-03-31T01:30:00Z")));
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        assert_eq!(
            parse_timestamp(&json!("next tuesday")),
            Err(TimeError::Unreadable)
        );
        assert_eq!(
            parse_timestamp(&json!({"date": "2018-13-40 10:00:00", "timezone": "UTC"})),
            Err(TimeError::Unreadable)
        );
        assert_eq!(
            parse_timestamp(&json!({"timezone": "UTC"})),
            Err(TimeError::NoDate)
        );
        assert_eq!(
            parse_timestamp(&json!({"date": "2018-07-20 10:23:41", "timezone": "Mars/Olympus"})),
            Err(TimeError::UnknownZone)
        );
        assert_eq!(
            parse_timestamp(&json!(1532082221)),
            Err(TimeError::WrongType)
        );
    }
}
