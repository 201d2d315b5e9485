use std::fmt;

use serde::{Deserialize, Serialize};

/// A WhatsApp user's number as E.164 digits without `+` (`"79051234567"`): the form every
/// provider id is reduced to and the form used in store keys.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// The input is kept only masked ([`mask_digits`]): this error reaches logs and HTTP answers,
/// and the raw input is often a real number (one digit too many, a national spelling).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("phone number {0} is not an international number (E.164: 8-15 digits with a country code)")]
    Invalid(String),
}

impl PhoneError {
    fn invalid(raw: &str) -> Self {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        let shown = match digits.len() {
            0 => "(no digits)".to_owned(),
            n => format!("{} ({n} digits)", mask_digits(&digits)),
        };
        Self::Invalid(shown)
    }
}

/// Every country calling code of libphonenumber's metadata, sorted. Kept here because loading
/// that metadata (the `phonenumber` crate's database) takes ~140 ms of a cold Lambda's first
/// message, and a webhook only needs to know the code exists; a unit test holds this list equal
/// to the crate's database, so a crate update that adds a code fails the build instead of
/// drifting. The full metadata is still used, lazily, to format [`Phone::display`].
const CALLING_CODES: [u16; 215] = [
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60,
    61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223,
    224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290,
    291, 297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378,
    380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591,
    592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686,
    687, 688, 689, 690, 691, 692, 800, 808, 850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961,
    962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
];

/// Calling codes are prefix-free (ITU E.164), so at most one of the 1-, 2- and 3-digit prefixes
/// can be a code; libphonenumber extracts it the same way.
fn has_calling_code(digits: &str) -> bool {
    (1..=3).any(|len| {
        digits
            .get(..len)
            .and_then(|p| p.parse::<u16>().ok())
            .is_some_and(|code| CALLING_CODES.binary_search(&code).is_ok())
    })
}

impl Phone {
    /// Accepts provider spellings: `79051234567`, `+7 905 123-45-67`, `whatsapp:+79051234567`,
    /// `79051234567@c.us`. The country code must be one libphonenumber knows ([`CALLING_CODES`]).
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let core = raw.trim();
        let core = core.strip_prefix("whatsapp:").unwrap_or(core);
        let core = core.split('@').next().unwrap_or(core);
        if core.chars().any(|c| !(c.is_ascii_digit() || " +-().".contains(c))) {
            return Err(PhoneError::invalid(raw));
        }
        let digits: String = core.chars().filter(char::is_ascii_digit).collect();
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(PhoneError::invalid(raw));
        }
        if !has_calling_code(&digits) {
            return Err(PhoneError::invalid(raw));
        }
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
        mask_digits(&self.0)
    }

    /// `text` with every number in it that is long enough to be a phone (7+ digits, spaces,
    /// dashes, dots and brackets between them allowed) masked like [`Phone::masked`]: for
    /// messages made of foreign text (a parser's error quoting the value it choked on).
    pub fn mask_numbers_in(text: &str) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_ascii_digit() {
                out.push(chars[i]);
                i += 1;
                continue;
            }
            // The run: digits, and separators only where a digit follows them.
            let (start, mut end, mut digits) = (i, i, String::new());
            let mut j = i;
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits.push(chars[j]);
                    j += 1;
                    end = j;
                } else if let Some(gap) = separators_before_digit(&chars[j..]) {
                    j += gap;
                } else {
                    break;
                }
            }
            if digits.len() >= 7 {
                // A `+` right before belongs to the number; `mask_digits` writes its own.
                if out.ends_with('+') {
                    out.pop();
                }
                out.push_str(&mask_digits(&digits));
            } else {
                out.extend(&chars[start..end]);
            }
            i = end;
        }
        out
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

/// How many separators (at most two: `) `, ` (`) start `rest` with a digit right after them.
fn separators_before_digit(rest: &[char]) -> Option<usize> {
    let gap = rest.iter().take(2).take_while(|c| " -.()".contains(**c)).count();
    (gap > 0 && rest.get(gap).is_some_and(char::is_ascii_digit)).then_some(gap)
}

/// `+790******67`: the first three digits (the country code area) and the last two. Fewer than
/// eight digits are not a phone number, and showing five of them would show nearly all: those
/// are masked whole.
fn mask_digits(digits: &str) -> String {
    let n = digits.len();
    if n < 8 {
        return "*".repeat(n);
    }
    format!("+{}{}{}", &digits[..3], "*".repeat(n - 5), &digits[n - 2..])
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
    fn calling_codes_are_exactly_libphonenumbers() {
        let known: Vec<u16> = (1..=999u16).filter(|c| phonenumber::metadata::DATABASE.by_code(c).is_some()).collect();
        assert_eq!(CALLING_CODES.to_vec(), known, "update CALLING_CODES from the phonenumber crate's database");
    }

    #[test]
    fn accepts_exactly_what_libphonenumber_parses() {
        // Every 3-digit start covers the 1-, 2- and 3-digit codes and the gaps between them.
        for start in 100..=999 {
            let digits = format!("{start}4567890");
            let ours = Phone::parse(&digits).is_ok();
            let theirs = phonenumber::parse(None, format!("+{digits}")).is_ok();
            assert_eq!(ours, theirs, "{digits}");
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

    #[test]
    fn errors_never_repeat_the_input() {
        // Too long, a national spelling, letters around a number, a short number.
        for (raw, shown) in [
            ("9729876543210000", "+972***********00 (16 digits)"),
            ("0151 2345 6789", "+015*******89 (12 digits)"),
            ("call 972987654321 now", "+972*******21 (12 digits)"),
            ("1234567", "******* (7 digits)"),
            ("abc", "(no digits)"),
        ] {
            let message = Phone::parse(raw).unwrap_err().to_string();
            assert!(message.contains(shown), "{raw}: {message}");
            let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            assert!(digits.len() < 7 || !message.contains(&digits), "{raw}: {message}");
            assert!(!format!("{:?}", Phone::parse(raw).unwrap_err()).contains("987654"), "Debug is masked too");
        }
    }

    #[test]
    fn masks_numbers_in_foreign_text() {
        assert_eq!(
            Phone::mask_numbers_in("invalid type: integer `972987654321`, expected a string at line 1 column 302"),
            "invalid type: integer `+972*******21`, expected a string at line 1 column 302"
        );
        assert_eq!(Phone::mask_numbers_in("from +7 (905) 123-45-67."), "from +790******67.");
        assert_eq!(Phone::mask_numbers_in("code 131047, id 12-34"), "code 131047, id 12-34");
        assert_eq!(Phone::mask_numbers_in(""), "");
        assert_eq!(Phone::mask_numbers_in("Ünïcode 4915112345678 ✓"), "Ünïcode +491********78 ✓");
    }
}
