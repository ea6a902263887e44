//! The single DynamoDB table.
//!
//! Every key of every school-owned item starts with `S#<school>`, and the
//! school always comes from the caller's verified token: a request for
//! another school's id simply finds nothing. [`keys`] holds the layout.
//!
//! Writes that must agree (a behaviour, the light it moved, the pupil's
//! points, the request record that makes retries safe and carries the event
//! to publish) go in one transaction with conditions, so concurrent writers
//! never lose each other's updates and a retry never writes twice.

pub mod access;
pub mod admin;
pub mod audit;
pub mod behaviours;
pub mod certificates;
pub mod charts;
pub mod detentions;
pub mod directory;
pub mod error;
pub mod identity;
pub mod incidents;
pub mod keys;
pub mod lifecycle;
pub mod notifications;
pub mod outbox;
pub mod points;
pub mod policy;
pub mod roster;
pub mod roster_sync;
pub mod school;
pub mod staff;
pub mod streaks;
pub mod suppression;

mod dynamo;

use aws_sdk_dynamodb::Client;

pub use access::{AccessCache, AccessState, SupportGrant};
pub use audit::{AuditQuery, AuditRecord};
pub use behaviours::{
    BehaviourQuery, LightState, LogCommand, LogResult, PupilOutcome, WithdrawCommand,
    WithdrawResult,
};
pub use certificates::{
    AwardResult, AwardedBy, Certificate, CertificateMessage, CertificateQuery, Earned, EmailClaim,
    EmailStatus,
};
pub use charts::{ChartFact, EventFold, EventMark, FoldOutcome, StoredAggregate};
pub use detentions::{
    DEFAULT_NOTICE_DAYS, Detention, DetentionFilter, DetentionSession, DetentionStatus, MarkResult,
    PlaceResult,
};
pub use directory::{
    ClassDetail, ClassEntry, ClassQuery, DirectoryClass, DirectoryPupil, DirectoryStaff, Page,
    PupilQuery, StaffQuery,
};
pub use error::StoreError;
pub use identity::{
    Account, AccountKey, AccountKind, AccountStatus, CodeCheck, CodePurpose, OneTimeCode, Session,
    TermsAcceptance, Throttle,
};
pub use incidents::{
    Attempt, CreateResult, Delivery, DeliveryEmailClaim, DeliveryState, IncidentChange,
    IncidentContent, IncidentQuery, IncidentStatus, IncidentSummary, IncidentVersion,
    InvolvedPupil, PupilPart, SafeguardingMessage, SafeguardingSettings, Visibility,
};
pub use lifecycle::{Approval, Revocation, SchoolEntry, SchoolStatus};
pub use notifications::{NotificationClaim, NotificationPreferences, PreferencesChange};
pub use outbox::{Pending, PendingEvent};
pub use points::{
    ClassStanding, CyclePoints, HandAward, HandAwardCommand, HandAwardResult, HouseStanding,
    PupilBoard, PupilPlace, PupilPoints, PupilStanding, WithdrawHandAwardCommand,
    WithdrawHandAwardResult,
};
pub use policy::{PolicyRecord, PolicySource, PolicyVersion};
pub use roster::{
    GroupFlags, GroupKind, LedgerClass, LedgerPupil, Removals, RosterClass, RosterCounts,
    RosterGroup, RosterLedger, RosterPupil, RosterStaff, RosterUpdate, RosterWrites,
};
pub use roster_sync::{
    LeaseOutcome, RosterSettings, RunOutcome, SyncKind, SyncLease, SyncRun, SyncState,
};
pub use school::{ClassRoster, Member, Pupil, SchoolSettings};
pub use staff::{StaffEntry, StaffMember};
pub use streaks::StreakStanding;
pub use suppression::{Feedback, FeedbackKind, FeedbackOutcome, Suppression};

/// The table and the client that reaches it. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}
