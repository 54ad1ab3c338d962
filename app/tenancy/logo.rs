//! A tenant's logo: PNG, or SVG that passes the allow-list of [`super::svg`].

use crate::i18n::Message;

/// Largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Logo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Logo {
    /// Accepts PNG, or SVG without scripts, event handlers or external references.
    pub fn sniff(bytes: Vec<u8>) -> Result<Self, Message> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(Message::new("check-logo-size")
                .with("size", bytes.len())
                .with("max", MAX_LOGO_BYTES));
        }
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Ok(Self {
                content_type: "image/png",
                bytes,
            });
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| Message::new("check-logo-type"))?;
        use super::svg::Refusal;
        let forbidden = |what: String| Message::new("check-svg-forbidden").with("what", what);
        super::svg::check(text).map_err(|why| match why {
            Refusal::NotXml => Message::new("check-svg-not-xml"),
            Refusal::NotSvg => Message::new("check-logo-type"),
            Refusal::Element(name) => forbidden(format!("<{name}>")),
            Refusal::Attribute(name) if name.starts_with("on") => Message::new("check-svg-handler"),
            Refusal::Attribute(name) => forbidden(name),
            Refusal::Value(name) => forbidden(format!("{name}=\"…\"")),
            Refusal::Instruction => forbidden("<?…?>".to_owned()),
        })?;
        Ok(Self {
            content_type: "image/svg+xml",
            bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_checked() {
        assert!(Logo::sniff(b"\x89PNG\r\n\x1a\nrest".to_vec()).is_ok());
        assert!(Logo::sniff(b"GIF89a".to_vec()).is_err());
        for evil in [
            r#"<svg><script>alert(1)</script></svg>"#,
            r#"<svg onload="alert(1)"></svg>"#,
            r#"<svg><a href="javascript:alert(1)"/></svg>"#,
            r#"<svg><image href="https://tracker.example/x.png"/></svg>"#,
            r#"<svg/onload=alert(1)>"#,
            r#"<svg:svg xmlns:svg="http://www.w3.org/2000/svg"><svg:script>alert(1)</svg:script></svg:svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript&#58;x"/></svg>"#,
            r#"<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(//evil.example/t)"/></svg>"#,
        ] {
            assert!(Logo::sniff(evil.as_bytes().to_vec()).is_err(), "{evil}");
        }
        assert!(Logo::sniff(vec![b' '; MAX_LOGO_BYTES + 1]).is_err());
    }
}
