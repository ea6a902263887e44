//! Access tokens: short-lived JWTs signed by the auth function with an
//! Ed25519 key. Functions hold only the public keys (a JWKS), pin the
//! algorithm, and check the key id, issuer, audience, expiry and start. The
//! caller's school, user and roles come from the token and nowhere else:
//! this is the tenant wall's first brick.

use std::collections::HashMap;

use domain::{Permission, Role, Roles, SchoolId, Scope, StaffId};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::Request;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, env_var};
use crate::problem::Problem;

/// How long an access token lives.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user: a member of staff's roster id, a parent's or a support
    /// engineer's account id.
    pub sub: String,
    /// The school the token acts in; parents' tokens and support tokens
    /// before a grant is chosen have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school: Option<String>,
    pub roles: Roles,
    /// The support grant a support token acts under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<String>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
}

/// Who is calling a school's routes: from a verified token only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub school: SchoolId,
    pub user: StaffId,
    pub roles: Roles,
    /// When the token was issued (seconds since the epoch): a token older
    /// than the user's last revocation is refused.
    pub issued_at: i64,
    /// For vendor support, the grant the school gave.
    pub grant: Option<String>,
}

impl Caller {
    /// Passes if one of the caller's roles carries the permission; 403
    /// otherwise.
    pub fn require(&self, permission: Permission) -> Result<(), Problem> {
        if self.roles.allows(permission) {
            Ok(())
        } else {
            Err(Problem::forbidden("your role does not allow this"))
        }
    }

    pub fn allows(&self, permission: Permission) -> bool {
        self.roles.allows(permission)
    }

    /// How far the permission reaches for the caller, widest first.
    pub fn scopes(&self, permission: Permission) -> Vec<Scope> {
        self.roles.scopes(permission)
    }

    pub fn is_support(&self) -> bool {
        self.roles.contains(Role::Support)
    }
}

/// Verifies access tokens against a fixed set of public keys.
pub struct TokenVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl TokenVerifier {
    /// Builds a verifier from a JWKS document of Ed25519 public keys. Every
    /// key in the set is accepted, so a retired key keeps working until the
    /// set is changed.
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
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
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

    /// The verified claims of a request's `Authorization: Bearer` token.
    pub fn claims(&self, request: &Request) -> Result<Claims, Problem> {
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

    /// The caller of a school's route. A token without a school (a parent's,
    /// or support before a grant) is refused with 403.
    pub fn caller(&self, request: &Request) -> Result<Caller, Problem> {
        to_caller(self.claims(request)?)
    }

    /// Checks a token's signature, algorithm, key id, issuer, audience,
    /// expiry and start.
    pub fn verify(&self, token: &str) -> Result<Claims, Problem> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| refused())?;
        if header.alg != Algorithm::EdDSA {
            return Err(refused());
        }
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
        Ok(data.claims)
    }
}

fn refused() -> Problem {
    Problem::unauthenticated("the access token is invalid or has expired")
}

/// The caller a verified token names, if it acts in a school.
pub fn to_caller(claims: Claims) -> Result<Caller, Problem> {
    let Some(school) = claims.school.as_deref() else {
        return Err(Problem::forbidden(
            "this token does not act in a school; sign in as a member of staff",
        ));
    };
    let school = SchoolId::parse(school).map_err(|_| refused())?;
    let user = StaffId::parse(&claims.sub).map_err(|_| refused())?;
    if claims.roles.contains(Role::Support) && claims.grant.is_none() {
        return Err(Problem::forbidden(
            "support staff reach a school only through a grant from its admin",
        ));
    }
    if claims.roles.is_empty() {
        return Err(Problem::forbidden(
            "your account holds no role in this school",
        ));
    }
    Ok(Caller {
        school,
        user,
        roles: claims.roles,
        issued_at: claims.iat,
        grant: claims.grant,
    })
}
