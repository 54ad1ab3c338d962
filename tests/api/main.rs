//! One integration-test binary: a real PostgreSQL database per test, the real app on a free port.

mod admin;
mod admin_helpers;
mod bank_signin;
mod bounded_writes;
mod cert_helpers;
mod certificates;
mod core_directory;
mod core_import;
mod core_ingest;
mod foundation;
mod hardening;
mod helpers;
mod keys;
mod live;
mod mail_helpers;
mod notices;
mod oauth;
mod oauth_helpers;
mod partner_api;
mod resilience;
mod retry_grace;
mod tenancy;
mod use_cases;
mod withdrawn_certificates;
mod zengin_files;
