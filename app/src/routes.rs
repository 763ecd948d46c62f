//! The address of every screen: its path, written once, and the parameters it reads, as a
//! type whose `href()` percent-encodes every value. The router, the links, the server
//! functions' redirects and the server's guard all take their paths from here, so a renamed
//! screen is a compile error wherever it is named rather than a dead link.

use std::fmt::Display;

use leptos_router::{PossibleRouteMatch, StaticSegment};

use crate::url::encode_query;

/// Gives a screen its path from its segments, one literal each: `PATH` for links, redirects
/// and the guard, and `segments()` for the router, both made from the same words.
macro_rules! screen_path {
    ($screen:ty, $($segment:literal)/+) => {
        impl $screen {
            /// The screen's path, without parameters.
            pub const PATH: &'static str = concat!($("/", $segment),+);

            /// The path as the router matches it.
            pub fn segments() -> impl PossibleRouteMatch + Clone + Send + 'static {
                ($(StaticSegment($segment),)+)
            }
        }
    };
}

/// A path with its query, every value percent-encoded, the names in the order given.
struct Href {
    text: String,
    joiner: char,
}

impl Href {
    fn new(path: &str) -> Self {
        Href {
            text: path.to_owned(),
            joiner: '?',
        }
    }

    fn param(mut self, name: &str, value: impl Display) -> Self {
        self.text.push(self.joiner);
        self.text.push_str(name);
        self.text.push('=');
        self.text.push_str(&encode_query(&value.to_string()));
        self.joiner = '&';
        self
    }

    fn some(self, name: &str, value: Option<impl Display>) -> Self {
        match value {
            Some(value) => self.param(name, value),
            None => self,
        }
    }

    /// `name=1` when `on`: a notice that something was done.
    fn flag(self, name: &str, on: bool) -> Self {
        self.some(name, on.then_some(1))
    }

    /// `name=on` or `name=off`: a notice of what a switch is now.
    fn switch(self, name: &str, value: Option<bool>) -> Self {
        self.some(name, value.map(|on| if on { "on" } else { "off" }))
    }

    fn build(self) -> String {
        self.text
    }
}

/// The start page, which sends a visitor to Users or to Log on.
pub struct Home;

impl Home {
    /// The start page's path.
    pub const PATH: &'static str = "/";

    /// The path as the router matches it: no segment at all.
    pub fn segments() -> impl PossibleRouteMatch + Clone + Send + 'static {}
}

/// Log on, with the notice of why the visitor is here and where to go afterwards.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogOn<'a> {
    /// A pending two-factor log-on ended or was never there.
    pub code_expired: bool,
    /// Too many wrong codes ended the log-on or session they were typed in.
    pub codes_used_up: bool,
    /// The administrator logged off.
    pub signed_out: bool,
    /// The path to go to after log on.
    pub next: Option<&'a str>,
    /// The session had ended.
    pub expired: bool,
}
screen_path!(LogOn<'_>, "log-on");

impl LogOn<'_> {
    /// The address of this Log on.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .flag("code_expired", self.code_expired)
            .flag("codes_used_up", self.codes_used_up)
            .flag("signed_out", self.signed_out)
            .some("next", self.next)
            .flag("expired", self.expired)
            .build()
    }
}

/// The second step of a two-factor log-on.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogOnCode<'a> {
    /// The path to go to after log on.
    pub next: Option<&'a str>,
}
screen_path!(LogOnCode<'_>, "log-on" / "code");

impl LogOnCode<'_> {
    /// The address of this code form.
    pub fn href(&self) -> String {
        Href::new(Self::PATH).some("next", self.next).build()
    }
}

/// Users: a domain's accounts, searched and paged by key.
#[derive(Debug, Default, Clone, Copy)]
pub struct Users<'a> {
    /// The domain; the administrator's first when absent.
    pub domain: Option<&'a str>,
    /// The search term.
    pub q: Option<&'a str>,
    /// The page's number, for "Page N of M".
    pub page: Option<u32>,
    /// The page ends before this address.
    pub before: Option<&'a str>,
    /// The page starts after this address.
    pub after: Option<&'a str>,
    /// How many accounts were just deleted.
    pub deleted: Option<usize>,
}
screen_path!(Users<'_>, "users");

impl Users<'_> {
    /// The address of this list.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .some("domain", self.domain)
            .some("q", self.q)
            .some("page", self.page)
            .some("before", self.before)
            .some("after", self.after)
            .some("deleted", self.deleted)
            .build()
    }
}

/// Add many accounts (a paste), and where its form posts.
#[derive(Debug, Default, Clone, Copy)]
pub struct AddAccounts<'a> {
    /// The domain to add to.
    pub domain: Option<&'a str>,
}
screen_path!(AddAccounts<'_>, "users" / "add");

impl AddAccounts<'_> {
    /// The address of this form.
    pub fn href(&self) -> String {
        Href::new(Self::PATH).some("domain", self.domain).build()
    }
}

/// Add one account.
pub struct AddOne;
screen_path!(AddOne, "users" / "add-one");

/// The accounts a batch added, with their generated passwords.
#[derive(Debug, Clone, Copy)]
pub struct Added<'a> {
    /// The batch's id.
    pub batch: &'a str,
}
screen_path!(Added<'_>, "users" / "added");

impl Added<'_> {
    /// The address of this batch's report.
    pub fn href(&self) -> String {
        Href::new(Self::PATH).param("batch", self.batch).build()
    }
}

/// Edit account, with the notice of what was just done.
#[derive(Debug, Default, Clone, Copy)]
pub struct EditAccount<'a> {
    /// The account's address.
    pub email: &'a str,
    /// Its details were saved.
    pub saved: bool,
    /// Its password was changed.
    pub password: bool,
    /// Its mailbox was rebuilt.
    pub rebuilt: bool,
    /// Its auto-reply was turned on or off.
    pub autoreply: Option<bool>,
    /// Its forwarding was turned on or off.
    pub forwarding: Option<bool>,
}
screen_path!(EditAccount<'_>, "users" / "edit");

impl EditAccount<'_> {
    /// The id of the Details card.
    pub const DETAILS: &'static str = "details";
    /// The id of the Change password card.
    pub const PASSWORD: &'static str = "change-password";
    /// The id of the Forwarding card.
    pub const FORWARDING: &'static str = "forwarding";
    /// The id of the Auto-reply card.
    pub const AUTOREPLY: &'static str = "autoreply";
    /// The id of the Mailbox (rebuild) card.
    pub const MAILBOX: &'static str = "mailbox";

    /// The address of this account's screen, at the card whose outcome it shows when that
    /// card is low on the screen.
    pub fn href(&self) -> String {
        let mut href = Href::new(Self::PATH)
            .param("email", self.email)
            .flag("saved", self.saved)
            .flag("password", self.password)
            .flag("rebuilt", self.rebuilt)
            .switch("autoreply", self.autoreply)
            .switch("forwarding", self.forwarding)
            .build();
        let card = if self.autoreply.is_some() {
            Some(Self::AUTOREPLY)
        } else if self.forwarding.is_some() {
            Some(Self::FORWARDING)
        } else if self.rebuilt {
            Some(Self::MAILBOX)
        } else {
            None
        };
        if let Some(card) = card {
            href.push('#');
            href.push_str(card);
        }
        href
    }
}

/// The confirmation of deleting accounts; the Users list's form asks for it with the
/// selected addresses.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeleteAccounts<'a> {
    /// The accounts' domain.
    pub domain: &'a str,
    /// The one account to delete.
    pub email: Option<&'a str>,
    /// A search: every account it finds, rather than the ones named.
    pub matching: Option<&'a str>,
}
screen_path!(DeleteAccounts<'_>, "users" / "delete");

impl DeleteAccounts<'_> {
    /// The address of this confirmation.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .param("domain", self.domain)
            .some("email", self.email)
            .some("matching", self.matching)
            .build()
    }
}

/// Deleted accounts, restorable for the retention period.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeletedAccounts<'a> {
    /// The domain.
    pub domain: Option<&'a str>,
    /// The account just restored.
    pub restored: Option<&'a str>,
    /// The page's number.
    pub page: Option<u32>,
}
screen_path!(DeletedAccounts<'_>, "users" / "deleted");

impl DeletedAccounts<'_> {
    /// The address of this list.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .some("domain", self.domain)
            .some("restored", self.restored)
            .some("page", self.page)
            .build()
    }
}

/// The CSV file of a domain's accounts (a download, not a screen).
#[derive(Debug, Clone, Copy)]
pub struct ExportAccounts<'a> {
    /// The domain.
    pub domain: &'a str,
}
screen_path!(ExportAccounts<'_>, "users" / "export.csv");

impl ExportAccounts<'_> {
    /// The address of this file.
    pub fn href(&self) -> String {
        Href::new(Self::PATH).param("domain", self.domain).build()
    }
}

/// The catch-all address of a domain.
#[derive(Debug, Default, Clone, Copy)]
pub struct CatchAll<'a> {
    /// The domain.
    pub domain: Option<&'a str>,
    /// The catch-all was just turned on or off.
    pub saved: Option<bool>,
}
screen_path!(CatchAll<'_>, "catch-all");

impl CatchAll<'_> {
    /// The address of this screen.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .some("domain", self.domain)
            .switch("saved", self.saved)
            .build()
    }
}

/// Aliases: a domain's aliases, searched and paged.
#[derive(Debug, Default, Clone, Copy)]
pub struct Aliases<'a> {
    /// The domain; the administrator's first when absent.
    pub domain: Option<&'a str>,
    /// The search term.
    pub q: Option<&'a str>,
    /// The page's number.
    pub page: Option<u32>,
    /// The alias just added.
    pub added: Option<&'a str>,
    /// How many aliases a paste just added.
    pub added_many: Option<usize>,
    /// How many aliases were just deleted.
    pub deleted: Option<usize>,
}
screen_path!(Aliases<'_>, "aliases");

impl Aliases<'_> {
    /// The address of this list.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .some("domain", self.domain)
            .some("q", self.q)
            .some("page", self.page)
            .some("added", self.added)
            .some("added_many", self.added_many)
            .some("deleted", self.deleted)
            .build()
    }
}

/// Add aliases, and where the paste's form posts.
#[derive(Debug, Default, Clone, Copy)]
pub struct AddAliases<'a> {
    /// The domain to add to.
    pub domain: Option<&'a str>,
}
screen_path!(AddAliases<'_>, "aliases" / "add");

impl AddAliases<'_> {
    /// The address of this form.
    pub fn href(&self) -> String {
        Href::new(Self::PATH).some("domain", self.domain).build()
    }
}

/// Edit alias.
#[derive(Debug, Default, Clone, Copy)]
pub struct EditAlias<'a> {
    /// The alias's address.
    pub address: &'a str,
    /// Its targets were just saved.
    pub saved: bool,
}
screen_path!(EditAlias<'_>, "aliases" / "edit");

impl EditAlias<'_> {
    /// The address of this alias's screen.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .param("address", self.address)
            .flag("saved", self.saved)
            .build()
    }
}

/// The confirmation of deleting aliases; the Aliases list's form asks for it with the
/// selected addresses.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeleteAliases<'a> {
    /// The aliases' domain.
    pub domain: &'a str,
    /// The one alias to delete.
    pub address: Option<&'a str>,
    /// A search: every alias it finds, rather than the ones named.
    pub matching: Option<&'a str>,
}
screen_path!(DeleteAliases<'_>, "aliases" / "delete");

impl DeleteAliases<'_> {
    /// The address of this confirmation.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .param("domain", self.domain)
            .some("address", self.address)
            .some("matching", self.matching)
            .build()
    }
}

/// Deleted aliases, restorable for the retention period.
#[derive(Debug, Default, Clone, Copy)]
pub struct DeletedAliases<'a> {
    /// The domain.
    pub domain: Option<&'a str>,
    /// The alias just restored.
    pub restored: Option<&'a str>,
    /// The page's number.
    pub page: Option<u32>,
}
screen_path!(DeletedAliases<'_>, "aliases" / "deleted");

impl DeletedAliases<'_> {
    /// The address of this list.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .some("domain", self.domain)
            .some("restored", self.restored)
            .some("page", self.page)
            .build()
    }
}

/// Activity: a domain's audit log, filtered by action and account, and paged.
#[derive(Debug, Default, Clone, Copy)]
pub struct Activity<'a> {
    /// The domain.
    pub domain: Option<&'a str>,
    /// The action shown; everything when empty or absent.
    pub action: Option<&'a str>,
    /// The account shown, by username or address; every one when empty or absent.
    pub account: Option<&'a str>,
    /// The page's number.
    pub page: Option<u32>,
}
screen_path!(Activity<'_>, "activity");

impl Activity<'_> {
    /// The address of this log.
    pub fn href(&self) -> String {
        Href::new(Self::PATH)
            .some("domain", self.domain)
            .some("action", self.action)
            .some("account", self.account)
            .some("page", self.page)
            .build()
    }
}

/// My password, and two-factor log-on, of the signed-in administrator.
#[derive(Debug, Default, Clone, Copy)]
pub struct Account {
    /// The password was just changed.
    pub changed: bool,
    /// Two-factor log-on was just turned off.
    pub two_factor_off: bool,
    /// Scrolled to the two-factor section.
    pub at_two_factor: bool,
}
screen_path!(Account, "account");

impl Account {
    /// The id of the two-factor section.
    pub const TWO_FACTOR: &'static str = "two-factor";

    /// The address of this screen.
    pub fn href(&self) -> String {
        let mut href = Href::new(Self::PATH)
            .flag("changed", self.changed)
            .flag("two_factor_off", self.two_factor_off)
            .build();
        if self.at_two_factor {
            href.push('#');
            href.push_str(Self::TWO_FACTOR);
        }
        href
    }
}

/// The query parameters by which a screen says what was just done there ("Saved."): a form
/// posted from a screen comes back to it without them, so that a refusal is not shown beside
/// the success of the post before.
pub const NOTICES: [&str; 11] = [
    "saved",
    "password",
    "rebuilt",
    "autoreply",
    "forwarding",
    "restored",
    "added",
    "added_many",
    "deleted",
    "changed",
    "two_factor_off",
];

/// The screens anyone may load without a session.
pub const PUBLIC: [&str; 3] = [Home::PATH, LogOn::PATH, LogOnCode::PATH];

#[cfg(test)]
mod tests {
    use super::*;

    /// Terms and domains with every character that means something in an address.
    const AWKWARD: [&str; 7] = ["a&b", "a#b", "50%", "a b", "zoë", "a+b=c?", "x/y"];

    /// The query of `href` read back the way a browser and the router read it.
    fn query_of(href: &str) -> Vec<(String, String)> {
        let query = href.split_once('?').map_or("", |(_, query)| query);
        let query = query.split_once('#').map_or(query, |(query, _)| query);
        query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name.to_owned(), decode(value))
            })
            .collect()
    }

    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            if bytes[at] == b'%' {
                out.push(u8::from_str_radix(&text[at + 1..at + 3], 16).unwrap());
                at += 3;
            } else {
                out.push(bytes[at]);
                at += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_value_of_a_list_address_round_trips() {
        for text in AWKWARD {
            let users = Users {
                domain: Some(text),
                q: Some(text),
                page: Some(3),
                after: Some(text),
                ..Users::default()
            }
            .href();
            assert!(users.starts_with("/users?domain="), "{users}");
            assert!(!users.contains(' ') && !users.contains('#') && users.is_ascii());
            assert_eq!(
                query_of(&users),
                [
                    ("domain".into(), text.into()),
                    ("q".into(), text.into()),
                    ("page".into(), "3".into()),
                    ("after".into(), text.into()),
                ],
                "{users}"
            );
            let aliases = Aliases {
                domain: Some(text),
                q: Some(text),
                page: Some(2),
                ..Aliases::default()
            }
            .href();
            assert_eq!(
                query_of(&aliases),
                [
                    ("domain".into(), text.into()),
                    ("q".into(), text.into()),
                    ("page".into(), "2".into()),
                ],
                "{aliases}"
            );
            let activity = Activity {
                domain: Some(text),
                action: Some(text),
                account: Some(text),
                page: Some(2),
            }
            .href();
            assert_eq!(
                query_of(&activity),
                [
                    ("domain".into(), text.into()),
                    ("action".into(), text.into()),
                    ("account".into(), text.into()),
                    ("page".into(), "2".into()),
                ],
                "{activity}"
            );
        }
    }

    #[test]
    fn addresses_are_the_ones_the_screens_have_always_had() {
        assert_eq!(Users::default().href(), "/users");
        assert_eq!(
            EditAccount {
                email: "ann@alpha.test",
                forwarding: Some(false),
                ..EditAccount::default()
            }
            .href(),
            "/users/edit?email=ann%40alpha.test&forwarding=off#forwarding"
        );
        assert_eq!(
            LogOn {
                code_expired: true,
                next: Some("/users?q=ann"),
                ..LogOn::default()
            }
            .href(),
            "/log-on?code_expired=1&next=%2Fusers%3Fq%3Dann"
        );
        assert_eq!(
            LogOn {
                next: Some("/users"),
                expired: true,
                ..LogOn::default()
            }
            .href(),
            "/log-on?next=%2Fusers&expired=1"
        );
        assert_eq!(
            Account {
                two_factor_off: true,
                at_two_factor: true,
                ..Account::default()
            }
            .href(),
            "/account?two_factor_off=1#two-factor"
        );
        assert_eq!(AddOne::PATH, "/users/add-one");
        assert_eq!(Home::PATH, "/");
    }

    #[test]
    fn the_router_matches_each_screen_at_its_path() {
        fn matches(segments: impl PossibleRouteMatch, path: &str) -> bool {
            segments
                .test(path)
                .is_some_and(|matched| matched.remaining().is_empty())
        }
        let screens = [
            (matches(LogOn::segments(), LogOn::PATH), LogOn::PATH),
            (
                matches(LogOnCode::segments(), LogOnCode::PATH),
                LogOnCode::PATH,
            ),
            (matches(Users::segments(), Users::PATH), Users::PATH),
            (matches(AddOne::segments(), AddOne::PATH), AddOne::PATH),
            (
                matches(EditAccount::segments(), EditAccount::PATH),
                EditAccount::PATH,
            ),
            (matches(Account::segments(), Account::PATH), Account::PATH),
        ];
        for (matched, path) in screens {
            assert!(matched, "{path}");
        }
        assert!(!matches(Users::segments(), AddOne::PATH));
    }
}
