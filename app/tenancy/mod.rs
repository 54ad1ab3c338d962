//! Tenants: who they are (`tenant.toml`), how a request finds its tenant, and the pages that
//! belong to a tenant as a whole (home page, logo, theme).

pub mod customer_ca;
pub mod manifest;
pub mod pages;
mod registry;
mod slug;
pub mod svg;

pub use manifest::{Logo, TenantManifest, TenantSettings};
pub use registry::{CurrentTenant, Tenant, TenantRegistry};
pub use slug::{SchemaName, SlugError, TenantSlug};
