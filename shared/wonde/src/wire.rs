//! The JSON shapes Wonde writes, read leniently: text that may be a number
//! or null, yes/no flags in several spellings, timestamps in any of their
//! shapes, related records wrapped as `{"data": ...}`, and the page around
//! a list. Whatever a record holds beyond the fields asked for is skipped
//! unread.

use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::time;

/// Text that may arrive as a string, a number or a flag; null, a missing
/// field and blank text are all `None`.
#[derive(Debug, Default)]
pub(crate) struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("text, a number or null")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Text, E> {
                let text = text.trim();
                Ok(Text((!text.is_empty()).then(|| text.to_owned())))
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Text, E> {
                Ok(Text(Some(n.to_string())))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Text, E> {
                Ok(Text(Some(n.to_string())))
            }

            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Text, E> {
                Ok(Text(Some(n.to_string())))
            }

            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Text, E> {
                Ok(Text(Some(b.to_string())))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<Text, E> {
                Ok(Text(None))
            }
        }

        deserializer.deserialize_any(TextVisitor)
    }
}

/// A yes/no that may arrive as a boolean, `1`/`0`, or text such as `"T"`,
/// `"Yes"` or `"false"`. Null and anything unrecognised are `None`, so one
/// odd value never fails a school's sync.
#[derive(Debug, Default)]
pub(crate) struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FlagVisitor;

        impl<'de> Visitor<'de> for FlagVisitor {
            type Value = Flag;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a yes or no")
            }

            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Flag, E> {
                Ok(Flag(Some(b)))
            }

            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Flag, E> {
                Ok(Flag(match n {
                    1 => Some(true),
                    0 => Some(false),
                    _ => None,
                }))
            }

            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Flag, E> {
                self.visit_i64(i64::try_from(n).unwrap_or(-1))
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Flag, E> {
                let answer = match text.trim().to_ascii_lowercase().as_str() {
                    "true" | "t" | "y" | "yes" | "1" => Some(true),
                    "false" | "f" | "n" | "no" | "0" => Some(false),
                    _ => None,
                };
                Ok(Flag(answer))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<Flag, E> {
                Ok(Flag(None))
            }
        }

        deserializer.deserialize_any(FlagVisitor)
    }
}

/// A timestamp in any shape Wonde writes one (see [`crate::parse_timestamp`]).
/// A value that is present but unreadable fails the page.
#[derive(Debug, Default)]
pub(crate) struct Time(pub Option<DateTime<Utc>>);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimeVisitor;

        impl<'de> Visitor<'de> for TimeVisitor {
            type Value = Time;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Wonde timestamp")
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<Time, E> {
                time::parse_text(text, None)
                    .map(|at| Time(Some(at)))
                    .map_err(E::custom)
            }

            fn visit_unit<E: de::Error>(self) -> Result<Time, E> {
                Ok(Time(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<Time, E> {
                Ok(Time(None))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Time, A::Error> {
                let mut date: Option<String> = None;
                let mut zone: Option<String> = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "date" => date = map.next_value::<Text>()?.0,
                        "timezone" => zone = map.next_value::<Text>()?.0,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let date = date.ok_or_else(|| de::Error::custom(time::TimeError::NoDate))?;
                time::parse_text(&date, zone.as_deref())
                    .map(|at| Time(Some(at)))
                    .map_err(de::Error::custom)
            }
        }

        deserializer.deserialize_any(TimeVisitor)
    }
}

/// A field that is read past without being looked at: it may be present,
/// but the caller did not ask for it.
#[derive(Debug, Default)]
pub(crate) struct Skipped;

impl<'de> Deserialize<'de> for Skipped {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_ignored_any(IgnoredAny)?;
        Ok(Skipped)
    }
}

/// One related record, as an `include` brings it: `{"data": {...}}`. A
/// missing one may be written as `{"data": null}`, `{"data": []}`, null, or
/// left out.
#[derive(Debug)]
pub(crate) struct One<T>(pub Option<T>);

impl<T> Default for One<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for One<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Wrapped::<One<T>>(PhantomData))
    }
}

/// The inside of `{"data": ...}` for one record.
struct OneData<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneData<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DataVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for DataVisitor<T> {
            type Value = OneData<T>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("one related record, null or an empty list")
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneData(None))
            }

            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(OneData(None))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                match seq.next_element::<IgnoredAny>()? {
                    None => Ok(OneData(None)),
                    Some(_) => Err(de::Error::custom(
                        "a list of records where one was expected",
                    )),
                }
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|t| OneData(Some(t)))
            }
        }

        deserializer.deserialize_any(DataVisitor(PhantomData))
    }
}

/// Related records, as an `include` brings them: `{"data": [...]}`; null,
/// a missing field or `{"data": null}` are none.
#[derive(Debug)]
pub(crate) struct Many<T>(pub Vec<T>);

impl<T> Default for Many<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Many<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Wrapped::<Many<T>>(PhantomData))
    }
}

/// What an include wrapper holds once unwrapped.
trait Unwrapped<'de>: Sized {
    type Data: Deserialize<'de>;
    fn empty() -> Self;
    fn from_data(data: Self::Data) -> Self;
}

impl<'de, T: Deserialize<'de>> Unwrapped<'de> for One<T> {
    type Data = OneData<T>;

    fn empty() -> Self {
        One(None)
    }

    fn from_data(data: OneData<T>) -> Self {
        One(data.0)
    }
}

impl<'de, T: Deserialize<'de>> Unwrapped<'de> for Many<T> {
    type Data = Option<Vec<T>>;

    fn empty() -> Self {
        Many(Vec::new())
    }

    fn from_data(data: Option<Vec<T>>) -> Self {
        Many(data.unwrap_or_default())
    }
}

/// Reads `{"data": ...}` (other keys beside it are skipped), or null.
struct Wrapped<W>(PhantomData<W>);

impl<'de, W: Unwrapped<'de>> Visitor<'de> for Wrapped<W> {
    type Value = W;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("related records wrapped as {\"data\": ...}")
    }

    fn visit_unit<E: de::Error>(self) -> Result<W, E> {
        Ok(W::empty())
    }

    fn visit_none<E: de::Error>(self) -> Result<W, E> {
        Ok(W::empty())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<W, A::Error> {
        let mut found = W::empty();
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" {
                found = W::from_data(map.next_value::<W::Data>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// One page of a list, its records converted.
#[derive(Debug)]
pub(crate) struct Decoded<T> {
    pub records: Vec<T>,
    pub next: Option<String>,
    pub more: Option<bool>,
}

/// Where in an answer it stopped making sense, and why.
#[derive(Debug)]
pub(crate) struct Problem {
    pub at: String,
    pub reason: String,
}

#[derive(Deserialize)]
struct RawPage<R> {
    data: Vec<R>,
    #[serde(default)]
    meta: Option<RawMeta>,
}

#[derive(Deserialize)]
struct RawMeta {
    #[serde(default)]
    pagination: Option<RawPagination>,
}

#[derive(Deserialize)]
struct RawPagination {
    #[serde(default)]
    next: Text,
    #[serde(default)]
    more: Flag,
}

#[derive(Deserialize)]
struct RawSingle<R> {
    data: R,
}

/// Reads a page of records: `{"data": [...], "meta": {"pagination": ...}}`.
/// A page without its `data` list, or with a record that cannot be read, is
/// a problem, never an empty page.
pub(crate) fn decode_page<R: DeserializeOwned, T>(
    body: &[u8],
    convert: impl Fn(R) -> T,
) -> Result<Decoded<T>, Problem> {
    let page: RawPage<R> = decode(body)?;
    let pagination = page.meta.and_then(|meta| meta.pagination);
    let (next, more) = match pagination {
        Some(p) => (p.next.0, p.more.0),
        None => (None, None),
    };
    Ok(Decoded {
        records: page.data.into_iter().map(convert).collect(),
        next,
        more,
    })
}

/// Reads one record: `{"data": {...}}`.
pub(crate) fn decode_single<R: DeserializeOwned>(body: &[u8]) -> Result<R, Problem> {
    decode::<RawSingle<R>>(body).map(|single| single.data)
}

fn decode<V: DeserializeOwned>(body: &[u8]) -> Result<V, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let at = error.path().to_string();
        problem(at, error.inner())
    })?;
    deserializer
        .end()
        .map_err(|error| problem(".".to_owned(), &error))?;
    Ok(value)
}

fn problem(at: String, error: &serde_json::Error) -> Problem {
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = error.to_string();
    let message = message.strip_suffix(&position).unwrap_or(&message);
    Problem {
        at: if at.is_empty() { ".".to_owned() } else { at },
        reason: format!("{}{position}", without_values(message)),
    }
}

/// serde's messages quote the value they could not read (`invalid type:
/// string "Amelia", expected ...`), which may be a pupil's name: keep only
/// what was expected.
fn without_values(message: &str) -> String {
    for prefix in ["invalid type", "invalid value"] {
        if message.starts_with(prefix) {
            return match message.find(", expected") {
                Some(at) => format!("{prefix}{}", &message[at..]),
                None => prefix.to_owned(),
            };
        }
    }
    message.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Named {
        #[serde(default)]
        name: Text,
    }

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(default)]
        one: One<Named>,
        #[serde(default)]
        many: Many<Named>,
        #[serde(default)]
        flag: Flag,
        #[serde(default)]
        at: Time,
        #[serde(default, rename = "skipped")]
        _skipped: Skipped,
    }

    fn holder(value: serde_json::Value) -> Holder {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn one_record_in_every_wrapping() {
        let found = holder(json!({"one": {"data": {"name": "Curie"}}}));
        assert_eq!(found.one.0.unwrap().name.0.as_deref(), Some("Curie"));
        for missing in [
            json!({"one": {"data": null}}),
            json!({"one": {"data": []}}),
            json!({"one": null}),
            json!({}),
        ] {
            assert!(holder(missing).one.0.is_none());
        }
        assert!(
            serde_json::from_value::<Holder>(json!({"one": {"data": [{"name": "x"}]}})).is_err()
        );
    }

    #[test]
    fn many_records_in_every_wrapping() {
        let found = holder(json!({"many": {"data": [{"name": "a"}, {"name": "b"}]}}));
        assert_eq!(found.many.0.len(), 2);
        for none in [
            json!({"many": {"data": []}}),
            json!({"many": {"data": null}}),
            json!({"many": null}),
            json!({}),
        ] {
            assert!(holder(none).many.0.is_empty());
        }
    }

    #[test]
    fn text_flags_and_skipped_fields_are_lenient() {
        let found = holder(
            json!({"one": {"data": {"name": 7}}, "flag": "Y", "skipped": {"deep": [1, 2, {"x": null}]}}),
        );
        assert_eq!(found.one.0.unwrap().name.0.as_deref(), Some("7"));
        assert_eq!(found.flag.0, Some(true));
        for (value, expected) in [
            (json!(false), Some(false)),
            (json!("F"), Some(false)),
            (json!("yes"), Some(true)),
            (json!(1), Some(true)),
            (json!("perhaps"), None),
            (json!(null), None),
        ] {
            assert_eq!(holder(json!({ "flag": value })).flag.0, expected);
        }
        assert!(
            holder(json!({"one": {"data": {"name": "   "}}}))
                .one
                .0
                .unwrap()
                .name
                .0
                .is_none()
        );
    }

    #[test]
    fn a_bad_timestamp_fails_the_record() {
        assert!(holder(json!({"at": null})).at.0.is_none());
        assert!(serde_json::from_value::<Holder>(json!({"at": {"date": "soon"}})).is_err());
    }

    #[test]
    fn a_page_needs_its_data_list() {
        let convert = |n: Named| n.name.0;
        assert!(
            decode_page(br#"{"data": []}"#, convert)
                .unwrap()
                .records
                .is_empty()
        );
        for broken in [
            &br#"{}"#[..],
            br#"{"data": null}"#,
            br#"{"data": {"name": "x"}}"#,
            br#"{"data": [{"name": "x"}"#,
            br#"{"data": [null]}"#,
            br#"{"data": []} trailing"#,
            b"<html>Service Unavailable</html>",
        ] {
            assert!(
                decode_page(broken, convert).is_err(),
                "{}",
                String::from_utf8_lossy(broken)
            );
        }
    }

    #[test]
    fn problems_name_the_place_but_not_the_value() {
        #[derive(Debug, Deserialize)]
        struct Strict {
            #[allow(dead_code)]
            count: u32,
        }
        let problem = decode_page(
            br#"{"data": [{"count": 1}, {"count": "Amelia Smith"}]}"#,
            |s: Strict| s,
        )
        .unwrap_err();
        assert_eq!(problem.at, "data[1].count");
        assert!(
            problem.reason.starts_with("invalid type, expected u32"),
            "{}",
            problem.reason
        );
        assert!(!problem.reason.contains("Amelia"));
    }

    #[test]
    fn pagination_is_read_when_present() {
        let page = decode_page(
            br#"{"data": [], "meta": {"pagination": {"next": "https://api.wonde.com/v1.0/schools/A1/students?page=2", "more": true, "per_page": 200, "current_page": 1}}}"#,
            |n: Named| n,
        )
        .unwrap();
        assert_eq!(page.more, Some(true));
        assert!(page.next.unwrap().ends_with("page=2"));
    }
}
