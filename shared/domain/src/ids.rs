//! Identifiers. Each one can only hold a value that is safe to use in a
//! storage key, a URL and a log line, so code that holds one never checks it
//! again.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("may only contain letters, digits, '-' and '_'")]
    BadCharacter,
    #[error("is not a valid behaviour id")]
    NotUlid,
}

const MAX_ID_LEN: usize = 64;

fn check_id(raw: &str) -> Result<(), IdError> {
    if raw.is_empty() {
        return Err(IdError::Empty);
    }
    if raw.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { max: MAX_ID_LEN });
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(IdError::BadCharacter);
    }
    Ok(())
}

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses an id, rejecting anything unsafe for keys and URLs.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                check_id(raw)?;
                Ok(Self(raw.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(raw: &str) -> Result<Self, IdError> {
                Self::parse(raw)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
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

text_id!(
    /// A school, as known to the service (the tenant).
    SchoolId
);
text_id!(
    /// A pupil of one school (the MIS id, stable across syncs).
    PupilId
);
text_id!(
    /// A teaching class or group of one school.
    ClassId
);
text_id!(
    /// A member of staff (or any signed-in user) of one school.
    StaffId
);
text_id!(
    /// One of a school's behaviour types, as set in its policy.
    BehaviourTypeId
);

/// A logged behaviour: a time-ordered ULID, so ids sort by when they were
/// logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BehaviourId(ulid::Ulid);

impl BehaviourId {
    pub fn new(ulid: ulid::Ulid) -> Self {
        Self(ulid)
    }

    pub fn parse(raw: &str) -> Result<Self, IdError> {
        ulid::Ulid::from_string(raw)
            .map(Self)
            .map_err(|_| IdError::NotUlid)
    }

    pub fn ulid(&self) -> ulid::Ulid {
        self.0
    }
}

impl fmt::Display for BehaviourId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for BehaviourId {
    type Err = IdError;

    fn from_str(raw: &str) -> Result<Self, IdError> {
        Self::parse(raw)
    }
}

impl Serialize for BehaviourId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for BehaviourId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_mis_style_ids() {
        assert_eq!(
            PupilId::parse("A1329183376").unwrap().as_str(),
            "A1329183376"
        );
        assert!(ClassId::parse("7X-maths_1").is_ok());
    }

    #[test]
    fn rejects_ids_unsafe_for_keys() {
        assert_eq!(SchoolId::parse(""), Err(IdError::Empty));
        assert_eq!(SchoolId::parse("a#b"), Err(IdError::BadCharacter));
        assert_eq!(SchoolId::parse("a b"), Err(IdError::BadCharacter));
        assert_eq!(
            SchoolId::parse(&"x".repeat(65)),
            Err(IdError::TooLong { max: 64 })
        );
    }

    #[test]
    fn behaviour_ids_round_trip_through_json() {
        let id = BehaviourId::new(ulid::Ulid::new());
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<BehaviourId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<BehaviourId>("\"not-a-ulid\"").is_err());
    }
}
