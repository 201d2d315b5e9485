//! Loopback simulator of Green-API.
