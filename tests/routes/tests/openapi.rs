//! The OpenAPI document, `infra/openapi.yaml`, against the code of every HTTP
//! function (behaviour, auth, admin, roster and wonde-webhook): it describes exactly the routes they
//! answer, each secured and with the roles its access rule names, every
//! operation documents its problem+json errors, its examples fit its schemas,
//! and the shapes it promises are the ones serde writes. Reads the file only;
//! needs no emulator.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    Behaviour, BehaviourId, BehaviourTypeId, ClassId, Email, LightScope, Note, PupilId, Reason,
    Role, Roles, SchoolId, StaffId, Withdrawal,
};
use platform::{Access, FieldError, Problem, Route};
use serde_json::{Value, json};
use store::{AccountKind, AuditRecord, LightState, SupportGrant};

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

/// Every route of every HTTP function, with the function that answers it.
fn routes() -> Vec<(&'static str, Route)> {
    let functions: [(&str, &[Route]); 10] = [
        ("behaviour", &behaviour::ROUTES),
        ("auth", &auth::ROUTES),
        ("admin", &admin::ROUTES),
        ("roster", &roster::ROUTES),
        ("wonde-webhook", &wonde_webhook::ROUTES),
        ("policy", &policy::ROUTES),
        ("certificates", &certificates::ROUTES),
        ("rewards", &rewards::ROUTES),
        ("charts", &charts::ROUTES),
        ("sanctions", &sanctions::ROUTES),
    ];
    functions
        .into_iter()
        .flat_map(|(function, routes)| routes.iter().map(move |route| (function, *route)))
        .collect()
}

/// The route an operation documents.
fn route_of(method: &str, path: &str) -> Route {
    routes()
        .into_iter()
        .map(|(_, route)| route)
        .find(|route| route.method == method && route.path == path)
        .unwrap_or_else(|| panic!("{method} {path} is not a route of any function"))
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

/// An operation's responses, by status code.
fn responses<'a>(
    method: &str,
    path: &str,
    operation: &'a Value,
) -> &'a serde_json::Map<String, Value> {
    operation["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} has no responses"))
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
fn documented_operations_are_exactly_the_routes_of_every_function() {
    let doc = document();
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let mut routed: BTreeMap<(String, String), &str> = BTreeMap::new();
    for (function, route) in routes() {
        let key = (route.method.to_owned(), route.path.to_owned());
        if let Some(other) = routed.insert(key, function) {
            panic!(
                "{} {} is a route of both {other} and {function}",
                route.method, route.path
            );
        }
    }
    let routed_keys: BTreeSet<(String, String)> = routed.keys().cloned().collect();

    let undocumented: Vec<_> = routed
        .iter()
        .filter(|(key, _)| !documented.contains(*key))
        .map(|((method, path), function)| format!("{method} {path} ({function})"))
        .collect();
    let unrouted: Vec<_> = documented.difference(&routed_keys).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from infra/openapi.yaml: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented operations no function answers: {unrouted:?}"
    );
}

#[test]
fn every_operation_is_named_described_and_tagged() {
    let doc = document();
    let tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .expect("the document lists its tags")
        .iter()
        .filter_map(|tag| tag["name"].as_str())
        .collect();
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
        let own: Vec<&str> = operation["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        assert!(!own.is_empty(), "{method} {path} has no tag");
        for tag in own {
            assert!(
                tags.contains(tag),
                "{method} {path}: tag {tag} is not listed"
            );
        }
    }
}

/// Public routes say so with an empty security requirement, or, for one
/// that authenticates its caller itself (Wonde's webhook, by a shared
/// secret), with a scheme of its own and a documented 401; every other
/// route keeps the document's bearer token and documents 401 and 403.
#[test]
fn security_follows_each_routes_access_rule() {
    let doc = document();
    assert_eq!(
        doc["security"],
        json!([{ "accessToken": [] }]),
        "the document's own requirement is the access token"
    );
    let scheme = &doc["components"]["securitySchemes"]["accessToken"];
    assert_eq!(
        (scheme["type"].as_str(), scheme["scheme"].as_str()),
        (Some("http"), Some("bearer"))
    );

    for (method, path, operation) in operations(&doc) {
        let route = route_of(&method, &path);
        let responses = responses(&method, &path, operation);
        match route.access {
            Access::Public if operation.get("security") == Some(&json!([])) => {}
            Access::Public => {
                let requirements = operation["security"].as_array().unwrap_or_else(|| {
                    panic!("{method} {path} is public: it needs `security: []` or its own scheme")
                });
                for requirement in requirements {
                    for name in requirement.as_object().expect("a requirement").keys() {
                        assert_ne!(
                            name, "accessToken",
                            "{method} {path} is public: it takes no access token"
                        );
                        assert!(
                            doc["components"]["securitySchemes"][name].is_object(),
                            "{method} {path}: no security scheme {name}"
                        );
                    }
                }
                assert!(
                    responses.contains_key("401"),
                    "{method} {path} authenticates its caller but does not document 401"
                );
            }
            Access::Needs(_) | Access::SupportAccount => {
                assert!(
                    operation.get("security").is_none(),
                    "{method} {path} needs a token: it must not override the document's security"
                );
                for code in ["401", "403"] {
                    assert!(
                        responses.contains_key(code),
                        "{method} {path} needs a token but does not document {code}"
                    );
                }
            }
        }
    }
}

/// The roles named in backticks in the `Roles:` paragraph of a description
/// (other code spans there, such as a parameter, are not roles).
fn documented_roles(description: &str) -> Option<BTreeSet<String>> {
    let start = description.find("Roles:")?;
    let paragraph = description[start..]
        .split("\n\n")
        .next()
        .unwrap_or_default();
    Some(
        paragraph
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|name| name.parse::<Role>().is_ok())
            .map(str::to_owned)
            .collect(),
    )
}

/// Each operation that needs a token names, in a `Roles:` paragraph, exactly
/// the roles the permission table lets through its route's rule.
#[test]
fn every_operation_names_the_roles_its_rule_admits() {
    let doc = document();
    let names = |roles: &mut dyn Iterator<Item = Role>| -> BTreeSet<String> {
        roles.map(|role| role.name().to_owned()).collect()
    };
    for (method, path, operation) in operations(&doc) {
        let description = operation["description"].as_str().unwrap_or_default();
        let documented = documented_roles(description);
        let admitted = match route_of(&method, &path).access {
            Access::Public => {
                assert!(
                    documented.is_none(),
                    "{method} {path} is public: it names no roles"
                );
                continue;
            }
            Access::Needs(permission) => {
                names(&mut Role::ALL.into_iter().filter(|role| role.allows(permission)))
            }
            Access::SupportAccount => names(&mut [Role::Support].into_iter()),
        };
        let documented =
            documented.unwrap_or_else(|| panic!("{method} {path} has no `Roles:` paragraph"));
        assert_eq!(
            documented, admitted,
            "{method} {path}: the `Roles:` paragraph and the permission table disagree"
        );
    }
}

#[test]
fn the_documented_roles_are_the_code_s_roles() {
    let doc = document();
    let enumerated = |name: &str| -> BTreeSet<String> {
        doc["components"]["schemas"][name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is an enum"))
            .iter()
            .map(|v| v.as_str().expect("role names are strings").to_owned())
            .collect()
    };
    let serialised = |roles: &mut dyn Iterator<Item = Role>| -> BTreeSet<String> {
        roles
            .map(|role| {
                let value = serde_json::to_value(role).expect("roles serialise");
                assert_eq!(value, role.name(), "a role serialises as its name");
                role.name().to_owned()
            })
            .collect()
    };
    assert_eq!(enumerated("Role"), serialised(&mut Role::ALL.into_iter()));
    assert_eq!(
        enumerated("StaffRole"),
        serialised(&mut Role::ALL.into_iter().filter(|role| role.is_staff()))
    );
    // Every permission some route needs is held by some role, or the route
    // could never be called.
    for (_, route) in routes() {
        if let Access::Needs(permission) = route.access {
            assert!(
                Role::ALL.iter().any(|role| role.allows(permission)),
                "{} {}: no role holds {permission:?}",
                route.method,
                route.path
            );
        }
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

/// Request bodies are closed JSON objects with camelCase fields, as serde's
/// `deny_unknown_fields` and `rename_all = "camelCase"` read them. A body
/// another service defines (`x-third-party-payload`, Wonde's webhook) keeps
/// its sender's field names and is read leniently, so it is only required
/// to be a JSON object that describes what it requires.
#[test]
fn request_bodies_are_closed_camel_case_objects() {
    let doc = document();
    for (method, path, operation) in operations(&doc) {
        let Some(body) = operation.get("requestBody") else {
            continue;
        };
        let body = resolve(&doc, body);
        assert_eq!(
            body["required"], true,
            "{method} {path}: the body is required"
        );
        let content = body["content"].as_object().expect("a body has content");
        assert_eq!(
            content.keys().collect::<Vec<_>>(),
            ["application/json"],
            "{method} {path} takes JSON only"
        );
        let schema = resolve(&doc, &content["application/json"]["schema"]);
        assert_eq!(schema["type"], "object", "{method} {path}");
        let properties = schema["properties"].as_object().expect("fields");
        let own = operation.get("x-third-party-payload") != Some(&json!(true));
        assert!(
            !own || schema["additionalProperties"] == false,
            "{method} {path}: unknown fields are refused, so the body schema is closed"
        );
        for name in properties.keys().filter(|_| own) {
            let camel = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name.chars().all(|c| c.is_ascii_alphanumeric());
            assert!(camel, "{method} {path}: `{name}` is not camelCase");
        }
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().expect("required names are strings");
            assert!(
                properties.contains_key(name),
                "{method} {path} requires `{name}`, which it does not describe"
            );
        }
    }
}

/// The `status` a problem schema pins, if it pins one.
fn pinned_status(doc: &Value, schema: &Value) -> Option<u64> {
    let schema = resolve(doc, schema);
    schema["properties"]["status"]["const"]
        .as_u64()
        .or_else(|| {
            schema["allOf"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|part| pinned_status(doc, part))
        })
}

#[test]
fn every_error_is_a_documented_problem() {
    let doc = document();
    for (method, path, operation) in operations(&doc) {
        let responses = responses(&method, &path, operation);
        let has = |code: &str| responses.contains_key(code);
        // Any route can be sent input it refuses, and any can meet a store
        // that is busy or broken.
        for code in ["400", "500", "503"] {
            assert!(has(code), "{method} {path} does not document {code}");
        }
        if operation.get("requestBody").is_some() {
            for code in ["413", "415"] {
                assert!(
                    has(code),
                    "{method} {path} takes a body but does not document {code}"
                );
            }
        }
        let takes_idempotency_key = operation["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["$ref"] == "#/components/parameters/IdempotencyKey");
        if takes_idempotency_key {
            assert!(
                has("422"),
                "{method} {path} replays by Idempotency-Key but does not document 422 for a reused key"
            );
        }
        assert!(
            !responses.contains_key("default"),
            "{method} {path}: document each status, not a default"
        );

        for (code, response) in responses {
            let response = resolve(&doc, response);
            assert!(
                response["description"].is_string(),
                "{method} {path} {code} has no description"
            );
            if code.starts_with('2') {
                check_success(&method, &path, code, response);
                continue;
            }
            let content = response["content"]
                .as_object()
                .unwrap_or_else(|| panic!("{method} {path} {code} has no body"));
            let kinds: Vec<&String> = content.keys().collect();
            assert_eq!(
                kinds,
                ["application/problem+json"],
                "{method} {path} {code} must be problem+json only"
            );
            let schema = &content["application/problem+json"]["schema"];
            assert!(
                is_problem(schema),
                "{method} {path} {code} must use the Problem schema"
            );
            assert_eq!(
                pinned_status(&doc, schema)
                    .map(|s| s.to_string())
                    .as_deref(),
                Some(code.as_str()),
                "{method} {path} {code}: the problem schema must pin `status` to {code}"
            );
            if code == "429" || code == "503" {
                let header = &response["headers"]["Retry-After"];
                assert!(
                    !header.is_null(),
                    "{method} {path} {code} must document Retry-After"
                );
                assert_eq!(
                    resolve(&doc, header)["required"],
                    true,
                    "{method} {path} {code}: Retry-After is always sent"
                );
            }
        }
    }
}

/// A 204 has no body; every other success is JSON with a schema.
fn check_success(method: &str, path: &str, code: &str, response: &Value) {
    if code == "204" {
        assert!(
            response.get("content").is_none(),
            "{method} {path} 204 has no body"
        );
        return;
    }
    let content = response["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} {code} has no body"));
    // A certificate's PDF is the one success that is not JSON.
    if content.keys().eq(["application/pdf"].iter()) {
        assert_eq!(
            content["application/pdf"]["schema"]["contentMediaType"], "application/pdf",
            "{method} {path} {code} describes its PDF"
        );
        return;
    }
    // A chart comes as CSV and SVG too, beside its JSON.
    let renderings = ["text/csv", "image/svg+xml"];
    for kind in content.keys().filter(|k| renderings.contains(&k.as_str())) {
        assert_eq!(
            content[kind]["schema"]["contentMediaType"],
            kind.as_str(),
            "{method} {path} {code} describes its {kind}"
        );
    }
    assert_eq!(
        content
            .keys()
            .filter(|k| !renderings.contains(&k.as_str()))
            .collect::<Vec<_>>(),
        ["application/json"],
        "{method} {path} {code} answers JSON"
    );
    assert!(
        content["application/json"]["schema"].is_object(),
        "{method} {path} {code} has no schema"
    );
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

/// Every example the document gives, of a body, an answer or a parameter,
/// fits the schema beside it.
#[test]
fn every_example_fits_its_schema() {
    let doc = document();
    let media_examples = |place: &str, media: &Value| {
        let schema = &media["schema"];
        for (name, example) in media["examples"].as_object().into_iter().flatten() {
            let example = resolve(&doc, example);
            let value = example
                .get("value")
                .unwrap_or_else(|| panic!("{place} example {name} has no value"));
            assert_fits(&doc, schema, value, &format!("{place} example {name}"));
        }
    };
    for (method, path, operation) in operations(&doc) {
        if let Some(body) = operation.get("requestBody") {
            for (kind, media) in resolve(&doc, body)["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                media_examples(&format!("{method} {path} body {kind}"), media);
            }
        }
        for (code, response) in responses(&method, &path, operation) {
            for (kind, media) in resolve(&doc, response)["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                media_examples(&format!("{method} {path} {code} {kind}"), media);
            }
        }
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = resolve(&doc, parameter);
            if let Some(example) = parameter.get("example") {
                let place = format!(
                    "{method} {path} parameter {}",
                    parameter["name"].as_str().unwrap_or_default()
                );
                assert_fits(&doc, &parameter["schema"], example, &place);
            }
        }
    }
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

fn fits(doc: &Value, name: &str, value: impl serde::Serialize) {
    let value = serde_json::to_value(value).expect("answers serialise");
    assert_fits(doc, &schema(name), &value, name);
}

#[test]
fn behaviours_fit_their_schema_with_and_without_optional_fields() {
    let doc = document();
    for (note, withdrawn) in [(None, false), (Some("Talking over others."), true)] {
        fits(&doc, "Behaviour", behaviour(note, withdrawn));
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
    fits(&doc, "LightState", &light);
    for stage in &policy.ladder.stages {
        fits(&doc, "Stage", stage);
    }
    for scope in [LightScope::Lesson, LightScope::Day] {
        fits(&doc, "LightScope", scope);
    }
}

#[test]
fn signing_in_fits_its_schema_for_staff_and_parents() {
    let doc = document();
    let school = SchoolId::parse("riverside").expect("an id");
    let cases = [
        (
            "staff-tess",
            AccountKind::Staff,
            Some(school.clone()),
            Roles::new([Role::Teacher, Role::Tutor]),
        ),
        (
            "parent-01m8xjd3msv3rs3dtr98h6bcfn",
            AccountKind::Parent,
            None,
            Roles::new([Role::Parent]),
        ),
        (
            "support-01m8xjd3msv3rs3dtr98h6bcfn",
            AccountKind::Support,
            None,
            Roles::new([Role::Support]),
        ),
    ];
    for (id, kind, school_id, roles) in cases {
        fits(&doc, "AccountKind", kind);
        fits(
            &doc,
            "SignedIn",
            auth::SignedIn {
                access_token: "eyJhbGciOiJFZERTQSJ9.e30.c2ln".into(),
                token_type: "Bearer",
                expires_in: 900,
                refresh_token: "pM3xQ0vV8bWfK2sLr7YtJw9a.d2VsbC1oaWRkZW4tcmVmcmVzaA".into(),
                user: auth::UserSummary {
                    id: id.into(),
                    kind,
                    school_id,
                    roles,
                },
            },
        );
    }
}

#[test]
fn staff_members_fit_their_schema_in_every_status() {
    let doc = document();
    let statuses = [
        admin::StaffStatus::NoAccount,
        admin::StaffStatus::Pending,
        admin::StaffStatus::Active,
        admin::StaffStatus::Disabled,
    ];
    let documented: BTreeSet<&str> = doc["components"]["schemas"]["StaffStatus"]["enum"]
        .as_array()
        .expect("StaffStatus is an enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let written: BTreeSet<String> = statuses
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .expect("serialises")
                .as_str()
                .expect("a name")
                .to_owned()
        })
        .collect();
    assert_eq!(
        documented,
        written.iter().map(String::as_str).collect::<BTreeSet<_>>()
    );
    for (status, email) in statuses
        .into_iter()
        .zip([None, Some("t.brown@riverside.sch.uk")].into_iter().cycle())
    {
        fits(
            &doc,
            "StaffMember",
            admin::StaffView {
                staff_id: StaffId::parse("staff-tess").expect("an id"),
                first_name: "Tess".into(),
                last_name: "Brown".into(),
                email: email.map(|e| Email::parse(e).expect("an address")),
                roles: Roles::new([Role::Teacher, Role::Tutor]),
                status,
            },
        );
    }
}

#[test]
fn support_grants_fit_their_schema_live_and_ended() {
    let doc = document();
    let live = SupportGrant {
        id: "5d1f0c9a7b3e42a68c0d9e1f2a3b4c5d".into(),
        granted_by: "staff-ada".into(),
        reason: "Ticket 4821".into(),
        starts_at: at("2026-12-03T13:05:00.000Z"),
        ends_at: at("2026-12-03T17:05:00.000Z"),
        ended_by: None,
        ended_at: None,
    };
    let ended = SupportGrant {
        ended_by: Some("staff-ada".into()),
        ended_at: Some(at("2026-12-03T14:12:48.530Z")),
        ..live.clone()
    };
    for (grant, is_live) in [(live, true), (ended, false)] {
        fits(
            &doc,
            "SupportGrant",
            admin::GrantView {
                grant,
                live: is_live,
            },
        );
    }
}

#[test]
fn notification_preferences_fit_their_schema_on_and_off() {
    let doc = document();
    for weekly_summary in [true, false] {
        fits(
            &doc,
            "NotificationPreferences",
            admin::NotificationsView { weekly_summary },
        );
    }
}

#[test]
fn school_settings_fit_their_schema_on_and_off() {
    let doc = document();
    for group_analysis in [true, false] {
        fits(
            &doc,
            "SchoolSettings",
            admin::SettingsView {
                group_analysis,
                name: "Riverside Academy".into(),
                time_zone: "Europe/London".into(),
            },
        );
    }
}

#[test]
fn audit_records_fit_their_schema_and_page() {
    let doc = document();
    let record = AuditRecord {
        id: "3c0f5e1d9b8a47c6a2e4d1f0b9c8a7e6".into(),
        at: at("2026-12-03T10:15:02.118Z"),
        actor: "staff-ada".into(),
        actor_roles: Roles::new([Role::Admin]),
        action: "role.granted".into(),
        target_type: "staff".into(),
        target_ids: vec!["staff-tess".into(), "role:tutor".into()],
        request_id: "3c0f5e1d9b8a47c6a2e4d1f0b9c8a7e6".into(),
        grant: None,
    };
    let by_support = AuditRecord {
        actor: "support-01".into(),
        actor_roles: Roles::new([Role::Support]),
        action: "support.request".into(),
        grant: Some("5d1f0c9a7b3e42a68c0d9e1f2a3b4c5d".into()),
        ..record.clone()
    };
    fits(&doc, "AuditRecord", &record);
    fits(&doc, "AuditRecord", &by_support);
    // The page itself is private to the admin function; its fields are
    // the ones the function's own tests read.
    for next in [Value::Null, json!("Xq3v0bW2m8Jt1kQeYc7d9F4nH6sL5pR0aZ")] {
        let page = json!({ "items": [&record, &by_support], "nextCursor": next });
        assert_fits(&doc, &schema("AuditPage"), &page, "AuditPage");
    }
}

/// The problem schema an operation documents for a status.
fn problem_schema(doc: &Value, method: &str, path: &str, code: &str) -> Value {
    let response = &doc["paths"][path][method.to_lowercase()]["responses"][code];
    assert!(!response.is_null(), "{method} {path} documents no {code}");
    resolve(doc, response)["content"]["application/problem+json"]["schema"].clone()
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
    let key_reused = || {
        vec![FieldError::new(
            "Idempotency-Key",
            "was already used for a different request",
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
        ("Forbidden", platform::school_disabled()),
        (
            "NotFound",
            Problem::not_found("no such behaviour in your school"),
        ),
        ("TooLarge", Problem::too_large(16 * 1024)),
        ("AuthTooLarge", Problem::too_large(4 * 1024)),
        ("UnsupportedMediaType", Problem::unsupported_media_type()),
        (
            "Unprocessable",
            Problem::unprocessable("unknown-reference", field()),
        ),
        (
            "Unprocessable",
            Problem::unprocessable("idempotency-key-reused", key_reused()),
        ),
        (
            "IdempotencyKeyReused",
            Problem::unprocessable("idempotency-key-reused", key_reused()),
        ),
        (
            "CodeRefused",
            Problem::unauthenticated("the code is wrong or has expired; ask for a new one"),
        ),
        (
            "TooManySignIns",
            Problem::too_many_requests(60, "too many failed sign-ins; wait before trying again"),
        ),
        ("Unavailable", Problem::unavailable(1)),
        ("Internal", Problem::internal()),
    ];
    for (name, problem) in cases {
        let value = serde_json::to_value(&problem).expect("problems serialise");
        assert_fits(&doc, &response(name), &value, name);
    }

    // The answers particular to one operation, as the functions give them.
    let role_path = "/v1/admin/staff/{staffId}/roles/{role}";
    let conflict = |slug: &str| Problem::conflict(slug, "what happened");
    let particular = [
        (
            "POST",
            "/v1/behaviours/{id}/withdraw",
            "409",
            conflict("already-withdrawn"),
        ),
        (
            "POST",
            "/v1/auth/verify",
            "409",
            conflict("already-registered"),
        ),
        (
            "POST",
            "/v1/auth/verify",
            "409",
            conflict("account-changed"),
        ),
        (
            "POST",
            "/v1/auth/login",
            "401",
            Problem::unauthenticated("the email address or the password is wrong"),
        ),
        (
            "POST",
            "/v1/auth/login",
            "403",
            Problem::forbidden_as("email-not-verified", "prove your address"),
        ),
        (
            "POST",
            "/v1/auth/login",
            "403",
            Problem::forbidden_as("account-disabled", "disabled by your school"),
        ),
        (
            "POST",
            "/v1/auth/login",
            "403",
            Problem::forbidden_as("terms-not-accepted", "the terms have changed"),
        ),
        ("POST", "/v1/auth/login", "409", conflict("account-changed")),
        (
            "POST",
            "/v1/auth/refresh",
            "401",
            Problem::unauthenticated("the refresh token is invalid or has expired; sign in again"),
        ),
        ("PUT", role_path, "409", conflict("no-account")),
        ("DELETE", role_path, "409", conflict("no-account")),
        ("DELETE", role_path, "409", conflict("last-admin")),
        (
            "POST",
            "/v1/admin/staff/{staffId}/disable",
            "409",
            conflict("cannot-disable-self"),
        ),
        (
            "POST",
            "/v1/admin/staff/{staffId}/disable",
            "409",
            conflict("account-pending"),
        ),
        (
            "POST",
            "/v1/admin/staff/{staffId}/disable",
            "409",
            conflict("last-admin"),
        ),
        (
            "POST",
            "/v1/admin/staff/{staffId}/disable",
            "409",
            conflict("no-account"),
        ),
        (
            "POST",
            "/v1/admin/staff/{staffId}/enable",
            "409",
            conflict("account-pending"),
        ),
        (
            "POST",
            "/v1/admin/staff/{staffId}/enable",
            "409",
            conflict("no-account"),
        ),
        (
            "POST",
            "/v1/admin/support-grants/{id}/end",
            "409",
            conflict("grant-ended"),
        ),
        (
            "POST",
            "/v1/admin/support-grants/{id}/end",
            "409",
            conflict("grant-expired"),
        ),
    ];
    for (method, path, code, problem) in particular {
        let value = serde_json::to_value(&problem).expect("problems serialise");
        let place = format!("{method} {path} {code} {}", problem.kind);
        assert_fits(
            &doc,
            &problem_schema(&doc, method, path, code),
            &value,
            &place,
        );
    }
}

#[test]
fn wonde_webhook_answers_fit_their_schema() {
    let doc = document();
    let school = SchoolId::parse("w3a9c41f07d2b86e5c1f0a9d4").expect("an id");
    let answers = [
        wonde_webhook::Acknowledged {
            event: "schoolApproved".into(),
            outcome: "created",
            school_id: Some(school.clone()),
            status: Some(store::SchoolStatus::Pending),
            delete_after: None,
            full_sync_queued: Some(true),
        },
        wonde_webhook::Acknowledged {
            event: "accessRevoked".into(),
            outcome: "disabled",
            school_id: Some(school),
            status: Some(store::SchoolStatus::Disabled),
            delete_after: Some(at("2027-01-02T09:05:00Z")),
            full_sync_queued: None,
        },
        wonde_webhook::Acknowledged {
            event: "schoolMigration".into(),
            outcome: "ignored",
            school_id: None,
            status: None,
            delete_after: None,
            full_sync_queued: None,
        },
    ];
    for answer in answers {
        fits(&doc, "WondeWebhookAnswer", answer);
    }
    for (method, path, code) in [
        ("POST", "/v1/auth/login", "403"),
        ("POST", "/v1/auth/refresh", "403"),
    ] {
        let schema = problem_schema(&doc, method, path, code);
        let value = serde_json::to_value(platform::school_disabled()).expect("problems serialise");
        assert_fits(&doc, &schema, &value, &format!("{method} {path} {code}"));
    }
}

#[test]
fn roster_answers_fit_their_schemas() {
    let doc = document();
    let summary = roster::PupilSummary {
        id: PupilId::parse("pupil-000").expect("an id"),
        first_name: "Amelia".into(),
        last_name: "Smith".into(),
        display_name: "Amelia Smith".into(),
        year_group: Some("7".into()),
        house: None,
        registration_group: Some("7R".into()),
        left: false,
    };
    for next in [None, Some("Xq3v0bW2m8Jt1kQeYc7d9F4nH6sL5pR0aZ".to_owned())] {
        fits(
            &doc,
            "PupilPage",
            roster::PupilPage {
                items: vec![summary.clone()],
                next_cursor: next,
            },
        );
    }
    let flags = roster::GroupFlagsView {
        gender: Some("F".into()),
        sen_status: None,
        pupil_premium: Some(true),
        eal: None,
    };
    for group_flags in [None, Some(None), Some(Some(flags))] {
        fits(
            &doc,
            "Pupil",
            roster::PupilView {
                pupil: roster::PupilSummary {
                    left: true,
                    ..summary.clone()
                },
                left_at: Some(at("2026-12-03T09:05:12.345Z")),
                classes: vec![roster::PupilClass {
                    id: ClassId::parse("7A-ma").expect("an id"),
                    name: "7A Maths".into(),
                    subject: None,
                }],
                group_flags,
            },
        );
    }

    let teacher = |main: bool| roster::TeacherView {
        id: StaffId::parse("staff-teacher").expect("an id"),
        name: (!main).then(|| "Tess Brown".to_owned()),
        main,
    };
    let class = roster::ClassSummary {
        id: ClassId::parse("7A-ma").expect("an id"),
        name: "7A Maths".into(),
        year_group: None,
        subject: Some("Mathematics".into()),
        teachers: vec![teacher(true), teacher(false)],
        main_teacher_id: Some(StaffId::parse("staff-teacher").expect("an id")),
        pupil_count: 30,
    };
    fits(
        &doc,
        "ClassPage",
        roster::ClassPage {
            items: vec![class.clone()],
            next_cursor: None,
        },
    );
    fits(
        &doc,
        "Class",
        roster::ClassView {
            class,
            pupils: vec![roster::ClassPupil {
                id: PupilId::parse("pupil-000").expect("an id"),
                display_name: "Amelia Smith".into(),
            }],
        },
    );

    let email = Email::parse("tess.brown@riverside.example").expect("an address");
    for email in [None, Some(None), Some(Some(email))] {
        fits(
            &doc,
            "RosterStaffPage",
            roster::StaffPage {
                items: vec![roster::StaffView {
                    id: StaffId::parse("staff-teacher").expect("an id"),
                    first_name: "Tess".into(),
                    last_name: "Brown".into(),
                    display_name: "Tess Brown".into(),
                    teaching: true,
                    email,
                }],
                next_cursor: None,
            },
        );
    }
    for code in [None, Some("ASH".to_owned())] {
        fits(
            &doc,
            "GroupList",
            roster::GroupList {
                items: vec![roster::GroupView {
                    id: "A1B2C3".into(),
                    name: "Ash".into(),
                    code,
                }],
            },
        );
    }
}

#[test]
fn rewards_answers_fit_their_schemas() {
    let doc = document();
    let pupil = PupilId::parse("pupil-003").expect("an id");
    fits(
        &doc,
        "PupilPoints",
        rewards::PupilPointsView {
            pupil_id: pupil.clone(),
            cycle: "2026-27".into(),
            this_cycle: 3,
            all_time: -2,
            cycles: vec![store::CyclePoints {
                cycle: "2026-27".into(),
                points: 3,
            }],
        },
    );
    let award = store::HandAward {
        id: domain::BehaviourId::new(ulid::Ulid::new()),
        pupil_id: Some(pupil.clone()),
        house: Some("Oak".into()),
        points: -3,
        reason: domain::Reason::parse("talked through assembly").expect("a reason"),
        cycle: "2026-27".into(),
        awarded_at: at("2026-12-03T09:05:12.345Z"),
        awarded_by: domain::StaffId::parse("staff-tutor").expect("an id"),
        withdrawal: None,
    };
    fits(&doc, "HandAward", &award);
    let house_award = store::HandAward {
        pupil_id: None,
        withdrawal: Some(domain::Withdrawal {
            id: domain::BehaviourId::new(ulid::Ulid::new()),
            reason: domain::Reason::parse("wrong house").expect("a reason"),
            withdrawn_at: at("2026-12-03T10:00:00Z"),
            withdrawn_by: domain::StaffId::parse("staff-head").expect("an id"),
        }),
        ..award
    };
    fits(&doc, "HandAward", &house_award);
    fits(
        &doc,
        "HouseLeaderboard",
        rewards::HouseBoard {
            cycle: "all".into(),
            items: vec![rewards::HouseEntry {
                rank: 1,
                house: "Oak".into(),
                points: 0,
            }],
        },
    );
    fits(
        &doc,
        "PupilLeaderboard",
        rewards::PupilBoardView {
            cycle: "all".into(),
            items: vec![rewards::PupilEntry {
                rank: 1,
                pupil_id: pupil.to_string(),
                display_name: "Noah Brown".into(),
                points: 4,
            }],
        },
    );
    fits(
        &doc,
        "ClassLeaderboard",
        rewards::ClassBoard {
            cycle: "all".into(),
            year_group: "7".into(),
            items: vec![rewards::ClassEntry {
                rank: 1,
                class_id: "7A-ma".into(),
                name: "7A Maths".into(),
                points: 4,
            }],
        },
    );
}

#[test]
fn chart_answers_fit_their_schema() {
    let doc = document();
    let schema = &doc["paths"]["/v1/charts/{chart}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];
    let drawn = chart::Chart {
        chart: "behaviour-over-time".into(),
        title: "Behaviour over time".into(),
        subtitle: "9A Maths · 7 Sep 2026 to 27 Sep 2026 · by week".into(),
        kind: chart::Kind::Line,
        x_label: "Week".into(),
        y_label: "Behaviours".into(),
        categories: vec!["2026-09-07".into(), "2026-09-14".into()],
        series: vec![
            chart::Series::new("Positives", chart::Tone::Positive, vec![3.0, 1.0]),
            chart::Series::new("Negatives", chart::Tone::Negative, vec![0.0, 2.0]),
        ],
    };
    let day = |d| NaiveDate::from_ymd_opt(2026, 9, d).expect("a date");
    for (scope, id) in [
        (charts::ask::ScopeKind::School, None),
        (charts::ask::ScopeKind::Class, Some("9A-ma")),
    ] {
        let answer = charts::answer::ChartAnswer {
            chart: &drawn,
            scope,
            id,
            from: day(7),
            to: day(20),
            interval: charts::ask::Interval::Week,
        };
        let value = serde_json::to_value(&answer).expect("answers serialise");
        assert_fits(&doc, schema, &value, "a chart");
    }
}
