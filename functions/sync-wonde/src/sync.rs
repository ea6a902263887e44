//! One sync of one school: read the roster from Wonde, compare it with
//! what the ledger says is stored, write the difference.
//!
//! Everything is read before anything is written, so a run that fails
//! part way (a rate limit that outlasts the retries, a server error, a
//! timeout, a broken page) writes nothing and removes nothing. Removals
//! come only from Wonde's deletions (a delta) or from records a full sync
//! that read every page did not see. The delta watermark moves only when a
//! run completes, so a failed or killed run is simply done again.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use domain::{ClassId, Email, PupilId, SchoolId, StaffId};
use store::{
    GroupFlags, GroupKind, LeaseOutcome, Member, Removals, RosterClass, RosterGroup, RosterLedger,
    RosterPupil, RosterStaff, RosterUpdate, RunOutcome, SchoolStatus, StoreError, SyncKind,
    SyncLease, SyncRun, SyncState, keys,
};
use wonde::{DeletionKind, Pages, Query, SchoolApi, WondeId};

use crate::App;

/// A delta starts this long before the last one's newest change, or the
/// last run's start if earlier, so a record changed while that run was
/// reading is read again rather than missed. Reading it again writes
/// nothing when nothing changed.
const WATERMARK_OVERLAP: Duration = Duration::minutes(5);

/// Why a sync could not run or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("school {0} is not set up")]
    UnknownSchool(SchoolId),
    #[error("Wonde: {0}")]
    Wonde(#[from] wonde::Error),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("Wonde sent a record with an id the service cannot hold")]
    BadId,
}

impl SyncError {
    /// A short name for the run record and the logs.
    pub fn kind(&self) -> &'static str {
        match self {
            SyncError::UnknownSchool(_) => "unknown-school",
            SyncError::Wonde(e) => match e.last_attempt() {
                wonde::Error::RateLimited { .. } => "wonde-rate-limited",
                wonde::Error::Server { .. } => "wonde-server-error",
                wonde::Error::Timeout { .. } => "wonde-timeout",
                wonde::Error::Unauthorized { .. } => "wonde-unauthorized",
                _ => "wonde-failed",
            },
            SyncError::Store(_) => "store-failed",
            SyncError::BadId => "bad-id",
        }
    }
}

/// How a sync request ended without an error.
#[derive(Debug)]
pub enum SyncOutcome {
    Completed(SyncRun),
    /// Another sync of the school holds the lease.
    Declined {
        running: SyncKind,
    },
    /// The school has not linked Wonde yet: nothing to read.
    NotLinked,
    /// The school revoked our access: Wonde would refuse, and we must not
    /// read.
    Disabled,
}

/// Runs one sync of a school, unless another is running.
pub async fn sync_school(
    app: &App,
    school: &SchoolId,
    requested: SyncKind,
) -> Result<SyncOutcome, SyncError> {
    let settings = app
        .store
        .roster_settings(school)
        .await?
        .ok_or_else(|| SyncError::UnknownSchool(school.clone()))?;
    if settings.status == SchoolStatus::Disabled {
        return Ok(SyncOutcome::Disabled);
    }
    let Some(wonde_id) = settings.wonde_id.clone() else {
        return Ok(SyncOutcome::NotLinked);
    };
    let wonde_id = WondeId::parse(&wonde_id).map_err(|_| SyncError::BadId)?;

    let started_at = Utc::now();
    let lease = SyncLease {
        owner: ulid::Ulid::new().to_string(),
        kind: requested,
        expires_at: (started_at + app.lease_for).timestamp(),
    };
    if let LeaseOutcome::Held(held) = app
        .store
        .take_sync_lease(school, &lease, started_at)
        .await?
    {
        return Ok(SyncOutcome::Declined { running: held.kind });
    }

    let result = run_with_lease(
        app,
        school,
        &wonde_id,
        requested,
        settings.group_analysis,
        started_at,
    )
    .await;
    if let Err(error) = app.store.release_sync_lease(school, &lease.owner).await {
        tracing::warn!(school = %school, error = %error, "sync lease left to expire");
    }
    result.map(SyncOutcome::Completed)
}

async fn run_with_lease(
    app: &App,
    school: &SchoolId,
    wonde_id: &WondeId,
    requested: SyncKind,
    group_analysis: bool,
    started_at: DateTime<Utc>,
) -> Result<SyncRun, SyncError> {
    let clock = Instant::now();
    let requests_before = app.wonde.requests_made();
    let state = app.store.sync_state(school).await?;
    let kind = match (requested, state.watermark) {
        (SyncKind::Delta, Some(_)) if state.group_analysis == group_analysis => SyncKind::Delta,
        _ => SyncKind::Full,
    };
    let mut run = SyncRun {
        id: ulid::Ulid::new().to_string(),
        kind,
        outcome: RunOutcome::Failed,
        started_at,
        duration_ms: 0,
        pupils_read: 0,
        staff_read: 0,
        classes_read: 0,
        groups_read: 0,
        deletions_read: 0,
        counts: Default::default(),
        wonde_requests: 0,
        table_writes: 0,
        error: None,
    };

    let done = sync_roster(app, school, wonde_id, &state, group_analysis, &mut run).await;
    run.duration_ms = clock.elapsed().as_millis() as u64;
    run.wonde_requests = app.wonde.requests_made() - requests_before;
    match &done {
        Ok(()) => run.outcome = RunOutcome::Completed,
        Err(error) => run.error = Some(error.kind().to_owned()),
    }
    if let Err(error) = app.store.put_sync_run(school, &run).await {
        tracing::warn!(school = %school, error = %error, "the sync run record was not written");
    }
    let c = &run.counts;
    match &done {
        Ok(()) => tracing::info!(
            school = %school,
            run = %run.id,
            kind = ?run.kind,
            pupils_read = run.pupils_read,
            staff_read = run.staff_read,
            classes_read = run.classes_read,
            pupils_written = c.pupils_written,
            pupils_left = c.pupils_left,
            staff_written = c.staff_written,
            staff_removed = c.staff_removed,
            classes_written = c.classes_written,
            classes_removed = c.classes_removed,
            members_written = c.members_written,
            members_removed = c.members_removed,
            groups_written = c.groups_written,
            groups_removed = c.groups_removed,
            wonde_requests = run.wonde_requests,
            table_writes = run.table_writes,
            duration_ms = run.duration_ms,
            "roster synced"
        ),
        Err(error) => tracing::warn!(
            school = %school,
            run = %run.id,
            kind = ?run.kind,
            error = error.kind(),
            wonde_requests = run.wonde_requests,
            duration_ms = run.duration_ms,
            "roster sync failed; nothing was removed"
        ),
    }
    done.map(|()| run)
}

/// What one run read from Wonde, in our terms.
#[derive(Default)]
struct Read {
    update: RosterUpdate,
    newest_change: Option<DateTime<Utc>>,
}

impl Read {
    fn saw(&mut self, at: Option<DateTime<Utc>>) {
        if at > self.newest_change {
            self.newest_change = at;
        }
    }
}

async fn sync_roster(
    app: &App,
    school: &SchoolId,
    wonde_id: &WondeId,
    state: &SyncState,
    group_analysis: bool,
    run: &mut SyncRun,
) -> Result<(), SyncError> {
    let query = match (run.kind, state.watermark) {
        (SyncKind::Delta, Some(since)) => Query::updated_after(since),
        _ => Query::all(),
    };
    let api = app.wonde.open_school(wonde_id).await?;
    let ledger = app.store.roster_ledger(school).await?;
    let read = read_roster(&api, school, &query, run, &ledger, group_analysis).await?;

    let writes = store::roster::plan_writes(school, &ledger, &read.update)?;
    run.counts = writes.counts;
    if !writes.is_empty() {
        run.table_writes = app
            .store
            .write_roster(school, writes, run.started_at)
            .await?;
    }

    let next = next_state(state, run, &read, group_analysis);
    if &next != state {
        app.store.put_sync_state(school, &next).await?;
    }
    Ok(())
}

/// Where the next delta starts: never later than this run's start, less
/// the overlap, and never earlier than before.
fn next_state(state: &SyncState, run: &SyncRun, read: &Read, group_analysis: bool) -> SyncState {
    let candidate = read
        .newest_change
        .map(|newest| newest.min(run.started_at - WATERMARK_OVERLAP));
    let watermark = match (state.watermark, candidate) {
        (Some(before), Some(now)) => Some(before.max(now)),
        (before, now) => now.or(before),
    };
    SyncState {
        watermark,
        group_analysis,
        last_full_at: match run.kind {
            SyncKind::Full => Some(run.started_at),
            SyncKind::Delta => state.last_full_at,
        },
    }
}

/// Reads each list to its last page. Any failure ends the run here, before
/// anything is written.
async fn read_roster(
    api: &SchoolApi,
    school: &SchoolId,
    query: &Query,
    run: &mut SyncRun,
    ledger: &RosterLedger,
    group_analysis: bool,
) -> Result<Read, SyncError> {
    let mut read = Read::default();

    let mut groups = api.groups(query);
    for group in all(&mut groups).await? {
        run.groups_read += 1;
        read.saw(group.updated_at);
        read.update.groups.push(roster_group(group));
    }

    let mut employees = api.employees(query);
    for employee in all(&mut employees).await? {
        run.staff_read += 1;
        read.saw(employee.updated_at);
        let id = StaffId::parse(employee.id.as_str()).map_err(|_| SyncError::BadId)?;
        if employee.current == Some(false) {
            read.update.removed.staff.insert(id);
            continue;
        }
        read.update.staff.push(roster_staff(id, employee));
    }

    let mut pupils = if group_analysis {
        api.pupils_with_group_flags(query)
    } else {
        api.pupils(query)
    };
    let mut wonde_to_pupil: HashMap<String, (PupilId, String)> = HashMap::new();
    let mut seen_pupils: BTreeMap<PupilId, RosterPupil> = BTreeMap::new();
    for pupil in all(&mut pupils).await? {
        run.pupils_read += 1;
        read.saw(pupil.updated_at);
        let ours = roster_pupil(school, pupil, group_analysis);
        wonde_to_pupil.insert(
            ours.wonde_id.clone(),
            (ours.id.clone(), ours.display_name()),
        );
        seen_pupils.insert(ours.id.clone(), ours);
    }

    let known = ledger.pupil_by_wonde_id();
    let member = |wonde: &WondeId| -> Option<Member> {
        if let Some((id, name)) = wonde_to_pupil.get(wonde.as_str()) {
            return Some(Member {
                pupil_id: id.clone(),
                display_name: name.clone(),
            });
        }
        let id = *known.get(wonde.as_str())?;
        Some(Member {
            pupil_id: id.clone(),
            display_name: ledger.pupils[id].display_name.clone(),
        })
    };
    let mut classes = api.classes(query);
    for class in all(&mut classes).await? {
        run.classes_read += 1;
        read.saw(class.updated_at);
        let id = ClassId::parse(class.id.as_str()).map_err(|_| SyncError::BadId)?;
        let mut members: BTreeMap<PupilId, Member> = BTreeMap::new();
        let mut unknown = 0u32;
        for pupil in &class.pupil_ids {
            match member(pupil) {
                Some(m) => {
                    members.insert(m.pupil_id.clone(), m);
                }
                None => unknown += 1,
            }
        }
        if unknown > 0 {
            tracing::debug!(school = %school, class = %id, unknown, "class members not on the roll");
        }
        read.update
            .classes
            .push(roster_class(id, class, members.into_values().collect())?);
    }

    match run.kind {
        SyncKind::Delta => {
            let mut deletions = api.deletions(query);
            for deletion in all(&mut deletions).await? {
                run.deletions_read += 1;
                read.saw(deletion.restored_at.or(deletion.deleted_at));
                if deletion.is_restored() {
                    continue;
                }
                let removed = &mut read.update.removed;
                match deletion.kind {
                    DeletionKind::Student => {
                        if let Some(id) = known.get(deletion.id.as_str()) {
                            removed.pupils.insert((*id).clone());
                        }
                    }
                    DeletionKind::Employee => {
                        if let Ok(id) = StaffId::parse(deletion.id.as_str()) {
                            removed.staff.insert(id);
                        }
                    }
                    DeletionKind::Class => {
                        if let Ok(id) = ClassId::parse(deletion.id.as_str()) {
                            removed.classes.insert(id);
                        }
                    }
                    DeletionKind::Group => {
                        removed.groups.insert(deletion.id.to_string());
                    }
                    DeletionKind::Contact | DeletionKind::Other(_) => {}
                }
            }
        }
        SyncKind::Full => {
            // Every page was read: what the ledger holds and Wonde did not
            // send is gone.
            let update = &mut read.update;
            let staff: std::collections::BTreeSet<_> = update.staff.iter().map(|s| &s.id).collect();
            let classes: std::collections::BTreeSet<_> =
                update.classes.iter().map(|c| &c.id).collect();
            let groups: std::collections::BTreeSet<_> =
                update.groups.iter().map(|g| g.id.as_str()).collect();
            let removed = Removals {
                pupils: ledger
                    .pupils
                    .keys()
                    .filter(|id| !seen_pupils.contains_key(*id))
                    .cloned()
                    .collect(),
                staff: ledger
                    .staff
                    .keys()
                    .filter(|id| !staff.contains(id))
                    .cloned()
                    .collect(),
                classes: ledger
                    .classes
                    .keys()
                    .filter(|id| !classes.contains(id))
                    .cloned()
                    .collect(),
                groups: ledger
                    .groups
                    .keys()
                    .filter(|id| !groups.contains(id.as_str()))
                    .cloned()
                    .collect(),
            };
            update.removed.pupils.extend(removed.pupils);
            update.removed.staff.extend(removed.staff);
            update.removed.classes.extend(removed.classes);
            update.removed.groups.extend(removed.groups);
        }
    }

    read.update.pupils = seen_pupils.into_values().collect();
    Ok(read)
}

/// Every record of a list, or the first error.
async fn all<T>(pages: &mut Pages<T>) -> Result<Vec<T>, wonde::Error> {
    let mut records = Vec::new();
    while let Some(page) = pages.next_page().await? {
        records.extend(page.records);
    }
    Ok(records)
}

fn roster_group(group: wonde::Group) -> RosterGroup {
    RosterGroup {
        id: group.id.to_string(),
        kind: match group.kind {
            wonde::GroupKind::Year => GroupKind::Year,
            wonde::GroupKind::House => GroupKind::House,
            wonde::GroupKind::Registration => GroupKind::Registration,
            wonde::GroupKind::Other => GroupKind::Other,
        },
        name: group
            .name
            .or_else(|| group.code.clone())
            .unwrap_or_default(),
        code: group.code,
        tutors: group
            .employee_ids
            .iter()
            .filter_map(|id| StaffId::parse(id.as_str()).ok())
            .collect(),
    }
}

fn roster_staff(id: StaffId, employee: wonde::Employee) -> RosterStaff {
    RosterStaff {
        id,
        first_name: employee.forename.unwrap_or_default(),
        last_name: employee.surname.unwrap_or_default(),
        email: employee
            .work_email
            .as_deref()
            .and_then(|address| Email::parse(address).ok()),
        teaching: employee.teaching_staff.unwrap_or(false),
    }
}

/// A year group as the school writes it on a class: its code (`7`), else
/// its name.
fn year_of(group: &Option<wonde::Group>) -> String {
    group
        .as_ref()
        .and_then(|g| g.code.clone().or_else(|| g.name.clone()))
        .unwrap_or_default()
}

fn roster_pupil(school: &SchoolId, pupil: wonde::Pupil, group_analysis: bool) -> RosterPupil {
    let id = match pupil.upi.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(upi) => keys::pupil_from_upi(school, upi.trim()),
        None => keys::pupil_from_wonde_id(school, pupil.id.as_str()),
    };
    let flags = pupil
        .group_flags
        .filter(|_| group_analysis)
        .map(|flags| GroupFlags {
            gender: flags.gender.map(|g| {
                match g {
                    wonde::Gender::Female => "female",
                    wonde::Gender::Male => "male",
                    wonde::Gender::Other => "other",
                }
                .to_owned()
            }),
            sen_status: flags.sen.map(|s| {
                match s {
                    wonde::SenStatus::NoNeed => "none",
                    wonde::SenStatus::Support => "support",
                    wonde::SenStatus::EhcPlan => "ehcPlan",
                    wonde::SenStatus::Other => "other",
                }
                .to_owned()
            }),
            pupil_premium: flags.pupil_premium,
            eal: flags.eal,
        });
    RosterPupil {
        id,
        wonde_id: pupil.id.to_string(),
        first_name: pupil.forename.or(pupil.legal_forename).unwrap_or_default(),
        last_name: pupil.surname.or(pupil.legal_surname).unwrap_or_default(),
        year_group: year_of(&pupil.year),
        house: pupil.house.and_then(|h| h.name.or(h.code)),
        registration_group: pupil.registration.and_then(|r| r.name.or(r.code)),
        group_flags: flags,
    }
}

fn roster_class(
    id: ClassId,
    class: wonde::Class,
    members: Vec<Member>,
) -> Result<RosterClass, SyncError> {
    let staff = |wonde: &WondeId| StaffId::parse(wonde.as_str()).map_err(|_| SyncError::BadId);
    let main_teacher_id = class.main_teacher().map(staff).transpose()?;
    let teacher_ids = class
        .teachers
        .iter()
        .map(|t| staff(&t.employee_id))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RosterClass {
        name: class.name.or(class.code).unwrap_or_else(|| id.to_string()),
        id,
        year_group: class.year_group.unwrap_or_default(),
        subject: class.subject.and_then(|s| s.name.or(s.code)),
        teacher_ids,
        main_teacher_id,
        members,
    })
}
