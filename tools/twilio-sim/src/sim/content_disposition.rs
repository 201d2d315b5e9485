//! The file name of a `Content-Disposition` header (RFC 6266): `filename*=` (RFC 5987,
//! `charset'lang'percent-encoded`) wins over `filename=` (token or quoted string).
//! Twilio shows a WhatsApp document's name only from this header (NOTES 3.4).

pub(crate) fn filename(header: &str) -> Option<String> {
    let params = parameters(header);
    let extended = params.iter().find(|(name, _)| name == "filename*").and_then(|(_, value)| decode_extended(value));
    extended
        .or_else(|| params.into_iter().find(|(name, _)| name == "filename").map(|(_, value)| value))
        .filter(|name| !name.is_empty())
}

/// `name=value` pairs after the disposition type, names lowercased, quoted strings unescaped.
fn parameters(header: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = header.chars().peekable();
    // Skip the disposition type (`attachment`, `inline`).
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut name = String::new();
        let mut has_value = false;
        for c in chars.by_ref() {
            if c == '=' || c == ';' {
                has_value = c == '=';
                break;
            }
            name.push(c);
        }
        let name = name.trim().to_ascii_lowercase();
        if !has_value {
            // A bare word (`attachment; foo; filename=x`) carries no value.
            if chars.peek().is_none() {
                return out;
            }
            continue;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
            // Skip anything up to the next separator.
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                value.push(c);
            }
            value = value.trim().to_owned();
        }
        if !name.is_empty() {
            out.push((name, value));
        }
        if chars.peek().is_none() {
            return out;
        }
    }
}

/// `UTF-8''%D0%A1%D1%87%D1%91%D1%82.pdf` → `Счёт.pdf`; ISO-8859-1 maps bytes to code points.
fn decode_extended(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let charset = parts.next()?.trim().to_ascii_lowercase();
    let _language = parts.next()?;
    let bytes = percent_decode(parts.next()?)?;
    match charset.as_str() {
        "utf-8" => String::from_utf8(bytes).ok(),
        "iso-8859-1" => Some(bytes.into_iter().map(char::from).collect()),
        _ => None,
    }
}

/// Strict percent-decoding (no `+` for space, unlike forms); a broken escape voids the value.
fn percent_decode(encoded: &str) -> Option<Vec<u8>> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = encoded.get(i + 1..i + 3).filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_quoted_and_extended_names() {
        assert_eq!(filename("attachment; filename=invoice.pdf").as_deref(), Some("invoice.pdf"));
        assert_eq!(
            filename("attachment; filename=\"my \\\"big\\\" file.pdf\"").as_deref(),
            Some("my \"big\" file.pdf")
        );
        assert_eq!(filename("inline; FILENAME=\"a;b.txt\"; size=3").as_deref(), Some("a;b.txt"));
        assert_eq!(
            filename("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%D0%A1%D1%87%D1%91%D1%82%20+1.pdf")
                .as_deref(),
            Some("Счёт +1.pdf")
        );
        assert_eq!(filename("attachment; filename*=utf-8'ru'%D0%AF.txt; filename=x").as_deref(), Some("Я.txt"));
        assert_eq!(filename("attachment; filename*=iso-8859-1''caf%E9.txt").as_deref(), Some("café.txt"));
    }

    #[test]
    fn broken_or_missing_names() {
        assert_eq!(filename("attachment"), None);
        assert_eq!(filename("attachment; filename="), None);
        assert_eq!(filename("attachment; filename*=UTF-8''%ZZ.pdf"), None);
        assert_eq!(filename("attachment; filename*=UTF-8''%ZZ.pdf; filename=ok.pdf").as_deref(), Some("ok.pdf"));
        assert_eq!(filename("attachment; filename*=UTF-8''%FF.pdf"), None);
        assert_eq!(filename("attachment; filename=\"unterminated").as_deref(), Some("unterminated"));
        assert_eq!(filename(";;;=;"), None);
        assert_eq!(filename("attachment; foo; filename=x.txt").as_deref(), Some("x.txt"));
        assert_eq!(filename("attachment; filename*=UTF-8''%+1.pdf"), None);
    }
}
