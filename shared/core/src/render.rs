//! How each inbound message kind reads as a Planfix comment. Everything the customer (or the
//! provider) typed is escaped here, exactly once, with [`text_to_html`] (text) or [`attr`] (link
//! targets); the rest is the bridge's own markup.

use super::html::{attr, text_to_html};
use crate::domain::{ContactCard, InboundMessage, MessageContent, Origin};
use crate::ports::store::{MessageReference, RefAuthor};

/// What stays above a file in its comment once the file is attached: the customer's own words
/// that came with it, and for a sticker what it is (empty if neither).
pub fn media_caption_html(content: &MessageContent) -> String {
    match content {
        MessageContent::Media { media_kind, caption, .. } => {
            let what = match media_kind.as_str() {
                // Static stickers are pictures; animated ones go as files Planfix may not preview.
                "sticker" => Some("🖼 Sticker".to_owned()),
                "animated_sticker" => Some("🎞 Animated sticker (attached as a file)".to_owned()),
                _ => None,
            };
            [what, caption.as_deref().map(text_to_html)].into_iter().flatten().collect::<Vec<_>>().join("<br>")
        }
        _ => String::new(),
    }
}

/// The comment showing a writer's reaction to a message after the reactions of `trail` (the
/// current one last, `""` a removal): a changed reaction edits this one comment, which says what
/// came before, so trying emojis never makes a wall of comments.
pub fn reaction_note_html(msg: &InboundMessage, trail: &[String], reference: Option<&MessageReference>) -> String {
    let content = reaction_html(trail, reference);
    match msg.origin {
        Origin::Customer => content,
        Origin::BusinessPhone => format!("<i>📱 Sent from the company's WhatsApp phone:</i><br>{content}"),
    }
}

fn reaction_html(trail: &[String], reference: Option<&MessageReference>) -> String {
    let Some((current, earlier)) = trail.split_last() else { return String::new() };
    let mut earlier: Vec<&str> = earlier.iter().map(String::as_str).collect();
    let line = if current.is_empty() {
        // The emoji taken back, when known, is named in the line itself.
        let taken_back = match earlier.last() {
            Some(e) if !e.is_empty() => format!(" {}", text_to_html(e)),
            _ => String::new(),
        };
        if !taken_back.is_empty() {
            earlier.pop();
        }
        format!("<i>removed the reaction{taken_back} to {}</i>", reaction_target(reference))
    } else if reference.is_none() {
        format!("<i>reacted {} to an earlier message</i>", text_to_html(current))
    } else {
        format!("{} <i>reacted to {}</i>", text_to_html(current), reaction_target(reference))
    };
    if earlier.is_empty() {
        return line;
    }
    let before: Vec<String> =
        earlier.iter().map(|e| if e.is_empty() { "removed".to_owned() } else { text_to_html(e) }).collect();
    format!("{line} <i>(before: {})</i>", before.join(", "))
}

/// The comment for a conversation message: the content, and for what the company wrote from its
/// WhatsApp phone a mark saying so (Planfix shows it as the bridge's own comment, not the
/// customer's).
pub fn message_html(msg: &InboundMessage) -> String {
    message_html_with(msg, None)
}

/// [`message_html`] with the comment the message points at (the one it reacts to, replies to,
/// edits or deletes), as inbound processing looked it up; None when unknown or not needed.
pub fn message_html_with(msg: &InboundMessage, reference: Option<&MessageReference>) -> String {
    let mut content = content_html(&msg.content, msg.origin, reference);
    // A quote only for what the store knows (an unknown one would be noise), and never above a
    // button or list answer: its context is the business's menu, the title says it all.
    let quotes = msg.reply_to.is_some() && !matches!(msg.content, MessageContent::Choice { .. });
    if let Some(r) = reference.filter(|_| quotes) {
        content = format!("{}{content}", quote_html(r));
    }
    match msg.origin {
        Origin::Customer => content,
        Origin::BusinessPhone => format!("<i>📱 Sent from the company's WhatsApp phone:</i><br>{content}"),
    }
}

/// The content of a message the customer wrote.
pub fn comment_html(content: &MessageContent) -> String {
    content_html(content, Origin::Customer, None)
}

/// `"first words…"` of the referenced comment, escaped; None without an excerpt.
fn quoted(reference: Option<&MessageReference>) -> Option<String> {
    reference.and_then(|r| r.excerpt.as_deref()).map(|e| format!("\"{}\"", text_to_html(e)))
}

/// The quote above a reply: Planfix keeps comment HTML as written and shows `<blockquote>` as
/// an indented quote (planfix-sim stores it verbatim).
fn quote_html(reference: &MessageReference) -> String {
    match quoted(Some(reference)) {
        Some(q) => format!("<blockquote>» {q} (comment #{})</blockquote>", reference.comment_id),
        None => format!("<blockquote>» comment #{}</blockquote>", reference.comment_id),
    }
}

/// What a reaction points at: `"first words…"` of the customer's own message, `your message
/// «…»` for the business's, the comment number when the words are unknown.
fn reaction_target(reference: Option<&MessageReference>) -> String {
    let Some(r) = reference else { return "an earlier message".to_owned() };
    let words = r.excerpt.as_deref().map(text_to_html);
    match (r.by, words) {
        (RefAuthor::Customer, Some(w)) => format!("\"{w}\" (comment #{})", r.comment_id),
        (RefAuthor::Business, Some(w)) => format!("your message «{w}» (comment #{})", r.comment_id),
        (RefAuthor::Customer, None) => format!("comment #{}", r.comment_id),
        (RefAuthor::Business, None) => format!("your message (comment #{})", r.comment_id),
    }
}

/// `("first words…", comment #N)` of an edited or deleted message, or nothing when unknown.
fn original_html(reference: Option<&MessageReference>) -> String {
    match (reference, quoted(reference)) {
        (Some(r), Some(q)) => format!(" ({q}, comment #{})", r.comment_id),
        (Some(r), None) => format!(" (comment #{})", r.comment_id),
        (None, _) => String::new(),
    }
}

fn content_html(content: &MessageContent, origin: Origin, reference: Option<&MessageReference>) -> String {
    let who = match origin {
        Origin::Customer => "The customer",
        Origin::BusinessPhone => "The company's phone",
    };
    match content {
        MessageContent::Text { body } => text_to_html(body),
        MessageContent::Media { media_kind, filename, .. } => {
            let label = match media_kind.as_str() {
                "image" => "Photo",
                "video" => "Video",
                "audio" => "Audio",
                "voice" => "Voice message",
                "document" => "Document",
                "sticker" => "Sticker",
                "animated_sticker" => "Animated sticker",
                _ => "File",
            };
            let name = filename.as_deref().map(|f| format!(" «{}»", text_to_html(f))).unwrap_or_default();
            // The file-relay function attaches the file and replaces this note; the caption is
            // in the comment from the start, so the text is never lost with the file.
            let note = match media_kind.as_str() {
                // The sticker's line above already says what it is.
                "sticker" => "<i>[📎 transferring the image…]</i>".to_owned(),
                "animated_sticker" => "<i>[📎 transferring the file…]</i>".to_owned(),
                _ => format!("<i>[📎 {label}{name}: transferring the file…]</i>"),
            };
            let above = media_caption_html(content);
            if above.is_empty() {
                note
            } else {
                format!("{above}<br>{note}")
            }
        }
        MessageContent::Location { latitude, longitude, name, address } => {
            let place: Vec<&str> = [name.as_deref(), address.as_deref()].into_iter().flatten().collect();
            let url = format!("https://www.google.com/maps/search/?api=1&query={latitude},{longitude}");
            let title = if place.is_empty() {
                "Location".to_owned()
            } else {
                format!("Location: {}", text_to_html(&place.join(", ")))
            };
            format!("{title}<br><a href=\"{}\">{latitude}, {longitude}</a>", attr(&url))
        }
        MessageContent::Reaction { emoji, .. } => reaction_html(std::slice::from_ref(emoji), reference),
        MessageContent::Edited { text, .. } => {
            let what = if reference.is_some() { "a message" } else { "an earlier message" };
            format!("<i>✏️ {who} edited {what}{}:</i> {}", original_html(reference), text_to_html(text))
        }
        MessageContent::Deleted { .. } => match reference {
            Some(_) => {
                format!("<i>🗑 {who} deleted a message{}; the comment is kept here.</i>", original_html(reference))
            }
            None => format!("<i>🗑 {who} deleted an earlier message.</i>"),
        },
        MessageContent::Unsupported { kind } => {
            format!("<i>[{who} sent {} that the bridge does not show yet]</i>", a_kind(Some(kind)))
        }
        MessageContent::Withheld { kind } => {
            let ask = match origin {
                Origin::Customer => "; ask them to send it another way if it matters",
                Origin::BusinessPhone => "",
            };
            format!("<i>[{who} sent {} that WhatsApp does not pass to integrations{ask}]</i>", a_kind(kind.as_deref()))
        }
        MessageContent::Choice { title, description, payload } => {
            let shown = match (title.trim().is_empty(), payload.as_deref()) {
                (false, _) => text_to_html(title),
                // A button without a title still says which one it was.
                (true, Some(p)) => format!("(button «{}»)", text_to_html(p)),
                (true, None) => "(a button)".to_owned(),
            };
            match description.as_deref().filter(|d| !d.trim().is_empty()) {
                Some(d) => format!("🔘 {shown}<br><i>{}</i>", text_to_html(d)),
                None => format!("🔘 {shown}"),
            }
        }
        MessageContent::Contacts { cards } if cards.is_empty() => "👤 A contact card (empty)".to_owned(),
        MessageContent::Contacts { cards } => cards.iter().map(card_html).collect::<Vec<_>>().join("<br>"),
        MessageContent::Poll { question, options, multiple } => {
            let mut lines = vec![format!("📊 Poll: {}", text_to_html(question))];
            lines.extend(options.iter().map(|o| format!("• {}", text_to_html(o))));
            if *multiple {
                lines.push("<i>(several answers allowed)</i>".to_owned());
            }
            lines.join("<br>")
        }
        MessageContent::PollVote { question, selected, .. } => {
            let poll = if question.trim().is_empty() {
                "a poll".to_owned()
            } else {
                format!("the poll «{}»", text_to_html(question))
            };
            if selected.is_empty() {
                format!("🗳 Withdrew the vote in {poll}")
            } else {
                let chosen: Vec<String> = selected.iter().map(|s| text_to_html(s)).collect();
                format!("🗳 Voted in {poll}: {}", chosen.join(", "))
            }
        }
        MessageContent::Forwarded { frequently, content } => {
            let mark = if *frequently { "↪ Forwarded many times" } else { "↪ Forwarded" };
            format!("<i>{mark}</i><br>{}", content_html(content, origin, None))
        }
    }
}

/// One card: name, organisation, every number as a `tel:` link, every address as a `mailto:` one.
fn card_html(card: &ContactCard) -> String {
    let name = if card.name.trim().is_empty() { "(no name)".to_owned() } else { text_to_html(card.name.trim()) };
    let mut lines = vec![format!("👤 Contact: {name}")];
    if let Some(org) = card.organization.as_deref().filter(|o| !o.trim().is_empty()) {
        lines.push(format!("🏢 {}", text_to_html(org.trim())));
    }
    for phone in card.phones.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        lines.push(match tel_href(phone) {
            Some(href) => format!("📞 <a href=\"{}\">{}</a>", attr(&href), text_to_html(phone)),
            None => format!("📞 {}", text_to_html(phone)),
        });
    }
    for email in card.emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let linkable = email.contains('@') && !email.contains(char::is_whitespace) && !email.contains(':');
        lines.push(if linkable {
            format!("✉ <a href=\"{}\">{}</a>", attr(&format!("mailto:{email}")), text_to_html(email))
        } else {
            format!("✉ {}", text_to_html(email))
        });
    }
    lines.join("<br>")
}

/// `tel:` with the digits only (RFC 3966: `+` first for an international number); None when the
/// number has no digits.
fn tel_href(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let plus = if phone.trim_start().starts_with('+') { "+" } else { "" };
    Some(format!("tel:{plus}{digits}"))
}

/// "a poll", "a message edit", "a message of type «x»": what a provider's type name means to a
/// Planfix user (Meta's `unsupported.type` values are those of WhatsApp's own list, as relayed
/// by BSPs such as YCloud; Green-API's are its `typeMessage` without `Message`).
fn a_kind(kind: Option<&str>) -> String {
    let raw = kind.map(str::trim).unwrap_or("");
    let key: String = raw.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect();
    let phrase = match key.as_str() {
        "" | "unknown" | "unsupported" | "errors" => "message",
        "poll" | "pollcreation" => "poll",
        "pollupdate" => "poll vote",
        "edit" | "edited" => "message edit",
        "revoke" | "deleted" | "delete" => "message deletion",
        "pin" => "pinned message",
        "groupinvite" => "group invitation",
        "gif" => "GIF",
        "keepinchat" => "“keep in chat” change",
        "linkpreview" => "link preview",
        "product" | "order" => "product or order",
        "reaction" => "reaction",
        "button" | "buttons" | "list" | "interactive" | "interactivebuttons" => "message with buttons or a list",
        "image" => "photo",
        "video" => "video",
        "audio" => "audio message",
        "location" | "livelocation" => "location",
        "mediaplaceholder" => "media file",
        "hsm" | "template" | "wapitemplate" => "template message",
        "viewonce" => "view-once message",
        "sticker" => "sticker",
        "contact" | "contacts" | "contactsarray" => "contact card",
        "call" => "call",
        "nfmreply" | "flow" => "form (WhatsApp Flow) reply",
        "system" => "system notice",
        _ => return format!("a message of type «{}»", text_to_html(raw)),
    };
    let article = if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {phrase}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MediaRef, Phone};

    fn text(body: &str) -> MessageContent {
        MessageContent::Text { body: body.into() }
    }

    fn card(name: &str, phones: &[&str], emails: &[&str], org: Option<&str>) -> ContactCard {
        ContactCard {
            name: name.into(),
            phones: phones.iter().map(|p| p.to_string()).collect(),
            emails: emails.iter().map(|e| e.to_string()).collect(),
            organization: org.map(str::to_owned),
        }
    }

    #[test]
    fn a_choice_reads_as_the_tapped_title_with_the_rows_description() {
        let choice = MessageContent::Choice {
            title: "Tomorrow <9:00> & later".into(),
            description: Some("Slot \"B\"".into()),
            payload: Some("slot_b".into()),
        };
        // Escaped once: no `&amp;amp;`, and the payload (the business's id) is not shown.
        assert_eq!(comment_html(&choice), "🔘 Tomorrow &lt;9:00&gt; &amp; later<br><i>Slot \"B\"</i>");
        let bare = MessageContent::Choice { title: "Yes".into(), description: None, payload: None };
        assert_eq!(comment_html(&bare), "🔘 Yes");
        let untitled =
            MessageContent::Choice { title: " ".into(), description: Some("".into()), payload: Some("<p>".into()) };
        assert_eq!(comment_html(&untitled), "🔘 (button «&lt;p&gt;»)");
    }

    #[test]
    fn contact_cards_read_with_tappable_numbers_addresses_and_organisation() {
        let cards = MessageContent::Contacts {
            cards: vec![
                card(
                    "Anna <Smit>",
                    &["+7 (234) 567-89-10", "8 800 100"],
                    &["anna@example.com"],
                    Some("Acme & Co · CTO"),
                ),
                card("", &["ext. none"], &["not an address", "x@y\" onclick=\"z"], None),
            ],
        };
        assert_eq!(
            comment_html(&cards),
            "👤 Contact: Anna &lt;Smit&gt;<br>🏢 Acme &amp; Co · CTO\
             <br>📞 <a href=\"tel:+72345678910\">+7 (234) 567-89-10</a>\
             <br>📞 <a href=\"tel:8800100\">8 800 100</a>\
             <br>✉ <a href=\"mailto:anna@example.com\">anna@example.com</a>\
             <br>👤 Contact: (no name)<br>📞 ext. none<br>✉ not an address\
             <br>✉ x@y\" onclick=\"z"
        );
        assert_eq!(comment_html(&MessageContent::Contacts { cards: vec![] }), "👤 A contact card (empty)");
    }

    #[test]
    fn an_address_with_quotes_cannot_leave_its_link() {
        let html = card_html(&card("A", &[], &["a\"b@c.d"], None));
        assert_eq!(html, "👤 Contact: A<br>✉ <a href=\"mailto:a&quot;b@c.d\">a\"b@c.d</a>");
    }

    #[test]
    fn polls_and_votes_read_as_question_options_and_choice() {
        let poll = MessageContent::Poll {
            question: "Colour?".into(),
            options: vec!["Red".into(), "<Blue>".into()],
            multiple: true,
        };
        assert_eq!(
            comment_html(&poll),
            "📊 Poll: Colour?<br>• Red<br>• &lt;Blue&gt;<br><i>(several answers allowed)</i>"
        );
        let single = MessageContent::Poll { question: "Q".into(), options: vec!["A".into()], multiple: false };
        assert_eq!(comment_html(&single), "📊 Poll: Q<br>• A");
        let vote = MessageContent::PollVote {
            question: "Colour?".into(),
            selected: vec!["Red".into(), "B&W".into()],
            poll_id: None,
        };
        assert_eq!(comment_html(&vote), "🗳 Voted in the poll «Colour?»: Red, B&amp;W");
        let withdrawn = MessageContent::PollVote { question: "".into(), selected: vec![], poll_id: Some("P1".into()) };
        assert_eq!(comment_html(&withdrawn), "🗳 Withdrew the vote in a poll");
    }

    #[test]
    fn what_whatsapp_withholds_says_so_and_names_the_kind() {
        let withheld = |kind: Option<&str>| comment_html(&MessageContent::Withheld { kind: kind.map(str::to_owned) });
        assert_eq!(
            withheld(None),
            "<i>[The customer sent a message that WhatsApp does not pass to integrations; \
             ask them to send it another way if it matters]</i>"
        );
        assert!(withheld(Some("poll_creation")).contains("sent a poll that WhatsApp"));
        assert!(withheld(Some("edit")).contains("sent a message edit that"));
        assert!(withheld(Some("unknown")).contains("sent a message that"));
        assert!(withheld(Some("view_once")).contains("sent a view-once message that"));
        assert!(withheld(Some("<x>")).contains("sent a message of type «&lt;x&gt;» that"));
        let unsupported = comment_html(&MessageContent::Unsupported { kind: "order".into() });
        assert_eq!(unsupported, "<i>[The customer sent a product or order that the bridge does not show yet]</i>");
        assert!(comment_html(&MessageContent::Unsupported { kind: "edited".into() }).contains("a message edit"));
    }

    #[test]
    fn a_forward_is_marked_above_what_was_forwarded() {
        let fwd = |frequently| MessageContent::Forwarded { frequently, content: Box::new(text("chain <letter>")) };
        assert_eq!(comment_html(&fwd(false)), "<i>↪ Forwarded</i><br>chain &lt;letter&gt;");
        assert_eq!(comment_html(&fwd(true)), "<i>↪ Forwarded many times</i><br>chain &lt;letter&gt;");
    }

    #[test]
    fn stickers_read_as_pictures_and_animated_ones_as_files() {
        let sticker = |kind: &str| MessageContent::Media {
            media_kind: kind.into(),
            media: MediaRef::Id("m".into()),
            mime_type: Some("image/webp".into()),
            caption: None,
            filename: None,
        };
        assert_eq!(comment_html(&sticker("sticker")), "🖼 Sticker<br><i>[📎 transferring the image…]</i>");
        assert_eq!(media_caption_html(&sticker("sticker")), "🖼 Sticker");
        assert_eq!(
            comment_html(&sticker("animated_sticker")),
            "🎞 Animated sticker (attached as a file)<br><i>[📎 transferring the file…]</i>"
        );
        // Other files keep their caption-only line above the note.
        let photo = MessageContent::Media {
            media_kind: "image".into(),
            media: MediaRef::Id("m".into()),
            mime_type: None,
            caption: Some("a < b".into()),
            filename: None,
        };
        assert_eq!(media_caption_html(&photo), "a &lt; b");
        assert_eq!(comment_html(&photo), "a &lt; b<br><i>[📎 Photo: transferring the file…]</i>");
    }

    #[test]
    fn a_location_keeps_its_name_address_and_map_link() {
        let place = MessageContent::Location {
            latitude: 55.75,
            longitude: 37.62,
            name: Some("Red Square".into()),
            address: Some("Moscow & more".into()),
        };
        assert_eq!(
            comment_html(&place),
            "Location: Red Square, Moscow &amp; more<br>\
             <a href=\"https://www.google.com/maps/search/?api=1&amp;query=55.75,37.62\">55.75, 37.62</a>"
        );
    }

    #[test]
    fn the_companys_phone_is_not_called_the_customer() {
        let msg = InboundMessage {
            id: "x".into(),
            from: Phone::parse("79001234567").unwrap(),
            profile_name: None,
            timestamp: 0,
            content: MessageContent::Withheld { kind: Some("pin".into()) },
            origin: Origin::BusinessPhone,
            reply_to: None,
        };
        assert_eq!(
            message_html(&msg),
            "<i>📱 Sent from the company's WhatsApp phone:</i><br>\
             <i>[The company's phone sent a pinned message that WhatsApp does not pass to integrations]</i>"
        );
    }

    fn reference(by: RefAuthor, excerpt: Option<&str>) -> MessageReference {
        MessageReference { task_id: 7, comment_id: 41, excerpt: excerpt.map(str::to_owned), by }
    }

    fn inbound(content: MessageContent, reply_to: Option<&str>) -> InboundMessage {
        InboundMessage {
            id: "m9".into(),
            from: Phone::parse("79001234567").unwrap(),
            profile_name: None,
            timestamp: 0,
            content,
            origin: Origin::Customer,
            reply_to: reply_to.map(str::to_owned),
        }
    }

    #[test]
    fn a_reaction_names_the_message_it_reacts_to() {
        let react = |emoji: &str| MessageContent::Reaction { to_message_id: "m1".into(), emoji: emoji.into() };
        let own = reference(RefAuthor::Customer, Some("Is the <blue> one…"));
        let ours = reference(RefAuthor::Business, Some("It ships today"));
        let html = |c: MessageContent, r: Option<&MessageReference>| message_html_with(&inbound(c, None), r);
        assert_eq!(html(react("👍"), Some(&own)), "👍 <i>reacted to \"Is the &lt;blue&gt; one…\" (comment #41)</i>");
        assert_eq!(html(react("❤️"), Some(&ours)), "❤️ <i>reacted to your message «It ships today» (comment #41)</i>");
        assert_eq!(
            html(react(""), Some(&ours)),
            "<i>removed the reaction to your message «It ships today» (comment #41)</i>"
        );
        assert_eq!(html(react("👍"), None), "<i>reacted 👍 to an earlier message</i>");
        assert_eq!(html(react(""), None), "<i>removed the reaction to an earlier message</i>");
        let wordless = reference(RefAuthor::Customer, None);
        assert_eq!(html(react("🔥"), Some(&wordless)), "🔥 <i>reacted to comment #41</i>");
    }

    #[test]
    fn a_changed_reaction_says_what_came_before() {
        let msg = inbound(MessageContent::Reaction { to_message_id: "m1".into(), emoji: "".into() }, None);
        let ours = reference(RefAuthor::Business, Some("It ships today"));
        let note = |trail: &[&str]| {
            let trail: Vec<String> = trail.iter().map(|e| (*e).to_owned()).collect();
            reaction_note_html(&msg, &trail, Some(&ours))
        };
        let target = "your message «It ships today» (comment #41)";
        assert_eq!(note(&["👍"]), format!("👍 <i>reacted to {target}</i>"));
        assert_eq!(note(&["👍", "❤️"]), format!("❤️ <i>reacted to {target}</i> <i>(before: 👍)</i>"));
        assert_eq!(note(&["👍", ""]), format!("<i>removed the reaction 👍 to {target}</i>"));
        assert_eq!(note(&["👍", "❤️", ""]), format!("<i>removed the reaction ❤️ to {target}</i> <i>(before: 👍)</i>"));
        assert_eq!(note(&["👍", "", "😂"]), format!("😂 <i>reacted to {target}</i> <i>(before: 👍, removed)</i>"));
        assert_eq!(note(&["<b>"]), format!("&lt;b&gt; <i>reacted to {target}</i>"), "escaped");
        let phone = InboundMessage { origin: Origin::BusinessPhone, ..msg.clone() };
        assert!(reaction_note_html(&phone, &["👍".into()], Some(&ours)).starts_with("<i>📱 Sent from the company"));
    }

    #[test]
    fn a_reply_quotes_what_it_answers_above_the_text() {
        let r = reference(RefAuthor::Business, Some("Tea & cakes at 5?"));
        assert_eq!(
            message_html_with(&inbound(text("Yes <please>"), Some("w1")), Some(&r)),
            "<blockquote>» \"Tea &amp; cakes at 5?\" (comment #41)</blockquote>Yes &lt;please&gt;"
        );
        // Unknown (too old, or never through the bridge): the text alone, no noise.
        assert_eq!(message_html_with(&inbound(text("Yes"), Some("w1")), None), "Yes");
        // A button's answer to the business's menu: the title says it all.
        let choice = MessageContent::Choice { title: "Yes".into(), description: None, payload: None };
        assert_eq!(message_html_with(&inbound(choice, Some("w1")), Some(&r)), "🔘 Yes");
    }

    #[test]
    fn edits_and_deletions_point_at_the_original_comment() {
        let r = reference(RefAuthor::Customer, Some("See you at 5"));
        let edit = MessageContent::Edited { original_id: "m1".into(), text: "See you at <6>".into() };
        assert_eq!(
            message_html_with(&inbound(edit.clone(), None), Some(&r)),
            "<i>✏️ The customer edited a message (\"See you at 5\", comment #41):</i> See you at &lt;6&gt;"
        );
        assert_eq!(
            message_html_with(&inbound(edit, None), None),
            "<i>✏️ The customer edited an earlier message:</i> See you at &lt;6&gt;"
        );
        let gone = MessageContent::Deleted { original_id: "m1".into() };
        assert_eq!(
            message_html_with(&inbound(gone.clone(), None), Some(&r)),
            "<i>🗑 The customer deleted a message (\"See you at 5\", comment #41); the comment is kept here.</i>"
        );
        assert_eq!(message_html_with(&inbound(gone, None), None), "<i>🗑 The customer deleted an earlier message.</i>");
    }
}
