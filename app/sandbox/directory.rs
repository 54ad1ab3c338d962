//! The hosted directory: customers, their passwords and certificates in the tenant's schema.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::records;
use crate::bank::Hosted;
use crate::bank::{
    Certificate, CertificateBinding, CustomerDirectory, CustomerId, Profile, Verification,
};
use crate::db::schema::tenant::{customer_certificates, customers};
use crate::db::{Db, TenantConn};
use crate::tenancy::TenantSlug;

type Stamp = Option<chrono::DateTime<chrono::Utc>>;

/// Registers a certificate to a customer; `false` when it already was. A certificate registered
/// to someone else is refused.
pub async fn bind_certificate(
    conn: &mut TenantConn,
    customer: CustomerId,
    cert: &crate::certs::Presented,
) -> anyhow::Result<bool> {
    let existing: Option<Uuid> = customer_certificates::table
        .find(cert.thumbprint.as_slice())
        .select(customer_certificates::customer_id)
        .first(&mut **conn)
        .await
        .optional()?;
    match existing {
        Some(owner) if owner == customer.0 => return Ok(false),
        Some(_) => anyhow::bail!("this certificate is already registered to another customer"),
        None => {}
    }
    diesel::insert_into(customer_certificates::table)
        .values((
            customer_certificates::fingerprint.eq(cert.thumbprint.as_slice()),
            customer_certificates::customer_id.eq(customer.0),
            customer_certificates::subject.eq(cert.subject().to_string()),
            customer_certificates::issuer.eq(cert.issuer().to_string()),
            customer_certificates::serial.eq(&cert.serial),
            customer_certificates::not_before.eq(cert.not_before()),
            customer_certificates::not_after.eq(cert.not_after()),
        ))
        .execute(&mut **conn)
        .await?;
    Ok(true)
}

impl CustomerDirectory for Hosted {
    async fn find(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        login_id: &str,
    ) -> anyhow::Result<Option<Profile>> {
        Ok(records::profile(&mut db.tenant(tenant).await?, login_id).await?)
    }

    async fn login_id_of(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<Option<String>> {
        Ok(records::login_id_of(&mut db.tenant(tenant).await?, customer).await?)
    }

    async fn certificates(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<Vec<Certificate>> {
        Ok(records::certificates(&mut db.tenant(tenant).await?, customer).await?)
    }

    async fn revoke_certificate(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        fingerprint: &[u8],
        at: chrono::DateTime<chrono::Utc>,
    ) -> anyhow::Result<Option<String>> {
        Ok(records::revoke_certificate(&mut db.tenant(tenant).await?, fingerprint, at).await?)
    }

    async fn verify_certificate(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        fingerprint: &[u8; 32],
    ) -> anyhow::Result<CertificateBinding> {
        // (customer, certificate revoked at, customer locked at, the bank's status)
        let found: Option<(Uuid, Stamp, Stamp, String)> = customer_certificates::table
            .inner_join(customers::table)
            .filter(customer_certificates::fingerprint.eq(fingerprint.as_slice()))
            .select((
                customers::id,
                customer_certificates::revoked_at,
                customers::locked_at,
                customers::status,
            ))
            .first(&mut db.tenant(tenant).await?)
            .await
            .optional()?;
        Ok(match found {
            // A closed contract has no customer to sign in as.
            None => CertificateBinding::Unbound,
            Some((.., status)) if status == "closed" => CertificateBinding::Unbound,
            Some((_, Some(_), _, _)) => CertificateBinding::Revoked,
            Some((_, None, Some(_), _)) => CertificateBinding::Locked,
            Some((.., status)) if status == "locked" => CertificateBinding::Locked,
            Some((id, None, None, _)) => CertificateBinding::Customer(CustomerId(id)),
        })
    }

    async fn identify(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        bank_id: &str,
    ) -> anyhow::Result<Verification> {
        // The bank's own sign-in decides lockout: Renkei's (`locked_at`) is not asked.
        let found: Option<(Uuid, String)> = customers::table
            .filter(
                customers::bank_customer_id
                    .eq(bank_id)
                    .or(customers::login_id.eq(bank_id)),
            )
            .order(customers::bank_customer_id.eq(bank_id).desc().nulls_last())
            .select((customers::id, customers::status))
            .first(&mut db.tenant(tenant).await?)
            .await
            .optional()?;
        Ok(match found {
            Some((id, status)) if status == "active" => Verification::Verified(CustomerId(id)),
            Some((_, status)) if status == "locked" => Verification::Locked,
            _ => Verification::Refused { customer: None },
        })
    }

    async fn verify_password(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        login_id: &str,
        password: &str,
    ) -> anyhow::Result<Verification> {
        // The connection goes back to the pool before the hash is computed.
        // A closed contract signs in as no one, exactly as an unknown ID does.
        let found: Option<(Uuid, String, Stamp, String)> = customers::table
            .filter(customers::login_id.eq(login_id))
            .filter(customers::status.ne("closed"))
            .select((
                customers::id,
                customers::password_hash,
                customers::locked_at,
                customers::status,
            ))
            .first(&mut db.tenant(tenant).await?)
            .await
            .optional()?;
        let phc = found
            .as_ref()
            .map_or(crate::secrets::DUMMY_PHC.to_owned(), |f| f.1.clone());
        let matches = crate::secrets::verify_password(password.to_owned(), phc).await;
        Ok(match found {
            Some((_, _, Some(_), _)) => Verification::Locked,
            Some((.., status)) if status == "locked" => Verification::Locked,
            Some((id, _, None, _)) if matches => Verification::Verified(CustomerId(id)),
            Some((id, _, None, _)) => Verification::Refused {
                customer: Some(CustomerId(id)),
            },
            None => Verification::Refused { customer: None },
        })
    }

    async fn lock(&self, db: &Db, tenant: &TenantSlug, customer: CustomerId) -> anyhow::Result<()> {
        diesel::update(
            customers::table
                .find(customer.0)
                .filter(customers::locked_at.is_null()),
        )
        .set(customers::locked_at.eq(chrono::Utc::now()))
        .execute(&mut db.tenant(tenant).await?)
        .await?;
        Ok(())
    }

    async fn unlock(
        &self,
        db: &Db,
        tenant: &TenantSlug,
        customer: CustomerId,
    ) -> anyhow::Result<()> {
        diesel::update(customers::table.find(customer.0))
            .set((
                customers::locked_at.eq(None::<chrono::DateTime<chrono::Utc>>),
                customers::failed_logins.eq(0),
            ))
            .execute(&mut db.tenant(tenant).await?)
            .await?;
        Ok(())
    }
}
