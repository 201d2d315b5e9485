//! Planfix comment HTML → WhatsApp message text.
//!
//! Planfix's REST API returns comments as editor HTML; WhatsApp only knows plain text with its
//! own light markup (`*bold*`, `_italic_`, `~strike~`, ```` ```mono``` ````). We never need a
//! DOM for that, so a small hand-rolled tokenizer does the job — and, unlike a strict parser, it
//! can be made to accept anything (pastes from Word, truncated HTML, stray `<`) without panicking.

/// Converts the `description` HTML of a Planfix comment to text ready to send to WhatsApp.
pub fn planfix_html_to_whatsapp(html: &str) -> String {
    let tokens = tokenize(html);
    // Plain-text comments (no markup at all) keep their own spacing and line breaks.
    if tokens.iter().all(|t| matches!(t, Token::Text(_))) {
        let text = decode(&html.replace("\r\n", "\n").replace('\r', "\n"));
        return collapse_blank_lines(text.trim());
    }
    let mut r = Renderer::default();
    for token in tokens {
        match token {
            Token::Text(raw) => r.text(raw),
            Token::Tag(tag) => r.tag(&tag),
            Token::Comment => {}
        }
    }
    r.finish()
}

/// A comment that opens with a quote: the quote's HTML (inside `<blockquote>`) and what follows it.
#[derive(Debug, PartialEq, Eq)]
pub struct LeadingQuote<'a> {
    pub quote_html: &'a str,
    pub rest_html: &'a str,
}

/// Splits off the `<blockquote>` a comment opens with — only whitespace, markup comments and
/// wrapper tags (`<p>`, `<div>`, `<span>`, `<br>`) may come before it — as Planfix's editor
/// writes a quote of an earlier comment. None for any other comment, and for a quote that never
/// closes (nothing is guessed).
pub fn split_leading_quote(html: &str) -> Option<LeadingQuote<'_>> {
    let bytes = html.as_bytes();
    let mut i = 0;
    let inner_start = loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'<') {
            return None;
        }
        let (token, end) = markup_at(html, i)?;
        match token {
            Token::Comment => {}
            Token::Tag(t) if t.name == "blockquote" && !t.closing => break end,
            Token::Tag(t) if !t.closing && matches!(t.name.as_str(), "p" | "div" | "span" | "br") => {}
            _ => return None,
        }
        i = end;
    };
    let (mut depth, mut j) = (1usize, inner_start);
    while j < bytes.len() {
        if bytes[j] != b'<' {
            j += 1;
            continue;
        }
        let Some((token, end)) = markup_at(html, j) else {
            j += 1;
            continue;
        };
        if let Token::Tag(t) = &token {
            if t.name == "blockquote" && !t.self_closing {
                if !t.closing {
                    depth += 1;
                } else {
                    depth -= 1;
                    if depth == 0 {
                        return Some(LeadingQuote { quote_html: &html[inner_start..j], rest_html: &html[end..] });
                    }
                }
            }
        }
        j = end;
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

enum Token<'a> {
    /// Raw text, entities not yet decoded (so `&lt;b&gt;` can never become a tag).
    Text(&'a str),
    Tag(Tag),
    /// Comments, doctypes, processing instructions: markup with nothing to show.
    Comment,
}

struct Tag {
    /// ASCII-lowercased.
    name: String,
    closing: bool,
    self_closing: bool,
    /// Names lowercased, values entity-decoded.
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Elements whose content is not text to show; skipped wholesale so `a<b` in a script is harmless.
const RAW_TEXT: [&str; 2] = ["script", "style"];

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut text_start) = (0, 0);
    // Only ASCII positions (`<`, just past `>`) are ever sliced at, so UTF-8 boundaries hold.
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let Some((token, mut end)) = markup_at(s, i) else {
            i += 1; // a literal `<` — stays part of the text run
            continue;
        };
        if text_start < i {
            out.push(Token::Text(&s[text_start..i]));
        }
        if let Token::Tag(t) = &token {
            if !t.closing && !t.self_closing && RAW_TEXT.contains(&t.name.as_str()) {
                end = skip_raw_text(s, end, &t.name);
            }
        }
        out.push(token);
        i = end;
        text_start = end;
    }
    if text_start < bytes.len() {
        out.push(Token::Text(&s[text_start..]));
    }
    out
}

/// Markup starting at `s[i] == '<'`, with the index just past it; `None` if the `<` is text.
fn markup_at(s: &str, i: usize) -> Option<(Token<'static>, usize)> {
    let rest = &s[i..];
    if let Some(body) = rest.strip_prefix("<!--") {
        // As in a browser, an unterminated comment swallows the rest.
        let end = body.find("-->").map_or(s.len(), |p| i + 4 + p + 3);
        return Some((Token::Comment, end));
    }
    let b = rest.as_bytes();
    match b.get(1) {
        Some(b'!' | b'?') => return rest.find('>').map(|p| (Token::Comment, i + p + 1)),
        Some(b'/') if b.get(2).is_some_and(u8::is_ascii_alphabetic) => {}
        Some(c) if c.is_ascii_alphabetic() => {}
        // `a < b`, `<3`, `<` at the end: text, as browsers treat it.
        _ => return None,
    }
    let close = tag_end(rest)?;
    Some((Token::Tag(parse_tag(&rest[1..close])), i + close + 1))
}

/// Index of the `>` closing the tag at the start of `rest`, skipping `>` inside quoted values.
fn tag_end(rest: &str) -> Option<usize> {
    let mut quote = None;
    let mut prev = b'<';
    for (j, &c) in rest.as_bytes().iter().enumerate().skip(1) {
        match quote {
            Some(q) if c == q => {
                quote = None;
                prev = c;
            }
            Some(_) => {}
            None => match c {
                b'>' => return Some(j),
                // Only a quote right after `=` opens a value; `<a title=don't>` must still end.
                b'"' | b'\'' if prev == b'=' => quote = Some(c),
                _ if c.is_ascii_whitespace() => {}
                _ => prev = c,
            },
        }
    }
    // Unbalanced quote: settle for the first `>` rather than eat the rest of the comment.
    // No `>` at all means it was never a tag (`x<y`), so the caller keeps it as text.
    rest.find('>')
}

/// Parses what lies between `<` and `>`.
fn parse_tag(inner: &str) -> Tag {
    let (closing, body) = match inner.strip_prefix('/') {
        Some(body) => (true, body),
        None => (false, inner),
    };
    let name_end = body.find(|c: char| c.is_ascii_whitespace() || c == '/').unwrap_or(body.len());
    let name = body[..name_end].to_ascii_lowercase();
    let (attrs, self_closing) = parse_attrs(&body[name_end..]);
    Tag { name, closing, self_closing, attrs }
}

fn parse_attrs(s: &str) -> (Vec<(String, String)>, bool) {
    let ws = |c: char| c.is_ascii_whitespace();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(ws);
        if rest.is_empty() {
            break;
        }
        // A `/` only self-closes at the very end (`href=http://x/` is a value, handled below).
        if let Some(r) = rest.strip_prefix('/') {
            self_closing = r.trim().is_empty();
            rest = r;
            continue;
        }
        let n = rest.find(|c: char| ws(c) || c == '=' || c == '/').unwrap_or(rest.len());
        let name = rest[..n].to_ascii_lowercase();
        rest = rest[n..].trim_start_matches(ws);
        let mut value = String::new();
        if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start_matches(ws);
            let (raw, after) = match r.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let quoted = &r[1..];
                    match quoted.find(q) {
                        Some(p) => (&quoted[..p], &quoted[p + 1..]),
                        None => (quoted, ""),
                    }
                }
                _ => r.split_at(r.find(ws).unwrap_or(r.len())),
            };
            value = decode(raw);
            rest = after;
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
    (attrs, self_closing)
}

/// Index just past the `</name…>` ending a raw-text element opened before `from` (or the end).
fn skip_raw_text(s: &str, from: usize, name: &str) -> usize {
    // ASCII lowercasing keeps byte offsets, so positions carry back to `s`.
    let lower = s[from..].to_ascii_lowercase();
    let Some(p) = lower.find(&format!("</{name}")) else {
        return s.len();
    };
    lower[p..].find('>').map_or(s.len(), |q| from + p + q + 1)
}

// ---------------------------------------------------------------------------------------------
// Renderer

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// WhatsApp emphasis marker: `*`, `_` or `~`.
    Mark(char),
    Code,
    Link,
}

/// An open element whose rendering depends on its whole content (markers go around the trimmed
/// text, links compare text with URL), so its output is buffered until it closes.
struct Frame {
    tag: String,
    kind: Kind,
    href: Option<String>,
    buf: String,
}

struct List {
    ordered: bool,
    next: u32,
}

#[derive(Default)]
struct Renderer {
    root: String,
    frames: Vec<Frame>,
    lists: Vec<List>,
    /// Depth of open `<pre>`: whitespace inside is kept verbatim.
    pre: usize,
    /// A list marker was just written and nothing after it, so a block opening inside the item
    /// (`<li><p>…`) must not push the text onto a line of its own.
    fresh_item: bool,
}

impl Renderer {
    fn buf(&mut self) -> &mut String {
        match self.frames.last_mut() {
            Some(f) => &mut f.buf,
            None => &mut self.root,
        }
    }

    fn last_char(&self) -> Option<char> {
        let frames = self.frames.iter().rev().map(|f| f.buf.as_str());
        frames.chain([self.root.as_str()]).find_map(|b| b.chars().last())
    }

    fn emit(&mut self, s: &str) {
        if s.chars().any(|c| !c.is_whitespace()) {
            self.fresh_item = false;
        }
        self.buf().push_str(s);
    }

    fn text(&mut self, raw: &str) {
        if self.pre > 0 {
            self.emit(&decode(&raw.replace("\r\n", "\n")));
            return;
        }
        // Browser whitespace rules: runs collapse to one space, none at the start of a line.
        // Done before decoding so `&nbsp;&nbsp;` still gives two spaces.
        let mut s = String::with_capacity(raw.len());
        let mut space = false;
        for c in raw.chars() {
            if c.is_ascii_whitespace() {
                space = true;
            } else {
                if space {
                    s.push(' ');
                    space = false;
                }
                s.push(c);
            }
        }
        if space {
            s.push(' ');
        }
        if s.starts_with(' ') && self.last_char().is_none_or(char::is_whitespace) {
            s.remove(0);
        }
        self.emit(&decode(&s));
    }

    /// Hard line break (`<br>`).
    fn newline(&mut self) {
        let buf = self.buf();
        buf.truncate(buf.trim_end_matches([' ', '\t']).len());
        buf.push('\n');
    }

    /// End of a block: start a new line unless already at one, so nested block ends
    /// (`<div><p>x</p></div>`) don't stack up blank lines a browser wouldn't show.
    fn block_break(&mut self) {
        if self.last_char().is_some_and(|c| c != '\n') {
            self.newline();
        }
    }

    fn block_open(&mut self) {
        if !self.fresh_item {
            self.block_break();
        }
    }

    fn open(&mut self, tag: &Tag, kind: Kind) {
        // `<b/>` is not valid HTML anyway; treating it as empty beats bolding the rest.
        if tag.self_closing {
            return;
        }
        let href = tag.attr("href").map(str::to_owned);
        self.frames.push(Frame { tag: tag.name.clone(), kind, href, buf: String::new() });
    }

    fn tag(&mut self, t: &Tag) {
        let name = t.name.as_str();
        if t.closing {
            return self.close(name);
        }
        match name {
            "br" => self.newline(),
            "b" | "strong" => self.open(t, Kind::Mark('*')),
            "i" | "em" => self.open(t, Kind::Mark('_')),
            "s" | "strike" | "del" => self.open(t, Kind::Mark('~')),
            "code" => self.open(t, Kind::Code),
            "pre" => {
                self.block_open();
                if !t.self_closing {
                    self.pre += 1;
                    self.open(t, Kind::Code);
                }
            }
            "a" => {
                // Links don't nest; a new one ends the previous, as in a browser.
                if let Some(idx) = self.frames.iter().rposition(|f| f.kind == Kind::Link) {
                    self.close_to(idx);
                }
                self.open(t, Kind::Link);
            }
            "ul" | "ol" => {
                self.block_open();
                let next = t.attr("start").and_then(|v| v.trim().parse().ok()).unwrap_or(1);
                self.lists.push(List { ordered: name == "ol", next });
            }
            "li" => self.list_item(),
            "img" => {
                let alt = t.attr("alt").unwrap_or("");
                let alt = alt.split_whitespace().collect::<Vec<_>>().join(" ");
                if !alt.is_empty() {
                    self.emit(&format!("[image: {alt}]"));
                }
            }
            // Keep table cells from running together.
            "td" | "th" if self.last_char().is_some_and(|c| !c.is_whitespace()) => self.emit(" "),
            _ if is_block(name) => self.block_open(),
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match name {
            // A stray `</ul>` is ignored by browsers, so it breaks no line here either.
            "ul" | "ol" => {
                if self.lists.pop().is_some() {
                    self.block_break();
                }
            }
            "li" => self.block_break(),
            _ => {
                // Closing a formatting element also closes anything left open inside it;
                // a stray close tag with nothing to match is ignored.
                if let Some(idx) = self.frames.iter().rposition(|f| f.tag == name) {
                    self.close_to(idx);
                }
                if name == "pre" || is_block(name) {
                    self.block_break();
                }
            }
        }
    }

    fn list_item(&mut self) {
        self.block_break();
        let depth = self.lists.len().saturating_sub(1);
        let marker = match self.lists.last_mut() {
            Some(l) if l.ordered => {
                let n = l.next;
                l.next = l.next.saturating_add(1);
                format!("{n}. ")
            }
            _ => "• ".to_owned(),
        };
        let line = format!("{}{marker}", "  ".repeat(depth));
        self.buf().push_str(&line);
        self.fresh_item = true;
    }

    fn close_to(&mut self, idx: usize) {
        while self.frames.len() > idx {
            self.finish_top();
        }
    }

    fn finish_top(&mut self) {
        let Some(f) = self.frames.pop() else { return };
        if f.tag == "pre" {
            self.pre = self.pre.saturating_sub(1);
        }
        // WhatsApp shows markers literally inside monospace, and `**x**` from `<b><b>` badly.
        let in_code = self.frames.iter().any(|g| g.kind == Kind::Code);
        let rendered = match f.kind {
            Kind::Mark(m) if !in_code && !self.frames.iter().any(|g| g.kind == f.kind) => {
                // WhatsApp emphasis does not span lines, so each line gets its own markers.
                let m = m.to_string();
                f.buf.split('\n').map(|line| wrap(line, &m)).collect::<Vec<_>>().join("\n")
            }
            Kind::Code if !in_code => wrap(&f.buf, "```"),
            Kind::Link => link(&f.buf, f.href.as_deref()),
            _ => f.buf,
        };
        self.buf().push_str(&rendered);
    }

    fn finish(mut self) -> String {
        self.close_to(0);
        let lines: Vec<&str> = self.root.split('\n').map(str::trim_end).collect();
        collapse_blank_lines(lines.join("\n").trim())
    }
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "blockquote"
            | "table"
            | "tr"
            | "hr"
            | "dl"
            | "dt"
            | "dd"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "figure"
            | "figcaption"
            | "address"
            | "center"
    )
}

/// `marker` + trimmed text + `marker`, surrounding whitespace kept outside (WhatsApp ignores
/// `* bold*`); blank text is left unwrapped.
fn wrap(s: &str, marker: &str) -> String {
    let t = s.trim();
    if t.is_empty() {
        return s.to_owned();
    }
    let lead = &s[..s.len() - s.trim_start().len()];
    let trail = &s[s.trim_end().len()..];
    format!("{lead}{marker}{t}{marker}{trail}")
}

fn link(text: &str, href: Option<&str>) -> String {
    let href = href.map_or("", str::trim);
    let scheme = |p: &str| href.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p));
    // Nothing a WhatsApp reader could open: keep just the text.
    if href.is_empty() || href.starts_with('#') || scheme("javascript:") {
        return text.to_owned();
    }
    let url = if scheme("mailto:") {
        let addr = &href["mailto:".len()..];
        addr.split('?').next().unwrap_or(addr)
    } else {
        href
    };
    let t = text.trim();
    if t.is_empty() {
        return format!("{text}{url}");
    }
    let lead = &text[..text.len() - text.trim_start().len()];
    let trail = &text[text.trim_end().len()..];
    if same_target(t, url) {
        format!("{lead}{url}{trail}")
    } else {
        format!("{lead}{t} ({url}){trail}")
    }
}

/// `example.com/` and `https://example.com` name the same place; no need to print both.
fn same_target(text: &str, url: &str) -> bool {
    fn norm(s: &str) -> String {
        let s = s.trim().to_lowercase();
        let s = match s.find("://") {
            Some(p) if s[..p].chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c)) => s[p + 3..].to_owned(),
            _ => s.strip_prefix("mailto:").unwrap_or(&s).to_owned(),
        };
        s.trim_end_matches('/').to_owned()
    }
    norm(text) == norm(url)
}

/// Entities decoded, `&nbsp;` as a plain space (WhatsApp users copy text; NBSP surprises them).
fn decode(s: &str) -> String {
    html_escape::decode_html_entities(s).replace('\u{a0}', " ")
}

/// At most one blank line in a row.
fn collapse_blank_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = 0;
    for c in s.chars() {
        run = if c == '\n' { run + 1 } else { 0 };
        if run <= 2 {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{planfix_html_to_whatsapp as conv, split_leading_quote};

    #[test]
    fn splits_the_quote_a_comment_opens_with() {
        let q = split_leading_quote("<p><blockquote>Where is <b>my</b> order?</blockquote>It ships today</p>").unwrap();
        assert_eq!(q.quote_html, "Where is <b>my</b> order?");
        assert_eq!(q.rest_html, "It ships today</p>");
        let nested = split_leading_quote(" <!-- x --><blockquote>a<blockquote>b</blockquote>c</blockquote>d").unwrap();
        assert_eq!((nested.quote_html, nested.rest_html), ("a<blockquote>b</blockquote>c", "d"));
        for html in [
            "text <blockquote>q</blockquote>",
            "<b>x</b><blockquote>q</blockquote>",
            "<blockquote>never closed",
            "",
            "plain",
        ] {
            assert_eq!(split_leading_quote(html), None, "{html}");
        }
    }

    #[test]
    fn line_breaks_and_blocks() {
        assert_eq!(conv("a<br>b<br/>c<BR />d"), "a\nb\nc\nd");
        assert_eq!(conv("<p>one</p><p>two</p>"), "one\ntwo");
        assert_eq!(conv("<div>a</div><h2>T</h2><blockquote>q</blockquote>z"), "a\nT\nq\nz");
        assert_eq!(conv("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"), "a b\nc");
        // Nested block ends give one break, not a stack of blank lines.
        assert_eq!(conv("<div><p>a</p></div><div>b</div>"), "a\nb");
        // An empty paragraph with a <br> is how editors make a blank line.
        assert_eq!(conv("<p>a</p><p><br></p><p>b</p>"), "a\n\nb");
        // A block starting mid-line starts a new line, as in a browser.
        assert_eq!(conv("text<div>block</div>"), "text\nblock");
    }

    #[test]
    fn collapses_blank_lines_and_trims() {
        assert_eq!(conv("<br><br>a<br><br><br><br>b<br><br>"), "a\n\nb");
        assert_eq!(conv("  <p>  x  </p>  "), "x");
        assert_eq!(conv(""), "");
        assert_eq!(conv("<p> </p><br>"), "");
    }

    #[test]
    fn source_whitespace_collapses_like_a_browser() {
        assert_eq!(conv("<p>Hello\n   world</p>\n\n<p>  next\tline  </p>"), "Hello world\nnext line");
        assert_eq!(conv("a <span> b </span> c"), "a b c");
        assert_eq!(conv("x&nbsp;&nbsp;y"), "x  y");
        assert_eq!(conv("<p>a  \n</p>"), "a");
    }

    #[test]
    fn plain_text_is_kept_as_is() {
        assert_eq!(conv("  line one\n  indented   line\r\n\n\n\nend "), "line one\n  indented   line\n\nend");
        assert_eq!(conv("5 < 6 and 7 > 3"), "5 < 6 and 7 > 3");
        assert_eq!(conv("Tom &amp; Jerry"), "Tom & Jerry");
    }

    #[test]
    fn lists() {
        assert_eq!(conv("<ul><li>one</li><li>two</li></ul>"), "• one\n• two");
        assert_eq!(conv("<ol><li>one</li><li>two</li></ol>"), "1. one\n2. two");
        assert_eq!(conv("Items:<ul><li>a</li></ul>after"), "Items:\n• a\nafter");
        assert_eq!(
            conv("<ol><li>a<ul><li>b<ol><li>c</li></ol></li></ul></li><li>d</li></ol>"),
            "1. a\n  • b\n    1. c\n2. d"
        );
        assert_eq!(conv("<ul><li><p>para</p></li><li>x</li></ul>"), "• para\n• x");
        assert_eq!(conv("<ol start=\"3\"><li>c<li>d</ol>"), "3. c\n4. d");
        assert_eq!(conv("<li>orphan</li>"), "• orphan");
    }

    #[test]
    fn emphasis() {
        assert_eq!(conv("<b>b</b> <strong>s</strong>"), "*b* *s*");
        assert_eq!(conv("<i>i</i> <em>e</em>"), "_i_ _e_");
        assert_eq!(conv("<s>a</s> <strike>b</strike> <del>c</del>"), "~a~ ~b~ ~c~");
        assert_eq!(conv("<code>x = 1</code>"), "```x = 1```");
        assert_eq!(conv("<pre>fn main() {\n    go();\n}</pre>"), "```fn main() {\n    go();\n}```");
        assert_eq!(conv("<b><i>both</i></b>"), "*_both_*");
    }

    #[test]
    fn emphasis_markers_hug_trimmed_text() {
        assert_eq!(conv("a<b> bold </b>c"), "a *bold* c");
        assert_eq!(conv("x<b> </b>y<i></i>z"), "x yz");
        assert_eq!(conv("<b>a<br>b</b>"), "*a*\n*b*");
        // Same marker twice would confuse WhatsApp; markers inside monospace show literally.
        assert_eq!(conv("<b>a <strong>b</strong></b>"), "*a b*");
        assert_eq!(conv("<code><b>x</b></code>"), "```x```");
        assert_eq!(conv("<pre><code>x</code></pre>"), "```x```");
    }

    #[test]
    fn links() {
        assert_eq!(conv("<a href=\"https://ex.com/a\">the doc</a>"), "the doc (https://ex.com/a)");
        assert_eq!(conv("<a href=\"https://ex.com/\">ex.com</a>"), "https://ex.com/");
        assert_eq!(conv("<a href=\"http://ex.com\">HTTP://EX.COM/</a>"), "http://ex.com");
        assert_eq!(conv("<a href='https://ex.com'></a>"), "https://ex.com");
        assert_eq!(conv("<a href=\"mailto:joe@ex.com\">joe@ex.com</a>"), "joe@ex.com");
        assert_eq!(conv("<a href=\"MAILTO:joe@ex.com?subject=hi\">Joe</a>"), "Joe (joe@ex.com)");
        assert_eq!(conv("see<a href=\"u?a=1&amp;b=2\"> here </a>now"), "see here (u?a=1&b=2) now");
        assert_eq!(conv("<a href=\"#top\">top</a><a>bare</a>"), "topbare");
        assert_eq!(conv("<a href=\"https://x.io\"><b>X</b></a>"), "*X* (https://x.io)");
    }

    #[test]
    fn images_and_dropped_tags() {
        assert_eq!(conv("a <img src=\"x.png\" alt=\"a  cat\"> b"), "a [image: a cat] b");
        assert_eq!(conv("a<img src=\"x.png\">b<img alt=\"\"/>"), "ab");
        assert_eq!(conv("<span style=\"color:red\"><font size=2><u>kept</u></font></span>"), "kept");
        assert_eq!(conv("a<script>if (a<b) alert('x')</script>b<STYLE>p{}</STYLE>c"), "abc");
        assert_eq!(conv("a<!-- hidden <b>x</b> -->b<!DOCTYPE html>c"), "abc");
        assert_eq!(conv("<p>@Ivan Petrov, please check</p>"), "@Ivan Petrov, please check");
    }

    #[test]
    fn entities() {
        assert_eq!(
            conv("<p>&lt;b&gt; &amp; &#39;q&#39; &quot;x&quot; &#x1F600; &laquo;hi&raquo;&nbsp;end</p>"),
            "<b> & 'q' \"x\" 😀 «hi» end"
        );
        assert_eq!(conv("<b>&lt;i&gt;</b>"), "*<i>*");
        assert_eq!(conv("&lt;b&gt;not bold&lt;/b&gt;"), "<b>not bold</b>");
    }

    #[test]
    fn malformed_html() {
        assert_eq!(conv("<b>unclosed"), "*unclosed*");
        assert_eq!(conv("a</b></i></ul>b"), "ab");
        assert_eq!(conv("<P>Upper <B>Case</B></P>"), "Upper *Case*");
        assert_eq!(conv("<br>x < y and y<z"), "x < y and y<z");
        assert_eq!(conv("<p>I <3 you</p>"), "I <3 you");
        assert_eq!(conv("<a href=\"x?a>b\" title='it>s'>t</a>"), "t (x?a>b)");
        assert_eq!(conv("<a title=don't href=u>t</a>"), "t (u)");
        assert_eq!(conv("<a href=\"unterminated>t</a>"), "t (unterminated)");
        assert_eq!(conv("<i>a<b>b</i>c</b>"), "_a*b*_c");
        assert_eq!(conv("<p>x</p><!-- open"), "x");
        assert_eq!(conv("<br><"), "<");
        assert_eq!(conv("<a href=https://ex.com/>ex</a>"), "ex (https://ex.com/)");
    }

    #[test]
    fn never_panics_on_random_input() {
        const PIECES: [&str; 26] = [
            "<",
            ">",
            "/",
            "\"",
            "'",
            "=",
            "&",
            ";",
            "#",
            "b",
            "a",
            "li",
            "ul",
            "ol",
            "pre",
            " ",
            "\n",
            "!--",
            "-->",
            "href",
            "é",
            "😀",
            "&nbsp;",
            "script",
            "blockquote",
            "<blockquote>",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for case in 0..600 {
            let len = next() % 60;
            let input = if case % 2 == 0 {
                let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                (0..len).map(|_| PIECES[next() % PIECES.len()]).collect()
            };
            let out = conv(&input);
            assert_eq!(out, out.trim(), "{input:?}");
            assert!(!out.contains("\n\n\n"), "{input:?}");
            if let Some(q) = split_leading_quote(&input) {
                assert!(input.contains(q.quote_html) && input.ends_with(q.rest_html), "{input:?}");
            }
        }
    }
}
