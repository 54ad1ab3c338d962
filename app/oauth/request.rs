//! The authorization request (RFC 6749 §4.1.1 with PKCE), validated against the partner.

use super::clients::Partner;
use super::error::OAuthCode;
use super::params::Params;
use super::pkce;
use super::scopes::{ScopeError, Scopes};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: String,
    pub code_challenge: String,
}

/// A refusal that may be sent back to the (already verified) redirect URI.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: OAuthCode,
    pub description: &'static str,
}

fn refuse(code: OAuthCode, description: &'static str) -> Refusal {
    Refusal { code, description }
}

/// Everything but client and redirect URI, which the caller has checked (they decide whether a
/// redirect is safe at all).
pub fn validate(
    p: &Params,
    partner: &Partner,
    redirect_uri: &str,
) -> Result<AuthorizationRequest, Refusal> {
    match p.get("response_type") {
        Some("code") => {}
        None => {
            return Err(refuse(
                OAuthCode::InvalidRequest,
                "response_type is required",
            ));
        }
        Some(_) => {
            return Err(refuse(
                OAuthCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    let state = p
        .get("state")
        .ok_or_else(|| refuse(OAuthCode::InvalidRequest, "state is required"))?;
    if state.len() > 512 {
        return Err(refuse(OAuthCode::InvalidRequest, "state is too long"));
    }
    let challenge = p.get("code_challenge").ok_or_else(|| {
        refuse(
            OAuthCode::InvalidRequest,
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        )
    })?;
    if p.get("code_challenge_method") != Some("S256") {
        return Err(refuse(
            OAuthCode::InvalidRequest,
            "code_challenge_method must be S256",
        ));
    }
    if !pkce::valid_challenge(challenge) {
        return Err(refuse(
            OAuthCode::InvalidRequest,
            "code_challenge is not a valid S256 challenge",
        ));
    }
    let scopes = match Scopes::parse(p.get("scope").unwrap_or_default()) {
        Ok(s) => s,
        Err(ScopeError::Empty) => return Err(refuse(OAuthCode::InvalidScope, "scope is required")),
        Err(ScopeError::Unknown(_)) => {
            return Err(refuse(OAuthCode::InvalidScope, "unknown scope"));
        }
    };
    if !scopes.is_subset(&partner.scopes) {
        return Err(refuse(
            OAuthCode::InvalidScope,
            "scope is not allowed for this client",
        ));
    }
    Ok(AuthorizationRequest {
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: state.to_owned(),
        code_challenge: challenge.to_owned(),
    })
}

/// `redirect_uri` with `params` added to its query (RFC 6749 §4.1.2), keeping what it had.
pub fn redirect_to(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::clients::AuthMethod;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn partner(scopes: &str) -> Partner {
        Partner::in_memory(
            Scopes::parse(scopes).unwrap(),
            AuthMethod::ClientSecretBasic,
        )
    }

    fn params(q: &str) -> Params {
        Params::parse(q.as_bytes(), &[]).unwrap()
    }

    fn good() -> String {
        format!(
            "response_type=code&state=xyz&scope=balance:read&code_challenge={CHALLENGE}&code_challenge_method=S256"
        )
    }

    #[test]
    fn accepts_a_good_request() {
        let r = validate(
            &params(&good()),
            &partner("balance:read transactions:read"),
            "https://a.example/cb",
        )
        .unwrap();
        assert_eq!(r.state, "xyz");
        assert_eq!(r.scopes.to_string(), "balance:read");
    }

    #[test]
    fn refusals() {
        let p = partner("balance:read");
        let cases = [
            (
                good().replace("response_type=code", "response_type=token"),
                OAuthCode::UnsupportedResponseType,
            ),
            (good().replace("state=xyz&", ""), OAuthCode::InvalidRequest),
            (
                good().replace("code_challenge_method=S256", "code_challenge_method=plain"),
                OAuthCode::InvalidRequest,
            ),
            (
                good().replace("&code_challenge_method=S256", ""),
                OAuthCode::InvalidRequest,
            ),
            (
                good().replace(&format!("code_challenge={CHALLENGE}&"), ""),
                OAuthCode::InvalidRequest,
            ),
            (
                good().replace("scope=balance:read", "scope=transactions:read"),
                OAuthCode::InvalidScope,
            ),
            (
                good().replace("scope=balance:read", "scope=payments:write"),
                OAuthCode::InvalidScope,
            ),
            (
                good().replace("scope=balance:read", ""),
                OAuthCode::InvalidScope,
            ),
        ];
        for (q, code) in cases {
            assert_eq!(
                validate(&params(&q), &p, "https://a.example/cb")
                    .unwrap_err()
                    .code,
                code,
                "{q}"
            );
        }
    }

    #[test]
    fn redirect_keeps_existing_query() {
        assert_eq!(
            redirect_to(
                "https://a.example/cb?x=1",
                &[("code", "c d"), ("state", "s&t")]
            ),
            "https://a.example/cb?x=1&code=c+d&state=s%26t"
        );
    }
}
