//! JIS X 0201 text as it stands in the records (half-width katakana, upper-case letters, digits
//! and a few symbols, one byte a character), and as customers read it: full-width, with 濁点 and
//! 半濁点 composed (ｼﾞ → ジ).

/// The character of one JIS X 0201 byte, or `None` for a byte the set does not have.
fn jis(b: u8) -> Option<char> {
    match b {
        // 0x5C is the yen sign and 0x7E the overline in JIS X 0201.
        0x5c => Some('¥'),
        0x7e => Some('‾'),
        0x20..=0x7d => Some(b as char),
        0xa1..=0xdf => char::from_u32(0xff61 + u32::from(b - 0xa1)),
        _ => None,
    }
}

/// A C field as text (the half-width characters as they are), trailing spaces cut; `Err` with
/// the 1-based offset in the field of the first byte that is not JIS X 0201.
pub fn decode(field: &[u8]) -> Result<String, usize> {
    let mut s = String::with_capacity(field.len() * 3);
    for (i, b) in field.iter().enumerate() {
        s.push(jis(*b).ok_or(i + 1)?);
    }
    s.truncate(s.trim_end_matches(' ').len());
    Ok(s)
}

const KATAKANA: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";

/// Half-width text made full-width, 濁点 and 半濁点 joined to the kana before them.
pub fn full_width(half: &str) -> String {
    let mut out = String::with_capacity(half.len() * 3);
    for c in half.chars() {
        let code = c as u32;
        let wide = match c {
            ' ' => '\u{3000}',
            '¥' => '￥',
            '‾' => '￣',
            '!'..='~' => char::from_u32(code + 0xfee0).unwrap_or(c),
            '\u{ff61}'..='\u{ff9f}' => KATAKANA.chars().nth((code - 0xff61) as usize).unwrap_or(c),
            other => other,
        };
        match (wide, out.chars().last()) {
            ('゛', Some(before)) if voiced(before).is_some() => {
                out.pop();
                out.push(voiced(before).unwrap_or(before));
            }
            ('゜', Some(before)) if semi_voiced(before).is_some() => {
                out.pop();
                out.push(semi_voiced(before).unwrap_or(before));
            }
            _ => out.push(wide),
        }
    }
    out
}

fn voiced(c: char) -> Option<char> {
    match c {
        'ウ' => Some('ヴ'),
        'ワ' => Some('ヷ'),
        'ヲ' => Some('ヺ'),
        // カ…ト and ハ…ホ: the voiced kana is the next code point.
        'カ' | 'キ' | 'ク' | 'ケ' | 'コ' | 'サ' | 'シ' | 'ス' | 'セ' | 'ソ' | 'タ' | 'チ'
        | 'ツ' | 'テ' | 'ト' | 'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => {
            char::from_u32(c as u32 + 1)
        }
        _ => None,
    }
}

fn semi_voiced(c: char) -> Option<char> {
    match c {
        'ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ' => char::from_u32(c as u32 + 2),
        _ => None,
    }
}

/// Text as JIS X 0201 bytes, for files written here (`renkei demo zengin`): full-width kana
/// split into the kana and its 濁点 or 半濁点, half-width ones as they are; `None` when a
/// character has no half-width form.
pub fn to_jis(full: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(full.len());
    for c in full.chars() {
        let code = c as u32;
        match c {
            '\u{3000}' | ' ' => out.push(b' '),
            '！'..='～' => out.push(u8::try_from(code - 0xfee0).ok()?),
            '!'..='}' => out.push(c as u8),
            '\u{ff61}'..='\u{ff9f}' => out.push(u8::try_from(code - 0xff61 + 0xa1).ok()?),
            _ => {
                let (base, mark) = unvoiced(c);
                let at = KATAKANA.chars().position(|k| k == base)?;
                out.push(u8::try_from(0xa1 + at).ok()?);
                if let Some(mark) = mark {
                    out.push(mark);
                }
            }
        }
    }
    Some(out)
}

/// A voiced or semi-voiced kana as its plain kana and the byte of its mark (ﾞ 0xDE, ﾟ 0xDF).
fn unvoiced(c: char) -> (char, Option<u8>) {
    let plain = |d: u32| char::from_u32(c as u32 - d).unwrap_or(c);
    match c {
        'ヴ' => ('ウ', Some(0xde)),
        'ガ' | 'ギ' | 'グ' | 'ゲ' | 'ゴ' | 'ザ' | 'ジ' | 'ズ' | 'ゼ' | 'ゾ' | 'ダ' | 'ヂ'
        | 'ヅ' | 'デ' | 'ド' | 'バ' | 'ビ' | 'ブ' | 'ベ' | 'ボ' => (plain(1), Some(0xde)),
        'パ' | 'ピ' | 'プ' | 'ペ' | 'ポ' => (plain(2), Some(0xdf)),
        other => (other, None),
    }
}
