//! Who may do what. [`PERMISSIONS`] is the one place where a role's powers
//! are written down, each with the scope it reaches; every handler asks it
//! through [`Role::scope`] or [`Roles::scope`].

use serde::{Deserialize, Serialize};

/// A role a user holds in one school. A member of staff may hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Teacher,
    /// A form tutor.
    Tutor,
    HeadOfYear,
    Pastoral,
    /// The designated safeguarding lead.
    Dsl,
    /// Senior leadership.
    Slt,
    Admin,
    Parent,
    /// Vendor support staff, present only through a grant from the school.
    Support,
}

/// How far a permission reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// The classes the caller teaches.
    OwnClasses,
    /// The pupils of the caller's tutor group.
    OwnTutorGroup,
    /// The pupils of the caller's year group.
    OwnYear,
    /// Everyone in the school.
    WholeSchool,
    /// A parent's own linked children.
    OwnChildren,
}

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Log behaviour for pupils in a lesson, a cover lesson or on duty.
    LogBehaviour,
    /// Read logged behaviour and the lights of lessons.
    ReadBehaviour,
    /// Withdraw a behaviour one logged oneself.
    WithdrawOwnBehaviour,
    /// Withdraw a behaviour whoever logged it.
    WithdrawAnyBehaviour,
    /// List the school's staff with their roles and account status.
    ReadStaff,
    /// Grant and remove staff roles, up to one's own rank.
    ManageRoles,
    /// Disable and re-enable staff accounts.
    ManageAccounts,
    /// Grant, list and end vendor support access.
    ManageSupportAccess,
    /// Read the audit log.
    ReadAudit,
    /// Find pupils, classes, staff and groups on the school's roster.
    ReadRoster,
    /// See the group-analysis flags of a pupil (gender, SEN, pupil premium,
    /// EAL).
    ReadGroupFlags,
    /// Read the school's behaviour policy: the types, ladder, cycles and
    /// certificates the apps show.
    ReadPolicy,
    /// Change the behaviour policy, adopt the default and read its history.
    ManagePolicy,
    /// Read pupils' certificates and download them as PDF.
    ReadCertificates,
    /// Award a certificate by hand.
    AwardCertificate,
    /// Read pupils', classes' and houses' points and the leaderboards.
    ReadPoints,
    /// Award or deduct points by hand to a pupil, and withdraw one's own
    /// hand awards.
    AwardPoints,
    /// Award or deduct points by hand to a whole house.
    AwardHousePoints,
    /// Withdraw a hand award whoever made it.
    WithdrawAnyAward,
    /// Read behaviour charts of the pupils, classes, years and houses in
    /// one's scope.
    ReadCharts,
    /// Read the charts that compare members of staff.
    ReadStaffCharts,
    /// Choose which emails the service sends oneself.
    ManageOwnNotifications,
    /// Write incident forms, edit and submit one's own, and read them.
    RecordIncidents,
    /// Read every incident form that is not a safeguarding concern.
    ReadIncidents,
    /// Read safeguarding incident forms, whoever wrote them.
    ReadSafeguardingIncidents,
    /// Review and close incident forms one may read, and edit them.
    ReviewIncidents,
    /// Set where the school's safeguarding concerns are forwarded.
    ManageSafeguarding,
    /// Set a detention for a pupil, read the school's detentions and
    /// sessions, and mark the register of a session one supervises.
    SetDetentions,
    /// Add detention sessions, mark any register, and mark again a
    /// detention already marked.
    ManageDetentions,
}

use Role::*;
use Scope::*;

/// The permission table: for each permission, the roles that hold it and how
/// far it reaches for them. A role not listed does not hold it.
pub const PERMISSIONS: &[(Permission, &[(Role, Scope)])] = &[
    // Any member of staff may log behaviour for any pupil: cover lessons,
    // corridors and duties are part of the job.
    (
        Permission::LogBehaviour,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::ReadBehaviour,
        &[
            (Teacher, OwnClasses),
            (Tutor, OwnTutorGroup),
            (HeadOfYear, OwnYear),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
            (Support, WholeSchool),
        ],
    ),
    (
        Permission::WithdrawOwnBehaviour,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::WithdrawAnyBehaviour,
        &[
            (HeadOfYear, OwnYear),
            (Pastoral, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::ReadStaff,
        &[
            (Slt, WholeSchool),
            (Admin, WholeSchool),
            (Support, WholeSchool),
        ],
    ),
    (
        Permission::ManageRoles,
        &[(Slt, WholeSchool), (Admin, WholeSchool)],
    ),
    (
        Permission::ManageAccounts,
        &[(Slt, WholeSchool), (Admin, WholeSchool)],
    ),
    (Permission::ManageSupportAccess, &[(Admin, WholeSchool)]),
    (
        Permission::ReadAudit,
        &[
            (Slt, WholeSchool),
            (Admin, WholeSchool),
            (Support, WholeSchool),
        ],
    ),
    // Any member of staff may log behaviour for any pupil, so any may find
    // any pupil by name. What each may see of them is narrower.
    (
        Permission::ReadRoster,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
            (Support, WholeSchool),
        ],
    ),
    // Special category data: the school's own leaders who read the whole
    // school's behaviour, and never vendor support.
    (
        Permission::ReadGroupFlags,
        &[
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    // The apps need the policy to show types and lights to every member of
    // staff; parents will read what concerns them through their own API.
    (
        Permission::ReadPolicy,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
            (Support, WholeSchool),
        ],
    ),
    (
        Permission::ManagePolicy,
        &[(Slt, WholeSchool), (Admin, WholeSchool)],
    ),
    // Certificates are celebrated in class and in assemblies, so every member
    // of staff may see them; those who lead pupils award them by hand.
    (
        Permission::ReadCertificates,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::AwardCertificate,
        &[
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    // Points and leaderboards are celebrated in class and in assemblies,
    // so every member of staff (and support, to answer questions) reads
    // them. Points by hand come from those who lead pupils, each award
    // capped by the rewards function; whole houses from the school's
    // leaders and heads of year, who run the house competition.
    (
        Permission::ReadPoints,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
            (Support, WholeSchool),
        ],
    ),
    (
        Permission::AwardPoints,
        &[
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::AwardHousePoints,
        &[
            (HeadOfYear, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::WithdrawAnyAward,
        &[(Slt, WholeSchool), (Admin, WholeSchool)],
    ),
    // Charts evidence a pupil's behaviour to the adults responsible for
    // them: a teacher their classes and the pupils in them, a tutor their
    // form, a head of year their year, pastoral staff and leaders the
    // whole school. Group breakdowns also need `ReadGroupFlags`.
    (
        Permission::ReadCharts,
        &[
            (Teacher, OwnClasses),
            (Tutor, OwnTutorGroup),
            (HeadOfYear, OwnYear),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    // How colleagues log behaviour is for the school's leaders alone.
    (
        Permission::ReadStaffCharts,
        &[(Slt, WholeSchool), (Admin, WholeSchool)],
    ),
    (
        Permission::ManageOwnNotifications,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    // Any member of staff may witness an incident and write it up; they
    // read back what they wrote. Pastoral staff and leaders read every
    // form, but a safeguarding concern only the DSL and leaders, and never
    // vendor support.
    (
        Permission::RecordIncidents,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::ReadIncidents,
        &[
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::ReadSafeguardingIncidents,
        &[(Dsl, WholeSchool), (Slt, WholeSchool), (Admin, WholeSchool)],
    ),
    (
        Permission::ReviewIncidents,
        &[
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::ManageSafeguarding,
        &[(Dsl, WholeSchool), (Slt, WholeSchool), (Admin, WholeSchool)],
    ),
    // Any teacher may keep a pupil back; those who run the school's
    // detentions (heads of year, pastoral staff, leaders) add the sessions
    // and put right a register marked wrongly.
    (
        Permission::SetDetentions,
        &[
            (Teacher, WholeSchool),
            (Tutor, WholeSchool),
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Dsl, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
    (
        Permission::ManageDetentions,
        &[
            (HeadOfYear, WholeSchool),
            (Pastoral, WholeSchool),
            (Slt, WholeSchool),
            (Admin, WholeSchool),
        ],
    ),
];

impl Role {
    pub const ALL: [Role; 9] = [
        Teacher, Tutor, HeadOfYear, Pastoral, Dsl, Slt, Admin, Parent, Support,
    ];

    /// How far the permission reaches for this role; none if it lacks it.
    pub fn scope(self, permission: Permission) -> Option<Scope> {
        PERMISSIONS
            .iter()
            .find(|(p, _)| *p == permission)
            .and_then(|(_, grants)| grants.iter().find(|(r, _)| *r == self))
            .map(|(_, scope)| *scope)
    }

    /// Whether this role carries the permission at all.
    pub fn allows(self, permission: Permission) -> bool {
        self.scope(permission).is_some()
    }

    /// Roles a school grants to its staff; parents and support come from
    /// elsewhere.
    pub fn is_staff(self) -> bool {
        !matches!(self, Parent | Support)
    }

    /// Seniority for granting: nobody grants a role ranked above their own.
    /// Parents and support rank nowhere.
    pub fn rank(self) -> u8 {
        match self {
            Teacher => 1,
            Tutor => 2,
            HeadOfYear | Pastoral | Dsl => 3,
            Slt => 4,
            Admin => 5,
            Parent | Support => 0,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Teacher => "teacher",
            Tutor => "tutor",
            HeadOfYear => "headOfYear",
            Pastoral => "pastoral",
            Dsl => "dsl",
            Slt => "slt",
            Admin => "admin",
            Parent => "parent",
            Support => "support",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ();

    fn from_str(raw: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.name() == raw).ok_or(())
    }
}

/// The roles one user holds, as their token carries them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Roles(Vec<Role>);

impl Roles {
    /// Sorted, without repeats.
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Self {
        let mut roles: Vec<Role> = roles.into_iter().collect();
        roles.sort();
        roles.dedup();
        Self(roles)
    }

    pub fn as_slice(&self) -> &[Role] {
        &self.0
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every scope the permission reaches through any of these roles,
    /// widest first; empty if no role holds it.
    pub fn scopes(&self, permission: Permission) -> Vec<Scope> {
        let mut scopes: Vec<Scope> = self.0.iter().filter_map(|r| r.scope(permission)).collect();
        scopes.sort_by(|a, b| b.cmp(a));
        scopes.dedup();
        scopes
    }

    /// Whether any role reaches the whole school with this permission.
    pub fn whole_school(&self, permission: Permission) -> bool {
        self.scopes(permission).contains(&WholeSchool)
    }

    pub fn allows(&self, permission: Permission) -> bool {
        self.0.iter().any(|r| r.allows(permission))
    }

    /// The highest rank among these roles.
    pub fn rank(&self) -> u8 {
        self.0.iter().map(|r| r.rank()).max().unwrap_or(0)
    }

    /// Whether a holder of these roles may grant or remove `role`: they must
    /// manage roles, and `role` must be a staff role no higher than theirs.
    pub fn may_grant(&self, role: Role) -> bool {
        self.allows(Permission::ManageRoles) && role.is_staff() && role.rank() <= self.rank()
    }

    pub fn with(&self, role: Role) -> Self {
        Self::new(self.0.iter().copied().chain([role]))
    }

    pub fn without(&self, role: Role) -> Self {
        Self::new(self.0.iter().copied().filter(|r| *r != role))
    }
}

impl FromIterator<Role> for Roles {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        Self::new(iter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_has_a_row_and_no_role_twice() {
        let all = [
            Permission::LogBehaviour,
            Permission::ReadBehaviour,
            Permission::WithdrawOwnBehaviour,
            Permission::WithdrawAnyBehaviour,
            Permission::ReadStaff,
            Permission::ManageRoles,
            Permission::ManageAccounts,
            Permission::ManageSupportAccess,
            Permission::ReadAudit,
            Permission::ReadRoster,
            Permission::ReadGroupFlags,
            Permission::ReadPolicy,
            Permission::ManagePolicy,
            Permission::ReadCertificates,
            Permission::AwardCertificate,
            Permission::ReadPoints,
            Permission::AwardPoints,
            Permission::AwardHousePoints,
            Permission::WithdrawAnyAward,
            Permission::ReadCharts,
            Permission::ReadStaffCharts,
            Permission::ManageOwnNotifications,
            Permission::RecordIncidents,
            Permission::ReadIncidents,
            Permission::ReadSafeguardingIncidents,
            Permission::ReviewIncidents,
            Permission::ManageSafeguarding,
            Permission::SetDetentions,
            Permission::ManageDetentions,
        ];
        assert_eq!(PERMISSIONS.len(), all.len());
        for permission in all {
            let rows: Vec<_> = PERMISSIONS
                .iter()
                .filter(|(p, _)| *p == permission)
                .collect();
            assert_eq!(rows.len(), 1, "{permission:?}");
            let mut roles: Vec<Role> = rows[0].1.iter().map(|(r, _)| *r).collect();
            let listed = roles.len();
            roles.dedup();
            assert_eq!(roles.len(), listed, "{permission:?} names a role twice");
        }
    }

    #[test]
    fn parents_never_reach_school_data() {
        for (permission, _) in PERMISSIONS {
            assert!(!Parent.allows(*permission), "{permission:?}");
        }
    }

    #[test]
    fn support_only_reads() {
        for (permission, _) in PERMISSIONS {
            let reads = matches!(
                permission,
                Permission::ReadBehaviour
                    | Permission::ReadStaff
                    | Permission::ReadAudit
                    | Permission::ReadRoster
                    | Permission::ReadPolicy
                    | Permission::ReadPoints
            );
            assert_eq!(Support.allows(*permission), reads, "{permission:?}");
        }
    }

    #[test]
    fn only_leaders_and_pastoral_withdraw_others_behaviour() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::WithdrawAnyBehaviour))
            .collect();
        assert_eq!(allowed, [HeadOfYear, Pastoral, Slt, Admin]);
    }

    #[test]
    fn every_member_of_staff_reads_the_roster_and_parents_do_not() {
        for role in Role::ALL {
            assert_eq!(
                role.scope(Permission::ReadRoster),
                (role != Parent).then_some(WholeSchool),
                "{role:?}"
            );
        }
    }

    #[test]
    fn group_flags_go_to_the_schools_whole_school_readers_only() {
        let flags: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::ReadGroupFlags))
            .collect();
        assert_eq!(flags, [Pastoral, Dsl, Slt, Admin]);
        for role in flags {
            assert_eq!(role.scope(Permission::ReadBehaviour), Some(WholeSchool));
        }
        assert!(!Support.allows(Permission::ReadGroupFlags));
    }

    #[test]
    fn all_staff_read_the_policy_and_only_leaders_change_it() {
        for role in Role::ALL {
            assert_eq!(
                role.allows(Permission::ReadPolicy),
                role != Parent,
                "{role:?}"
            );
            assert_eq!(
                role.allows(Permission::ManagePolicy),
                matches!(role, Slt | Admin),
                "{role:?}"
            );
        }
    }

    #[test]
    fn safeguarding_concerns_reach_the_dsl_and_leaders_only() {
        let readers = |permission| -> Vec<Role> {
            Role::ALL
                .into_iter()
                .filter(|r| r.allows(permission))
                .collect()
        };
        assert_eq!(
            readers(Permission::RecordIncidents),
            [Teacher, Tutor, HeadOfYear, Pastoral, Dsl, Slt, Admin]
        );
        assert_eq!(
            readers(Permission::ReadIncidents),
            [Pastoral, Dsl, Slt, Admin]
        );
        assert_eq!(
            readers(Permission::ReadSafeguardingIncidents),
            [Dsl, Slt, Admin]
        );
        assert_eq!(readers(Permission::ManageSafeguarding), [Dsl, Slt, Admin]);
        for role in readers(Permission::ReviewIncidents) {
            assert!(role.allows(Permission::ReadIncidents), "{role:?}");
        }
    }

    #[test]
    fn scopes_come_widest_first_across_roles() {
        let roles = Roles::new([Teacher, HeadOfYear]);
        assert_eq!(
            roles.scopes(Permission::ReadBehaviour),
            [OwnYear, OwnClasses]
        );
        assert!(!roles.whole_school(Permission::ReadBehaviour));
        assert!(Roles::new([Teacher, Pastoral]).whole_school(Permission::ReadBehaviour));
    }

    #[test]
    fn nobody_grants_above_their_own_rank() {
        let slt = Roles::new([Slt]);
        assert!(slt.may_grant(Teacher));
        assert!(slt.may_grant(Dsl));
        assert!(slt.may_grant(Slt));
        assert!(!slt.may_grant(Admin));
        let admin = Roles::new([Admin]);
        assert!(admin.may_grant(Admin));
        assert!(!admin.may_grant(Parent));
        assert!(!admin.may_grant(Support));
        assert!(!Roles::new([HeadOfYear]).may_grant(Teacher));
    }

    #[test]
    fn roles_use_camel_case_names() {
        for role in Role::ALL {
            assert_eq!(
                serde_json::to_string(&role).unwrap(),
                format!("\"{}\"", role.name())
            );
            assert_eq!(role.name().parse::<Role>(), Ok(role));
        }
        assert_eq!(
            serde_json::to_string(&Roles::new([Slt, Teacher, Slt])).unwrap(),
            r#"["teacher","slt"]"#
        );
    }
}
