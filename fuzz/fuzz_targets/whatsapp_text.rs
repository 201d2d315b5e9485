//! Planfix comment HTML → WhatsApp text: any input converts without a panic, and the quote a
//! comment opens with (outbound reply context) splits off as slices of the input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let out = bridge_core::whatsapp_text::planfix_html_to_whatsapp(&html);
    assert!(!out.contains("\n\n\n"));
    if let Some(q) = bridge_core::whatsapp_text::split_leading_quote(&html) {
        assert!(html.contains(q.quote_html) && html.ends_with(q.rest_html));
        let _ = bridge_core::reply_context::quoted_comment(&out, &[], 1);
    }
});
