//! Where mail goes: an SMTP server (plain, STARTTLS or TLS, optional credentials), or .eml files
//! when none is configured.

use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailSettings;

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    /// Must be called inside a Tokio runtime (the SMTP pool spawns there).
    pub fn from_settings(s: &MailSettings) -> anyhow::Result<Self> {
        if s.smtp_url.is_empty() {
            std::fs::create_dir_all(&s.spool_dir)
                .map_err(|e| anyhow::anyhow!("mail.spool_dir '{}': {e}", s.spool_dir))?;
            return Ok(Self::Files(AsyncFileTransport::new(&s.spool_dir)));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&s.smtp_url)
            .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?
            .timeout(Some(Duration::from_secs(s.timeout_secs)))
            .build();
        Ok(Self::Smtp(transport))
    }

    /// Hands one message over; an error means it was not accepted.
    pub async fn send(&self, message: Message) -> anyhow::Result<()> {
        match self {
            Self::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(anyhow::Error::from),
            Self::Files(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(anyhow::Error::from),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::Files(_) => "files",
        }
    }
}
