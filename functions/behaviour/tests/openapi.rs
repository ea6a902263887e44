//! The OpenAPI document, `infra/openapi.yaml`, against the code: it describes
//! exactly the routes the function answers, every operation documents its
//! problem+json errors, and the shapes it promises are the ones serde writes.
//! Reads the file only; needs no emulator.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    Behaviour, BehaviourId, BehaviourTypeId, ClassId, LightScope, Note, PupilId, Reason, StaffId,
    Withdrawal,
};
use platform::{FieldError, Problem};
use serde_json::{Value, json};
use store::LightState;

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn document() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/openapi.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    // Through serde_json, so that a status code written as a YAML number, not a string, fails here.
    serde_norway::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{} is not an OpenAPI document in JSON terms: {e}",
            path.display()
        )
    })
}

/// Follows a local `$ref` (`#/components/...`) until it reaches the object itself.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    for _ in 0..16 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            return node;
        };
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local references are used: {reference}"));
        node = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{reference} points at nothing"));
    }
    panic!("a $ref chain is too long or circular");
}

/// Every operation as (METHOD, path, operation object).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut found = Vec::new();
    for (path, item) in paths {
        assert!(
            item.get("$ref").is_none(),
            "{path}: write the path item out rather than referring to one"
        );
        for method in HTTP_METHODS {
            if let Some(operation) = item.get(method) {
                found.push((method.to_uppercase(), path.clone(), operation));
            }
        }
    }
    found
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    let version = doc["openapi"]
        .as_str()
        .expect("an `openapi` version string");
    assert!(
        version.starts_with("3.1."),
        "expected OpenAPI 3.1.x, found {version}"
    );
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
}

#[test]
fn documented_operations_are_exactly_the_routes() {
    let doc = document();
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let routed: BTreeSet<(String, String)> = behaviour::ROUTES
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();

    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from infra/openapi.yaml: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented operations the function does not answer: {unrouted:?}"
    );
}

#[test]
fn every_operation_is_named_described_and_secured() {
    let doc = document();
    assert!(
        doc["security"].as_array().is_some_and(|s| !s.is_empty()),
        "the document needs a global security requirement"
    );
    let scheme = &doc["components"]["securitySchemes"]["accessToken"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );

    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        for field in ["summary", "description"] {
            assert!(
                operation[field]
                    .as_str()
                    .is_some_and(|s| !s.trim().is_empty()),
                "{method} {path} has no {field}"
            );
        }
        assert!(
            operation.get("security").is_none(),
            "{method} {path} must not override the global security"
        );
    }
}

#[test]
fn every_path_parameter_is_declared() {
    let doc = document();
    for (method, path, operation) in operations(&doc) {
        let declared: BTreeSet<&str> = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().expect("a parameter has a name"))
            .collect();
        let in_path: BTreeSet<&str> = path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        assert_eq!(
            declared, in_path,
            "{method} {path}: path parameters and the path disagree"
        );
    }
}

#[test]
fn every_error_is_a_documented_problem() {
    let doc = document();
    for (method, path, operation) in operations(&doc) {
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} has no responses"));
        let has = |code: &str| responses.contains_key(code) || responses.contains_key("default");
        assert!(
            responses.contains_key("401"),
            "{method} {path} does not document 401"
        );
        for code in ["400", "403", "500", "503"] {
            assert!(has(code), "{method} {path} does not document {code}");
        }
        if operation.get("requestBody").is_some() {
            for code in ["413", "415", "422"] {
                assert!(
                    has(code),
                    "{method} {path} takes a body but does not document {code}"
                );
            }
        }
        assert!(
            responses.keys().any(|code| code.starts_with('2')),
            "{method} {path} has no success response"
        );

        for (code, response) in responses {
            if code.starts_with('2') {
                continue;
            }
            let response = resolve(&doc, response);
            let content = response["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} {code} has no body"));
            let kinds: Vec<&String> = content.keys().collect();
            assert_eq!(
                kinds,
                ["application/problem+json"],
                "{method} {path} {code} must be problem+json only"
            );
            assert!(
                is_problem(&content["application/problem+json"]["schema"]),
                "{method} {path} {code} must use the Problem schema"
            );
        }
        if let Some(unavailable) = responses.get("503") {
            let headers = &resolve(&doc, unavailable)["headers"];
            assert!(
                headers.get("Retry-After").is_some(),
                "{method} {path} 503 must document Retry-After"
            );
        }
    }
}

/// Whether a schema is the Problem schema, directly or as the base of an `allOf`.
fn is_problem(schema: &Value) -> bool {
    let problem = "#/components/schemas/Problem";
    schema["$ref"] == problem
        || schema["allOf"].as_array().is_some_and(|parts| {
            parts
                .iter()
                .any(|part| part["$ref"] == problem || is_problem(part))
        })
}

#[test]
fn every_reference_resolves() {
    fn walk(doc: &Value, node: &Value) {
        match node {
            Value::Object(map) => {
                if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                    let pointer = reference.strip_prefix('#').unwrap_or(reference);
                    assert!(
                        doc.pointer(pointer).is_some(),
                        "{reference} points at nothing"
                    );
                }
                map.values().for_each(|child| walk(doc, child));
            }
            Value::Array(items) => items.iter().for_each(|child| walk(doc, child)),
            _ => {}
        }
    }
    let doc = document();
    walk(&doc, &doc);
}

// The schemas promise what serde writes: required fields are always there,
// closed objects have no other fields, enums and constants hold.

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("a valid instant")
        .to_utc()
}

fn behaviour(note: Option<&str>, withdrawn: bool) -> Behaviour {
    Behaviour {
        id: BehaviourId::parse("01M8XJD3MSV3RS3DTR98H6BCFN").expect("a ULID"),
        pupil_id: PupilId::parse("pupil-003").expect("an id"),
        class_id: ClassId::parse("7A-ma").expect("an id"),
        behaviour_type_id: BehaviourTypeId::parse("disruption").expect("an id"),
        behaviour_type_name: "Disrupting learning".into(),
        positive: false,
        points: -1,
        steps: 1,
        note: note.map(|text| Note::parse(text).expect("a valid note")),
        occurred_at: at("2026-12-03T09:05:12.345Z"),
        lesson_date: NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date"),
        logged_at: at("2026-12-03T09:05:12.345Z"),
        logged_by: StaffId::parse("staff-teacher").expect("an id"),
        withdrawal: withdrawn.then(|| Withdrawal {
            id: BehaviourId::parse("01M8XKQ0C8ZB6N9W4D1T5R3JHA").expect("a ULID"),
            reason: Reason::parse("Logged for the wrong pupil.").expect("a valid reason"),
            withdrawn_at: at("2026-12-03T09:28:04.936Z"),
            withdrawn_by: StaffId::parse("staff-teacher").expect("an id"),
        }),
    }
}

/// Checks a value against the parts of a schema that describe its shape:
/// `$ref`, `allOf`, `type`, `required`, closed `properties`, `items`, `enum`
/// and `const`. Formats and patterns are left to schemathesis.
fn assert_fits(doc: &Value, schema: &Value, value: &Value, place: &str) {
    let schema = resolve(doc, schema);
    for part in schema["allOf"].as_array().into_iter().flatten() {
        assert_fits(doc, part, value, place);
    }
    if let Some(options) = schema["enum"].as_array() {
        assert!(
            options.contains(value),
            "{place}: {value} is not one of {options:?}"
        );
    }
    if let Some(constant) = schema.get("const") {
        assert_eq!(value, constant, "{place}");
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert!(
        types.is_empty() || types.contains(&kind),
        "{place}: a {kind} where the document says {types:?}"
    );

    if let Value::Object(fields) = value {
        for name in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            assert!(
                fields.contains_key(name),
                "{place}: the document requires `{name}`, which serde left out"
            );
        }
        let properties = &schema["properties"];
        for (name, field) in fields {
            match properties.get(name) {
                Some(property) => assert_fits(doc, property, field, &format!("{place}.{name}")),
                None => assert!(
                    schema["additionalProperties"] != false,
                    "{place}: serde writes `{name}`, which the document does not allow"
                ),
            }
        }
    }
    if let Value::Array(items) = value {
        for (i, item) in items.iter().enumerate() {
            assert_fits(doc, &schema["items"], item, &format!("{place}[{i}]"));
        }
    }
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

#[test]
fn behaviours_fit_their_schema_with_and_without_optional_fields() {
    let doc = document();
    for (note, withdrawn) in [(None, false), (Some("Talking over others."), true)] {
        let value = serde_json::to_value(behaviour(note, withdrawn)).expect("behaviours serialise");
        assert_fits(&doc, &schema("Behaviour"), &value, "Behaviour");
    }
}

#[test]
fn lights_and_ladders_fit_their_schemas() {
    let doc = document();
    let policy = domain::Policy::default_for_new_school();
    let light = LightState::new(
        NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date"),
        domain::Light::default().summary(&policy.ladder),
        &policy.ladder,
    );
    assert_fits(
        &doc,
        &schema("LightState"),
        &serde_json::to_value(&light).expect("serialises"),
        "LightState",
    );
    for stage in &policy.ladder.stages {
        assert_fits(
            &doc,
            &schema("Stage"),
            &serde_json::to_value(stage).expect("serialises"),
            "Stage",
        );
    }
    for scope in [LightScope::Lesson, LightScope::Day] {
        assert_fits(
            &doc,
            &schema("LightScope"),
            &serde_json::to_value(scope).expect("serialises"),
            "LightScope",
        );
    }
}

#[test]
fn problems_fit_the_documented_error_responses() {
    let doc = document();
    let response = |name: &str| {
        doc["components"]["responses"][name]["content"]["application/problem+json"]["schema"]
            .clone()
    };
    let field = || {
        vec![FieldError::new(
            "pupilIds[1]",
            "is not a pupil of this class",
        )]
    };
    let cases = [
        ("BadRequest", Problem::invalid(field())),
        (
            "BadRequest",
            Problem::malformed("the request needs a JSON body"),
        ),
        (
            "Unauthenticated",
            Problem::unauthenticated("the access token is invalid or has expired"),
        ),
        (
            "Forbidden",
            Problem::forbidden("your role does not allow this"),
        ),
        (
            "NotFound",
            Problem::not_found("no such behaviour in your school"),
        ),
        ("TooLarge", Problem::too_large(16 * 1024)),
        ("UnsupportedMediaType", Problem::unsupported_media_type()),
        (
            "Unprocessable",
            Problem::unprocessable("unknown-reference", field()),
        ),
        (
            "Unprocessable",
            Problem::unprocessable("idempotency-key-reused", field()),
        ),
        ("Unavailable", Problem::unavailable(1)),
        ("Internal", Problem::internal()),
    ];
    for (name, problem) in cases {
        let value = serde_json::to_value(&problem).expect("problems serialise");
        assert_fits(&doc, &response(name), &value, name);
    }

    let conflict = serde_json::to_value(Problem::conflict(
        "already-withdrawn",
        "this behaviour was already withdrawn",
    ))
    .expect("problems serialise");
    let withdraw = &doc["paths"]["/v1/behaviours/{id}/withdraw"]["post"]["responses"]["409"];
    assert_fits(
        &doc,
        &withdraw["content"]["application/problem+json"]["schema"],
        &conflict,
        "409",
    );
}
