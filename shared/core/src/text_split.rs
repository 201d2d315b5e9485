//! Splitting a long outbound text into WhatsApp messages of at most a provider's limit.
//!
//! A reader should not notice the seams: each cut goes at the strongest boundary the window
//! holds — a paragraph, then a line, then a sentence, then a word — never inside a link (a cut
//! link is a dead link) or a formatting span (`*bold*`, `_italic_`, `~strike~`, ```` ```mono``` ````
//! would show their markers as text), and never inside a grapheme cluster (a flag, a family
//! emoji joined by ZWJ, a letter with its accents: `unicode-segmentation`'s extended clusters).
//! Only a span longer than a whole message is cut inside: a formatting span is then closed
//! before the cut and reopened after it; a link that long is cut where it must be.

use std::ops::Range;

use unicode_segmentation::UnicodeSegmentation;

/// How strongly a boundary separates what is before it from what follows.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Strength {
    Grapheme,
    Word,
    Sentence,
    Line,
    Paragraph,
}

/// A cut this early in a window would leave a stub message: only taken when nothing better is
/// further on (a window is a whole message; a stub third of one still reads as a message).
const MIN_PART_SHARE: usize = 3;

/// Splits `text` into parts of at most `max` characters (Unicode scalar values, the unit the
/// providers' limits count), each trimmed; a text within the limit is one part.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(8);
    let mut parts = Vec::new();
    let mut rest = text.trim().to_owned();
    while rest.chars().count() > max {
        let (head, tail) = cut(&rest, max);
        if !head.trim().is_empty() {
            parts.push(head.trim_end().to_owned());
        }
        rest = tail.trim_start().to_owned();
    }
    if !rest.is_empty() {
        parts.push(rest);
    }
    parts
}

/// The first part of `text` (at most `max` characters) and what remains.
fn cut(text: &str, max: usize) -> (String, String) {
    let spans = protected_spans(text);
    let graphemes: Vec<(usize, &str)> = text.grapheme_indices(true).collect();
    // Boundaries within the window: (byte offset, characters before it).
    let mut boundaries = Vec::new();
    let mut chars = 0;
    for (i, (offset, g)) in graphemes.iter().enumerate() {
        if i > 0 {
            boundaries.push((*offset, chars));
        }
        chars += g.chars().count();
        if chars > max {
            break;
        }
    }
    if chars <= max {
        // The window ends at the text's end (cannot happen: the caller checks the length).
        return (text.to_owned(), String::new());
    }
    let inside = |at: usize| spans.iter().find(|s| s.range.start < at && at < s.range.end);
    let best = |allow_inside: bool, min_chars: usize| {
        boundaries
            .iter()
            .filter(|(at, before)| *before >= min_chars && (allow_inside || inside(*at).is_none()))
            .max_by_key(|(at, before)| (strength(text, *at), *before))
            .map(|(at, _)| *at)
    };
    let stub = max / MIN_PART_SHARE;
    if let Some(at) = best(false, stub).or_else(|| best(false, 1)) {
        return (text[..at].to_owned(), text[at..].to_owned());
    }
    // Every boundary lies inside one span longer than the window. A formatting span is closed
    // and reopened around the cut (the marker's characters come out of the window).
    let span = boundaries.iter().find_map(|(at, _)| inside(*at)).cloned();
    match span {
        Some(Span { marker: Some(marker), .. }) => {
            let room = max.saturating_sub(marker.chars().count());
            let at = boundaries
                .iter()
                .filter(|(_, before)| *before <= room && *before > 0)
                .max_by_key(|(at, before)| (strength(text, *at).min(Strength::Word), *before))
                .map(|(at, _)| *at)
                .unwrap_or(graphemes[1].0);
            (format!("{}{marker}", text[..at].trim_end()), format!("{marker}{}", text[at..].trim_start()))
        }
        _ => {
            let at = boundaries.last().map_or(text.len(), |(at, _)| *at);
            (text[..at].to_owned(), text[at..].to_owned())
        }
    }
}

/// The strength of the boundary at byte `at` (between two grapheme clusters).
fn strength(text: &str, at: usize) -> Strength {
    let before = &text[..at];
    let after = &text[at..];
    let trimmed = before.trim_end_matches([' ', '\t']);
    if trimmed.ends_with("\n\n") || trimmed.ends_with("\r\n\r\n") {
        return Strength::Paragraph;
    }
    if trimmed.ends_with('\n') {
        return Strength::Line;
    }
    let at_space = before.ends_with(char::is_whitespace) && !after.starts_with(char::is_whitespace);
    if !at_space {
        return Strength::Grapheme;
    }
    let sentence_end = trimmed.trim_end_matches(['"', '\'', ')', '»', '”', '’']);
    if sentence_end.ends_with(['.', '!', '?', '…', '。', '！', '？']) {
        Strength::Sentence
    } else {
        Strength::Word
    }
}

#[derive(Clone, Debug)]
struct Span {
    range: Range<usize>,
    /// The formatting marker (`*`, `_`, `~`, ```` ``` ````); None for a link.
    marker: Option<&'static str>,
}

/// Byte ranges no cut should fall into: links and WhatsApp formatting spans.
fn protected_spans(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    // Monospace blocks first: nothing inside them is formatting.
    let mut from = 0;
    while let Some(open) = text[from..].find("```").map(|i| from + i) {
        let Some(close) = text[open + 3..].find("```").map(|i| open + 3 + i) else { break };
        spans.push(Span { range: open..close + 3, marker: Some("```") });
        from = close + 3;
    }
    let in_code = |at: usize, spans: &[Span]| spans.iter().any(|s| s.range.contains(&at));
    for (start, _) in
        text.match_indices("http://").chain(text.match_indices("https://")).chain(text.match_indices("www."))
    {
        let word_start = text[..start].chars().next_back().is_none_or(|c| c.is_whitespace() || "([<\"'".contains(c));
        if !word_start || in_code(start, &spans) {
            continue;
        }
        let end = text[start..].find(char::is_whitespace).map_or(text.len(), |i| start + i);
        spans.push(Span { range: start..end, marker: None });
    }
    for marker in ["*", "_", "~"] {
        let mut from = 0;
        while let Some(open) = text[from..].find(marker).map(|i| from + i) {
            from = open + 1;
            let opens = text[..open].chars().next_back().is_none_or(|c| !c.is_alphanumeric())
                && text[open + 1..].chars().next().is_some_and(|c| !c.is_whitespace());
            if !opens || spans.iter().any(|s| s.range.contains(&open)) {
                continue;
            }
            // The closing marker: the next one on the same line right after a non-space.
            let line_end = text[open + 1..].find('\n').map_or(text.len(), |i| open + 1 + i);
            let close = text[open + 1..line_end]
                .match_indices(marker)
                .map(|(i, _)| open + 1 + i)
                .find(|&c| text[..c].chars().next_back().is_some_and(|p| !p.is_whitespace()));
            if let Some(close) = close {
                spans.push(Span { range: open..close + 1, marker: Some(marker) });
                from = close + 1;
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(parts: &[String]) -> Vec<usize> {
        parts.iter().map(|p| p.chars().count()).collect()
    }

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(split("  hello  ", 100), ["hello"]);
        assert!(split("", 100).is_empty());
    }

    #[test]
    fn paragraphs_then_lines_then_sentences_then_words() {
        let para = format!("{}\n\n{}", "a ".repeat(30).trim(), "b ".repeat(30).trim());
        assert_eq!(split(&para, 100), ["a ".repeat(30).trim(), "b ".repeat(30).trim()]);
        let lines = format!("{}\n{} {}", "x".repeat(40), "y".repeat(20), "z".repeat(20));
        assert_eq!(split(&lines, 50)[0], "x".repeat(40));
        let sentences = "One sentence here. Another one follows! And a third one goes on and on";
        assert_eq!(split(sentences, 45), ["One sentence here. Another one follows!", "And a third one goes on and on"]);
        let words = "alpha beta gamma delta epsilon zeta eta theta";
        let parts = split(words, 20);
        assert!(parts.iter().all(|p| !p.starts_with(' ') && !p.ends_with(' ')));
        assert_eq!(parts.join(" "), words, "cuts fall between words only");
    }

    #[test]
    fn a_stub_first_part_is_avoided() {
        // A paragraph break after 3 characters would make a stub message of "Hi,".
        let text = format!("Hi,\n\n{}", "word ".repeat(40).trim());
        let parts = split(&text, 100);
        assert!(parts[0].chars().count() > 30, "{parts:?}");
    }

    #[test]
    fn links_and_formatting_are_never_cut() {
        let link = "https://example.com/orders/12345?token=abc";
        let text = format!("{} see {link} {}", "word ".repeat(8).trim(), "more ".repeat(8).trim());
        for max in 45..70 {
            let parts = split(&text, max);
            assert!(parts.iter().any(|p| p.contains(link)), "max {max}: {parts:?}");
            assert!(parts.iter().all(|p| p.chars().count() <= max), "max {max}: {parts:?}");
        }
        let bold = format!("{} *very important words here* {}", "lead ".repeat(6).trim(), "tail ".repeat(6).trim());
        for max in 40..60 {
            let parts = split(&bold, max);
            assert!(parts.iter().any(|p| p.contains("*very important words here*")), "max {max}: {parts:?}");
        }
        let code = format!("intro text\n```let x = 1; let y = 2;```\n{}", "end ".repeat(10).trim());
        let parts = split(&code, 40);
        assert!(parts.iter().any(|p| p.contains("```let x = 1; let y = 2;```")), "{parts:?}");
    }

    #[test]
    fn a_span_longer_than_a_message_is_closed_and_reopened() {
        let text = format!("*{}*", "bold ".repeat(30).trim());
        let parts = split(&text, 50);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.starts_with('*') && p.ends_with('*') && p.chars().count() <= 50, "{parts:?}");
        }
        let words: Vec<&str> = parts.iter().flat_map(|p| p.trim_matches('*').split_whitespace()).collect();
        assert_eq!(words.len(), 30);
    }

    #[test]
    fn grapheme_clusters_stay_whole() {
        // Family (ZWJ sequence), flags, a letter with a combining accent, RTL and Cyrillic.
        let unit = "👨‍👩‍👧‍👦🇩🇪e\u{301}שלוםпривет";
        let text = unit.repeat(40);
        for max in [8, 9, 10, 17, 33] {
            let parts = split(&text, max);
            assert_eq!(parts.concat(), text, "max {max}: nothing lost or added");
            assert!(lens(&parts).iter().all(|&l| l <= max), "max {max}");
            for p in &parts {
                let first = p.graphemes(true).next().unwrap();
                assert!(unit.graphemes(true).any(|g| g == first), "max {max}: a part starts mid-cluster: {p:?}");
            }
        }
    }

    #[test]
    fn every_part_fits_and_nothing_is_lost() {
        let text = "Dear customer, thank you for your order. *Important*: delivery takes _two_ days.\n\n\
                    Track it at https://track.example.com/abc. Questions? Write us!\n"
            .repeat(30);
        for max in [50, 64, 100, 333, 1600, 4096] {
            let parts = split(&text, max);
            assert!(lens(&parts).iter().all(|&l| l <= max), "max {max}");
            let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
            assert_eq!(words(&parts.join(" ")), words(&text), "max {max}");
        }
    }
}
