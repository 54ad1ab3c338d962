//! Sign-in at the bank's own OpenID provider (`bank.directory = "oidc"`): the authorization code
//! flow with PKCE, `state` and `nonce`, the provider's `iss` (RFC 9207), and the ID token checked
//! against the provider's keys, by the `openidconnect` crate; the client assertion of
//! `private_key_jwt` is signed with the tenant's own key (`jose/`, `keys/tenant`). The claim the
//! tenant names then finds the customer in its directory.

mod assertion;
mod failure;
mod http;
mod outcomes;
mod provider;
mod signin;

pub use failure::{Failure, Why};
pub use outcomes::{count, outcomes};
pub use signin::{Callback, Context, Finished, PENDING_TTL_SECS, Started, finish, start};
