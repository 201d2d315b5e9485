//! Shared contact cards (vCard 3.0/4.0, RFC 6350) reduced to a [`ContactCard`]: the name, every
//! number, every e-mail address and the organisation are what a Planfix user needs from a
//! contact the customer shared (Green-API's `contactMessage` / `contactsArrayMessage`, Wazzup's
//! `vcard`).

use bridge_core::domain::ContactCard;

/// The card; `display_name` (the provider's own field) wins over the card's `FN`, then `N`.
pub(crate) fn card(display_name: &str, vcard: &str) -> ContactCard {
    let mut formatted = None;
    let mut structured = None;
    let mut company = None;
    let mut title = None;
    let mut phones = Vec::new();
    let mut emails = Vec::new();
    for line in unfold(vcard) {
        // A line is `[group.]NAME[;params]:value`; WhatsApp's cards often group the number
        // (`item1.TEL;waid=…:+7 …`, Green-API's own examples).
        let Some((head, value)) = line.split_once(':') else { continue };
        let mut parts = head.split(';');
        let Some(prop) = parts.next().and_then(|h| h.rsplit('.').next()).map(str::trim) else { continue };
        let params: Vec<&str> = parts.collect();
        let value = value.trim();
        match prop.to_ascii_uppercase().as_str() {
            "FN" if !value.is_empty() => formatted = formatted.or(Some(unescape(value))),
            "N" => {
                // Family;Given;Additional;Prefix;Suffix → "Given Additional Family".
                let n: Vec<String> = split_unescaped(value);
                let order = [3, 1, 2, 0, 4];
                let name: Vec<&str> =
                    order.iter().filter_map(|&i| n.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
                if !name.is_empty() {
                    structured = structured.or(Some(name.join(" ")));
                }
            }
            "TEL" => {
                // vCard 4 may write the number as a URI (`VALUE=uri:tel:+1-555…`); a card with
                // only WhatsApp's `waid` still names the number.
                let number = value.strip_prefix("tel:").unwrap_or(value).trim();
                if !number.is_empty() {
                    phones.push(unescape(number));
                } else if let Some(waid) = params.iter().find_map(|p| p.trim().strip_prefix("waid=")) {
                    phones.push(format!("+{}", waid.trim()));
                }
            }
            "EMAIL" if !value.is_empty() => emails.push(unescape(value)),
            "ORG" => {
                let org: Vec<String> = split_unescaped(value).into_iter().filter(|s| !s.trim().is_empty()).collect();
                if !org.is_empty() {
                    company = company.or(Some(org.join(", ")));
                }
            }
            "TITLE" if !value.is_empty() => title = title.or(Some(unescape(value))),
            _ => {}
        }
    }
    let display = display_name.trim();
    let name = Some(display.to_owned()).filter(|n| !n.is_empty()).or(formatted).or(structured).unwrap_or_default();
    let organization = match (company, title) {
        (Some(c), Some(t)) => Some(format!("{c} · {t}")),
        (c, t) => c.or(t),
    };
    ContactCard { name, phones, emails, organization }
}

/// Every card of a text that may hold several (`BEGIN:VCARD` … `END:VCARD` each); a text
/// without those markers is one card.
pub(crate) fn cards(vcards: &str) -> Vec<ContactCard> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in vcards.split('\n') {
        let trimmed = line.trim().to_ascii_uppercase();
        if trimmed == "BEGIN:VCARD" {
            current = Some(String::new());
        } else if trimmed == "END:VCARD" {
            if let Some(body) = current.take() {
                out.push(card("", &body));
            }
        } else if let Some(body) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if out.is_empty() && !vcards.trim().is_empty() {
        out.push(card("", vcards));
    }
    out
}

/// RFC 6350 3.2: a line starting with a space or a tab continues the previous one.
fn unfold(vcard: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in vcard.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(raw.to_owned()),
        }
    }
    lines
}

/// `\n`, `\,`, `\;` and `\\` as the text they stand for.
fn unescape(value: &str) -> String {
    split_unescaped_by(value, None).concat()
}

/// The `;`-separated components of a structured value, each unescaped.
fn split_unescaped(value: &str) -> Vec<String> {
    split_unescaped_by(value, Some(';'))
}

fn split_unescaped_by(value: &str, separator: Option<char>) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in value.chars() {
        let last = parts.len() - 1;
        if escaped {
            parts[last].push(if c == 'n' || c == 'N' { '\n' } else { c });
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if Some(c) == separator {
            parts.push(String::new());
        } else {
            parts[last].push(c);
        }
    }
    if escaped {
        let last = parts.len() - 1;
        parts[last].push('\\');
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::{card, cards};

    #[test]
    fn a_text_with_several_cards_gives_each() {
        let both = cards("BEGIN:VCARD\nFN:A\nTEL:+1\nEND:VCARD\nBEGIN:VCARD\nFN:B\nEND:VCARD\n");
        assert_eq!(both.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(both[0].phones, ["+1"]);
        assert_eq!(cards("FN:Bare\nTEL:+2").len(), 1);
        assert!(cards("  ").is_empty());
    }

    #[test]
    fn names_numbers_addresses_and_organisation_of_grouped_and_plain_cards() {
        // Green-API's own example (contactsArrayMessage): a grouped `item1.TEL` with `waid`.
        let c = card(
            "",
            "BEGIN:VCARD\nVERSION:3.0\nN:Smit;Alex;;;\nFN:Alex Smit\nitem1.TEL;waid=72345678910:+7 234 567 8910\n\
             TEL;TYPE=WORK:+1 555\nEMAIL;TYPE=INTERNET:alex@example.com\nORG:Acme\\, Inc.;Sales\nTITLE:Lead\nEND:VCARD",
        );
        assert_eq!(c.name, "Alex Smit");
        assert_eq!(c.phones, ["+7 234 567 8910", "+1 555"]);
        assert_eq!(c.emails, ["alex@example.com"]);
        assert_eq!(c.organization.as_deref(), Some("Acme, Inc., Sales · Lead"));
    }

    #[test]
    fn the_providers_display_name_wins_and_n_is_the_last_resort() {
        assert_eq!(card("Alex", "FN:Someone\r\nTEL;TYPE=CELL:\r\n").name, "Alex");
        assert_eq!(card("", "N:Smit;Anna;;Dr.;\nTEL;waid=79001234567:\n").name, "Dr. Anna Smit");
        assert_eq!(card("", "N:Smit;Anna;;Dr.;\nTEL;waid=79001234567:\n").phones, ["+79001234567"]);
        assert_eq!(card("", "").name, "");
    }

    #[test]
    fn folded_lines_uri_numbers_and_escapes() {
        let c = card("", "FN:Very Long\n  Name\nTEL;VALUE=uri:tel:+1-555-0100\nNOTE:ignored\\nhere\n");
        assert_eq!(c.name, "Very Long Name");
        assert_eq!(c.phones, ["+1-555-0100"]);
        assert_eq!(c.organization, None);
    }
}
