//! Where a school's safeguarding concerns are forwarded: a webhook URL that
//! can only hold an address we are willing to post children's data to.

use std::fmt;

const MAX_URL: usize = 512;

/// An `https` URL with a host and no credentials; or, only where the
/// service runs on a developer's machine, `http` to this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Parses a URL. `allow_local_http` admits `http://127.0.0.1` and
    /// `http://localhost` (any port), for the local stack and tests.
    pub fn parse(raw: &str, allow_local_http: bool) -> Result<Self, &'static str> {
        if raw.is_empty() || raw.len() > MAX_URL {
            return Err("must be 1 to 512 characters");
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces or control characters");
        }
        let (rest, local_only) = if let Some(rest) = raw.strip_prefix("https://") {
            (rest, false)
        } else if let Some(rest) = raw.strip_prefix("http://") {
            (rest, true)
        } else {
            return Err("must be an https URL");
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err("must not carry a user name or password");
        }
        if raw.contains('#') {
            return Err("must not have a fragment");
        }
        let host = match authority.rsplit_once(':') {
            Some((host, port)) => {
                if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5 {
                    return Err("has an invalid port");
                }
                host
            }
            None => authority,
        };
        let valid_host = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !host.starts_with(['.', '-'])
            && !host.ends_with(['.', '-']);
        if !valid_host {
            return Err("must name a host");
        }
        if local_only {
            let local = host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost");
            if !(allow_local_http && local) {
                return Err("must be an https URL");
            }
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_urls_with_a_host_are_accepted() {
        for good in [
            "https://safeguarding.example.org/hooks/classlights",
            "https://cpoms.example:8443/in?school=12",
        ] {
            assert!(WebhookUrl::parse(good, false).is_ok(), "{good}");
        }
        for bad in [
            "",
            "http://safeguarding.example.org/hook",
            "ftp://example.org",
            "https://",
            "https://user:pass@example.org/",
            "https://example.org/a b",
            "https://example.org:99999999/",
            "https://example.org/#top",
            "https://.example.org/",
        ] {
            assert!(WebhookUrl::parse(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_http_reaches_only_this_machine_and_only_when_allowed() {
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(WebhookUrl::parse("http://localhost/hook", true).is_ok());
        assert!(WebhookUrl::parse("http://127.0.0.1:8080/hook", false).is_err());
        assert!(WebhookUrl::parse("http://10.0.0.1/hook", true).is_err());
        assert!(WebhookUrl::parse("http://localhost.evil.example/hook", true).is_err());
    }
}
