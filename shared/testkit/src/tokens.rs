//! Access tokens for tests and the dev stack, signed with a local key set
//! the way the auth function signs real ones.

use std::path::Path;

use domain::{Role, Roles, SchoolId, StaffId};
use platform::auth::{ACCESS_TOKEN_SECONDS, Claims};
use platform::{SigningKeys, TokenVerifier};

pub const ISSUER: &str = "classlights-local";
pub const AUDIENCE: &str = "classlights-api";

/// A local signing key set.
#[derive(Clone, Debug)]
pub struct SigningKey {
    pub keys: SigningKeys,
}

impl SigningKey {
    pub fn generate() -> Self {
        Self {
            keys: SigningKeys::generate("local"),
        }
    }

    pub fn kid(&self) -> &str {
        &self.keys.current
    }

    pub fn load(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let keys = SigningKeys::from_json(&text).map_err(std::io::Error::other)?;
        Ok(Self { keys })
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.keys.to_json())
    }

    /// The key set as the auth function reads it from its secret.
    pub fn to_json(&self) -> String {
        self.keys.to_json()
    }

    /// The public key set that verifies these tokens.
    pub fn jwks(&self) -> String {
        self.keys.jwks()
    }

    /// A verifier that trusts this key set, as every function is configured.
    pub fn verifier(&self) -> TokenVerifier {
        self.keys.verifier(ISSUER, AUDIENCE)
    }

    /// Signs any claims with the current key.
    pub fn sign(&self, claims: &Claims) -> String {
        self.keys
            .signer(ISSUER, AUDIENCE)
            .expect("a generated key set signs")
            .sign(claims)
    }

    /// A token for one role, valid for 15 minutes.
    pub fn token(&self, school: &SchoolId, user: &StaffId, role: Role) -> String {
        self.sign(&claims(school, user, role, ACCESS_TOKEN_SECONDS))
    }

    /// A token for several roles, valid for 15 minutes.
    pub fn token_with_roles(&self, school: &SchoolId, user: &StaffId, roles: Roles) -> String {
        let mut claims = claims(school, user, Role::Teacher, ACCESS_TOKEN_SECONDS);
        claims.roles = roles;
        self.sign(&claims)
    }
}

/// Claims as the auth function issues them, living `seconds` from now
/// (negative for an expired token). Support tokens name a grant `grant-test`.
pub fn claims(school: &SchoolId, user: &StaffId, role: Role, seconds: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: user.to_string(),
        school: Some(school.to_string()),
        roles: Roles::new([role]),
        grant: (role == Role::Support).then(|| "grant-test".to_owned()),
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now,
        nbf: now,
        exp: now + seconds,
    }
}
