// Deeply nested view types of the screens exceed the default.
#![recursion_limit = "256"]
//! The `vpostmaster` binary's parts: the command line, the operator commands and the web server.

pub mod cli;
pub mod commands;
pub mod dovecot;
pub mod guard;
pub mod web;
