//! The file name in a `Content-Disposition` header (RFC 6266): `filename*=UTF-8''…` (RFC 8187)
//! wins over `filename="…"`, as the RFC asks. Anything unparsable gives `None`, never a panic.

/// `attachment; filename="a.pdf"` → `a.pdf`.
pub(crate) fn file_name(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for param in split_params(header).into_iter().skip(1) {
        let Some((key, value)) = param.split_once('=') else { continue };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => extended = extended.or_else(|| decode_extended(value.trim())),
            "filename" => plain = plain.or_else(|| Some(unquote(value.trim()))),
            _ => {}
        }
    }
    extended.or(plain).filter(|name| !name.is_empty())
}

/// Splits on `;` outside double quotes.
fn split_params(header: &str) -> Vec<&str> {
    let (mut parts, mut start, mut quoted, mut escaped) = (Vec::new(), 0, false, false);
    for (index, c) in header.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&header[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    parts.push(&header[start..]);
    parts
}

/// `"a \"b\".pdf"` → `a "b".pdf`; a token is returned as is.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else { return value.to_owned() };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `UTF-8'lang'percent%20encoded`; other charsets are not decoded.
fn decode_extended(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let (charset, _language, encoded) = (parts.next()?, parts.next()?, parts.next()?);
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    let bytes = percent_decode(encoded)?;
    String::from_utf8(bytes).ok()
}

fn percent_decode(value: &str) -> Option<Vec<u8>> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn plain_quoted_and_extended_names() {
        assert_eq!(file_name("attachment; filename=\"report.pdf\"").as_deref(), Some("report.pdf"));
        assert_eq!(file_name("attachment; filename=report.pdf").as_deref(), Some("report.pdf"));
        assert_eq!(file_name("inline; FILENAME=\"a;b \\\"c\\\".txt\"").as_deref(), Some("a;b \"c\".txt"));
        assert_eq!(
            file_name("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%D1%81%D1%87%D1%91%D1%82.pdf")
                .as_deref(),
            Some("счёт.pdf")
        );
    }

    #[test]
    fn garbage_gives_none() {
        assert_eq!(file_name("attachment"), None);
        assert_eq!(file_name("attachment; filename=\"\""), None);
        assert_eq!(file_name("attachment; filename*=UTF-8''%E2%"), None);
        assert_eq!(file_name("attachment; filename*=latin1''x"), None);
        assert_eq!(file_name(";;;=;\"").as_deref(), None);
    }
}
