//! The keys that sign access tokens, held only by the auth function (in AWS
//! Secrets Manager). A key set has one current key that signs and any
//! number of older ones that still verify, so a rotation logs nobody out:
//! add a key, publish the new public set to every function, make the new
//! key current, and retire the old one once its last tokens have expired.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use domain::{Roles, SchoolId};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};

use crate::auth::{ACCESS_TOKEN_SECONDS, Claims, TokenVerifier};
use crate::config::ConfigError;

/// One Ed25519 key pair and its id.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyMaterial {
    pub kid: String,
    /// PKCS#8 DER, base64.
    pkcs8: String,
}

/// Every key the auth function knows, and which one signs.
#[derive(Clone, Serialize, Deserialize)]
pub struct SigningKeys {
    pub current: String,
    pub keys: Vec<KeyMaterial>,
}

/// Key sets are secrets: their debug output names the key ids only.
impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("SigningKeys")
            .field("current", &self.current)
            .field("kids", &kids)
            .finish()
    }
}

fn invalid(why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: "signing keys",
        why: why.into(),
    }
}

impl KeyMaterial {
    fn generate(prefix: &str) -> Self {
        let pkcs8 =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key generation works");
        let mut id = [0u8; 8];
        aws_lc_rs::rand::fill(&mut id).expect("the system random source works");
        let kid = format!(
            "{prefix}-{}-{}",
            chrono::Utc::now().format("%Y%m%d"),
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        Self {
            kid,
            pkcs8: STANDARD.encode(pkcs8.as_ref()),
        }
    }

    fn der(&self) -> Result<Vec<u8>, ConfigError> {
        let der = STANDARD
            .decode(&self.pkcs8)
            .map_err(|_| invalid(format!("key {} is not base64", self.kid)))?;
        Ed25519KeyPair::from_pkcs8(&der)
            .map_err(|_| invalid(format!("key {} is not an Ed25519 key", self.kid)))?;
        Ok(der)
    }

    fn public_jwk(&self) -> Result<serde_json::Value, ConfigError> {
        let pair = Ed25519KeyPair::from_pkcs8(&self.der()?)
            .map_err(|_| invalid(format!("key {} is not an Ed25519 key", self.kid)))?;
        Ok(serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
        }))
    }
}

impl SigningKeys {
    /// A new set of one key; `prefix` starts its key id (`local`, `eu-west-2`).
    pub fn generate(prefix: &str) -> Self {
        let key = KeyMaterial::generate(prefix);
        Self {
            current: key.kid.clone(),
            keys: vec![key],
        }
    }

    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let keys: Self = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if !keys.keys.iter().any(|k| k.kid == keys.current) {
            return Err(invalid("the current key is not in the set"));
        }
        for key in &keys.keys {
            key.der()?;
        }
        Ok(keys)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("key sets serialise")
    }

    /// Adds a new key without making it current; returns its id.
    pub fn add(&mut self, prefix: &str) -> String {
        let key = KeyMaterial::generate(prefix);
        let kid = key.kid.clone();
        self.keys.push(key);
        kid
    }

    /// Makes a key of the set the one that signs.
    pub fn promote(&mut self, kid: &str) -> Result<(), ConfigError> {
        if !self.keys.iter().any(|k| k.kid == kid) {
            return Err(invalid(format!("no key {kid} in the set")));
        }
        self.current = kid.to_owned();
        Ok(())
    }

    /// Drops a key that no longer signs.
    pub fn retire(&mut self, kid: &str) -> Result<(), ConfigError> {
        if kid == self.current {
            return Err(invalid("the current key cannot be retired"));
        }
        self.keys.retain(|k| k.kid != kid);
        Ok(())
    }

    /// The public keys of the whole set, as every function is configured.
    pub fn jwks(&self) -> String {
        let keys: Vec<serde_json::Value> = self
            .keys
            .iter()
            .map(|k| k.public_jwk().expect("keys were checked when loaded"))
            .collect();
        serde_json::json!({ "keys": keys }).to_string()
    }

    /// A verifier that trusts every key of the set.
    pub fn verifier(&self, issuer: &str, audience: &str) -> TokenVerifier {
        TokenVerifier::new(&self.jwks(), issuer, audience).expect("a generated key set is valid")
    }

    /// The signer for the current key.
    pub fn signer(&self, issuer: &str, audience: &str) -> Result<TokenSigner, ConfigError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.kid == self.current)
            .ok_or_else(|| invalid("the current key is not in the set"))?;
        Ok(TokenSigner {
            kid: key.kid.clone(),
            key: EncodingKey::from_ed_der(&key.der()?),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }
}

/// Signs access tokens with the current key.
pub struct TokenSigner {
    kid: String,
    key: EncodingKey,
    issuer: String,
    audience: String,
}

/// What an access token is issued for.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub subject: &'a str,
    pub school: Option<&'a SchoolId>,
    pub roles: Roles,
    pub support_grant: Option<&'a str>,
    /// Ends the token early (a support grant's end); never extends it.
    pub not_after: Option<i64>,
}

impl TokenSigner {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A token for `grant`, valid from now for [`ACCESS_TOKEN_SECONDS`] at
    /// most. Returns the token and when it expires.
    pub fn issue(&self, grant: Grant<'_>, now: i64) -> (String, i64) {
        let mut exp = now + ACCESS_TOKEN_SECONDS;
        if let Some(end) = grant.not_after {
            exp = exp.min(end);
        }
        let claims = Claims {
            sub: grant.subject.to_owned(),
            school: grant.school.map(ToString::to_string),
            roles: grant.roles,
            grant: grant.support_grant.map(str::to_owned),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp,
            nbf: now,
            iat: now,
        };
        (self.sign(&claims), exp)
    }

    /// Signs any claims with the current key.
    pub fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).expect("Ed25519 signing does not fail")
    }
}

#[cfg(test)]
mod tests {
    use domain::{Role, StaffId};

    use super::*;

    const ISSUER: &str = "classlights-test";
    const AUDIENCE: &str = "classlights-api";

    fn school() -> SchoolId {
        SchoolId::parse("school-a").unwrap()
    }

    fn claims(seconds: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: "staff-1".into(),
            school: Some("school-a".into()),
            roles: Roles::new([Role::Teacher]),
            grant: None,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: now + seconds,
            nbf: now,
            iat: now,
        }
    }

    fn b64(value: &serde_json::Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn a_signed_token_names_its_caller() {
        let keys = SigningKeys::generate("test");
        let signer = keys.signer(ISSUER, AUDIENCE).unwrap();
        let (token, _) = signer.issue(
            Grant {
                subject: "staff-1",
                school: Some(&school()),
                roles: Roles::new([Role::Teacher, Role::Tutor]),
                support_grant: None,
                not_after: None,
            },
            chrono::Utc::now().timestamp(),
        );
        let claims = keys.verifier(ISSUER, AUDIENCE).verify(&token).unwrap();
        let caller = crate::auth::to_caller(claims).unwrap();
        assert_eq!(caller.school, school());
        assert_eq!(caller.user, StaffId::parse("staff-1").unwrap());
        assert_eq!(caller.roles, Roles::new([Role::Tutor, Role::Teacher]));
    }

    #[test]
    fn forged_tokens_are_refused() {
        let keys = SigningKeys::generate("test");
        let signer = keys.signer(ISSUER, AUDIENCE).unwrap();
        let verifier = keys.verifier(ISSUER, AUDIENCE);
        let good = signer.sign(&claims(600));
        assert!(verifier.verify(&good).is_ok());
        let [header, payload, signature]: [&str; 3] =
            good.split('.').collect::<Vec<_>>().try_into().unwrap();

        let mut forged: Vec<(&str, String)> = Vec::new();

        // No signature at all.
        let none = b64(&serde_json::json!({"alg": "none", "typ": "JWT", "kid": keys.current}));
        forged.push(("alg none", format!("{none}.{payload}.")));

        // HS256 keyed with the public key, the classic confusion attack.
        let jwks: serde_json::Value = serde_json::from_str(&keys.jwks()).unwrap();
        let public = URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["x"].as_str().unwrap())
            .unwrap();
        let mut hs = Header::new(Algorithm::HS256);
        hs.kid = Some(keys.current.clone());
        forged.push((
            "HS256 with the public key",
            jsonwebtoken::encode(&hs, &claims(600), &EncodingKey::from_secret(&public)).unwrap(),
        ));

        forged.push(("expired", signer.sign(&claims(-120))));
        let mut early = claims(600);
        early.nbf += 300;
        forged.push(("not yet valid", signer.sign(&early)));
        let mut issuer = claims(600);
        issuer.iss = "someone-else".into();
        forged.push(("wrong issuer", signer.sign(&issuer)));
        let mut audience = claims(600);
        audience.aud = "another-api".into();
        forged.push(("wrong audience", signer.sign(&audience)));

        let stranger = SigningKeys::generate("stranger");
        forged.push((
            "unknown kid",
            stranger
                .signer(ISSUER, AUDIENCE)
                .unwrap()
                .sign(&claims(600)),
        ));
        let mut renamed = Header::new(Algorithm::EdDSA);
        renamed.kid = Some(keys.current.clone());
        forged.push((
            "right kid, wrong key",
            jsonwebtoken::encode(
                &renamed,
                &claims(600),
                &stranger.signer(ISSUER, AUDIENCE).unwrap().key,
            )
            .unwrap(),
        ));

        let mut admin = claims(600);
        admin.roles = Roles::new([Role::Admin]);
        forged.push((
            "tampered payload",
            format!(
                "{header}.{}.{signature}",
                b64(&serde_json::to_value(&admin).unwrap())
            ),
        ));
        forged.push(("garbage", "not.a.token".into()));

        for (what, token) in forged {
            let problem = verifier.verify(&token).expect_err(what);
            assert_eq!(problem.status, 401, "{what}");
        }
    }

    #[test]
    fn rotation_keeps_old_tokens_valid_until_the_key_is_retired() {
        let mut keys = SigningKeys::generate("test");
        let old_kid = keys.current.clone();
        let old_token = keys.signer(ISSUER, AUDIENCE).unwrap().sign(&claims(600));

        let new_kid = keys.add("test");
        keys.promote(&new_kid).unwrap();
        let new_token = keys.signer(ISSUER, AUDIENCE).unwrap().sign(&claims(600));
        let verifier = keys.verifier(ISSUER, AUDIENCE);
        assert!(verifier.verify(&old_token).is_ok());
        assert!(verifier.verify(&new_token).is_ok());
        assert_eq!(
            jsonwebtoken::decode_header(&new_token).unwrap().kid,
            Some(new_kid.clone())
        );

        keys.retire(&old_kid).unwrap();
        let verifier = keys.verifier(ISSUER, AUDIENCE);
        assert_eq!(verifier.verify(&old_token).unwrap_err().status, 401);
        assert!(verifier.verify(&new_token).is_ok());
        assert!(keys.retire(&new_kid).is_err());

        let reloaded = SigningKeys::from_json(&keys.to_json()).unwrap();
        assert_eq!(reloaded.current, new_kid);
        assert!(!format!("{reloaded:?}").contains(&reloaded.keys[0].pkcs8));
    }

    #[test]
    fn support_tokens_need_a_grant_and_parents_have_no_school() {
        let mut support = claims(600);
        support.roles = Roles::new([Role::Support]);
        assert_eq!(
            crate::auth::to_caller(support.clone()).unwrap_err().status,
            403
        );
        support.grant = Some("grant-1".into());
        assert!(crate::auth::to_caller(support).is_ok());

        let mut parent = claims(600);
        parent.school = None;
        parent.roles = Roles::new([Role::Parent]);
        assert_eq!(crate::auth::to_caller(parent).unwrap_err().status, 403);
    }

    #[test]
    fn support_grants_shorten_tokens() {
        let keys = SigningKeys::generate("test");
        let now = chrono::Utc::now().timestamp();
        let (_, exp) = keys.signer(ISSUER, AUDIENCE).unwrap().issue(
            Grant {
                subject: "support-1",
                school: Some(&school()),
                roles: Roles::new([Role::Support]),
                support_grant: Some("grant-1"),
                not_after: Some(now + 60),
            },
            now,
        );
        assert_eq!(exp, now + 60);
    }
}
