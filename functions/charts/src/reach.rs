//! Whose charts a caller may read, and what the chart is of.
//!
//! [`Permission::ReadCharts`] reaches as far as the caller's widest role:
//!
//! - the whole school (pastoral, DSL, SLT, admin): any scope;
//! - their classes (a teacher): a class they teach, and any pupil of one;
//! - their tutor group (a form tutor): a pupil of a form they tutor;
//! - their year (a head of year): the year groups of the classes they
//!   teach and of the forms they tutor, and any class or pupil of those
//!   years. The roster does not record who leads which year, so this is
//!   the nearest it can tell; a head of year who neither teaches nor tutors
//!   in their year reaches none of it until it does.
//!
//! Anyone may chart what they logged themselves (`scope=staff` with their
//! own id); another member of staff's needs the whole school. The houses
//! and the school itself need the whole school too. Anything out of reach
//! is 404, the same answer as for what does not exist, so nobody learns
//! which ids the school holds.

use std::collections::BTreeSet;

use domain::{ClassId, Permission, PupilId, Scope, StaffId};
use platform::{Caller, Problem, store_failed};
use store::{ClassQuery, GroupKind, Member, PupilQuery, Store};

use crate::ask::ScopeKind;

/// What a chart is of, with the name its subtitle gives it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub scope: ScopeKind,
    /// The id as asked: a year group, house, class, pupil or member of
    /// staff; none for the school.
    pub id: Option<String>,
    pub name: String,
    /// A class's pupils, read on the way.
    pub members: Vec<Member>,
}

/// How far the caller's chart reading reaches.
struct Reach {
    whole_school: bool,
    own_classes: bool,
    own_tutor_group: bool,
    own_year: bool,
}

impl Reach {
    fn of(caller: &Caller) -> Self {
        let scopes = caller.scopes(Permission::ReadCharts);
        Self {
            whole_school: scopes.contains(&Scope::WholeSchool),
            own_classes: scopes.contains(&Scope::OwnClasses),
            own_tutor_group: scopes.contains(&Scope::OwnTutorGroup),
            own_year: scopes.contains(&Scope::OwnYear),
        }
    }
}

/// What the chart is of, if the caller may read it; 404 otherwise.
pub async fn subject(
    store: &Store,
    caller: &Caller,
    scope: ScopeKind,
    id: Option<&str>,
    school_name: &str,
) -> Result<Subject, Problem> {
    let reach = Reach::of(caller);
    let id = id.unwrap_or_default();
    let hidden = || {
        Problem::not_found(format!(
            "no such {} in your school, or not one whose charts you may read",
            scope.as_str()
        ))
    };
    let subject = |name: String| Subject {
        scope,
        id: (scope != ScopeKind::School).then(|| id.to_owned()),
        name,
        members: Vec::new(),
    };

    match scope {
        ScopeKind::School | ScopeKind::House if !reach.whole_school => Err(hidden()),
        ScopeKind::School => Ok(subject(school_name.to_owned())),
        ScopeKind::House => Ok(subject(house_name(id))),
        ScopeKind::Year => {
            let led = reach.own_year && years_led(store, caller).await?.contains(id);
            if reach.whole_school || led {
                Ok(subject(year_name(id)))
            } else {
                Err(hidden())
            }
        }
        ScopeKind::Class => {
            let class = ClassId::parse(id).map_err(|_| hidden())?;
            let detail = store
                .class_detail(&caller.school, &class)
                .await
                .map_err(store_failed)?
                .ok_or_else(hidden)?;
            let allowed = reach.whole_school
                || (reach.own_classes && detail.class.teaches(&caller.user))
                || (reach.own_year
                    && years_led(store, caller)
                        .await?
                        .contains(&detail.class.year_group));
            if !allowed {
                return Err(hidden());
            }
            Ok(Subject {
                members: detail.members,
                ..subject(detail.class.name)
            })
        }
        ScopeKind::Pupil => {
            let pupil = PupilId::parse(id).map_err(|_| hidden())?;
            let found = store
                .directory_pupil(&caller.school, &pupil)
                .await
                .map_err(store_failed)?
                .ok_or_else(hidden)?;
            let allowed = reach.whole_school
                || (reach.own_classes && teaches_pupil(store, caller, &pupil).await?)
                || (reach.own_tutor_group
                    && tutors(store, caller, found.registration_group.as_deref()).await?)
                || (reach.own_year && years_led(store, caller).await?.contains(&found.year_group));
            if !allowed {
                return Err(hidden());
            }
            Ok(subject(found.display_name()))
        }
        ScopeKind::Staff => {
            let member = StaffId::parse(id).map_err(|_| hidden())?;
            let own = member == caller.user;
            if !own && !reach.whole_school {
                return Err(hidden());
            }
            let named = store
                .staff_named(&caller.school, std::slice::from_ref(&member))
                .await
                .map_err(store_failed)?;
            match named.get(&member) {
                Some(found) => Ok(subject(
                    format!("{} {}", found.first_name, found.last_name)
                        .trim()
                        .to_owned(),
                )),
                // The caller is real even if the roster lists them under no
                // staff entry (an admin account, say).
                None if own => Ok(subject(id.to_owned())),
                None => Err(hidden()),
            }
        }
    }
}

/// "Year 9" for the year group the roster calls "9"; other names as they
/// are.
pub fn year_name(id: &str) -> String {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        format!("Year {id}")
    } else {
        id.to_owned()
    }
}

/// "Ash house" for the house called "Ash"; "Red House" as it is.
fn house_name(id: &str) -> String {
    if id.to_lowercase().ends_with("house") {
        id.to_owned()
    } else {
        format!("{id} house")
    }
}

/// Whether the caller teaches a class the pupil is in.
async fn teaches_pupil(store: &Store, caller: &Caller, pupil: &PupilId) -> Result<bool, Problem> {
    let classes = store
        .classes_of_pupil(&caller.school, pupil)
        .await
        .map_err(store_failed)?;
    Ok(classes.iter().any(|c| c.teaches(&caller.user)))
}

/// Whether the caller tutors the form (registration group) named.
async fn tutors(store: &Store, caller: &Caller, form: Option<&str>) -> Result<bool, Problem> {
    let Some(form) = form.filter(|f| !f.is_empty()) else {
        return Ok(false);
    };
    let tutors = store
        .tutors_of(&caller.school, form)
        .await
        .map_err(store_failed)?;
    Ok(tutors.iter().any(|t| t.id == caller.user))
}

/// The year groups of the classes the caller teaches and of the forms they
/// tutor. A form's year is its pupils' year, read from its first pupil.
async fn years_led(store: &Store, caller: &Caller) -> Result<BTreeSet<String>, Problem> {
    let school = &caller.school;
    let mut years = BTreeSet::new();
    let mut after = None;
    loop {
        let query = ClassQuery {
            teacher: Some(caller.user.clone()),
            limit: 200,
            after,
        };
        let (classes, next) = store.classes(school, &query).await.map_err(store_failed)?;
        years.extend(classes.into_iter().map(|entry| entry.class.year_group));
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }

    let forms = store
        .groups(school, GroupKind::Registration)
        .await
        .map_err(store_failed)?;
    for form in forms.iter().filter(|g| g.tutors.contains(&caller.user)) {
        let query = PupilQuery {
            registration_group: Some(form.name.clone()),
            limit: 1,
            ..PupilQuery::default()
        };
        let (pupils, _) = store.pupils(school, &query).await.map_err(store_failed)?;
        years.extend(pupils.into_iter().map(|p| p.year_group));
    }
    years.retain(|y| !y.trim().is_empty());
    Ok(years)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_and_houses_read_as_people_say_them() {
        assert_eq!(year_name("9"), "Year 9");
        assert_eq!(year_name("Reception"), "Reception");
        assert_eq!(house_name("Ash"), "Ash house");
        assert_eq!(house_name("Red House"), "Red House");
    }
}
