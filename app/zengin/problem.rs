//! Where a file is wrong, and how.

/// What is wrong with a file, and where: its record (1-based) and field, or the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub record: Option<usize>,
    pub field: Option<&'static str>,
    pub message: String,
}

impl Problem {
    pub fn at(record: usize, field: &'static str, message: String) -> Self {
        Self {
            record: Some(record),
            field: Some(field),
            message,
        }
    }

    pub fn file(message: &str) -> Self {
        Self {
            record: None,
            field: None,
            message: message.to_owned(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.record, self.field) {
            (Some(r), Some(field)) => write!(f, "record {r}, {field}: {}", self.message),
            (Some(r), None) => write!(f, "record {r}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}
