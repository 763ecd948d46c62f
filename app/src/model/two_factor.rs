//! Two-factor log-on as My password shows it.

use serde::{Deserialize, Serialize};

/// The signed-in administrator's two-factor log-on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorView {
    /// The operator requires it of everyone: off, nothing else is reachable.
    pub required: bool,
    pub state: TwoFactorState,
}

impl TwoFactorView {
    /// Whether turning it on comes before anything else: the operator requires it, and it is
    /// not on yet.
    pub fn must_turn_on(&self) -> bool {
        self.required && !matches!(self.state, TwoFactorState::On { .. })
    }
}

/// Where the administrator's two-factor log-on stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TwoFactorState {
    Off,
    /// Turned on, waiting for the first code from the app.
    Enrolling {
        /// The secret for typing into the app, in groups of four.
        secret: String,
        /// The same as a QR code of its `otpauth:` address, as SVG drawn by the server.
        qr_svg: String,
    },
    On {
        /// Unused recovery codes.
        codes_left: i64,
        /// Some of them were given before recovery codes held 80 bits and were kept keyed:
        /// they still work, but new ones are safer.
        old_codes: bool,
        /// The recovery codes of an enrolment just confirmed: shown this once.
        fresh_codes: Option<Vec<String>>,
    },
}
