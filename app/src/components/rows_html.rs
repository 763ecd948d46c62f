//! A list's table rows written as one piece of HTML. Built as views, the fifty rows of a list
//! were most of its page's render time under load; written here in one pass, escaped as Leptos
//! escapes text and attribute values, they give the same table. Rows written so are never an
//! island: nothing in the browser hydrates them.

use html_escape::{encode_double_quoted_attribute as attribute, encode_text as text};

/// The rows of one table's body, cell by cell.
pub struct Rows(String);

impl Rows {
    /// Room for `rows` rows of a few cells.
    pub fn with_capacity(rows: usize) -> Self {
        Self(String::with_capacity(rows * 600))
    }

    /// Begins a row.
    pub fn start(&mut self) {
        self.0.push_str("<tr>");
    }

    /// Ends the row begun last.
    pub fn end(&mut self) {
        self.0.push_str("</tr>");
    }

    /// A tick box that selects the row's `value` under `name`, for a form around the table.
    pub fn tick(&mut self, name: &str, value: &str) {
        let value = attribute(value);
        self.0.push_str(&format!(
            "<td class=\"accounts__select\"><input type=\"checkbox\" name=\"{name}\" \
             value=\"{value}\" aria-label=\"Select {value}\" class=\"checkbox\"></td>"
        ));
    }

    /// A cell of text; `label` names it where a narrow screen stacks the cells.
    pub fn text(&mut self, label: &str, content: &str) {
        self.open(label);
        self.0.push_str(&text(content));
        self.0.push_str("</td>");
    }

    /// A cell with an address, a link to `href` when there is one. A narrow screen breaks the
    /// address after its `@` before anywhere else.
    pub fn address(&mut self, label: &str, address: &str, href: Option<&str>) {
        self.open(label);
        let shown = text(address).replacen('@', "@<wbr>", 1);
        match href {
            Some(href) => self
                .0
                .push_str(&format!("<a href=\"{}\">{shown}</a>", attribute(href))),
            None => self.0.push_str(&shown),
        }
        self.0.push_str("</td>");
    }

    /// The rows' HTML, for a `<tbody inner_html=…>`.
    pub fn into_html(self) -> String {
        self.0
    }

    fn open(&mut self, label: &str) {
        self.0.push_str("<td data-label=\"");
        self.0.push_str(&attribute(label));
        self.0.push_str("\">");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped_as_leptos_escapes_them() {
        let mut rows = Rows::with_capacity(1);
        rows.start();
        rows.tick("email", "a\"b@x.test");
        rows.text("Name", "<b>Ann & Bo</b>");
        rows.address(
            "Address",
            "a<b@x.test",
            Some("/users/edit?email=a%3Cb%40x.test&x=\""),
        );
        rows.address("Account", "", None);
        rows.end();
        assert_eq!(
            rows.into_html(),
            "<tr><td class=\"accounts__select\"><input type=\"checkbox\" name=\"email\" \
             value=\"a&quot;b@x.test\" aria-label=\"Select a&quot;b@x.test\" class=\"checkbox\"></td>\
             <td data-label=\"Name\">&lt;b&gt;Ann &amp; Bo&lt;/b&gt;</td>\
             <td data-label=\"Address\"><a href=\"/users/edit?email=a%3Cb%40x.test&amp;x=&quot;\">a&lt;b@<wbr>x.test</a></td>\
             <td data-label=\"Account\"></td></tr>"
        );
    }
}
