//! The bank's directory as CSV, beside its 全銀協 files: `customers` and `accounts`, UTF-8 (with
//! or without a BOM) or Shift_JIS, a header row first. Read whole; the first wrong value is
//! named by its line and column.

use super::problem::Problem;

/// The last two may be left out: `password_hash`, and `bank_customer_id` (what the bank's own
/// sign-in names the customer by, when it is not their login ID).
pub const CUSTOMER_COLUMNS: [&str; 8] = [
    "login_id",
    "name",
    "name_kana",
    "email",
    "locale",
    "status",
    "password_hash",
    "bank_customer_id",
];
pub const ACCOUNT_COLUMNS: [&str; 8] = [
    "login_id",
    "branch_code",
    "branch_name",
    "account_type_code",
    "account_number",
    "account_name",
    "account_name_kana",
    "opening_balance",
];

/// What the bank says of a customer's contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    /// Sign-in refused and the partner API answers 401 while it lasts; grants are kept.
    Locked,
    /// Sign-in refused and every grant ended.
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Locked => "locked",
            Self::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    pub line: usize,
    pub login_id: String,
    pub name: String,
    pub name_kana: String,
    pub email: String,
    pub locale: String,
    pub status: Status,
    /// An Argon2id PHC string, for a bank that moves its customers' passwords.
    pub password_hash: Option<String>,
    /// Kept as it is when the file leaves it empty.
    pub bank_customer_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub line: usize,
    pub login_id: String,
    pub branch_code: String,
    pub branch_name: String,
    pub account_type_code: String,
    pub account_number: String,
    pub account_name: String,
    pub account_name_kana: String,
    /// The balance before the account's first imported movement.
    pub opening_balance: Option<i64>,
}

/// The text of a CSV file: UTF-8 (a BOM dropped), else Shift_JIS.
pub fn decode(bytes: &[u8]) -> Result<String, Problem> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    encoding_rs::SHIFT_JIS
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
        .ok_or_else(|| Problem::file("the file is neither UTF-8 nor Shift_JIS"))
}

/// Which directory file a text is, by its header row.
pub fn kind_of(text: &str) -> Option<&'static str> {
    let first = text.lines().next()?.trim_end_matches('\r');
    if first.starts_with("login_id,name,") {
        Some("customers")
    } else if first.starts_with("login_id,branch_code,") {
        Some("accounts")
    } else {
        None
    }
}

/// The records of a CSV after its header, which must be `columns`, of which the last
/// `optional` may be left out.
fn records(
    text: &str,
    columns: &[&str],
    optional: usize,
) -> Result<Vec<(usize, Vec<String>)>, Problem> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Problem::file(&format!("line 1: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let fits = (columns.len() - optional..=columns.len()).any(|n| header == columns[..n]);
    if !fits {
        let left_out = if optional == 1 {
            "the last column may be left out".to_owned()
        } else {
            format!("the last {optional} columns may be left out")
        };
        return Err(Problem::file(&format!(
            "line 1: the header is '{}', where '{}' ({left_out}) is needed",
            header.join(","),
            columns.join(",")
        )));
    }
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => Problem::file(&format!(
                "line {line}: {len} values, where the header has {expected_len} (a value with a \
                 comma, such as a password hash, goes in double quotes)"
            )),
            csv::ErrorKind::Utf8 { .. } => Problem::file(&format!("line {line}: not UTF-8")),
            _ => Problem::file(&format!("line {line}: not CSV ({e})")),
        })?;
        out.push((line, record.iter().map(|v| v.trim().to_owned()).collect()));
    }
    Ok(out)
}

fn wrong(line: usize, column: &str, what: String) -> Problem {
    Problem::file(&format!("line {line}, {column}: {what}"))
}

fn digits(line: usize, column: &str, value: &str, n: usize) -> Result<String, Problem> {
    if value.len() == n && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(wrong(line, column, format!("'{value}' is not {n} digits")))
    }
}

fn required(line: usize, column: &str, value: &str) -> Result<String, Problem> {
    if value.is_empty() {
        Err(wrong(line, column, "empty".into()))
    } else {
        Ok(value.to_owned())
    }
}

pub fn customers(text: &str) -> Result<Vec<CustomerRow>, Problem> {
    let mut seen = std::collections::HashSet::new();
    let mut bank_ids = std::collections::HashSet::new();
    records(text, &CUSTOMER_COLUMNS, 2)?
        .into_iter()
        .map(|(line, v)| {
            let login_id = required(line, "login_id", &v[0])?;
            if login_id.len() > 64 || !seen.insert(login_id.clone()) {
                return Err(wrong(
                    line,
                    "login_id",
                    format!("'{login_id}' is too long or listed twice"),
                ));
            }
            let email = required(line, "email", &v[3])?;
            if !email.contains('@') || email.contains(char::is_whitespace) {
                return Err(wrong(
                    line,
                    "email",
                    format!("'{email}' is not an e-mail address"),
                ));
            }
            let locale = match v[4].as_str() {
                "" | "ja" => "ja",
                "en" => "en",
                other => return Err(wrong(line, "locale", format!("'{other}' is not ja or en"))),
            };
            let status = match v[5].as_str() {
                "active" => Status::Active,
                "locked" => Status::Locked,
                "closed" => Status::Closed,
                other => {
                    return Err(wrong(
                        line,
                        "status",
                        format!("'{other}' is not active, locked or closed"),
                    ));
                }
            };
            let password_hash = v.get(6).filter(|h| !h.is_empty()).cloned();
            if let Some(h) = &password_hash
                && !h.starts_with("$argon2id$")
            {
                return Err(wrong(
                    line,
                    "password_hash",
                    "not an Argon2id PHC string ($argon2id$…)".into(),
                ));
            }
            let bank_customer_id = v.get(7).filter(|b| !b.is_empty()).cloned();
            if let Some(b) = &bank_customer_id
                && (b.len() > 255 || !bank_ids.insert(b.clone()))
            {
                return Err(wrong(
                    line,
                    "bank_customer_id",
                    format!("'{b}' is too long or listed twice"),
                ));
            }
            Ok(CustomerRow {
                line,
                login_id,
                bank_customer_id,
                name: required(line, "name", &v[1])?,
                name_kana: required(line, "name_kana", &v[2])?,
                email,
                locale: locale.to_owned(),
                status,
                password_hash,
            })
        })
        .collect()
}

/// The account type name of the partner API for a code a directory may carry.
pub fn account_type_name(code: &str) -> Option<&'static str> {
    match code {
        "01" => Some("普通預金"),
        "02" => Some("当座預金"),
        "04" => Some("貯蓄預金"),
        _ => None,
    }
}

pub fn accounts(text: &str) -> Result<Vec<AccountRow>, Problem> {
    let mut seen = std::collections::HashSet::new();
    records(text, &ACCOUNT_COLUMNS, 1)?
        .into_iter()
        .map(|(line, v)| {
            let branch_code = digits(line, "branch_code", &v[1], 3)?;
            let account_type_code = digits(line, "account_type_code", &v[3], 2)?;
            if account_type_name(&account_type_code).is_none() {
                return Err(wrong(
                    line,
                    "account_type_code",
                    format!("'{account_type_code}' is not 01, 02 or 04"),
                ));
            }
            let account_number = digits(line, "account_number", &v[4], 7)?;
            if !seen.insert(format!("{branch_code}{account_type_code}{account_number}")) {
                return Err(wrong(
                    line,
                    "account_number",
                    "the account is listed twice".into(),
                ));
            }
            let opening_balance = match v.get(7).map(String::as_str) {
                None | Some("") => None,
                Some(raw) => Some(raw.parse::<i64>().map_err(|_| {
                    wrong(
                        line,
                        "opening_balance",
                        format!("'{raw}' is not a whole number of yen"),
                    )
                })?),
            };
            Ok(AccountRow {
                line,
                login_id: required(line, "login_id", &v[0])?,
                branch_code,
                branch_name: required(line, "branch_name", &v[2])?,
                account_type_code,
                account_number,
                account_name: required(line, "account_name", &v[5])?,
                account_name_kana: required(line, "account_name_kana", &v[6])?,
                opening_balance,
            })
        })
        .collect()
}
