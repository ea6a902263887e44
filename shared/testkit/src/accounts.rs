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
    let everyone: Vec<(&DemoAccount, String)> = STAFF_ACCOUNTS
        .iter()
        .chain([&PARENT, &SUPPORT])
        .map(|demo| (demo, demo.user.to_owned()))
        .collect();
    open_accounts(store, school, terms_version, &everyone).await;
}

/// The demo staff room's names, for a fake Wonde school to put on its
/// roster (`testkit::wonde::SchoolSpec::staff_room`): every demo member of
/// staff, and the one without an account.
pub fn staff_room() -> Vec<(String, String)> {
    STAFF_ACCOUNTS
        .iter()
        .map(|a| (a.first_name.to_owned(), a.last_name.to_owned()))
        .chain([(NEW_STAFF.1.to_owned(), NEW_STAFF.2.to_owned())])
        .collect()
}

/// For a school whose roster came from Wonde: opens each demo staff
/// account on the roster member who holds its work address (the parent and
/// the support engineer as usual), and returns each demo account with the
/// user id it got. Fails, naming the address, if the roster lacks one.
pub async fn open_demo_accounts_on_roster(
    store: &Store,
    school: &SchoolId,
    terms_version: &str,
) -> Result<Vec<(DemoAccount, String)>, String> {
    let mut everyone = Vec::new();
    for demo in &STAFF_ACCOUNTS {
        let found = store
            .staff_by_email(&demo.email())
            .await
            .map_err(|e| format!("looking up {}: {e}", demo.email))?;
        let member = found
            .into_iter()
            .find(|(at, _)| at == school)
            .map(|(_, member)| member)
            .ok_or_else(|| format!("the roster has nobody with the address {}", demo.email))?;
        everyone.push((demo, member.id.to_string()));
    }
    everyone.extend([&PARENT, &SUPPORT].map(|demo| (demo, demo.user.to_owned())));
    open_accounts(store, school, terms_version, &everyone).await;
    Ok(everyone
        .into_iter()
        .map(|(demo, user)| (*demo, user))
        .collect())
}

/// Opens each account under the user id given with it; accounts that
/// exist already are left as they are.
async fn open_accounts(
    store: &Store,
    school: &SchoolId,
    terms_version: &str,
    everyone: &[(&DemoAccount, String)],
) {
    let passwords = Passwords::new();
    let now = Utc::now();
    for (demo, user) in everyone {
        let kind = match demo.role {
            Role::Parent => AccountKind::Parent,
            Role::Support => AccountKind::Support,
            _ => AccountKind::Staff,
        };
        let account = Account {
            user_id: user.clone(),
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
