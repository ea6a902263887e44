//! Email addresses, compared the way people expect: without surrounding
//! spaces and without regard to case.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The longest address SMTP allows.
const MAX_LENGTH: usize = 254;

/// A plausible email address, trimmed and lower-cased.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not an email address")]
pub struct EmailError;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let address = raw.trim().to_lowercase();
        let (local, domain) = address.split_once('@').ok_or(EmailError)?;
        let plausible = address.len() <= MAX_LENGTH
            && !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !address.chars().any(|c| c.is_whitespace() || c.is_control());
        if plausible {
            Ok(Self(address))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Addresses are personal data: debug output never shows one.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(..)")
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Email::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_without_case_or_spaces() {
        assert_eq!(
            Email::parse("  J.Bloggs@School.ORG ").unwrap(),
            Email::parse("j.bloggs@school.org").unwrap()
        );
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for raw in [
            "",
            "nobody",
            "@school.org",
            "a@localhost",
            "a@b@c.org",
            "a b@c.org",
            "a@.org",
        ] {
            assert_eq!(Email::parse(raw), Err(EmailError), "{raw}");
        }
    }

    #[test]
    fn never_shows_the_address_in_debug_output() {
        let email = Email::parse("j.bloggs@school.org").unwrap();
        assert!(!format!("{email:?}").contains("bloggs"));
    }
}
