//! WhatsApp channel addresses: `whatsapp:+<E.164 digits>`.

pub(crate) const PREFIX: &str = "whatsapp:";

/// `+<digits>` from `whatsapp:+…`, `+…` or bare digits; other characters are dropped, so callers
/// may pass any of the forms tests naturally write.
pub(crate) fn e164(number: &str) -> String {
    let digits: String = number.strip_prefix(PREFIX).unwrap_or(number).chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

/// `whatsapp:+<digits>` for any form [`e164`] accepts.
pub(crate) fn channel(number: &str) -> String {
    format!("{PREFIX}{}", e164(number))
}

/// Strict E.164 as Twilio validates it: `+`, then 7 to 15 digits, the first not 0.
/// (Twilio also checks the number plan; the length rule is ITU E.164.)
pub(crate) fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else { return false };
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_normalise() {
        assert_eq!(e164("whatsapp:+79051234567"), "+79051234567");
        assert_eq!(e164("79051234567"), "+79051234567");
        assert_eq!(channel("+14155238886"), "whatsapp:+14155238886");
        assert!(is_e164("+14155238886"));
        assert!(!is_e164("14155238886") && !is_e164("+0123456789") && !is_e164("+12ab456789") && !is_e164("+123"));
    }
}
