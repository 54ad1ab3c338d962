//! The HTTPS listener: our certificate, and a request for (not a requirement of) the client's.
//! Trust is decided per request by the application, against the tenant's or the partners' CAs.

use std::any::Any;
use std::path::Path;

use actix_tls::accept::openssl::TlsStream;
use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use anyhow::Context as _;
use openssl::ssl::{SslAcceptor, SslAcceptorBuilder, SslFiletype, SslMethod, SslVerifyMode};

use super::PeerCertificate;

/// TLS 1.2 and 1.3 with Mozilla's intermediate ciphers, asking every client for a certificate.
pub fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<SslAcceptorBuilder> {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())?;
    b.set_certificate_chain_file(cert)
        .with_context(|| format!("tls.cert: cannot use {}", cert.display()))?;
    b.set_private_key_file(key, SslFiletype::PEM)
        .with_context(|| format!("tls.key: cannot use {}", key.display()))?;
    b.check_private_key()
        .context("tls.key does not belong to tls.cert")?;
    // Ask, accept whatever comes (or nothing): the page or endpoint decides, with a clear answer
    // rather than a failed handshake.
    b.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
    // Needed for session resumption once client certificates are requested.
    b.set_session_id_context(b"renkei")?;
    Ok(b)
}

/// Records the client's certificate on each HTTPS connection (`HttpRequest::conn_data`).
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    if let Some(tls) = conn.downcast_ref::<TlsStream<TcpStream>>() {
        ext.insert(PeerCertificate(tls.ssl().peer_certificate()));
    }
}
