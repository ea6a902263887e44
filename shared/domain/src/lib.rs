//! The school's behaviour rules as plain Rust.
//!
//! Nothing here performs I/O or knows about AWS: ids that can only hold valid
//! values, the behaviour policy, the traffic-light ladder, the calendar that
//! decides which lesson or day a moment belongs to, and the table that says
//! which role may do what, and
//! what makes an email address or a password acceptable. Every function builds on these types.

pub mod behaviour;
pub mod calendar;
pub mod charts;
pub mod email;
pub mod events;
pub mod ids;
pub mod light;
pub mod notification;
pub mod password;
pub mod policy;
pub mod role;
pub mod safeguarding;
pub mod streak;

pub use behaviour::{Behaviour, Note, Reason, Withdrawal};
pub use email::{Email, EmailError};
pub use events::{BehaviourEvent, BehaviourFact};
pub use ids::{BehaviourId, BehaviourTypeId, ClassId, IdError, PupilId, SchoolId, StaffId};
pub use light::{Light, LightEntry};
pub use notification::{Notification, NotificationKind};
pub use password::{PasswordError, check_new_password};
pub use policy::{
    BehaviourType, CertificateRule, CertificateTemplate, CertificateTrigger, DetentionTrigger,
    Ladder, LightScope, PointsCycle, Policy, PolicyProblem, SchoolColours, Stage, StageTriggers,
    Term, Triggers,
};
pub use role::{Permission, Role, Roles, Scope};
pub use safeguarding::WebhookUrl;
pub use streak::{Streak, StreakHistory};
