//! One-time codes and refresh tokens: random, shown to their owner once,
//! stored only as digests.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A six-digit code, as emailed.
pub fn new_code() -> String {
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random source works");
    format!("{:06}", u64::from_le_bytes(bytes) % 1_000_000)
}

/// SHA-256 of a secret, in hex.
pub fn digest(secret: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, secret.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A random id or secret of `bytes` bytes, URL-safe.
pub fn random(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buffer).expect("the system random source works");
    URL_SAFE_NO_PAD.encode(buffer)
}

/// A refresh token names its session: `<family>.<secret>`.
pub fn refresh_token(family: &str) -> String {
    format!("{family}.{}", random(32))
}

/// The session a refresh token claims to belong to, if it is well formed.
pub fn family_of(token: &str) -> Option<&str> {
    let (family, secret) = token.split_once('.')?;
    let plausible = |part: &str| {
        (16..=64).contains(&part.len())
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    (plausible(family) && plausible(secret)).then_some(family)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_six_digits() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 6);
            assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn refresh_tokens_name_their_family() {
        let family = random(16);
        let token = refresh_token(&family);
        assert_eq!(family_of(&token), Some(family.as_str()));
        assert_eq!(family_of("nonsense"), None);
        assert_eq!(family_of("a.b"), None);
        assert_ne!(digest(&token), digest(&refresh_token(&family)));
    }
}
