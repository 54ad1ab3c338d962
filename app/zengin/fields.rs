//! Reading the fields of a 200-byte record by the positions and lengths of the layout tables:
//! N fields (digits, zero-filled; blank where a bank left an optional one empty), C fields (JIS
//! X 0201 text), 和暦 dates and signed balances.

use chrono::NaiveDate;

use super::problem::Problem;
use super::{text, wareki};

/// A field of a record, by its 1-based position and length, as the layout tables give it.
pub(crate) struct Rec<'a> {
    pub n: usize,
    pub bytes: &'a [u8],
}

impl<'a> Rec<'a> {
    pub(crate) fn raw(&self, pos: usize, len: usize) -> &'a [u8] {
        &self.bytes[pos - 1..pos - 1 + len]
    }

    /// An N field; a field of spaces is `None` (optional fields are left blank by some banks).
    pub(crate) fn opt_num(
        &self,
        pos: usize,
        len: usize,
        field: &'static str,
    ) -> Result<Option<i64>, Problem> {
        let raw = self.raw(pos, len);
        if raw.iter().all(|b| *b == b' ') {
            return Ok(None);
        }
        if !raw.iter().all(u8::is_ascii_digit) {
            return Err(Problem::at(
                self.n,
                field,
                format!("'{}' is not {len} digits", String::from_utf8_lossy(raw)),
            ));
        }
        Ok(std::str::from_utf8(raw).ok().and_then(|s| s.parse().ok()))
    }

    pub(crate) fn num(&self, pos: usize, len: usize, field: &'static str) -> Result<i64, Problem> {
        self.opt_num(pos, len, field)?.ok_or_else(|| {
            Problem::at(
                self.n,
                field,
                format!("empty, where {len} digits are needed"),
            )
        })
    }

    pub(crate) fn digits(
        &self,
        pos: usize,
        len: usize,
        field: &'static str,
    ) -> Result<String, Problem> {
        self.num(pos, len, field)?;
        Ok(String::from_utf8_lossy(self.raw(pos, len)).into_owned())
    }

    pub(crate) fn text(
        &self,
        pos: usize,
        len: usize,
        field: &'static str,
    ) -> Result<String, Problem> {
        text::decode(self.raw(pos, len)).map_err(|at| {
            Problem::at(
                self.n,
                field,
                format!("byte {at} of the field is not a JIS X 0201 character"),
            )
        })
    }

    pub(crate) fn date(
        &self,
        pos: usize,
        field: &'static str,
        near: NaiveDate,
    ) -> Result<Option<NaiveDate>, Problem> {
        let raw = String::from_utf8_lossy(self.raw(pos, 6)).into_owned();
        wareki::decode(&raw, near).map_err(|why| Problem::at(self.n, field, why))
    }

    pub(crate) fn required_date(
        &self,
        pos: usize,
        field: &'static str,
        near: NaiveDate,
    ) -> Result<NaiveDate, Problem> {
        self.date(pos, field, near)?
            .ok_or_else(|| Problem::at(self.n, field, "000000, where a date is needed".into()))
    }

    /// A balance after its 貸越区分 (1 plus, 2 minus); no sign, no balance.
    pub(crate) fn balance(
        &self,
        sign_at: usize,
        at: usize,
        field: &'static str,
    ) -> Result<Option<i64>, Problem> {
        let sign = match self.bytes[sign_at - 1] {
            b'1' => 1,
            b'2' => -1,
            _ => return Ok(None),
        };
        Ok(Some(sign * self.num(at, 14, field)?))
    }

    pub(crate) fn kind(&self) -> u8 {
        self.bytes[0]
    }

    /// A trailer's count (6 digits at `n_at`) and total (`sum_len` digits at `sum_at`) against
    /// what the block holds (`n` `what`, `sum` yen).
    pub(crate) fn totals(
        &self,
        (n_at, n_field): (usize, &'static str),
        (sum_at, sum_len, sum_field): (usize, usize, &'static str),
        (n, sum): (i64, i64),
        what: &str,
    ) -> Result<(), Problem> {
        let said = self.num(n_at, 6, n_field)?;
        if said != n {
            return Err(Problem::at(
                self.n,
                n_field,
                format!("{said}, where the block has {n}"),
            ));
        }
        let said = self.num(sum_at, sum_len, sum_field)?;
        if said != sum {
            return Err(Problem::at(
                self.n,
                sum_field,
                format!("{said} yen, where the block's {what} come to {sum}"),
            ));
        }
        Ok(())
    }
}
