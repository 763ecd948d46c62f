//! The audit log as the Activity screen shows it.

use serde::{Deserialize, Serialize};

/// Entries per page of the Activity screen.
pub const ACTIVITY_PAGE_SIZE: u32 = 50;

/// What was done, as stored in `audit_log.action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    DomainAdd,
    DomainDisable,
    DomainEnable,
    AdminAdd,
    AdminPasswd,
    AdminDisable,
    AdminEnable,
    AdminRemove,
    LogOn,
    LogOff,
    /// A request for something outside the administrator's domains.
    Authorize,
    AccountAdd,
    /// Names or the active flag changed.
    AccountUpdate,
    AccountPasswd,
    /// Moved to "Deleted accounts".
    AccountDelete,
    AccountRestore,
    /// Removed for good after the retention period.
    AccountPurge,
    /// The Maildir repaired by Rebuild mailbox.
    AccountRebuild,
    /// Forwarding set or turned off.
    AccountForward,
    /// The domain's accounts exported as CSV.
    AccountExport,
    /// A domain's catch-all set or turned off.
    DomainCatchAll,
    /// The auto-reply turned on (with its days) or off.
    AccountAutoreply,
    AliasAdd,
    /// An alias's targets changed.
    AliasUpdate,
    /// Moved to "Deleted aliases".
    AliasDelete,
    AliasRestore,
    /// Removed for good after the retention period.
    AliasPurge,
    /// The operator confirmed a clock that had jumped ahead (see `clock`).
    ClockConfirm,
    /// Two-factor log-on confirmed and turned on.
    TwoFactorEnable,
    /// Two-factor log-on turned off, by the administrator or reset by the operator.
    TwoFactorDisable,
    /// A second-step code checked after the password.
    TwoFactorCode,
    /// New recovery codes made in place of the old ones.
    TwoFactorCodes,
}

impl Action {
    /// Every action, in the order the filter offers them.
    pub const ALL: [Action; 32] = [
        Action::DomainAdd,
        Action::DomainDisable,
        Action::DomainEnable,
        Action::AdminAdd,
        Action::AdminPasswd,
        Action::AdminDisable,
        Action::AdminEnable,
        Action::AdminRemove,
        Action::LogOn,
        Action::LogOff,
        Action::Authorize,
        Action::AccountAdd,
        Action::AccountUpdate,
        Action::AccountPasswd,
        Action::AccountDelete,
        Action::AccountRestore,
        Action::AccountPurge,
        Action::AccountRebuild,
        Action::AccountForward,
        Action::AccountExport,
        Action::DomainCatchAll,
        Action::AccountAutoreply,
        Action::AliasAdd,
        Action::AliasUpdate,
        Action::AliasDelete,
        Action::AliasRestore,
        Action::AliasPurge,
        Action::ClockConfirm,
        Action::TwoFactorEnable,
        Action::TwoFactorDisable,
        Action::TwoFactorCode,
        Action::TwoFactorCodes,
    ];

    /// What the Activity screen calls it.
    pub fn words(self) -> &'static str {
        match self {
            Action::DomainAdd => "Domain added",
            Action::DomainDisable => "Domain disabled",
            Action::DomainEnable => "Domain enabled",
            Action::AdminAdd => "Administrator added",
            Action::AdminPasswd => "Administrator's password changed",
            Action::AdminDisable => "Administrator disabled",
            Action::AdminEnable => "Administrator enabled",
            Action::AdminRemove => "Administrator removed",
            Action::LogOn => "Logged on",
            Action::LogOff => "Logged off",
            Action::Authorize => "Refused outside own domains",
            Action::AccountAdd => "Account added",
            Action::AccountUpdate => "Account changed",
            Action::AccountPasswd => "Password changed",
            Action::AccountDelete => "Account deleted",
            Action::AccountRestore => "Account restored",
            Action::AccountPurge => "Account removed for good",
            Action::AccountRebuild => "Mailbox rebuilt",
            Action::AccountForward => "Forwarding changed",
            Action::AccountExport => "Accounts exported",
            Action::DomainCatchAll => "Catch-all changed",
            Action::AccountAutoreply => "Auto-reply changed",
            Action::AliasAdd => "Alias added",
            Action::AliasUpdate => "Alias changed",
            Action::AliasDelete => "Alias deleted",
            Action::AliasRestore => "Alias restored",
            Action::AliasPurge => "Alias removed for good",
            Action::ClockConfirm => "Clock confirmed",
            Action::TwoFactorEnable => "Two-factor log-on turned on",
            Action::TwoFactorDisable => "Two-factor log-on turned off",
            Action::TwoFactorCode => "Two-factor code checked",
            Action::TwoFactorCodes => "New recovery codes made",
        }
    }

    /// The action stored as `name`, if it is one.
    pub fn from_stored(name: &str) -> Option<Action> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
    }

    /// The stable name stored in the log, and used in the Activity filter's address.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::DomainAdd => "domain.add",
            Action::DomainDisable => "domain.disable",
            Action::DomainEnable => "domain.enable",
            Action::AdminAdd => "admin.add",
            Action::AdminPasswd => "admin.passwd",
            Action::AdminDisable => "admin.disable",
            Action::AdminEnable => "admin.enable",
            Action::AdminRemove => "admin.remove",
            Action::LogOn => "log_on",
            Action::LogOff => "log_off",
            Action::Authorize => "authorize",
            Action::AccountAdd => "mailbox.add",
            Action::AccountUpdate => "mailbox.update",
            Action::AccountPasswd => "mailbox.passwd",
            Action::AccountDelete => "mailbox.delete",
            Action::AccountRestore => "mailbox.restore",
            Action::AccountPurge => "mailbox.purge",
            Action::AccountRebuild => "mailbox.rebuild",
            Action::AccountForward => "mailbox.forward",
            Action::AccountExport => "mailbox.export",
            Action::DomainCatchAll => "domain.catch_all",
            Action::AccountAutoreply => "mailbox.autoreply",
            Action::AliasAdd => "alias.add",
            Action::AliasUpdate => "alias.update",
            Action::AliasDelete => "alias.delete",
            Action::AliasRestore => "alias.restore",
            Action::AliasPurge => "alias.purge",
            Action::ClockConfirm => "clock.confirm",
            Action::TwoFactorEnable => "two_factor.enable",
            Action::TwoFactorDisable => "two_factor.disable",
            Action::TwoFactorCode => "two_factor.code",
            Action::TwoFactorCodes => "two_factor.codes",
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ActivityRow {
    pub at: String,
    pub actor: String,
    pub client_addr: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub details: String,
}

/// One slice of a domain's audit log, newest first: the rows Activity shows as "page N of M".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivitySlice {
    pub domain: String,
    pub rows: Vec<ActivityRow>,
    pub page: u32,
    pub pages: u32,
    /// The action names that the filter offers.
    pub actions: Vec<String>,
}
