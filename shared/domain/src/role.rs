//! Who may do what. Every handler asks [`Role::allows`]; this table is the
//! one place where a role's powers are written down.

use serde::{Deserialize, Serialize};

/// The role a signed-in user holds in one school.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Teacher,
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

/// Something a caller may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Log behaviour for pupils in a lesson.
    LogBehaviour,
    /// Read logged behaviour and the lights of lessons.
    ReadBehaviour,
    /// Withdraw a behaviour one logged oneself.
    WithdrawOwnBehaviour,
    /// Withdraw a behaviour whoever logged it.
    WithdrawAnyBehaviour,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Teacher,
        Role::Tutor,
        Role::HeadOfYear,
        Role::Pastoral,
        Role::Dsl,
        Role::Slt,
        Role::Admin,
        Role::Parent,
        Role::Support,
    ];

    /// Whether this role carries the permission.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        use Role::*;

        match permission {
            LogBehaviour | ReadBehaviour | WithdrawOwnBehaviour => matches!(
                self,
                Teacher | Tutor | HeadOfYear | Pastoral | Dsl | Slt | Admin
            ),
            WithdrawAnyBehaviour => matches!(self, HeadOfYear | Pastoral | Slt | Admin),
        }
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Parent | Role::Support)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_and_support_cannot_touch_behaviour() {
        for role in [Role::Parent, Role::Support] {
            assert!(!role.allows(Permission::LogBehaviour));
            assert!(!role.allows(Permission::ReadBehaviour));
            assert!(!role.allows(Permission::WithdrawAnyBehaviour));
        }
    }

    #[test]
    fn only_leaders_and_pastoral_withdraw_others_behaviour() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.allows(Permission::WithdrawAnyBehaviour))
            .collect();
        assert_eq!(
            allowed,
            [Role::HeadOfYear, Role::Pastoral, Role::Slt, Role::Admin]
        );
    }

    #[test]
    fn roles_use_camel_case_names() {
        assert_eq!(
            serde_json::to_string(&Role::HeadOfYear).unwrap(),
            "\"headOfYear\""
        );
        assert_eq!(serde_json::from_str::<Role>("\"slt\"").unwrap(), Role::Slt);
    }
}
