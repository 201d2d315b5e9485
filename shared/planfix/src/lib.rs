//! Planfix REST API client (spec: Planfix OpenAPI 1.3.3; notes: ../shared/reference/planfix/NOTES.md).
//!
//! Endpoints used, relative to the account's base URL (`https://<account>.planfix.com/rest`):
//! `POST /contact/list`, `POST /contact/`, `POST /task/`, `GET /task/{id}`, `POST /task/{id}`,
//! `GET /process/task/{id}/statuses`, `POST /task/{id}/comments/`, `POST /task/{id}/comments/list`,
//! `POST /task/{id}/comments/{commentId}`, `POST /file/`, `GET /file/{id}`, `GET /file/{id}/download`.

mod api;
mod client;
mod errors;
mod files;
mod redirects;
mod wire;

pub use client::PlanfixRest;

#[cfg(test)]
mod tests;
