//! Opaque list cursors. A cursor is the position of a list, sealed with
//! AES-256-GCM under a key only the service holds and bound to the school it
//! was given to: a client can neither read nor forge one, and a cursor from
//! one school is useless in another.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::SchoolId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::{ConfigError, env_var};
use crate::problem::Problem;

/// Seals and opens cursors.
pub struct CursorSigner {
    key: LessSafeKey,
}

impl CursorSigner {
    /// A signer keyed by a secret of at least 32 characters.
    pub fn new(secret: &str) -> Result<Self, ConfigError> {
        if secret.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "CURSOR_KEY",
                why: "needs at least 32 characters".into(),
            });
        }
        let material = digest(&SHA256, secret.as_bytes());
        let key = UnboundKey::new(&AES_256_GCM, material.as_ref()).expect("a 32-byte key");
        Ok(Self {
            key: LessSafeKey::new(key),
        })
    }

    /// Reads the secret from `CURSOR_KEY`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(&env_var("CURSOR_KEY")?)
    }

    /// Seals a list position for one school.
    pub fn seal<T: Serialize>(&self, school: &SchoolId, position: &T) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).expect("the system random source works");
        let mut sealed = serde_json::to_vec(position).expect("positions serialise");
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(school.as_str().as_bytes()),
                &mut sealed,
            )
            .expect("sealing a small buffer succeeds");

        let mut token = nonce.to_vec();
        token.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(token)
    }

    /// Opens a cursor given to this school; anything else is a 400 on the
    /// `cursor` parameter.
    pub fn open<T: DeserializeOwned>(&self, school: &SchoolId, cursor: &str) -> Result<T, Problem> {
        let refused = || Problem::invalid_field("cursor", "is not a cursor this list gave you");

        let mut token = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
        if token.len() <= NONCE_LEN {
            return Err(refused());
        }
        let mut sealed = token.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&token).map_err(|_| refused())?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(school.as_str().as_bytes()), &mut sealed)
            .map_err(|_| refused())?;
        serde_json::from_slice(plain).map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> CursorSigner {
        CursorSigner::new("a test secret that is long enough!!").unwrap()
    }

    #[test]
    fn a_cursor_opens_for_its_own_school_only() {
        let ours = SchoolId::parse("ours").unwrap();
        let theirs = SchoolId::parse("theirs").unwrap();
        let cursor = signer().seal(&ours, &("position", 7));
        assert_eq!(
            signer().open::<(String, u32)>(&ours, &cursor).unwrap(),
            ("position".into(), 7)
        );
        assert_eq!(
            signer()
                .open::<(String, u32)>(&theirs, &cursor)
                .unwrap_err()
                .status,
            400
        );
    }

    #[test]
    fn tampered_cursors_are_refused() {
        let school = SchoolId::parse("ours").unwrap();
        let cursor = signer().seal(&school, &"position");
        let mut bytes = cursor.into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(signer().open::<String>(&school, &tampered).is_err());
        assert!(signer().open::<String>(&school, "!!").is_err());
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(CursorSigner::new("short").is_err());
    }
}
