//! Access tokens for tests and the dev stack, signed with a local Ed25519
//! key the way the auth function signs real ones.

use std::path::Path;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use domain::{Role, SchoolId, StaffId};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use platform::TokenVerifier;
use platform::auth::Claims;
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "classlights-local";
pub const AUDIENCE: &str = "classlights-api";

/// A private signing key and its key id.
#[derive(Clone, Serialize, Deserialize)]
pub struct SigningKey {
    pub kid: String,
    /// PKCS#8 DER, base64.
    pkcs8: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn generate() -> Self {
        let pkcs8 =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key generation works");
        let kid = format!("local-{}", ulid::Ulid::new().to_string().to_lowercase());
        Self {
            kid,
            pkcs8: STANDARD.encode(pkcs8.as_ref()),
        }
    }

    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, serde_json::to_string(self).expect("keys serialise"))
    }

    fn der(&self) -> Vec<u8> {
        STANDARD
            .decode(&self.pkcs8)
            .expect("stored keys are base64")
    }

    /// The public key set that verifies this key's tokens.
    pub fn jwks(&self) -> String {
        let pair = Ed25519KeyPair::from_pkcs8(&self.der()).expect("a valid Ed25519 key");
        let x = URL_SAFE_NO_PAD.encode(pair.public_key().as_ref());
        serde_json::json!({
            "keys": [{ "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": self.kid, "x": x }]
        })
        .to_string()
    }

    /// A verifier that trusts this key, as every function is configured.
    pub fn verifier(&self) -> TokenVerifier {
        TokenVerifier::new(&self.jwks(), ISSUER, AUDIENCE).expect("the local key set is valid")
    }

    /// Signs any claims.
    pub fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let key = EncodingKey::from_ed_der(&self.der());
        jsonwebtoken::encode(&header, claims, &key).expect("signing works")
    }

    /// A token valid for 15 minutes.
    pub fn token(&self, school: &SchoolId, user: &StaffId, role: Role) -> String {
        self.sign(&claims(school, user, role, 15 * 60))
    }
}

/// Claims as the auth function issues them, living `seconds` from now
/// (negative for an expired token).
pub fn claims(school: &SchoolId, user: &StaffId, role: Role, seconds: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: user.to_string(),
        school: school.to_string(),
        role,
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now,
        exp: now + seconds,
    }
}
