//! What Rebuild mailbox found and did, and the last rebuild as the audit log recorded it.

use crate::words::{counted, grouped};
use serde::{Deserialize, Serialize};

/// Whether Dovecot was asked to resync the mailbox, and how that went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resync {
    /// No `doveadm` or no Dovecot configuration is set up on this server.
    NotConfigured,
    /// `doveadm force-resync` succeeded.
    Done,
    /// `doveadm force-resync` failed; Dovecot resyncs by itself at the next log-in.
    Failed(String),
}

/// What a rebuild found and did. Names are relative to the account's Maildir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildReport {
    /// Folders that were missing and are created again (`cur`, `.Sent/tmp`).
    pub folders_created: Vec<String>,
    /// Entries handed back to the mail user.
    pub owners_fixed: u64,
    /// Entries whose mode is set back to 0700 (folders) or 0600 (files).
    pub modes_fixed: u64,
    /// Abandoned deliveries removed from `tmp/`.
    pub stale_tmp_removed: Vec<String>,
    /// What was not a message, moved out of `cur/` and `new/`: `from -> to`.
    pub quarantined: Vec<String>,
    /// Dovecot index, cache and lock files removed.
    pub index_files_removed: Vec<String>,
    pub resync: Resync,
    /// What could not be repaired, and why.
    pub problems: Vec<String>,
    /// Messages in all folders after the rebuild.
    pub message_count: u64,
    /// Their size in bytes.
    pub mailbox_bytes: u64,
}

impl RebuildReport {
    /// The report as short sentences, for a screen or a terminal.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let list = |items: &[String]| items.join(", ");
        if !self.folders_created.is_empty() {
            lines.push(format!(
                "Recreated missing folders: {}.",
                list(&self.folders_created)
            ));
        }
        if self.owners_fixed > 0 {
            lines.push(format!(
                "Gave {} back to the mail user.",
                counted(self.owners_fixed, "file or folder", "files and folders")
            ));
        }
        if self.modes_fixed > 0 {
            lines.push(format!(
                "Fixed the permissions of {}.",
                counted(self.modes_fixed, "file or folder", "files and folders")
            ));
        }
        if !self.stale_tmp_removed.is_empty() {
            lines.push(format!(
                "Cleared {} older than 36 hours from tmp.",
                counted(
                    self.stale_tmp_removed.len() as u64,
                    "abandoned delivery",
                    "abandoned deliveries"
                )
            ));
        }
        if !self.quarantined.is_empty() {
            lines.push(format!(
                "Moved {} to a quarantine folder in the mailbox: {}.",
                match self.quarantined.len() {
                    1 => "1 file that is not a message".to_owned(),
                    n => format!("{} files that are not messages", grouped(n as u64)),
                },
                list(&self.quarantined)
            ));
        }
        if !self.index_files_removed.is_empty() {
            lines.push(format!(
                "Removed {}; the mail server rebuilds them.",
                counted(
                    self.index_files_removed.len() as u64,
                    "index, cache or lock file",
                    "index, cache and lock files"
                )
            ));
        }
        lines.push(match &self.resync {
            Resync::NotConfigured => {
                "The mail server will resynchronise the mailbox at the next log-in.".to_owned()
            }
            Resync::Done => "The mail server resynchronised the mailbox.".to_owned(),
            Resync::Failed(why) => format!(
                "The mail server could not resynchronise now ({why}); it will at the next log-in."
            ),
        });
        for problem in &self.problems {
            lines.push(format!("Not repaired: {problem}."));
        }
        lines.push(format!(
            "The mailbox holds {}, {}.",
            counted(self.message_count, "message", "messages"),
            counted(self.mailbox_bytes, "byte", "bytes")
        ));
        lines
    }

    /// One line for the audit log: counts only, no file names.
    pub fn summary(&self) -> String {
        let resync = match &self.resync {
            Resync::NotConfigured => "no resync".to_owned(),
            Resync::Done => "resynced".to_owned(),
            Resync::Failed(why) => format!("resync failed: {why}"),
        };
        format!(
            "{} messages, {} bytes; folders created {}; owners fixed {}; modes fixed {}; \
             tmp cleared {}; quarantined {}; index files removed {}; {resync}; problems {}",
            self.message_count,
            self.mailbox_bytes,
            self.folders_created.len(),
            self.owners_fixed,
            self.modes_fixed,
            self.stale_tmp_removed.len(),
            self.quarantined.len(),
            self.index_files_removed.len(),
            self.problems.len()
        )
    }
}

/// The last rebuild of an account, as the audit log recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RebuildRecord {
    /// When, `YYYY-MM-DDTHH:MM:SSZ`.
    pub at: String,
    /// Who: an administrator's address, or "cli".
    pub actor: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// What it found and did, in counts ([`RebuildReport::summary`]).
    pub summary: String,
}
