//! Outbound reply context. Planfix's comments carry no reply-to reference (neither
//! `CommentCreateRequest` nor `CommentResponse` has one): an employee answers a particular
//! customer message the way the editor allows, by opening the comment with a quote of it
//! (`<blockquote>`). That quote is matched against the task's latest comments the bridge wrote for
//! WhatsApp messages (they keep the provider's message id, [`NewComment::source_message_id`]); the
//! answer then goes as a WhatsApp reply to that message, without the quote, since WhatsApp shows
//! the original above it. Anything unsure is sent plainly, quote included.
//!
//! [`NewComment::source_message_id`]: crate::ports::planfix::NewComment::source_message_id

use crate::ports::planfix::{CommentSummary, PlanfixApi, PlanfixError};
use crate::whatsapp_text::{planfix_html_to_whatsapp, split_leading_quote};

/// How many of the task's latest comments a quote is looked for in (one Planfix request).
pub const QUOTE_SEARCH_DEPTH: usize = 50;

/// Shorter quotes (after normalising) match too much to point at one message.
const MIN_QUOTE_CHARS: usize = 3;

/// What to send for an employee's comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// WhatsApp text.
    pub text: String,
    /// The provider message id it answers, when the comment quotes one the bridge knows.
    pub reply_to: Option<String>,
}

/// The answer for comment `comment_id` of task `task_id`. Planfix is asked only when the comment
/// opens with a quote and the provider can send replies (`replies`); everything else costs
/// nothing.
pub async fn answer(
    planfix: &dyn PlanfixApi,
    replies: bool,
    task_id: i64,
    comment_id: i64,
    html: &str,
) -> Result<Answer, PlanfixError> {
    let plain = || Answer { text: planfix_html_to_whatsapp(html), reply_to: None };
    let Some(quote) = split_leading_quote(html).filter(|_| replies) else {
        return Ok(plain());
    };
    let rest = planfix_html_to_whatsapp(quote.rest_html);
    if rest.trim().is_empty() {
        // A bare quote: there is no answer to hang under it.
        return Ok(plain());
    }
    let recent = match planfix.recent_comments(task_id, QUOTE_SEARCH_DEPTH).await {
        Ok(recent) => recent,
        // Planfix refuses the listing for good (rights, a changed API): the answer still goes,
        // plainly; only a passing failure is worth the reply's retry.
        Err(e) if matches!(e.retry(), crate::retry::Retry::Never) => {
            tracing::warn!(task = task_id, comment = comment_id, error = %e, "could not list the task's comments; sending the reply plainly");
            return Ok(plain());
        }
        Err(e) => return Err(e),
    };
    let quoted = quoted_comment(&planfix_html_to_whatsapp(quote.quote_html), &recent, comment_id);
    Ok(match quoted.and_then(|c| c.source_message_id.clone()) {
        Some(id) => Answer { text: rest, reply_to: Some(id) },
        None => plain(),
    })
}

/// The newest comment older than `before` that stands for a WhatsApp message and that `quote`
/// names: by `comment #N` (how the bridge itself refers to comments), else by text — the
/// comment holds the quote's lines (a quoted fragment), or all of them but a first line (the
/// editor's author and time above the quoted words), or the quote holds the whole comment.
pub fn quoted_comment<'a>(quote: &str, comments: &'a [CommentSummary], before: i64) -> Option<&'a CommentSummary> {
    let mut candidates: Vec<&CommentSummary> =
        comments.iter().filter(|c| c.id < before && c.source_message_id.is_some()).collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.id));
    if let Some(id) = comment_number(quote) {
        return candidates.into_iter().find(|c| c.id == id);
    }
    let lines: Vec<String> = quote.lines().map(normalise).filter(|l| !l.is_empty()).collect();
    let whole = lines.join(" ");
    if whole.chars().count() < MIN_QUOTE_CHARS {
        return None;
    }
    let below_header = match &lines[..] {
        [_, rest @ ..] if rest.iter().map(|l| l.chars().count()).sum::<usize>() >= MIN_QUOTE_CHARS => rest,
        _ => &[],
    };
    let texts: Vec<(&CommentSummary, String)> =
        candidates.into_iter().map(|c| (c, normalise(&planfix_html_to_whatsapp(&c.description_html)))).collect();
    let holding = |part: &[String]| {
        texts
            .iter()
            .find(|(_, text)| !part.is_empty() && part.iter().all(|l| text.contains(l.as_str())))
            .map(|(c, _)| *c)
    };
    // Most specific first: a short comment inside a long quote is the weakest evidence, so of
    // those the longest wins.
    holding(&lines).or_else(|| holding(below_header)).or_else(|| {
        texts
            .iter()
            .filter(|(_, text)| text.chars().count() >= MIN_QUOTE_CHARS && whole.contains(text.as_str()))
            .max_by_key(|(c, text)| (text.chars().count(), c.id))
            .map(|(c, _)| *c)
    })
}

/// `N` of a `comment #N` in the quote.
fn comment_number(quote: &str) -> Option<i64> {
    let lower = quote.to_lowercase();
    let at = lower.find("comment #")? + "comment #".len();
    let digits: String = lower[at..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Case and spacing folded; the quote marks and ellipsis a pasted excerpt carries trimmed.
fn normalise(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ").to_lowercase();
    let trimmed =
        joined.trim_matches(|c: char| matches!(c, '"' | '\'' | '«' | '»' | '“' | '”' | '„' | '…' | '>' | ' ' | '.'));
    trimmed.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment(id: i64, html: &str, source: Option<&str>) -> CommentSummary {
        CommentSummary { id, description_html: html.into(), source_message_id: source.map(str::to_owned) }
    }

    fn history() -> Vec<CommentSummary> {
        vec![
            comment(10, "Where is my order? It was due on Monday.", Some("wamid.A")),
            comment(11, "Internal: check the warehouse", None),
            comment(
                12,
                "<blockquote>» \"Where is my order?…\" (comment #10)</blockquote>Also, can I pay by card?",
                Some("wamid.B"),
            ),
            comment(13, "Where is my order?", Some("wamid.C")),
        ]
    }

    #[test]
    fn a_fragment_names_the_newest_message_holding_it() {
        let h = history();
        assert_eq!(quoted_comment("where is my  ORDER", &h, 20).map(|c| c.id), Some(13));
        assert_eq!(quoted_comment("It was due on Monday", &h, 20).map(|c| c.id), Some(10));
        // Only comments older than the answer count.
        assert_eq!(quoted_comment("Where is my order?", &h, 13).map(|c| c.id), Some(12));
        assert_eq!(quoted_comment("pay by card", &h, 20).map(|c| c.id), Some(12));
    }

    #[test]
    fn a_quote_with_an_author_line_around_the_message_matches() {
        let h = history();
        let quote = "Anna Petrova, 12:30\nWhere is my order? It was due on Monday.";
        assert_eq!(quoted_comment(quote, &h, 20).map(|c| c.id), Some(10));
        let fragment = "*Anna Petrova*, 12:30\nIt was due\non Monday";
        assert_eq!(quoted_comment(fragment, &h, 20).map(|c| c.id), Some(10));
        assert_eq!(quoted_comment("Anna Petrova, 12:30\nnever said", &h, 20), None);
    }

    #[test]
    fn comment_numbers_and_pasted_excerpts() {
        let h = history();
        assert_eq!(
            quoted_comment("» \"Where is my order? It was due…\" (comment #10)", &h, 20).map(|c| c.id),
            Some(10)
        );
        assert_eq!(quoted_comment("comment #11", &h, 20), None, "not a WhatsApp message");
        assert_eq!(quoted_comment("«It was due on Monday…»", &h, 20).map(|c| c.id), Some(10));
    }

    #[test]
    fn unsure_quotes_match_nothing() {
        let h = history();
        for quote in ["", "wh", "  ", "Internal: check the warehouse", "something else entirely"] {
            assert_eq!(quoted_comment(quote, &h, 20), None, "{quote:?}");
        }
    }
}
