//! Electronic certificates (電子証明書): the client certificate a request presents, over our own
//! TLS listener or from a trusted TLS-terminating proxy, and whether we trust it.

pub mod dev;
pub mod dn;
pub mod partners;
mod presented;
pub mod tls;
pub mod trust;

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderName;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ipnet::IpNet;
use openssl::x509::X509;

pub use dn::DistinguishedName;
pub use presented::Presented;
pub use trust::{CertificateTrust, Refusal};

/// The certificate this TLS connection's client sent, if any: put on each connection of the
/// HTTPS listener by [`tls::on_connect`].
#[derive(Clone)]
pub struct PeerCertificate(pub Option<X509>);

/// How requests reach us with client certificates, and which partners' CAs we trust.
pub struct ClientCertificates {
    /// Header a TLS-terminating proxy puts the client certificate in (URL-encoded PEM).
    header: Option<HeaderName>,
    trusted_proxies: Vec<IpNet>,
    /// CAs that `tls_client_auth` partners' certificates must chain to, with their CRL.
    pub partners: Option<partners::PartnerTrust>,
    /// `https://…` of our TLS listener, where certificate login and mutual TLS happen; `None`
    /// when neither this process nor a proxy in front of it does TLS with client certificates.
    pub https_base: Option<String>,
}

/// What a request carries.
#[derive(Debug)]
pub enum Presentation {
    /// Over TLS (ours or a trusted proxy's), with a certificate.
    Certificate(Box<Presented>),
    /// Over TLS, without a certificate.
    None,
    /// Plain HTTP from an untrusted peer: a certificate cannot be asked for here.
    PlainHttp,
}

impl Presentation {
    pub fn certificate(self) -> Option<Presented> {
        match self {
            Self::Certificate(p) => Some(*p),
            _ => None,
        }
    }
}

impl ClientCertificates {
    pub fn new(
        header: Option<HeaderName>,
        trusted_proxies: Vec<IpNet>,
        partners: Option<partners::PartnerTrust>,
        https_base: Option<String>,
    ) -> Self {
        Self {
            header,
            trusted_proxies,
            partners,
            https_base,
        }
    }

    /// Whether `ip` is one of `tls.trusted_proxies`.
    fn is_proxy(&self, ip: &IpAddr) -> bool {
        self.trusted_proxies.iter().any(|n| n.contains(ip))
    }

    /// A trusted proxy that passes client certificates in the configured header.
    fn is_trusted_proxy(&self, peer: Option<IpAddr>) -> bool {
        self.header.is_some() && peer.is_some_and(|ip| self.is_proxy(&ip))
    }

    /// The client certificate of this request. The proxy header counts only when the peer is a
    /// trusted proxy; from anyone else it is ignored. A header that does not parse counts as no
    /// certificate.
    pub fn presented(&self, req: &HttpRequest) -> Presentation {
        if let Some(PeerCertificate(peer)) = req.conn_data::<PeerCertificate>() {
            return match peer.clone().map(Presented::new) {
                Some(Ok(p)) => Presentation::Certificate(Box::new(p)),
                _ => Presentation::None,
            };
        }
        let peer = req.peer_addr().map(|a| a.ip());
        if !self.is_trusted_proxy(peer) {
            return Presentation::PlainHttp;
        }
        let header = self.header.as_ref().expect("checked above");
        let value = req
            .headers()
            .get(header)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.trim().is_empty());
        match value.and_then(parse_header_certificate) {
            Some(p) => Presentation::Certificate(Box::new(p)),
            None => {
                if value.is_some() {
                    tracing::warn!(header = %header, "the proxy's client certificate header does not parse");
                }
                Presentation::None
            }
        }
    }

    /// The client's address: the peer's, or behind a trusted proxy the last address of
    /// `X-Forwarded-For` that is not itself a trusted proxy. From anyone else the header is
    /// ignored, so nobody can pose as another address.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip());
        let trusted = |ip: &IpAddr| self.is_proxy(ip);
        if !peer.as_ref().is_some_and(trusted) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse().ok())
            .collect();
        forwarded.into_iter().rev().find(|ip| !trusted(ip)).or(peer)
    }

    /// Whether the request came over HTTPS: over our own TLS listener, or over a trusted proxy's
    /// that says so (`X-Forwarded-Proto` or `Forwarded: proto=`). From anyone else those headers
    /// are ignored, so nobody can switch HSTS or `Secure` cookies by a header.
    pub fn is_https(&self, req: &HttpRequest) -> bool {
        if req.conn_data::<PeerCertificate>().is_some() {
            return true;
        }
        if !req.peer_addr().is_some_and(|a| self.is_proxy(&a.ip())) {
            return false;
        }
        forwarded_proto(req.headers()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
    }

    /// The thumbprint of the presented certificate, for certificate-bound tokens.
    pub fn thumbprint(&self, req: &HttpRequest) -> Option<[u8; 32]> {
        self.presented(req).certificate().map(|p| p.thumbprint)
    }

    /// Whether the partner CA's CRL (`tls.partner_crl`) now lists this certificate.
    pub fn partner_revoked(&self, presented: &Presented) -> bool {
        self.partners
            .as_ref()
            .is_some_and(|t| t.current().is_revoked(presented))
    }
}

/// The scheme the nearest proxy saw: the last `proto=` of `Forwarded` (RFC 7239), else the last
/// value of `X-Forwarded-Proto`.
fn forwarded_proto(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    let last = |name: &str| {
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .map(str::trim)
            .map(str::to_owned)
    };
    if let Some(element) = last("forwarded") {
        return element
            .split(';')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("proto"))
            .map(|(_, v)| v.trim().trim_matches('"').to_owned());
    }
    last("x-forwarded-proto")
}

/// nginx's `$ssl_client_escaped_cert` (URL-encoded PEM), PEM with its line breaks folded into
/// spaces, or bare base64 DER.
fn parse_header_certificate(raw: &str) -> Option<Presented> {
    // Percent-decoding only: a '+' is base64, never a space.
    let decoded = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    let text = decoded.trim();
    if let Some(body) = text
        .strip_prefix("-----BEGIN CERTIFICATE-----")
        .and_then(|rest| rest.strip_suffix("-----END CERTIFICATE-----"))
    {
        let b64: String = body.split_whitespace().collect();
        return STANDARD
            .decode(b64)
            .ok()
            .and_then(|der| Presented::parse(&der).ok());
    }
    STANDARD
        .decode(text)
        .ok()
        .and_then(|der| Presented::parse(&der).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dev::{DevCa, Leaf};

    #[test]
    fn header_forms_parse() {
        let ca = DevCa::generate("CA").unwrap();
        let leaf = ca.issue(&Leaf::client("山田商店")).unwrap();
        let pem = leaf.cert_pem();
        let expected = Presented::new(leaf.cert.clone()).unwrap().thumbprint;
        let nginx = percent_encoding::utf8_percent_encode(&pem, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
        let folded = pem.replace('\n', " ");
        let der = STANDARD.encode(leaf.cert.to_der().unwrap());
        for form in [&nginx, &folded, &der] {
            let p = parse_header_certificate(form).unwrap_or_else(|| panic!("{form}"));
            assert_eq!(p.thumbprint, expected);
        }
        assert!(parse_header_certificate("garbage").is_none());
        assert!(
            parse_header_certificate("-----BEGIN CERTIFICATE-----x-----END CERTIFICATE-----")
                .is_none()
        );
    }

    #[test]
    fn the_forwarded_scheme_is_the_nearest_proxys() {
        use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
        let of = |pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
            }
            forwarded_proto(&h)
        };
        assert_eq!(of(&[]), None);
        assert_eq!(
            of(&[("x-forwarded-proto", "https")]).as_deref(),
            Some("https")
        );
        assert_eq!(
            of(&[("x-forwarded-proto", "https, http")]).as_deref(),
            Some("http")
        );
        assert_eq!(
            of(&[(
                "forwarded",
                "for=1.2.3.4;proto=http, for=5.6.7.8;Proto=\"https\""
            )])
            .as_deref(),
            Some("https")
        );
        assert_eq!(of(&[("forwarded", "for=1.2.3.4")]), None);
    }

    #[test]
    fn presented_reads_the_certificate() {
        let ca = DevCa::generate("CA").unwrap();
        let leaf = ca.issue(&Leaf::client("山田商店")).unwrap();
        let p = Presented::parse(leaf.cert_pem().as_bytes()).unwrap();
        assert_eq!(p.subject().get("CN"), Some("山田商店"));
        assert_eq!(p.issuer().get("CN"), Some("CA"));
        assert_eq!(p.x5t_s256().len(), 43);
        assert!((p.not_after() - chrono::Utc::now()).num_days() >= 364);
        assert!(Presented::parse(b"nope").is_err());
    }
}
