//! Planfix stores comment text as HTML: customer text is escaped and line breaks kept.

/// Plain text → Planfix HTML: `<`, `>`, `&`, quotes escaped; `\n` (and `\r\n`) → `<br>`.
pub fn text_to_html(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n");
    normalized.split('\n').map(|line| html_escape::encode_text(line).into_owned()).collect::<Vec<_>>().join("<br>")
}

/// For attribute values (e.g. link targets).
pub fn attr(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_keeps_line_breaks() {
        assert_eq!(text_to_html("a <b> & c\nnext\r\nlast"), "a &lt;b&gt; &amp; c<br>next<br>last");
        assert_eq!(text_to_html(""), "");
    }
}
