//! Loopback simulator of Twilio (WhatsApp sender).
