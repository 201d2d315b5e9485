//! Planfix comment HTML → WhatsApp text: any input converts without a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let out = bridge_core::whatsapp_text::planfix_html_to_whatsapp(&html);
    assert!(!out.contains("\n\n\n"));
});
