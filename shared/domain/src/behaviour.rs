//! A logged behaviour and its withdrawal, as facts, and the free text staff
//! attach to them. Notes may hold personal details, so their `Debug` never
//! prints the text and they never reach logs or queues.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{BehaviourId, BehaviourTypeId, ClassId, PupilId, StaffId};

/// A behaviour logged for one pupil in one lesson. Immutable once written;
/// a withdrawal is a later fact that refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Behaviour {
    pub id: BehaviourId,
    pub pupil_id: PupilId,
    pub class_id: ClassId,
    pub behaviour_type_id: BehaviourTypeId,
    /// The type's name when it was logged.
    pub behaviour_type_name: String,
    pub positive: bool,
    pub points: i32,
    pub steps: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
    pub occurred_at: DateTime<Utc>,
    /// The school-local date of the lesson the behaviour belongs to.
    pub lesson_date: NaiveDate,
    pub logged_at: DateTime<Utc>,
    pub logged_by: StaffId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
}

/// The fact that a behaviour was logged by mistake and no longer counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    pub id: BehaviourId,
    pub reason: Reason,
    pub withdrawn_at: DateTime<Utc>,
    pub withdrawn_by: StaffId,
}

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be blank")]
    Blank,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
}

fn clean(raw: &str, max: usize) -> Result<String, TextError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(TextError::Blank);
    }
    if text.chars().count() > max {
        return Err(TextError::TooLong { max });
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(TextError::ControlCharacter);
    }
    Ok(text.to_owned())
}

macro_rules! private_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            /// Trims the text and checks its length and characters.
            pub fn parse(raw: &str) -> Result<Self, TextError> {
                clean(raw, Self::MAX_CHARS).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({} chars)", stringify!($name), self.0.chars().count())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

private_text!(
    /// A note on a logged behaviour: what happened, in the teacher's words.
    Note,
    1000
);
private_text!(
    /// Why a behaviour was withdrawn.
    Reason,
    500
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_trimmed_and_bounded() {
        assert_eq!(
            Note::parse("  kind to a friend ").unwrap().as_str(),
            "kind to a friend"
        );
        assert_eq!(Note::parse("   "), Err(TextError::Blank));
        assert_eq!(
            Note::parse(&"é".repeat(1001)),
            Err(TextError::TooLong { max: 1000 })
        );
        assert!(Note::parse(&"é".repeat(1000)).is_ok());
        assert_eq!(Note::parse("a\u{0}b"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn debug_output_hides_the_text() {
        let note = Note::parse("Sam hit Alex").unwrap();
        assert_eq!(format!("{note:?}"), "Note(12 chars)");
    }
}
