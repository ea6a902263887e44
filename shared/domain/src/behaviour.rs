//! Free text that staff attach to behaviours. Notes may hold personal
//! details, so their `Debug` never prints the text and they never reach logs.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

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
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
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
        assert_eq!(Note::parse("  kind to a friend ").unwrap().as_str(), "kind to a friend");
        assert_eq!(Note::parse("   "), Err(TextError::Blank));
        assert_eq!(Note::parse(&"é".repeat(1001)), Err(TextError::TooLong { max: 1000 }));
        assert!(Note::parse(&"é".repeat(1000)).is_ok());
        assert_eq!(Note::parse("a\u{0}b"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn debug_output_hides_the_text() {
        let note = Note::parse("Sam hit Alex").unwrap();
        assert_eq!(format!("{note:?}"), "Note(12 chars)");
    }
}
