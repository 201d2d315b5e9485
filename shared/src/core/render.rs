//! How each inbound message kind reads as a Planfix comment.

use super::html::{attr, text_to_html};
use crate::domain::MessageContent;

pub fn comment_html(content: &MessageContent) -> String {
    match content {
        MessageContent::Text { body } => text_to_html(body),
        MessageContent::Media { media_kind, caption, filename, .. } => {
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
            // Files are relayed through S3 by the file-relay step; until then the Planfix user
            // at least sees that a file came and what the customer wrote with it.
            let note = format!("<i>[{label}{name} received on WhatsApp; the file itself is not transferred yet]</i>");
            match caption.as_deref().filter(|c| !c.is_empty()) {
                Some(c) => format!("{}<br>{note}", text_to_html(c)),
                None => note,
            }
        }
        MessageContent::Location { latitude, longitude, name, address } => {
            let place: Vec<&str> = [name.as_deref(), address.as_deref()].into_iter().flatten().collect();
            let url = format!("https://www.google.com/maps/search/?api=1&query={latitude},{longitude}");
            let title = if place.is_empty() { "Location".to_owned() } else { format!("Location: {}", text_to_html(&place.join(", "))) };
            format!("{title}<br><a href=\"{}\">{latitude}, {longitude}</a>", attr(&url))
        }
        MessageContent::Reaction { emoji, .. } if emoji.is_empty() => "<i>[removed a reaction]</i>".to_owned(),
        MessageContent::Reaction { emoji, .. } => format!("<i>[reacted {} to a message]</i>", text_to_html(emoji)),
        MessageContent::Unsupported { kind } => {
            format!("<i>[a WhatsApp message of type «{}» that the bridge cannot show]</i>", text_to_html(kind))
        }
    }
}
