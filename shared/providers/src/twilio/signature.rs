//! `X-Twilio-Signature` (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
//! base64(HMAC-SHA1(auth token, the full URL Twilio called + every POST parameter sorted by name,
//! each as name then value)). Every parameter counts, including ones Twilio adds without notice.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Generic over the pairs' string type: verification signs the form as parsed (borrowed where
/// nothing was percent-decoded), without copying every value first.
fn mac<K: AsRef<str>, V: AsRef<str>>(auth_token: &str, url: &str, params: &[(K, V)]) -> Hmac<Sha1> {
    let mut sorted: Vec<&(K, V)> = params.iter().collect();
    // Stable: repeated names keep their order, as Twilio's own validators do.
    sorted.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_ref().as_bytes());
        mac.update(value.as_ref().as_bytes());
    }
    mac
}

/// The signature Twilio sends for this request.
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD.encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Whether `presented` is the signature of this request; compared in constant time.
pub(super) fn verify<K: AsRef<str>, V: AsRef<str>>(
    auth_token: &str,
    url: &str,
    params: &[(K, V)],
    presented: &str,
) -> bool {
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(presented.trim()) else { return false };
    mac(auth_token, url, params).verify_slice(&sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's own vector (reference/providers/twilio/signature_vector.json), inlined so this
    /// unit test runs anywhere; the provider contract test checks the file itself.
    #[test]
    fn twilio_vector() {
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature("12345", url, &params), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
        let mut reversed = params.clone();
        reversed.reverse();
        assert!(verify("12345", url, &reversed, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
        assert!(!verify("12346", url, &params, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
        assert!(!verify("12345", "https://mycompany.com/myapp.php?foo=1", &params, "GvWf1cFY/Q7PnoempGyD5oXAezc="));
        assert!(!verify("12345", url, &params, "not base64!"));
    }
}
