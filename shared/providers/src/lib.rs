//! WhatsApp provider adapters of the bridge's provider ports (webhook verification and
//! parsing, sending, media). One module per provider.

pub mod meta;
