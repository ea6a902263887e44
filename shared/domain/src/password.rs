//! What makes a password acceptable: long enough, not absurdly long, and
//! not one of the passwords everyone tries first.

const COMMON: &str = include_str!("common_passwords.txt");

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 10;
/// The longest password accepted, in characters; hashing a megabyte is a
/// denial of service, not a password.
pub const MAX_LENGTH: usize = 128;

/// Why a password was refused, worded for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {MIN_LENGTH} characters")]
    TooShort,
    #[error("must be at most {MAX_LENGTH} characters")]
    TooLong,
    #[error("is one of the most common passwords; choose another, such as three unrelated words")]
    Common,
    #[error("must not contain your email address")]
    ContainsEmail,
}

/// Checks a new password. `email` is the account's address: a password
/// built from it is as guessable as a common one.
pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    if is_common(password) {
        return Err(PasswordError::Common);
    }
    let lowered = password.to_lowercase();
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.len() >= 4 && lowered.contains(&local) {
        return Err(PasswordError::ContainsEmail);
    }
    Ok(())
}

/// Whether the password, or its core without the digits and symbols people
/// add at either end ("Password2024!"), is on the common list, or is one
/// character repeated.
pub fn is_common(password: &str) -> bool {
    let lowered = password.to_lowercase();
    let core = lowered.trim_matches(|c: char| !c.is_alphabetic());
    let mut characters = lowered.chars();
    let first = characters.next();
    if characters.all(|c| Some(c) == first) {
        return true;
    }
    COMMON
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .any(|common| common == lowered || common == core)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_long_unusual_password() {
        assert_eq!(
            check_new_password("correct horse battery", "j.bloggs@school.org"),
            Ok(())
        );
    }

    #[test]
    fn refuses_short_long_and_common_passwords() {
        let email = "j.bloggs@school.org";
        assert_eq!(
            check_new_password("Ab3$efg", email),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_new_password(&"x".repeat(129), email),
            Err(PasswordError::TooLong)
        );
        for common in [
            "1234567890",
            "Password2024!",
            "qwertyuiop",
            "Liverpool1234",
            "zzzzzzzzzzzz",
        ] {
            assert_eq!(
                check_new_password(common, email),
                Err(PasswordError::Common),
                "{common}"
            );
        }
    }

    #[test]
    fn refuses_a_password_built_from_the_email() {
        assert_eq!(
            check_new_password("j.bloggs2026!", "J.Bloggs@school.org"),
            Err(PasswordError::ContainsEmail)
        );
    }

    #[test]
    fn counts_characters_not_bytes() {
        assert_eq!(
            check_new_password("ééééééééé", "a@b.c"),
            Err(PasswordError::TooShort)
        );
    }
}
