//! What a request's address may be: its size, and the page a form post comes back to.
//!
//! A server function posted as a plain form comes back to the page it was posted from (its
//! Referer), with its refusal added to the address (`__path=…&__err=…`). The Referer is that
//! page's address as it was shown, with the refusal and the notice of any post before: left
//! as it is, each refusal in a row would add one more, and a refusal would show beside the
//! "Saved." of the post before. So the Referer of a post loses them first.

use app::routes::NOTICES;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};

/// The longest request target (path and query) answered: the console's own addresses are
/// far shorter. A longer one is answered at once with 414.
pub const MAX_TARGET_BYTES: usize = 8 * 1024;

/// The most bytes of request headers answered (names and values): a longer set is answered
/// at once with 431.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The query parameters a server function adds to the address it comes back to on refusal.
const REFUSAL_PARAMETERS: [&str; 2] = ["__path", "__err"];

/// Why a request whose address or headers are too large to be the console's own is refused:
/// its status, and the title and sentence of the page that says so.
pub fn too_large(request: &Request) -> Option<(StatusCode, &'static str, &'static str)> {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target > MAX_TARGET_BYTES {
        return Some((
            StatusCode::URI_TOO_LONG,
            "Address too long",
            "This address is too long to be one of the console's. Please go back and try again.",
        ));
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Some((
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request too large",
            "This request's headers are too large. Please go back and try again.",
        ));
    }
    None
}

/// Takes out of a post's Referer the refusal and the notices of the posts before.
pub fn fresh_referer(request: &mut Request) {
    if request.method() != Method::POST {
        return;
    }
    let Some(referer) = request
        .headers()
        .get(header::REFERER)
        .and_then(|value| value.to_str().ok())
    else {
        return;
    };
    let fresh = without_notices(referer);
    if fresh != referer {
        if let Ok(value) = HeaderValue::from_str(&fresh) {
            request.headers_mut().insert(header::REFERER, value);
        }
    }
}

/// `address` without the query parameters that report a post's outcome.
fn without_notices(address: &str) -> String {
    let (address, fragment) = match address.split_once('#') {
        Some((address, fragment)) => (address, Some(fragment)),
        None => (address, None),
    };
    let Some((page, query)) = address.split_once('?') else {
        return address_with(address, fragment);
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| {
            let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
            !pair.is_empty() && !REFUSAL_PARAMETERS.contains(&name) && !NOTICES.contains(&name)
        })
        .collect();
    let page = if kept.is_empty() {
        page.to_owned()
    } else {
        format!("{page}?{}", kept.join("&"))
    };
    address_with(&page, fragment)
}

fn address_with(address: &str, fragment: Option<&str>) -> String {
    match fragment {
        Some(fragment) => format!("{address}#{fragment}"),
        None => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::without_notices;

    #[test]
    fn a_referer_loses_every_refusal_and_notice_and_keeps_the_rest() {
        let shown = "http://console.test/users/edit?email=ann%40alpha.test&saved=1\
                     &__path=%2Fapi%2Fa&__err=c2VudA&__path=%2Fapi%2Fb&__err=c2VudA";
        assert_eq!(
            without_notices(shown),
            "http://console.test/users/edit?email=ann%40alpha.test"
        );
        assert_eq!(
            without_notices("http://console.test/users?q=ann&page=2"),
            "http://console.test/users?q=ann&page=2"
        );
        assert_eq!(
            without_notices("http://console.test/catch-all?saved=on"),
            "http://console.test/catch-all"
        );
        assert_eq!(
            without_notices("http://console.test/users"),
            "http://console.test/users"
        );
    }
}
