//! Shared contact cards (vCard, RFC 6350) as one readable line: the name and numbers are what a
//! Planfix user needs from a contact the customer shared.

/// `👤 Contact: <name> (<numbers>)`; the name falls back to the card's `FN`.
pub(crate) fn summary(display_name: &str, vcard: &str) -> String {
    let mut name = display_name.trim().to_owned();
    let mut phones = Vec::new();
    for line in vcard.lines() {
        // A line is `[group.]NAME[;params]:value`; WhatsApp's cards often group the number
        // (`item1.TEL;waid=…:+7 …`, Green-API's own examples).
        let Some((head, value)) = line.split_once(':') else { continue };
        let Some(prop) = head.split(';').next().and_then(|h| h.rsplit('.').next()) else { continue };
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if prop.trim().eq_ignore_ascii_case("TEL") {
            phones.push(value.to_owned());
        } else if prop.trim().eq_ignore_ascii_case("FN") && name.is_empty() {
            name = value.to_owned();
        }
    }
    let mut body = format!("👤 Contact: {name}");
    if !phones.is_empty() {
        body.push_str(&format!(" ({})", phones.join(", ")));
    }
    body
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_and_numbers_of_grouped_and_plain_cards() {
        let card =
            "BEGIN:VCARD\nVERSION:3.0\nFN:Alex Smit\nitem1.TEL;waid=72345678910:+7 234 567 8910\nTEL:+1 555\nEND:VCARD";
        assert_eq!(super::summary("", card), "👤 Contact: Alex Smit (+7 234 567 8910, +1 555)");
        assert_eq!(super::summary("Alex", "TEL;TYPE=CELL:"), "👤 Contact: Alex");
    }
}
