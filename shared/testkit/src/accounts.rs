//! The demo school's people: one account for every role, with passwords
//! written down for the README, a member of staff who has not signed up
//! yet, a parent and a vendor support engineer.

use chrono::Utc;
use domain::{Email, Role, Roles, SchoolId, StaffId};
use platform::Passwords;
use store::{Account, AccountKind, AccountStatus, StaffMember, Store, TermsAcceptance};

/// One demo account.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    pub user: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: &'static str,
    pub role: Role,
    pub password: &'static str,
}

/// The staff room: every staff role once. `staff-teacher` teaches the demo
/// classes; `staff-head` is the senior leader.
pub const STAFF_ACCOUNTS: [DemoAccount; 7] = [
    account(
        "staff-teacher",
        "Tess",
        "Brown",
        "tess.brown@riverside.example",
        Role::Teacher,
    ),
    account(
        "staff-tutor",
        "Omar",
        "Haddad",
        "omar.haddad@riverside.example",
        Role::Tutor,
    ),
    account(
        "staff-hoy",
        "Grace",
        "Okafor",
        "grace.okafor@riverside.example",
        Role::HeadOfYear,
    ),
    account(
        "staff-pastoral",
        "Ruth",
        "Evans",
        "ruth.evans@riverside.example",
        Role::Pastoral,
    ),
    account(
        "staff-dsl",
        "Dev",
        "Patel",
        "dev.patel@riverside.example",
        Role::Dsl,
    ),
    account(
        "staff-head",
        "Helen",
        "Marsh",
        "helen.marsh@riverside.example",
        Role::Slt,
    ),
    account(
        "staff-admin",
        "Alan",
        "Price",
        "alan.price@riverside.example",
        Role::Admin,
    ),
];

/// On the roster with a work address but no account: the one to try
/// staff sign-up with.
pub const NEW_STAFF: (&str, &str, &str, &str) =
    ("staff-nina", "Nina", "Shah", "nina.shah@riverside.example");

/// A parent, signed up with the terms in force.
pub const PARENT: DemoAccount = account(
    "parent-jo",
    "Jo",
    "Carter",
    "jo.carter@home.example",
    Role::Parent,
);

/// A vendor support engineer, who reaches the school only through a grant.
pub const SUPPORT: DemoAccount = account(
    "support-sam",
    "Sam",
    "Reid",
    "sam.reid@support.classlights.example",
    Role::Support,
);

const fn account(
    user: &'static str,
    first_name: &'static str,
    last_name: &'static str,
    email: &'static str,
    role: Role,
) -> DemoAccount {
    DemoAccount {
        user,
        first_name,
        last_name,
        email,
        role,
        password: password(role),
    }
}

/// Each demo account's password: the role's name in a phrase.
const fn password(role: Role) -> &'static str {
    match role {
        Role::Teacher => "demo teacher lights",
        Role::Tutor => "demo tutor lights",
        Role::HeadOfYear => "demo head of year lights",
        Role::Pastoral => "demo pastoral lights",
        Role::Dsl => "demo dsl lights",
        Role::Slt => "demo slt lights",
        Role::Admin => "demo admin lights",
        Role::Parent => "demo parent lights",
        Role::Support => "demo support lights",
    }
}

impl DemoAccount {
    pub fn email(&self) -> Email {
        Email::parse(self.email).expect("demo addresses are valid")
    }
}

/// Puts the staff room on the school's roster and opens every demo account
/// with its password. Accounts that exist already are left as they are.
pub async fn seed_demo_accounts(store: &Store, school: &SchoolId, terms_version: &str) {
    let mut members: Vec<StaffMember> = STAFF_ACCOUNTS
        .iter()
        .map(|a| StaffMember {
            id: StaffId::parse(a.user).expect("demo ids are valid"),
            first_name: a.first_name.to_owned(),
            last_name: a.last_name.to_owned(),
            email: Some(a.email()),
        })
        .collect();
    let (id, first, last, email) = NEW_STAFF;
    members.push(StaffMember {
        id: StaffId::parse(id).expect("demo ids are valid"),
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: Some(Email::parse(email).expect("demo addresses are valid")),
    });
    store
        .put_staff(school, &members)
        .await
        .expect("seeding the staff room");

    let passwords = Passwords::new();
    let now = Utc::now();
    let everyone = STAFF_ACCOUNTS.iter().chain([&PARENT, &SUPPORT]);
    for demo in everyone {
        let kind = match demo.role {
            Role::Parent => AccountKind::Parent,
            Role::Support => AccountKind::Support,
            _ => AccountKind::Staff,
        };
        let account = Account {
            user_id: demo.user.to_owned(),
            kind,
            school_id: (kind == AccountKind::Staff).then(|| school.clone()),
            email: demo.email(),
            name: Some(format!("{} {}", demo.first_name, demo.last_name)),
            password_hash: passwords.hash(demo.password),
            roles: Roles::new([demo.role]),
            status: AccountStatus::Active,
            sessions_not_before_ms: 0,
            terms: (kind == AccountKind::Parent).then(|| TermsAcceptance {
                version: terms_version.to_owned(),
                accepted_at: now,
            }),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        store
            .create_account(&account, vec![])
            .await
            .expect("seeding an account");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_one_demo_account_with_an_acceptable_password() {
        let mut roles: Vec<Role> = STAFF_ACCOUNTS.iter().map(|a| a.role).collect();
        roles.extend([PARENT.role, SUPPORT.role]);
        roles.sort();
        assert_eq!(roles, Role::ALL);
        for demo in STAFF_ACCOUNTS.iter().chain([&PARENT, &SUPPORT]) {
            domain::check_new_password(demo.password, demo.email)
                .unwrap_or_else(|why| panic!("{}: {why}", demo.user));
        }
    }
}
