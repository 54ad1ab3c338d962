//! The 全銀協 standard file formats that banks' firm-banking systems write: fixed records of 200
//! bytes in JIS X 0201 (`docs`: `reference/zengin-layout.md`). Reading only, and nothing of the
//! database: a file is split into records (`framing`), its text made readable (`text`), its
//! dates decoded (`wareki`), and a 入出金取引明細 (種別コード 03) checked whole into a
//! [`Statement`] (`statement`). Beside them, the bank's directory as CSV (`directory`).

pub mod directory;
mod fields;
pub mod framing;
pub mod notice;
pub mod problem;
pub mod statement;
pub mod text;
pub mod wareki;

pub use framing::records;
pub use problem::Problem;
pub use statement::{Block, Direction, Movement, Statement};

#[cfg(test)]
mod tests;
