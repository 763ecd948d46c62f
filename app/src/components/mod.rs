//! Pieces used by several screens.

pub mod address_kind;
pub mod autoreply;
pub mod brand;
pub mod bulk_report;
pub mod domain;
pub mod field;
pub mod forwarding;
pub mod hydrated;
pub mod layout;
pub mod list_head;
pub mod pager;
pub mod password_checklist;
pub mod password_tools;
pub mod paste_box;
pub mod quota;
pub mod rows_html;
pub mod targets;
