//! The `vpostmaster` binary's parts: the command line, the operator commands and the web server.

// Deeply nested view types of the screens exceed the default.
#![recursion_limit = "256"]

pub mod addresses;
pub mod app_context;
pub mod backup;
pub mod check;
pub mod cli;
pub mod commands;
pub mod config_files;
pub mod database;
pub mod demo_mail;
pub mod dovecot;
pub mod export;
pub mod forms;
pub mod guard;
pub mod limits;
pub mod mail_roles;
pub mod migrate_to;
pub mod nul;
pub mod once;
pub mod postfix;
pub mod template;
pub mod web;
