use std::fmt;

use serde::{Deserialize, Serialize};

/// A WhatsApp user's number as E.164 digits without `+` (`"79051234567"`): the form every
/// provider id is reduced to and the form used in store keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("phone number {0:?} is not an international number (E.164: 8-15 digits with a country code)")]
    Invalid(String),
}

impl Phone {
    /// Accepts provider spellings: `79051234567`, `+7 905 123-45-67`, `whatsapp:+79051234567`,
    /// `79051234567@c.us`. The country code is checked with libphonenumber's metadata (the
    /// `phonenumber` crate) rather than a hand-kept list.
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let core = raw.trim();
        let core = core.strip_prefix("whatsapp:").unwrap_or(core);
        let core = core.split('@').next().unwrap_or(core);
        if core.chars().any(|c| !(c.is_ascii_digit() || " +-().".contains(c))) {
            return Err(PhoneError::Invalid(raw.to_owned()));
        }
        let digits: String = core.chars().filter(char::is_ascii_digit).collect();
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(PhoneError::Invalid(raw.to_owned()));
        }
        phonenumber::parse(None, format!("+{digits}")).map_err(|_| PhoneError::Invalid(raw.to_owned()))?;
        Ok(Self(digits))
    }

    pub fn digits(&self) -> &str {
        &self.0
    }

    /// `+79051234567`: how the bridge writes the number into Planfix.
    pub fn e164(&self) -> String {
        format!("+{}", self.0)
    }

    /// Human-readable international form (`+7 905 123-45-67`) for task titles; falls back to E.164.
    pub fn display(&self) -> String {
        match phonenumber::parse(None, self.e164()) {
            Ok(n) => n.format().mode(phonenumber::Mode::International).to_string(),
            Err(_) => self.e164(),
        }
    }

    /// Masked for logs: keeps the country code area and the last two digits.
    pub fn masked(&self) -> String {
        let d = &self.0;
        let keep_end = 2.min(d.len());
        let head = &d[..3.min(d.len())];
        format!("+{head}{}{}", "*".repeat(d.len().saturating_sub(3 + keep_end)), &d[d.len() - keep_end..])
    }

    /// Does a number stored in Planfix (typed by a person, any format) denote this phone?
    /// Planfix's phone filter matches substrings, so every search hit is confirmed here.
    /// Legacy Russian entries written with the trunk prefix `8XXXXXXXXXX` count as `7XXXXXXXXXX`.
    pub fn matches_stored(&self, stored: &str) -> bool {
        let digits: String = stored.chars().filter(char::is_ascii_digit).collect();
        if digits == self.0 {
            return true;
        }
        digits.len() == 11
            && digits.starts_with('8')
            && self.0.len() == 11
            && self.0.starts_with('7')
            && digits[1..] == self.0[1..]
    }

    /// The fragment sent to Planfix's substring filter: the last 10 digits survive any
    /// national/international spelling of the stored number.
    pub fn search_fragment(&self) -> &str {
        let d = &self.0;
        &d[d.len().saturating_sub(10)..]
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Phone> for String {
    fn from(value: Phone) -> Self {
        value.0
    }
}

impl fmt::Display for Phone {
    /// Display is masked on purpose: phone numbers must not reach logs by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_provider_spellings() {
        for raw in ["79051234567", "+7 905 123-45-67", "whatsapp:+79051234567", "79051234567@c.us"] {
            assert_eq!(Phone::parse(raw).unwrap().digits(), "79051234567", "{raw}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for raw in ["", "abc", "123", "+0123456789", "7905<script>", "1234567890123456"] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn confirms_substring_hits() {
        let p = Phone::parse("79051234567").unwrap();
        assert!(p.matches_stored("+7 (905) 123-45-67"));
        assert!(p.matches_stored("89051234567"));
        assert!(!p.matches_stored("+7 905 123 45 67 ext 2"));
        assert!(!p.matches_stored("19051234567"));
        assert_eq!(p.search_fragment(), "9051234567");
    }

    #[test]
    fn masks_for_logs() {
        let p = Phone::parse("79051234567").unwrap();
        assert_eq!(p.to_string(), "+790******67");
    }
}
