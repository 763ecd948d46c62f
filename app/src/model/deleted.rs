//! A page of a domain's deleted accounts or aliases, the restore lists.

use serde::{Deserialize, Serialize};

/// Deleted rows per page: a month of deletes in a large domain runs to thousands.
pub const DELETED_PAGE_SIZE: u32 = 50;

/// One page of a domain's deleted accounts or aliases, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedPage<T> {
    /// The domain's name.
    pub domain: String,
    pub rows: Vec<T>,
    /// The page's number, kept in range.
    pub page: u32,
    /// How many pages there are (at least 1).
    pub pages: u32,
}

impl<T> DeletedPage<T> {
    /// The same page with each row turned into another type.
    pub fn map<U>(self, row: impl FnMut(T) -> U) -> DeletedPage<U> {
        DeletedPage {
            domain: self.domain,
            rows: self.rows.into_iter().map(row).collect(),
            page: self.page,
            pages: self.pages,
        }
    }
}

/// The number of pages of `total` rows, at least 1, and `page` kept among them.
pub fn page_in(total: i64, page: u32) -> (u32, u32) {
    let pages = u32::try_from(total.max(1))
        .unwrap_or(u32::MAX)
        .div_ceil(DELETED_PAGE_SIZE);
    (page.clamp(1, pages), pages)
}
