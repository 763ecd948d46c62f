//! The access floor: who acts. Sessions and log on, two-factor log-on and its caps, the
//! throttle, administrators, the caller and their scope over a domain, and the state and checks
//! every request starts with.

pub mod admins;
pub mod caller;
pub mod code_caps;
pub mod log_on;
pub mod request;
pub mod sessions;
pub mod state;
pub mod throttle;
pub mod two_factor;
