//! Records of 200 bytes: back to back, or each followed by CR LF (the last one with or without
//! it), with an MS-DOS end-of-file byte (0x1A) at the end ignored. CR alone or LF alone between
//! records is refused, as banks refuse it.

use super::problem::Problem;

pub const RECORD: usize = 200;

/// The records of a file, each exactly 200 bytes, or the first place the framing breaks.
pub fn records(file: &[u8]) -> Result<Vec<&[u8]>, Problem> {
    let bytes = file.strip_suffix(&[0x1a]).unwrap_or(file);
    if bytes.is_empty() {
        return Err(Problem::file("the file is empty"));
    }
    let crlf = bytes.len() > RECORD && bytes[RECORD..].starts_with(b"\r\n");
    let mut out = Vec::with_capacity(bytes.len() / RECORD + 1);
    let mut at = 0;
    while at < bytes.len() {
        let n = out.len() + 1;
        let rest = &bytes[at..];
        let head = &rest[..RECORD.min(rest.len())];
        if let Some(cut) = head.iter().position(|b| *b == b'\r' || *b == b'\n') {
            return Err(Problem::at(
                n,
                "レコード長",
                format!("{cut} bytes before the line break, not {RECORD}"),
            ));
        }
        if head.len() < RECORD {
            return Err(Problem::at(
                n,
                "レコード長",
                format!("{} bytes at the end of the file, not {RECORD}", head.len()),
            ));
        }
        out.push(head);
        let after = &rest[RECORD..];
        at += RECORD;
        match (crlf, after) {
            (_, []) => {}
            (true, [b'\r', b'\n', ..]) => at += 2,
            (true, [b'\r', ..]) => {
                return Err(Problem::at(
                    n,
                    "改行",
                    "CR without LF after the record".into(),
                ));
            }
            (true, _) => {
                return Err(Problem::at(
                    n,
                    "改行",
                    "no CR LF after this record, as after the first".into(),
                ));
            }
            (false, [b'\r' | b'\n', ..]) => {
                return Err(Problem::at(
                    n,
                    "改行",
                    "CR or LF alone after the record (records end with CR LF or with nothing)"
                        .into(),
                ));
            }
            (false, _) => {}
        }
    }
    Ok(out)
}
