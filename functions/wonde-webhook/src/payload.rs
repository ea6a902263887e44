//! What Wonde sends. Every webhook is a JSON object whose `payload_type`
//! names the event, with snake_case fields about the school:
//!
//! | `payload_type` | fields we read | what we do |
//! | --- | --- | --- |
//! | `schoolApproved` | `school_id`, `school_name` | create the school, or re-enable it, and queue its first full sync |
//! | `accessRevoked` | `school_id` | disable the school |
//! | `accessDeclined` | `school_id` | disable the school, if it exists |
//! | anything else (`schoolMigration`, ...) | | acknowledge it and do nothing |
//!
//! Wonde defines this payload, not us, so fields we do not read are
//! ignored rather than refused: Wonde may add fields at any time, and a
//! refusal would only make it deliver the same event again and again.
//! `school_token` (sent with an approval) is never read, stored or logged:
//! the roster sync reads every school with our own Wonde API token. The
//! reasons a school gives (`revoke_reason`, `decline_reason`) are free text
//! and stay out of the store and the logs.

use platform::Problem;
use serde_json::{Map, Value};
use wonde::WondeId;

/// The longest school name we keep, in characters.
pub const NAME_LIMIT: usize = 200;

/// One webhook, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    SchoolApproved {
        wonde_id: WondeId,
        name: String,
    },
    AccessRevoked {
        wonde_id: WondeId,
    },
    AccessDeclined {
        wonde_id: WondeId,
    },
    /// A type we do not act on, named for the log when its name is tidy.
    Other {
        payload_type: Option<String>,
    },
}

impl Event {
    /// The event's name for the log and the answer.
    pub fn name(&self) -> &str {
        match self {
            Event::SchoolApproved { .. } => "schoolApproved",
            Event::AccessRevoked { .. } => "accessRevoked",
            Event::AccessDeclined { .. } => "accessDeclined",
            Event::Other { payload_type } => payload_type.as_deref().unwrap_or("unrecognised"),
        }
    }
}

/// Reads a webhook's JSON body: 400 naming the field when it is not what
/// Wonde sends.
pub fn parse(body: &Value) -> Result<Event, Problem> {
    let Value::Object(fields) = body else {
        return Err(Problem::malformed("the body must be a JSON object"));
    };
    let payload_type = match fields.get("payload_type") {
        Some(Value::String(kind)) if !kind.is_empty() => kind.as_str(),
        Some(_) => {
            return Err(Problem::invalid_field(
                "payload_type",
                "must be the name of the event",
            ));
        }
        None => return Err(Problem::invalid_field("payload_type", "is required")),
    };
    match payload_type {
        "schoolApproved" => Ok(Event::SchoolApproved {
            wonde_id: school_id(fields)?,
            name: school_name(fields)?,
        }),
        "accessRevoked" => Ok(Event::AccessRevoked {
            wonde_id: school_id(fields)?,
        }),
        "accessDeclined" => Ok(Event::AccessDeclined {
            wonde_id: school_id(fields)?,
        }),
        other => Ok(Event::Other {
            payload_type: tidy(other),
        }),
    }
}

fn school_id(fields: &Map<String, Value>) -> Result<WondeId, Problem> {
    let Some(value) = fields.get("school_id") else {
        return Err(Problem::invalid_field("school_id", "is required"));
    };
    value
        .as_str()
        .and_then(|raw| WondeId::parse(raw).ok())
        .ok_or_else(|| {
            Problem::invalid_field(
                "school_id",
                "must be Wonde's id of the school: up to 64 letters, digits, '-' and '_'",
            )
        })
}

fn school_name(fields: &Map<String, Value>) -> Result<String, Problem> {
    let Some(value) = fields.get("school_name") else {
        return Err(Problem::invalid_field("school_name", "is required"));
    };
    let name = value.as_str().map(str::trim).unwrap_or_default();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(Problem::invalid_field(
            "school_name",
            "must be the school's name, without control characters",
        ));
    }
    if name.chars().count() > NAME_LIMIT {
        return Err(Problem::invalid_field(
            "school_name",
            format!("must be at most {NAME_LIMIT} characters"),
        ));
    }
    Ok(name.to_owned())
}

/// An event type's name, if it is short and plain enough to log.
fn tidy(name: &str) -> Option<String> {
    let plain = name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    plain.then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_approval_names_the_school_and_ignores_what_we_do_not_read() {
        let event = parse(&json!({
            "payload_type": "schoolApproved",
            "school_id": "A1930499544",
            "school_name": "  Riverside Academy ",
            "school_token": "never read",
            "school_urn": 123456,
        }))
        .unwrap();
        assert_eq!(
            event,
            Event::SchoolApproved {
                wonde_id: WondeId::parse("A1930499544").unwrap(),
                name: "Riverside Academy".to_owned(),
            }
        );
    }

    #[test]
    fn revocations_and_declines_need_only_the_school() {
        let revoked = parse(&json!({
            "payload_type": "accessRevoked",
            "school_id": "A1",
            "revoke_reason": "free text",
        }))
        .unwrap();
        assert_eq!(revoked.name(), "accessRevoked");
        let declined =
            parse(&json!({"payload_type": "accessDeclined", "school_id": "A1"})).unwrap();
        assert_eq!(declined.name(), "accessDeclined");
    }

    #[test]
    fn other_events_are_read_but_named_only_when_tidy() {
        let migration = parse(&json!({"payload_type": "schoolMigration", "school_id": "A1"}));
        assert_eq!(migration.unwrap().name(), "schoolMigration");
        let odd = parse(&json!({"payload_type": "a b\nc"})).unwrap();
        assert_eq!(odd.name(), "unrecognised");
    }

    #[test]
    fn what_wonde_would_never_send_is_refused_naming_the_field() {
        let cases = [
            (json!([]), None),
            (json!({}), Some("payload_type")),
            (json!({"payload_type": 3}), Some("payload_type")),
            (json!({"payload_type": "accessRevoked"}), Some("school_id")),
            (
                json!({"payload_type": "accessRevoked", "school_id": "A#1"}),
                Some("school_id"),
            ),
            (
                json!({"payload_type": "schoolApproved", "school_id": "A1"}),
                Some("school_name"),
            ),
            (
                json!({"payload_type": "schoolApproved", "school_id": "A1", "school_name": " "}),
                Some("school_name"),
            ),
            (
                json!({"payload_type": "schoolApproved", "school_id": "A1", "school_name": "x".repeat(201)}),
                Some("school_name"),
            ),
        ];
        for (body, field) in cases {
            let problem = parse(&body).unwrap_err();
            assert_eq!(problem.status, 400, "{body}");
            assert_eq!(
                problem.errors.first().map(|e| e.field.as_str()),
                field,
                "{body}"
            );
        }
    }
}
