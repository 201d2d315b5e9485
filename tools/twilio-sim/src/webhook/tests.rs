use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

const SAMPLES: [&str; 6] = [
    "inbound_image.form",
    "inbound_location.form",
    "inbound_text.form",
    "inbound_text_with_profilename_waid.form",
    "status_delivered.form",
    "status_sent.form",
];

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

fn names(params: &[(String, String)]) -> BTreeSet<String> {
    params.iter().map(|(n, _)| n.clone()).collect()
}

const NEWER_FIELDS: [&str; 4] = ["ProfileName", "WaId", "ReferralNumMedia", "MessageType"];

fn user() -> Inbound {
    Inbound {
        account_sid: "AC1a03647d811fab342c0ad608e382fab2".into(),
        from: "+79051234567".into(),
        to: "+14155238886".into(),
        profile_name: Some("Иван Петров".into()),
    }
}

#[test]
fn sign_reproduces_twilio_vector() {
    let path = reference::twilio_file("signature_vector.json");
    let text = std::fs::read_to_string(&path).expect("read signature_vector.json");
    let vector: Value = serde_json::from_str(&text).expect("signature_vector.json is JSON");
    let field = |name: &str| vector[name].as_str().unwrap_or_else(|| panic!("{name} missing in {}", path.display()));
    let params: Vec<(String, String)> = vector["params"]
        .as_object()
        .expect("params object")
        .iter()
        .map(|(name, value)| (name.clone(), value.as_str().expect("string param").to_owned()))
        .collect();
    assert_eq!(sign(field("auth_token"), field("url"), &params), field("expected_x_twilio_signature"));
    assert_eq!(field("expected_x_twilio_signature"), "GvWf1cFY/Q7PnoempGyD5oXAezc=");
    // Parameter order does not matter.
    let reversed: Vec<_> = params.iter().rev().cloned().collect();
    assert_eq!(sign(field("auth_token"), field("url"), &reversed), field("expected_x_twilio_signature"));
}

// Expected values computed with python3:
//   d = url + "".join(k + v for k, v in sorted(params, key=lambda p: p[0]))   (stable sort)
//   base64.b64encode(hmac.new(token.encode(), d.encode(), hashlib.sha1).digest())
#[test]
fn sign_sorts_names_stably_and_hashes_utf8() {
    let url = "https://bridge.example.com/twilio/status?x=1";
    assert_eq!(sign("token", url, &pairs(&[("b", "1"), ("a", "2"), ("a", "1")])), "2Noi/UGqa2lmmDCsQuErDahg72o=");
    assert_eq!(sign("token", url, &pairs(&[("a", "1"), ("a", "2"), ("b", "1")])), "20FziRUk61JllxTARCbkTuwRVXI=");
    let cyrillic = pairs(&[("Body", "Привет мир"), ("From", "whatsapp:+79051234567")]);
    assert_eq!(sign("секрет", "http://127.0.0.1:8080/in", &cyrillic), "eeej7FFjoaXEsJWYUgMNiJmfTuY=");
}

#[test]
fn samples_round_trip_byte_for_byte() {
    for name in SAMPLES {
        let raw = std::fs::read_to_string(reference::twilio_file(name)).expect("read sample");
        let parsed = parse(&raw);
        assert!(parsed.len() > 5, "{name} parsed to {parsed:?}");
        assert_eq!(encode(&parsed), raw, "{name} re-encodes differently");
        assert_eq!(parse(&encode(&parsed)), parsed, "{name}");
        assert_eq!(sample(name), parsed);
    }
    assert_eq!(param(&sample("inbound_text_with_profilename_waid.form"), "ProfileName"), Some("Ranjit Sankar"));
}

#[test]
fn parse_tolerates_malformed_bodies() {
    assert_eq!(parse("a=%ZZ&b&=c&&d=1+2"), pairs(&[("a", "%ZZ"), ("b", ""), ("", "c"), ("d", "1 2")]));
    assert!(parse("").is_empty());
}

#[test]
fn text_matches_the_real_capture() {
    let built = text(&user(), "SM0123456789abcdef0123456789abcdef", "Привет");
    let sample = sample("inbound_text_with_profilename_waid.form");
    let mut expected = names(&sample);
    expected.insert("MessageType".to_owned());
    assert_eq!(names(&built), expected);

    assert_eq!(param(&built, "From"), Some("whatsapp:+79051234567"));
    assert_eq!(param(&built, "To"), Some("whatsapp:+14155238886"));
    assert_eq!(param(&built, "WaId"), Some("79051234567"));
    assert_eq!(param(&built, "ProfileName"), Some("Иван Петров"));
    assert_eq!(param(&built, "Body"), Some("Привет"));
    for sid in ["MessageSid", "SmsSid", "SmsMessageSid"] {
        assert_eq!(param(&built, sid), Some("SM0123456789abcdef0123456789abcdef"));
    }
    assert_eq!((param(&built, "NumMedia"), param(&built, "MessageType")), (Some("0"), Some("text")));

    let anonymous = text(&Inbound { profile_name: None, ..user() }, "SM1", "x");
    assert_eq!(param(&anonymous, "ProfileName"), None);
}

#[test]
fn media_matches_the_image_sample() {
    let url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1".to_owned();
    let built = media(&user(), "MM1", "caption", &[(url.clone(), "application/pdf".into())]);
    let mut expected = names(&sample("inbound_image.form"));
    expected.extend(NEWER_FIELDS.map(String::from));
    assert_eq!(names(&built), expected);
    assert_eq!(param(&built, "MediaUrl0"), Some(url.as_str()));
    assert_eq!(param(&built, "MediaContentType0"), Some("application/pdf"));
    assert_eq!((param(&built, "NumMedia"), param(&built, "Body")), (Some("1"), Some("caption")));
    assert_eq!(param(&built, "MessageType"), Some("document"));

    for (content_type, kind) in [("image/jpeg", "image"), ("video/mp4", "video"), ("audio/ogg; codecs=opus", "audio")] {
        let built = media(&user(), "MM2", "", &[(url.clone(), content_type.into())]);
        assert_eq!(param(&built, "MessageType"), Some(kind), "{content_type}");
    }
    let two = media(&user(), "MM3", "", &[(url.clone(), "image/png".into()), (url, "image/jpeg".into())]);
    assert_eq!((param(&two, "NumMedia"), param(&two, "MediaContentType1")), (Some("2"), Some("image/jpeg")));
}

#[test]
fn location_matches_the_sample() {
    let built = location(&user(), "SM9", 52.303897857666016, 4.750025749206543, Some("Schiphol"), Some("Microsoft"));
    let mut expected = names(&sample("inbound_location.form"));
    expected.extend(NEWER_FIELDS.map(String::from));
    assert_eq!(names(&built), expected);
    assert_eq!(param(&built, "Latitude"), Some("52.303897857666016"));
    assert_eq!(param(&built, "Longitude"), Some("4.750025749206543"));
    assert_eq!((param(&built, "Body"), param(&built, "MessageType")), (Some(""), Some("location")));

    let bare = location(&user(), "SM9", -1.5, 2.0, None, None);
    assert_eq!((param(&bare, "Address"), param(&bare, "Label")), (None, None));
    assert_eq!(param(&bare, "Longitude"), Some("2"));
}

#[test]
fn status_matches_the_samples() {
    let account = "AC1a03647d811fab342c0ad608e382fab2";
    let sent = status(account, "SM1", "sent", "+14123456789", "whatsapp:+31612345678", None);
    assert_eq!(names(&sent), names(&sample("status_sent.form")));
    let delivered = status(account, "SM1", "delivered", "14123456789", "+31612345678", None);
    assert_eq!(names(&delivered), names(&sample("status_delivered.form")));
    assert_eq!(param(&delivered, "EventType"), Some("DELIVERED"));
    assert_eq!(param(&delivered, "ChannelToAddress"), Some("+31612345678"));
    assert_eq!(param(&delivered, "To"), Some("whatsapp:+31612345678"));
    assert_eq!(param(&delivered, "From"), Some("whatsapp:+14123456789"));
    assert_eq!(param(&delivered, "MessageStatus"), Some("delivered"));
    let install = param(&delivered, "ChannelInstallSid").unwrap_or_default();
    assert!(install.starts_with("XE") && install.len() == 34, "{install}");
    assert_eq!(param(&sent, "ChannelInstallSid"), Some(install), "one sender, one installation");

    let read = status(account, "SM1", "read", "+14123456789", "+31612345678", None);
    assert_eq!(param(&read, "EventType"), Some("READ"));

    let failed = status(account, "SM1", "failed", "+14123456789", "+31612345678", Some("63016"));
    assert_eq!(param(&failed, "EventType"), None);
    assert_eq!(param(&failed, "ErrorCode"), Some("63016"));
    assert!(param(&failed, "ErrorMessage").is_some_and(|m| m.contains("outside the allowed window")));
}
