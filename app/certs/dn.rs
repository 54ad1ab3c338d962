//! Distinguished names as RFC 4514 writes them (most specific first): how a partner registers the
//! subject of its certificate for `tls_client_auth` (RFC 8705 §2.1.2), and how a certificate's
//! subject is compared with it.

use openssl::x509::X509NameRef;

/// An ordered list of (attribute type, value); types are upper-case short names (`CN`, `O`).
#[derive(Debug, Clone)]
pub struct DistinguishedName(Vec<(String, String)>);

impl DistinguishedName {
    /// Parses `CN=Mirai Budget,O=Mirai Inc.,C=JP`; `\,` and `\XX` escapes as in RFC 4514.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut current = String::new();
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    let next = chars.next().ok_or("ends with a lone backslash")?;
                    if next.is_ascii_hexdigit() {
                        let low = chars
                            .next()
                            .filter(char::is_ascii_hexdigit)
                            .ok_or("a \\XX escape needs two hex digits")?;
                        // Multi-byte UTF-8 arrives as several \XX escapes; keep the bytes apart
                        // and join them below.
                        current.push('\u{0}');
                        current.push(next);
                        current.push(low);
                    } else {
                        current.push('\\');
                        current.push(next);
                    }
                }
                ',' | '+' | ';' => parts.push(std::mem::take(&mut current)),
                _ => current.push(c),
            }
        }
        parts.push(current);
        let mut out = Vec::new();
        for part in parts {
            let (ty, value) = part
                .split_once('=')
                .ok_or_else(|| format!("'{}' is not TYPE=value", part.trim()))?;
            let ty = ty.trim();
            if ty.is_empty() || !ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
                return Err(format!("'{ty}' is not an attribute type such as CN or O"));
            }
            let value = unescape(value.trim())?;
            if value.is_empty() {
                return Err(format!("{ty} has an empty value"));
            }
            out.push((canonical_type(ty), value));
        }
        Ok(Self(out))
    }

    /// The subject (or issuer) of a certificate, most specific first.
    pub fn of(name: &X509NameRef) -> Self {
        let mut out: Vec<(String, String)> = name
            .entries()
            .map(|e| {
                let nid = e.object().nid();
                let ty = nid
                    .short_name()
                    .map(canonical_type)
                    .unwrap_or_else(|_| e.object().to_string());
                let value = e.data().to_string().unwrap_or_default();
                (ty, value)
            })
            .collect();
        out.reverse();
        Self(out)
    }

    /// The value of the most specific attribute of this type (e.g. the common name).
    pub fn get(&self, ty: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(ty))
            .map(|(_, v)| v.as_str())
    }
}

/// Equal when every attribute matches in order: types exactly, values ignoring ASCII case, as
/// X.520's caseIgnoreMatch does for the usual attribute types.
impl PartialEq for DistinguishedName {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(&other.0)
                .all(|((t1, v1), (t2, v2))| t1 == t2 && v1.eq_ignore_ascii_case(v2))
    }
}

impl std::fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (ty, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{ty}=")?;
            let last = value.chars().count().saturating_sub(1);
            for (j, c) in value.chars().enumerate() {
                let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
                    || (j == 0 && matches!(c, ' ' | '#'))
                    || (j == last && c == ' ');
                if special {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

fn canonical_type(ty: &str) -> String {
    match ty.to_ascii_uppercase().as_str() {
        "EMAILADDRESS" | "E" => "emailAddress".to_owned(),
        "SERIALNUMBER" => "serialNumber".to_owned(),
        "S" => "ST".to_owned(),
        "DOMAINCOMPONENT" => "DC".to_owned(),
        upper => upper.to_owned(),
    }
}

/// Resolves the escapes `parse` kept: `\,` → `,`, and runs of `\XX` into UTF-8.
fn unescape(raw: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\u{0}' => {
                let hex: String = chars.by_ref().take(2).collect();
                let b = u8::from_str_radix(&hex, 16).map_err(|_| "bad \\XX escape".to_owned())?;
                bytes.push(b);
            }
            '\\' => {
                let next = chars.next().ok_or("ends with a lone backslash")?;
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(next.encode_utf8(&mut buf).as_bytes());
            }
            _ => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    String::from_utf8(bytes).map_err(|_| "escapes do not form UTF-8".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::x509::X509Name;

    fn name(entries: &[(&str, &str)]) -> openssl::x509::X509Name {
        let mut b = X509Name::builder().unwrap();
        for (k, v) in entries {
            b.append_entry_by_text(k, v).unwrap();
        }
        b.build()
    }

    #[test]
    fn certificate_subject_reads_most_specific_first() {
        let n = name(&[("C", "JP"), ("O", "Mirai Inc."), ("CN", "mirai-budget")]);
        let dn = DistinguishedName::of(&n);
        assert_eq!(dn.to_string(), "CN=mirai-budget,O=Mirai Inc.,C=JP");
        assert_eq!(dn.get("cn"), Some("mirai-budget"));
    }

    #[test]
    fn parsed_and_certificate_names_compare() {
        let n = name(&[("C", "JP"), ("O", "Mirai, Inc."), ("CN", "みらい家計簿")]);
        let dn = DistinguishedName::of(&n);
        for same in [
            r"CN=みらい家計簿,O=Mirai\, Inc.,C=JP",
            r"cn = みらい家計簿 , o=MIRAI\, INC. , c=jp",
            r"CN=\E3\81\BF\E3\82\89\E3\81\84家計簿,O=Mirai\2C Inc.,C=JP",
        ] {
            assert_eq!(DistinguishedName::parse(same).unwrap(), dn, "{same}");
        }
        for other in [
            r"C=JP,O=Mirai\, Inc.,CN=みらい家計簿",
            r"CN=みらい家計簿,O=Mirai\, Inc.",
            r"CN=みらい家計簿x,O=Mirai\, Inc.,C=JP",
        ] {
            assert_ne!(DistinguishedName::parse(other).unwrap(), dn, "{other}");
        }
    }

    #[test]
    fn display_round_trips_escapes() {
        let dn = DistinguishedName::parse(r"CN=a\,b\+c,O=\ lead").unwrap();
        assert_eq!(dn.to_string(), r"CN=a\,b\+c,O=\ lead");
        assert_eq!(DistinguishedName::parse(&dn.to_string()).unwrap(), dn);
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in ["", "CN", "CN=", "=x", "C N=x", r"CN=x\", r"CN=\E3\8"] {
            assert!(DistinguishedName::parse(bad).is_err(), "{bad}");
        }
    }
}
