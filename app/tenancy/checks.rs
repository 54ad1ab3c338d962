//! The shapes a tenant's values must have: a colour, a sender address, a URL.

use crate::i18n::Message;

pub(super) fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) fn is_plain_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>\"(),;:[]\\".contains(&b))
}

/// https URLs, or http on this machine (development).
pub fn check_url(s: &str) -> Result<(), Message> {
    let url = url::Url::parse(s)
        .map_err(|e| Message::new("check-url").with("value", s).with("detail", e))?;
    let local = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if local => Ok(()),
        _ => Err(Message::new("check-https").with("value", s)),
    }
}
