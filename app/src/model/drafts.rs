//! What a refused paste form brings back: the page that answers the post draws the form again
//! from it, so that nothing typed is lost. The server's own form pages make them; the screens
//! read them from their context.

use serde::{Deserialize, Serialize};

use crate::error::FormRefusal;

/// A paste the server refused: the page that answers the post draws it again, with the
/// reason, so that nothing is lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDraft {
    /// The domain the paste was posted for.
    pub domain: String,
    pub text: String,
    pub generate: bool,
    /// The quota typed for every account; empty for the domain's default.
    pub quota_mb: String,
    /// Why: the problems by line beside the paste, the quota's beside the quota.
    pub refused: FormRefusal,
}

/// A paste of aliases the server refused: the page that answers the post draws it again with
/// the reason, so that nothing is lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasDraft {
    /// The domain the paste was posted for.
    pub domain: String,
    pub text: String,
    /// Why: the problems by line, beside the paste.
    pub refused: FormRefusal,
}
