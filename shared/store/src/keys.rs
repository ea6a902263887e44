//! The key layout of the table. Every school-owned key starts with
//! `S#<school>`; ids never contain `#`, so no key of one school can be
//! spelled to reach another's.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | school settings, policy | `S#<school>` | `SCHOOL`, `POLICY` |
//! | pupil, pupil's points | `S#<school>#PUPIL#<pupil>` | `PUPIL`, `TOTALS` |
//! | class, its members | `S#<school>#CLASS#<class>` | `CLASS`, `PUPIL#<pupil>` |
//! | light per lesson | `S#<school>#LESSON#<class>#<date>` | `PUPIL#<pupil>` |
//! | light per day | `S#<school>#DAY#<date>` | `PUPIL#<pupil>` |
//! | behaviour, withdrawal | `S#<school>#BEHAVIOUR#<id>` | `BEHAVIOUR`, `WITHDRAWAL#<id>` |
//! | request record | `S#<school>#REQUEST#<id>` | `REQUEST` |
//! | roster staff, staff accounts | `S#<school>#STAFF` | `STAFF#<staff>`, `ACCOUNT#<staff>` |
//! | token revocations, support grants, school status | `S#<school>#ACCESS` | `REVOKED#<user>`, `GRANT#<id>`, `STATUS` |
//! | audit record | `S#<school>#AUDIT` | `AT#<instant>#<id>` |
//! | groups, roster sync ledger | `S#<school>#ROSTER` | `GROUP#<wonde id>`, `LEDGER#...` |
//! | roster sync state, lease, runs | `S#<school>#SYNC` | `STATE`, `LEASE`, `RUN#<instant>#<id>` |
//! | registry of schools (status, Wonde id, time zone) | `SCHOOLS` | `SCHOOL#<school>` |
//!
//! | index | pk | sk | holds |
//! | --- | --- | --- | --- |
//! | `gsi1` | `S#<school>#PUPIL#<pupil>` | `BEHAVIOUR#<occurredAt>#<id>` | a pupil's behaviours |
//! | `gsi2` | `S#<school>#CLASS#<class>` | `BEHAVIOUR#<occurredAt>#<id>` | a class's behaviours |
//! | `gsi3` | `S#<school>#STAFF#<staff>` | `BEHAVIOUR#<occurredAt>#<id>` | what a member of staff logged |
//! | `gsi4` | `S#<school>#BEHAVIOURS` | `BEHAVIOUR#<occurredAt>#<id>` | the whole school's behaviours |
//! | `gsi4` | `S#<school>#PUPILS` | `<last>#<first>#<pupil>` | the pupil directory (pupil items) |
//! | `gsi4` | `S#<school>#CLASSES` | `<name>#<class>` | the class directory (class items) |
//! | `outbox` | `OUTBOX#<shard>` | `<outboxAt>` | request records whose event is not yet sent |
//! | `email` | `<digest of a work email>` | | roster staff, for sign-up |
//!
//! The roster comes from Wonde ([`crate::roster`]). Staff and classes keep
//! Wonde's ids (`StaffId`, `ClassId`). A pupil's id does not: Wonde gives a
//! pupil who leaves and is re-enrolled a new id but the same `upi`, so our
//! `PupilId` is derived from the school and the `upi` ([`pupil_from_upi`])
//! and their behaviours, lights and points stay theirs. A pupil without a
//! `upi` gets an id derived from their Wonde id instead.
//!
//! The registry is the one partition that is not a school's: it lists every
//! school that came through its lifecycle ([`crate::lifecycle`]), so the
//! sync planner and the retention job read one partition rather than scan
//! the table. A school that approves our access through Wonde gets an id
//! derived from its Wonde id ([`school_from_wonde`]), so a repeated approval
//! finds the same school.
//!
//! Accounts, codes, sessions and throttles that are not a school's are laid
//! out in [`crate::identity`].
//!
//! Behaviours appear in four timelines, newest last by `BEHAVIOUR#<occurredAt>#<id>`:
//! `gsi1` by pupil, `gsi2` by class, `gsi3` by the staff who logged them and
//! `gsi4` for the whole school. The sparse `outbox` index lists request
//! records whose event is not yet on the queue.
//!
//! `gsi4` also holds two directories, so that pupils and classes, each in a
//! partition of their own, are listed by one Query rather than a Scan: every
//! pupil item and every class item carries `gsi4pk`/`gsi4sk` (see
//! [`crate::directory`]). Names in those keys are folded to lower case with
//! `#` taken out ([`fold`]), so they sort and match without regard to case,
//! and the id at the end keeps two pupils of the same name apart.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::{BehaviourId, ClassId, LightScope, PupilId, SchoolId, StaffId};

pub const PK: &str = "pk";
pub const SK: &str = "sk";

pub const SCHOOL: &str = "SCHOOL";
pub const POLICY: &str = "POLICY";
pub const PUPIL: &str = "PUPIL";
pub const TOTALS: &str = "TOTALS";
pub const CLASS: &str = "CLASS";
pub const BEHAVIOUR: &str = "BEHAVIOUR";
pub const REQUEST: &str = "REQUEST";
/// The partition of the registry of schools.
pub const SCHOOLS: &str = "SCHOOLS";
/// A school's status in its access partition.
pub const ACCESS_STATUS: &str = "STATUS";

/// How many shards the outbox index spreads records over.
pub const OUTBOX_SHARDS: u8 = 8;

pub fn school(school: &SchoolId) -> String {
    format!("S#{school}")
}

pub fn pupil(school: &SchoolId, pupil: &PupilId) -> String {
    format!("S#{school}#PUPIL#{pupil}")
}

pub fn class(school: &SchoolId, class: &ClassId) -> String {
    format!("S#{school}#CLASS#{class}")
}

pub fn staff(school: &SchoolId, staff: &StaffId) -> String {
    format!("S#{school}#STAFF#{staff}")
}

/// The partition of a school's staff: the roster and their accounts.
pub fn staff_directory(school: &SchoolId) -> String {
    format!("S#{school}#STAFF")
}

/// The partition a function reads to refuse revoked tokens and to check
/// support grants, cached for a short while.
pub fn access(school: &SchoolId) -> String {
    format!("S#{school}#ACCESS")
}

/// A school's place in the registry of schools.
pub fn school_entry(school: &SchoolId) -> String {
    format!("SCHOOL#{school}")
}

/// The id of the school Wonde knows as `wonde_id`: always the same for it,
/// so a repeated approval finds the school it created.
pub fn school_from_wonde(wonde_id: &str) -> SchoolId {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(format!("classlights-school\nwonde\n{wonde_id}").as_bytes());
    let digest = context.finish();
    let hex: String = digest.as_ref()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    SchoolId::parse(&format!("w{hex}")).expect("hex digits make a valid id")
}

/// The partition of a school's groups and of the ledger the roster sync
/// compares each run against.
pub fn roster(school: &SchoolId) -> String {
    format!("S#{school}#ROSTER")
}

/// The partition of a school's roster sync: its state, lease and runs.
pub fn roster_sync(school: &SchoolId) -> String {
    format!("S#{school}#SYNC")
}

/// The stable id of a pupil with Wonde `upi`: the same whatever Wonde id
/// they are enrolled under, different in every school, and no way back to
/// the `upi`.
pub fn pupil_from_upi(school: &SchoolId, upi: &str) -> PupilId {
    derived_pupil_id(school, "upi", upi)
}

/// The id of a pupil Wonde gives no `upi` for.
pub fn pupil_from_wonde_id(school: &SchoolId, wonde_id: &str) -> PupilId {
    derived_pupil_id(school, "wonde", wonde_id)
}

fn derived_pupil_id(school: &SchoolId, kind: &str, value: &str) -> PupilId {
    let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    context.update(format!("classlights-pupil\n{school}\n{kind}\n{value}").as_bytes());
    let digest = context.finish();
    let hex: String = digest.as_ref()[..13]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    PupilId::parse(&format!("p{hex}")).expect("hex digits make a valid id")
}

pub fn audit(school: &SchoolId) -> String {
    format!("S#{school}#AUDIT")
}

pub fn member(pupil: &PupilId) -> String {
    format!("PUPIL#{pupil}")
}

/// The partition holding the lights of one lesson (or one day).
pub fn lights(school: &SchoolId, scope: LightScope, class: &ClassId, date: NaiveDate) -> String {
    match scope {
        LightScope::Lesson => format!("S#{school}#LESSON#{class}#{date}"),
        LightScope::Day => format!("S#{school}#DAY#{date}"),
    }
}

pub fn behaviour(school: &SchoolId, id: BehaviourId) -> String {
    format!("S#{school}#BEHAVIOUR#{id}")
}

pub fn withdrawal(id: BehaviourId) -> String {
    format!("WITHDRAWAL#{id}")
}

pub fn all_behaviours(school: &SchoolId) -> String {
    format!("S#{school}#BEHAVIOURS")
}

/// The `gsi4` partition listing a school's pupils.
pub fn pupil_directory(school: &SchoolId) -> String {
    format!("S#{school}#PUPILS")
}

/// A pupil's place in the pupil directory: by last name, then first name.
pub fn pupil_directory_entry(last_name: &str, first_name: &str, pupil: &PupilId) -> String {
    format!("{}#{}#{pupil}", fold(last_name), fold(first_name))
}

/// The `gsi4` partition listing a school's classes.
pub fn class_directory(school: &SchoolId) -> String {
    format!("S#{school}#CLASSES")
}

/// A class's place in the class directory: by name.
pub fn class_directory_entry(name: &str, class: &ClassId) -> String {
    format!("{}#{class}", fold(name))
}

/// A name as directory keys hold it: lower case, without `#` (which
/// separates the parts of a key), its words one space apart.
pub fn fold(name: &str) -> String {
    name.replace('#', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub fn request(school: &SchoolId, request_id: &str) -> String {
    format!("S#{school}#REQUEST#{request_id}")
}

/// Sorts behaviours by when they happened; the id breaks ties.
pub fn timeline(occurred_at: DateTime<Utc>, id: BehaviourId) -> String {
    format!("BEHAVIOUR#{}#{id}", instant(occurred_at))
}

/// The lowest and highest timeline keys of a time range.
pub fn timeline_bounds(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> (String, String) {
    let low = from.map_or_else(
        || "BEHAVIOUR#".to_owned(),
        |at| format!("BEHAVIOUR#{}", instant(at)),
    );
    let high = to.map_or_else(
        || "BEHAVIOUR#~".to_owned(),
        |at| format!("BEHAVIOUR#{}#~", instant(at)),
    );
    (low, high)
}

/// Fixed-width UTC instants sort as text in time order.
pub fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn outbox_shard(request_id: &str) -> String {
    let hash = request_id
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("OUTBOX#{}", hash % u32::from(OUTBOX_SHARDS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeline_keys_sort_in_time_order() {
        let id = BehaviourId::new(ulid::Ulid(1));
        let early = DateTime::parse_from_rfc3339("2026-12-03T09:05:00Z")
            .unwrap()
            .to_utc();
        let late = DateTime::parse_from_rfc3339("2026-12-03T10:00:00.5Z")
            .unwrap()
            .to_utc();
        assert!(timeline(early, id) < timeline(late, id));
        let (low, high) = timeline_bounds(Some(early), Some(early));
        assert!(low <= timeline(early, id) && timeline(early, id) <= high);
    }

    #[test]
    fn a_pupil_keeps_their_id_across_wonde_ids_but_not_across_schools() {
        let one = SchoolId::parse("s1").unwrap();
        let two = SchoolId::parse("s2").unwrap();
        assert_eq!(pupil_from_upi(&one, "u1"), pupil_from_upi(&one, "u1"));
        assert_ne!(pupil_from_upi(&one, "u1"), pupil_from_upi(&two, "u1"));
        assert_ne!(pupil_from_upi(&one, "u1"), pupil_from_wonde_id(&one, "u1"));
    }

    #[test]
    fn directory_entries_sort_by_name_without_regard_to_case() {
        let a = PupilId::parse("p2").unwrap();
        let b = PupilId::parse("p1").unwrap();
        assert!(
            pupil_directory_entry("ali", "Zara", &a) < pupil_directory_entry("Brown", "Amy", &b)
        );
        assert_eq!(
            pupil_directory_entry(" O#Neil ", "Ava", &a),
            "o neil#ava#p2"
        );
        assert!(
            class_directory_entry("7A Maths", &ClassId::parse("c9").unwrap())
                < class_directory_entry("7b maths", &ClassId::parse("c1").unwrap())
        );
        let school = SchoolId::parse("s1").unwrap();
        assert_ne!(pupil_directory(&school), all_behaviours(&school));
        assert_ne!(class_directory(&school), all_behaviours(&school));
    }

    #[test]
    fn a_wonde_school_always_gets_the_same_id() {
        let riverside = school_from_wonde("A1930499544");
        assert_eq!(riverside, school_from_wonde("A1930499544"));
        assert_ne!(riverside, school_from_wonde("A1930499545"));
        assert_eq!(school_from_wonde("A1").as_str().len(), 25);
    }

    #[test]
    fn lesson_and_day_lights_never_share_a_partition() {
        let school = SchoolId::parse("s1").unwrap();
        let class = ClassId::parse("DAY").unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_ne!(
            lights(&school, LightScope::Lesson, &class, date),
            lights(&school, LightScope::Day, &class, date)
        );
    }
}
