//! How each inbound message kind reads as a Planfix comment.

use super::html::{attr, text_to_html};
use crate::domain::{InboundMessage, MessageContent, Origin};

/// The customer's own words that came with a file (empty if none).
pub fn media_caption_html(content: &MessageContent) -> String {
    match content {
        MessageContent::Media { caption: Some(c), .. } => text_to_html(c),
        _ => String::new(),
    }
}

/// The comment for a conversation message: the content, and for what the company wrote from its
/// WhatsApp phone a mark saying so (Planfix shows it as the bridge's own comment, not the
/// customer's).
pub fn message_html(msg: &InboundMessage) -> String {
    let content = comment_html(&msg.content);
    match msg.origin {
        Origin::Customer => content,
        Origin::BusinessPhone => format!("<i>📱 Sent from the company's WhatsApp phone:</i><br>{content}"),
    }
}

pub fn comment_html(content: &MessageContent) -> String {
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
                _ => "File",
            };
            let name = filename.as_deref().map(|f| format!(" «{}»", text_to_html(f))).unwrap_or_default();
            // The file-relay function attaches the file and replaces this note; the caption is
            // in the comment from the start, so the text is never lost with the file.
            let note = format!("<i>[📎 {label}{name}: transferring the file…]</i>");
            let caption = media_caption_html(content);
            if caption.is_empty() {
                note
            } else {
                format!("{caption}<br>{note}")
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
        MessageContent::Reaction { emoji, .. } if emoji.is_empty() => "<i>[removed a reaction]</i>".to_owned(),
        MessageContent::Reaction { emoji, .. } => format!("<i>[reacted {} to a message]</i>", text_to_html(emoji)),
        MessageContent::Unsupported { kind } => {
            format!("<i>[a WhatsApp message of type «{}» that the bridge cannot show]</i>", text_to_html(kind))
        }
    }
}
