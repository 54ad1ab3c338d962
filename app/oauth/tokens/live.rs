//! When a token counts: one rule, in Rust and in SQL, for the partner API, the refresh and the
//! introspection alike. A test runs both over the same rows.

use chrono::{DateTime, Utc};

/// A token is live until its end, and a refresh token only until it is spent (rotated). Its
/// grant must be live too ([`crate::grants::is_live`]).
pub fn is_live(
    expires_at: DateTime<Utc>,
    rotated_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> bool {
    expires_at > at && rotated_at.is_none()
}

/// [`is_live`] in SQL, for the token aliased `$t` at the time `$at`: a literal, for `concat!`.
#[macro_export]
macro_rules! live_token {
    ($t:literal, $at:literal) => {
        concat!(
            "(",
            $t,
            ".expires_at > ",
            $at,
            " AND ",
            $t,
            ".rotated_at IS NULL)"
        )
    };
}
