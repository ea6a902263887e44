//! The body of a form as a client writes it, read into
//! [`store::IncidentContent`] with every limit checked and every refused
//! field named.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, Utc};
use domain::{SchoolId, StaffId};
use platform::{FieldError, Problem, store_failed};
use serde::Deserialize;
use store::{IncidentContent, InvolvedPupil, Store};

const MAX_PUPILS: usize = 30;
const MAX_STAFF: usize = 20;
const MAX_WITNESSES: usize = 20;
const MAX_WITNESS: usize = 120;
const MAX_PLACE: usize = 200;
const MAX_CATEGORY: usize = 80;
const MAX_WHAT_HAPPENED: usize = 8000;
const MAX_ACTION_TAKEN: usize = 4000;

/// How far ahead of our clock a client's clock may run.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A form as written: every field the client may set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FormBody {
    pupils: Vec<InvolvedPupil>,
    #[serde(default)]
    staff_ids: Vec<StaffId>,
    occurred_at: DateTime<Utc>,
    place: String,
    /// One of the usual kinds (bullying, fighting, ...) or the school's own
    /// word: a bounded line of text either way.
    category: String,
    what_happened: String,
    #[serde(default)]
    action_taken: String,
    #[serde(default)]
    witnesses: Vec<String>,
    #[serde(default)]
    safeguarding: bool,
}

/// A single line: its words one space apart, no control characters.
fn line(errors: &mut Vec<FieldError>, field: &str, raw: &str, min: usize, max: usize) -> String {
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let length = text.chars().count();
    if length < min || length > max || text.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be {min} to {max} characters on one line"),
        ));
    }
    text
}

/// A narrative: line breaks and tabs kept, other control characters not.
fn narrative(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> String {
    let text = raw.trim().to_owned();
    let length = text.chars().count();
    let controls = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if length < min || length > max || controls {
        errors.push(FieldError::new(
            field,
            format!("must be {min} to {max} characters of text"),
        ));
    }
    text
}

impl FormBody {
    /// The form's content, or a 400 naming every field out of bounds.
    pub fn content(self, now: DateTime<Utc>) -> Result<IncidentContent, Problem> {
        let mut errors = Vec::new();

        if self.pupils.is_empty() || self.pupils.len() > MAX_PUPILS {
            errors.push(FieldError::new(
                "pupils",
                format!("must name 1 to {MAX_PUPILS} pupils"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, pupil) in self.pupils.iter().enumerate() {
            if !seen.insert(pupil.pupil_id.clone()) {
                errors.push(FieldError::new(
                    format!("pupils[{i}].pupilId"),
                    "names a pupil already on the form",
                ));
            }
        }
        if self.staff_ids.len() > MAX_STAFF {
            errors.push(FieldError::new(
                "staffIds",
                format!("must name at most {MAX_STAFF} members of staff"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, staff) in self.staff_ids.iter().enumerate() {
            if !seen.insert(staff.clone()) {
                errors.push(FieldError::new(
                    format!("staffIds[{i}]"),
                    "names a member of staff already on the form",
                ));
            }
        }
        if self.occurred_at > now + CLOCK_SKEW || self.occurred_at.year() < 2000 {
            errors.push(FieldError::new(
                "occurredAt",
                "must be a time in the past, from the year 2000",
            ));
        }
        let place = line(&mut errors, "place", &self.place, 1, MAX_PLACE);
        let category = line(&mut errors, "category", &self.category, 1, MAX_CATEGORY);
        let what_happened = narrative(
            &mut errors,
            "whatHappened",
            &self.what_happened,
            1,
            MAX_WHAT_HAPPENED,
        );
        let action_taken = narrative(
            &mut errors,
            "actionTaken",
            &self.action_taken,
            0,
            MAX_ACTION_TAKEN,
        );
        if self.witnesses.len() > MAX_WITNESSES {
            errors.push(FieldError::new(
                "witnesses",
                format!("must name at most {MAX_WITNESSES} witnesses"),
            ));
        }
        let witnesses = self
            .witnesses
            .iter()
            .enumerate()
            .map(|(i, w)| line(&mut errors, &format!("witnesses[{i}]"), w, 1, MAX_WITNESS))
            .collect();

        if !errors.is_empty() {
            return Err(Problem::invalid(errors));
        }
        Ok(IncidentContent {
            pupils: self.pupils,
            staff_ids: self.staff_ids,
            occurred_at: self.occurred_at,
            place,
            category,
            what_happened,
            action_taken,
            witnesses,
            safeguarding: self.safeguarding,
        })
    }
}

/// 422 naming every pupil and member of staff the school does not have.
pub async fn check_references(
    store: &Store,
    school: &SchoolId,
    content: &IncidentContent,
) -> Result<(), Problem> {
    let mut errors = Vec::new();
    for (i, pupil) in content.pupils.iter().enumerate() {
        let found = store
            .directory_pupil(school, &pupil.pupil_id)
            .await
            .map_err(store_failed)?;
        if found.is_none() {
            errors.push(FieldError::new(
                format!("pupils[{i}].pupilId"),
                "no such pupil in your school",
            ));
        }
    }
    for (i, staff) in content.staff_ids.iter().enumerate() {
        let found = store
            .staff_member(school, staff)
            .await
            .map_err(store_failed)?;
        if found.is_none() {
            errors.push(FieldError::new(
                format!("staffIds[{i}]"),
                "no such member of staff in your school",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::unprocessable("unknown-reference", errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> FormBody {
        serde_json::from_value(json).unwrap()
    }

    fn fields(problem: Problem) -> Vec<String> {
        problem.errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn every_field_out_of_bounds_is_named() {
        let now = Utc::now();
        let form = body(serde_json::json!({
            "pupils": [
                {"pupilId": "p1", "role": "target"},
                {"pupilId": "p1", "role": "witness"},
            ],
            "staffIds": ["s1", "s1"],
            "occurredAt": (now + Duration::hours(2)).to_rfc3339(),
            "place": "  ",
            "category": "x".repeat(81),
            "whatHappened": "ok\u{7}",
            "witnesses": [""],
        }));
        assert_eq!(
            fields(form.content(now).unwrap_err()),
            [
                "pupils[1].pupilId",
                "staffIds[1]",
                "occurredAt",
                "place",
                "category",
                "whatHappened",
                "witnesses[0]"
            ]
        );
    }

    #[test]
    fn lines_are_tidied_and_narratives_keep_their_breaks() {
        let now = Utc::now();
        let content = body(serde_json::json!({
            "pupils": [{"pupilId": "p1", "role": "involved"}],
            "occurredAt": "2026-12-03T10:15:00Z",
            "place": "  Lower   corridor ",
            "category": "Bullying",
            "whatHappened": "First line.\nSecond line.",
        }))
        .content(now)
        .unwrap();
        assert_eq!(content.place, "Lower corridor");
        assert_eq!(content.what_happened, "First line.\nSecond line.");
        assert!(!content.safeguarding);
    }
}
