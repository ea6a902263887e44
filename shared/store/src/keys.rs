//! The key layout of the table. Every school-owned key starts with
//! `S#<school>`; ids never contain `#`, so no key of one school can be
//! spelled to reach another's.
//!
//! | item | pk | sk |
//! | --- | --- | --- |
//! | school settings, current policy | `S#<school>` | `SCHOOL`, `POLICY` |
//! | policy versions it replaced | `S#<school>#POLICY` | `V#<version, 10 digits>` |
//! | pupil, pupil's points | `S#<school>#PUPIL#<pupil>` | `PUPIL`, `TOTALS` |
//! | pupil's points in one cycle | `S#<school>#PUPIL#<pupil>` | `POINTS#<cycle>` |
//! | class, its members | `S#<school>#CLASS#<class>` | `CLASS`, `PUPIL#<pupil>` |
//! | class's points in one cycle | `S#<school>#CLASS#<class>` | `POINTS#<cycle>` |
//! | house's points in one cycle, one shard | `S#<school>#HOUSE#<house>` | `POINTS#<cycle>#<shard>` |
//! | points awarded by hand | `S#<school>#AWARD#<id>` | `AWARD` |
//! | light per lesson | `S#<school>#LESSON#<class>#<date>` | `PUPIL#<pupil>` |
//! | light per day | `S#<school>#DAY#<date>` | `PUPIL#<pupil>` |
//! | behaviour, withdrawal | `S#<school>#BEHAVIOUR#<id>` | `BEHAVIOUR`, `WITHDRAWAL#<id>` |
//! | request record | `S#<school>#REQUEST#<id>` | `REQUEST` |
//! | roster staff, staff accounts | `S#<school>#STAFF` | `STAFF#<staff>`, `ACCOUNT#<staff>` |
//! | a member of staff's notification preferences, each notification sent them | `S#<school>#STAFF#<staff>` | `PREFERENCES`, `NOTIFICATION#<id>` |
//! | token revocations, support grants, school status | `S#<school>#ACCESS` | `REVOKED#<user>`, `GRANT#<id>`, `STATUS` |
//! | audit record | `S#<school>#AUDIT` | `AT#<instant>#<id>` |
//! | groups, roster sync ledger | `S#<school>#ROSTER` | `GROUP#<wonde id>`, `LEDGER#...` |
//! | roster sync state, lease, runs | `S#<school>#SYNC` | `STATE`, `LEASE`, `RUN#<instant>#<id>` |
//! | registry of schools (status, Wonde id, time zone) | `SCHOOLS` | `SCHOOL#<school>` |
//! | an address's mail suppression, SES events counted for it ([`crate::suppression`]) | `SUPPRESSION#<email key>` | `SUPPRESSION`, `EVENT#<kind>#<message id>` |
//! | certificate | `S#<school>#CERTIFICATE#<id>` | `CERTIFICATE` |
//! | pupil's earned certificate mark, per rule and cycle | `S#<school>#PUPIL#<pupil>` | `EARNED#<rule>#<cycle>` |
//! | hand-awarded certificate's request record | `S#<school>#REQUEST#<id>` | `CERTIFICATE` |
//! | school's chart tally of a day | `S#<school>#CHARTS` | `DAY#<date>` |
//! | a week's chart tallies ([`crate::charts`]) | `S#<school>#CHARTS#<monday>` | `<dimension>#<id>` |
//! | marks of events counted in the charts | `S#<school>#REQUEST#<id>`, `S#<school>#BEHAVIOUR#<id>` | `CHARTED...` |
//! | incident form, its versions, its safeguarding deliveries ([`crate::incidents`]) | `S#<school>#INCIDENT#<id>` | `INCIDENT`, `V#<version>`, `DELIVERY#<version>` |
//! | incident form's create request record | `S#<school>#REQUEST#<id>` | `INCIDENT` |
//! | the school's safeguarding settings | `S#<school>#SAFEGUARDING` | `SETTINGS` |
//! | detention session, detention, detention settings ([`crate::detentions`]) | `S#<school>#DETENTIONSESSION#<id>`, `S#<school>#DETENTION#<id>`, `S#<school>#DETENTIONS` | `SESSION`, `DETENTION`, `SETTINGS` |
//!
//! | index | pk | sk | holds |
//! | --- | --- | --- | --- |
//! | `gsi1` | `S#<school>#PUPIL#<pupil>` | `BEHAVIOUR#<occurredAt>#<id>` | a pupil's behaviours |
//! | `gsi2` | `S#<school>#CLASS#<class>` | `BEHAVIOUR#<occurredAt>#<id>` | a class's behaviours |
//! | `gsi3` | `S#<school>#STAFF#<staff>` | `BEHAVIOUR#<occurredAt>#<id>` | what a member of staff logged |
//! | `gsi4` | `S#<school>#BEHAVIOURS` | `BEHAVIOUR#<occurredAt>#<id>` | the whole school's behaviours |
//! | `gsi1` | `S#<school>#PUPIL#<pupil>` | `CERTIFICATE#<awardedAt>#<id>` | a pupil's certificates |
//! | `gsi4` | `S#<school>#CERTIFICATES` | `CERTIFICATE#<awardedAt>#<id>` | the whole school's certificates |
//! | `gsi4` | `S#<school>#PUPILS` | `<last>#<first>#<pupil>` | the pupil directory (pupil items) |
//! | `gsi4` | `S#<school>#CLASSES` | `<name>#<class>` | the class directory (class items) |
//! | `gsi2` | `S#<school>#BOARD#<cycle>#YEAR#<year>` | `<rank>#<pupil>` | pupils of a year by points (pupil cycle items) |
//! | `gsi3` | `S#<school>#BOARD#<cycle>#HOUSE#<house>` | `<rank>#<pupil>` | pupils of a house by points (pupil cycle items) |
//! | `gsi4` | `S#<school>#BOARD#<cycle>#CLASSES#<year>` | `<class>` | the classes of a year (class cycle items) |
//! | `gsi4` | `S#<school>#BOARD#<cycle>#HOUSES` | `<house>#<shard>` | the houses (house cycle items) |
//! | `outbox` | `OUTBOX#<shard>` | `<outboxAt>` | request records whose event is not yet sent |
//! | `outbox` | `CERTIFICATES#<shard>` | `<awardedAt>` | certificates not yet on the `certificates` queue ([`crate::certificates`]) |
//! | `gsi4` | `S#<school>#INCIDENTS` | `INCIDENT#<occurredAt>#<id>` | the school's incident forms (form items) |
//! | `gsi4` | `S#<school>#DETENTIONSESSIONS`, `S#<school>#DETENTIONS` | `<date>#...` | detention sessions by start; detentions by day and session |
//! | `gsi1` | `S#<school>#PUPIL#<pupil>` | `DETENTION#<date>#<id>` | a pupil's detentions |
//! | `outbox` | `SAFEGUARDING#<shard>` | `<createdAt>` | safeguarding deliveries not yet on the `safeguarding` queue |
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
//! Points ([`crate::points`]) are kept per pupil for all time (`TOTALS`)
//! and per points cycle (`POINTS#<cycle>`, the policy's name for the term
//! or year a behaviour's lesson date falls in), and per class and house per
//! cycle. The cycle items carry leaderboard attributes on indexes whose
//! other partitions they never share: a pupil's on `gsi2` (their year) and
//! `gsi3` (their house), sorted by [`rank`], a fixed-width form of the
//! points that sorts as text in numeric order; a class's and a house's on
//! `gsi4`, a partition per cycle that holds a year's classes or the
//! school's houses, few enough to read whole and order by points. Houses
//! are counted in [`HOUSE_SHARDS`] items each, so the school's busiest
//! counters are not one item that every transaction touches; their sum is
//! the house's points.
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
/// The start of a replaced policy version's sort key.
pub const POLICY_VERSION_PREFIX: &str = "V#";
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

/// How many items each house's points in one cycle are spread over.
pub const HOUSE_SHARDS: u32 = 4;

/// The sort key of the points item of one cycle (pupils and classes).
pub fn points(cycle: &str) -> String {
    format!("POINTS#{}", part(cycle))
}

/// The sort key of one shard of a house's points in one cycle.
pub fn house_points(cycle: &str, shard: u32) -> String {
    format!("POINTS#{}#{shard}", part(cycle))
}

/// A house's partition. House names come from the MIS, so `#` and `%` in
/// them are escaped ([`part`]).
pub fn house(school: &SchoolId, house: &str) -> String {
    format!("S#{school}#HOUSE#{}", part(house))
}

/// The `gsi2` partition of a year's pupils by points in one cycle.
pub fn year_board(school: &SchoolId, cycle: &str, year: &str) -> String {
    format!("S#{school}#BOARD#{}#YEAR#{}", part(cycle), part(year))
}

/// The `gsi3` partition of a house's pupils by points in one cycle.
pub fn house_board(school: &SchoolId, cycle: &str, house: &str) -> String {
    format!("S#{school}#BOARD#{}#HOUSE#{}", part(cycle), part(house))
}

/// The `gsi4` partition of a year's classes' points in one cycle.
pub fn class_board(school: &SchoolId, cycle: &str, year: &str) -> String {
    format!("S#{school}#BOARD#{}#CLASSES#{}", part(cycle), part(year))
}

/// The `gsi4` partition of the school's houses' points in one cycle.
pub fn houses_board(school: &SchoolId, cycle: &str) -> String {
    format!("S#{school}#BOARD#{}#HOUSES", part(cycle))
}

/// Points as a leaderboard sort key: the sign bit flipped, so that every
/// `i64` becomes a `u64` in the same order, written in 20 digits.
pub fn rank(points: i64, pupil: &PupilId) -> String {
    let ordered = (points as u64) ^ (1 << 63);
    format!("{ordered:020}#{pupil}")
}

pub fn award(school: &SchoolId, id: BehaviourId) -> String {
    format!("S#{school}#AWARD#{id}")
}

pub const AWARD: &str = "AWARD";

/// Free text inside a key, with `%` and `#` escaped so that it can neither
/// end its part of the key early nor collide with another text.
pub fn part(text: &str) -> String {
    text.replace('%', "%25").replace('#', "%23")
}

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

/// The partition of the policy versions a school's current policy replaced.
pub fn policy_history(school: &SchoolId) -> String {
    format!("S#{school}#POLICY")
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

/// The partition of what belongs to one member of staff alone (their
/// notification preferences and the notifications sent them). The same
/// text is `gsi3`'s partition of what they logged, on another attribute,
/// so neither finds the other's items.
pub fn staff_own(school: &SchoolId, staff: &StaffId) -> String {
    format!("S#{school}#STAFF#{staff}")
}

/// The sort key of a member of staff's notification preferences.
pub const NOTIFICATION_PREFERENCES: &str = "PREFERENCES";

/// The sort key of the record of one notification to a member of staff.
/// The id comes from whoever queued it, so it is escaped ([`part`]).
pub fn notification(id: &str) -> String {
    format!("NOTIFICATION#{}", part(id))
}

/// The partition of one address's place on the mail suppression list: not
/// a school's, since an address that bounces does so for every school.
/// `email_key` is the address's digest, never the address.
pub fn suppression(email_key: &str) -> String {
    format!("SUPPRESSION#{email_key}")
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
    fn ranks_sort_as_text_in_the_order_of_the_points() {
        let pupil = PupilId::parse("p1").unwrap();
        let points = [i64::MIN, -300, -1, 0, 1, 9, 10, 12_000, i64::MAX];
        let ranks: Vec<String> = points.iter().map(|p| rank(*p, &pupil)).collect();
        let mut sorted = ranks.clone();
        sorted.sort();
        assert_eq!(ranks, sorted);
        assert!(ranks.iter().all(|r| r.len() == 20 + 1 + 2));
    }

    #[test]
    fn house_names_cannot_reach_another_key() {
        let school = SchoolId::parse("s1").unwrap();
        assert_ne!(house(&school, "A#B"), house(&school, "A%23B"));
        assert_eq!(house(&school, "Red #1"), "S#s1#HOUSE#Red %231");
        assert_ne!(
            house_board(&school, "all", "Ash"),
            year_board(&school, "all", "Ash")
        );
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
