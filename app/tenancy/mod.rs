//! Tenants: who they are (`tenant.toml`), how a request finds its tenant, and the pages that
//! belong to a tenant as a whole (home page, logo, theme).

mod checks;
pub mod customer_ca;
pub mod folder;
pub mod logo;
pub mod manifest;
pub mod pages;
mod registry;
pub mod saved;
pub mod seams;
pub mod settings;
mod slug;
pub mod svg;

pub use logo::Logo;
pub use manifest::TenantManifest;
pub use registry::{CurrentTenant, Tenant, TenantRegistry};
pub use settings::TenantSettings;
pub use slug::{SchemaName, SlugError, TenantSlug};
