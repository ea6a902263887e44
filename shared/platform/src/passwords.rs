//! Password hashing with Argon2id, for the auth function and the tools that
//! open accounts (the operator's and the dev stack's), sized for a small function: 19 MiB of
//! memory, two passes, one lane (the OWASP baseline), so a 128 MB function
//! hashes without running short.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory per hash, in KiB.
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Passes over the memory.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// Hashes and checks passwords.
pub struct Passwords {
    argon: Argon2<'static>,
    /// A hash of nothing anyone knows, checked when an address has no
    /// account, so that both cases take the same time.
    decoy: String,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

impl Passwords {
    pub fn new() -> Self {
        let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
            .expect("the Argon2 parameters are valid");
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut passwords = Self {
            argon,
            decoy: String::new(),
        };
        passwords.decoy = passwords.hash(&random_text());
        passwords
    }

    /// A PHC string holding the salt, the parameters and the hash.
    pub fn hash(&self, password: &str) -> String {
        let mut salt = [0u8; 16];
        aws_lc_rs::rand::fill(&mut salt).expect("the system random source works");
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
        self.argon
            .hash_password(password.as_bytes(), &salt)
            .expect("hashing with valid parameters does not fail")
            .to_string()
    }

    /// Whether the password matches the stored hash. A stored hash that
    /// cannot be read never matches.
    pub fn verify(&self, password: &str, stored: &str) -> bool {
        match PasswordHash::new(stored) {
            Ok(hash) => self
                .argon
                .verify_password(password.as_bytes(), &hash)
                .is_ok(),
            Err(_) => {
                tracing::error!("a stored password hash cannot be read");
                false
            }
        }
    }

    /// Spends the time a real check would, for an address with no account.
    pub fn verify_decoy(&self, password: &str) {
        let _ = self.verify(password, &self.decoy);
    }
}

fn random_text() -> String {
    let mut bytes = [0u8; 24];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let passwords = Passwords::new();
        let hash = passwords.hash("correct horse battery");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(passwords.verify("correct horse battery", &hash));
        assert!(!passwords.verify("correct horse battery!", &hash));
        assert!(!passwords.verify("anything", "not a hash"));
        assert_ne!(hash, passwords.hash("correct horse battery"), "salted");
    }
}
