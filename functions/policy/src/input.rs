//! The body of `PUT /v1/policy`: the whole policy, without the version
//! (that comes from `If-Match`) and without what the service records
//! itself (source, who changed it and when).

use domain::{
    BehaviourType, CertificateRule, Ladder, LightScope, PointsCycle, Policy, SchoolColours, Term,
};
use lambda_http::Request;
use platform::http::json_body;
use platform::{FieldError, Problem};
use serde::Deserialize;
use serde_json::Value;

use crate::BODY_LIMIT;

/// A policy as a leader sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyInput {
    pub light_scope: LightScope,
    pub ladder: Ladder,
    pub behaviour_types: Vec<BehaviourType>,
    pub backdate_days: u16,
    pub points_cycle: PointsCycle,
    pub terms: Vec<Term>,
    pub certificate_rules: Vec<CertificateRule>,
    pub colours: SchoolColours,
}

impl PolicyInput {
    /// Reads the body: 400 naming the field when it is not a policy.
    pub fn read(request: &Request) -> Result<Self, Problem> {
        let raw: Value = json_body(request, BODY_LIMIT)?;
        serde_path_to_error::deserialize(whole_numbers(raw)).map_err(|error| {
            let message = error.inner().to_string();
            let path = error.path().to_string();
            let named = message
                .strip_prefix("unknown field `")
                .or_else(|| message.strip_prefix("missing field `"))
                .and_then(|rest| rest.split('`').next());
            let field = match named {
                Some(name) if path == "." => name.to_owned(),
                Some(name) if message.starts_with("missing") => format!("{path}.{name}"),
                _ => path,
            };
            Problem::invalid(vec![FieldError::new(field, message)])
        })
    }

    /// The policy this input makes as `version`.
    pub fn into_policy(self, version: u32) -> Policy {
        Policy {
            version,
            light_scope: self.light_scope,
            ladder: self.ladder,
            behaviour_types: self.behaviour_types,
            backdate_days: self.backdate_days,
            points_cycle: self.points_cycle,
            terms: self.terms,
            certificate_rules: self.certificate_rules,
            colours: self.colours,
        }
    }
}

/// JSON counts `5.0` as the whole number 5, as JSON Schema does; serde's
/// integers do not, so such numbers are made integers before reading.
fn whole_numbers(value: Value) -> Value {
    match value {
        Value::Number(number) if number.is_f64() => match number.as_f64() {
            Some(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Value::from(x as i64),
            _ => Value::Number(number),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name, whole_numbers(value)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_lose_their_fraction_and_others_keep_it() {
        assert_eq!(
            whole_numbers(json!({"a": [5.0, 2.5, 3]})),
            json!({"a": [5, 2.5, 3]})
        );
    }
}
