//! Authorization codes, access and refresh tokens: 256-bit random, stored as SHA-256, one file
//! for each way a partner gets or asks about them.

mod code;
mod introspect;
mod issue;
mod live;
mod refresh;
mod revoke;

pub use code::{CODE_TTL_SECS, CodeExchange, issue_code, redeem_code};
pub use introspect::{
    Confirmation, Introspection, IntrospectionAsk, IntrospectionBatches, PartnerTokenRow, TokenRow,
    introspection, pairwise_sub, partner_and_token, partners_and_tokens,
};
pub use issue::Issued;
pub use live::is_live;
pub use refresh::{Lifetimes, refresh};
pub use revoke::revoke;
