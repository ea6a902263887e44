//! Access tokens: short-lived JWTs signed by the auth function with an
//! Ed25519 key. Functions hold only the public keys (a JWKS), pin the
//! algorithm, and check issuer, audience and expiry. The caller's school,
//! user and role come from the token and nowhere else: this is the tenant
//! wall's first brick.

use std::collections::HashMap;

use domain::{Permission, Role, SchoolId, StaffId};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::Request;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, env_var};
use crate::problem::Problem;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub school: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
}

/// Who is calling: from a verified token only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub school: SchoolId,
    pub user: StaffId,
    pub role: Role,
}

impl Caller {
    /// Passes if the caller's role carries the permission; 403 otherwise.
    pub fn require(&self, permission: Permission) -> Result<(), Problem> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(Problem::forbidden("your role does not allow this"))
        }
    }
}

/// Verifies access tokens against a fixed set of public keys.
pub struct TokenVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl TokenVerifier {
    /// Builds a verifier from a JWKS document of Ed25519 public keys.
    pub fn new(jwks: &str, issuer: &str, audience: &str) -> Result<Self, ConfigError> {
        let invalid = |why: String| ConfigError::Invalid {
            name: "ACCESS_TOKEN_JWKS",
            why,
        };
        let set: JwkSet = serde_json::from_str(jwks).map_err(|e| invalid(e.to_string()))?;

        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let kid = jwk
                .common
                .key_id
                .clone()
                .ok_or_else(|| invalid("a key has no kid".into()))?;
            let key = DecodingKey::from_jwk(jwk).map_err(|e| invalid(e.to_string()))?;
            keys.insert(kid, key);
        }
        if keys.is_empty() {
            return Err(invalid("the key set is empty".into()));
        }

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self { keys, validation })
    }

    /// Reads `ACCESS_TOKEN_JWKS`, `ACCESS_TOKEN_ISSUER` and
    /// `ACCESS_TOKEN_AUDIENCE`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(
            &env_var("ACCESS_TOKEN_JWKS")?,
            &env_var("ACCESS_TOKEN_ISSUER")?,
            &env_var("ACCESS_TOKEN_AUDIENCE")?,
        )
    }

    /// The caller of a request, from its `Authorization: Bearer` token.
    pub fn caller(&self, request: &Request) -> Result<Caller, Problem> {
        let header = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .ok_or_else(|| {
                Problem::unauthenticated("send an access token as 'Authorization: Bearer <token>'")
            })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Problem::unauthenticated("the Authorization header must hold a Bearer token")
            })?;
        self.verify(token)
    }

    /// Checks a token's signature, algorithm, issuer, audience and expiry.
    pub fn verify(&self, token: &str) -> Result<Caller, Problem> {
        let refused = || Problem::unauthenticated("the access token is invalid or has expired");

        let header = jsonwebtoken::decode_header(token).map_err(|_| refused())?;
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.get(kid))
            .ok_or_else(refused)?;
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|error| {
                tracing::debug!(reason = ?error.kind(), "access token refused");
                refused()
            })?;

        let claims = data.claims;
        let school = SchoolId::parse(&claims.school).map_err(|_| refused())?;
        let user = StaffId::parse(&claims.sub).map_err(|_| refused())?;
        Ok(Caller {
            school,
            user,
            role: claims.role,
        })
    }
}
