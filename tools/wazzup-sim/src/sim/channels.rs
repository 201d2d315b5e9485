//! `GET /v3/channels` → `[{channelId, transport, plainId, state}]`
//! (`https://wazzup24.com/help/api-en/working-with-channels/`).

use axum::response::{IntoResponse, Response};
use axum::Json;

use super::WazzupSim;

pub(crate) fn list(sim: &WazzupSim) -> Response {
    Json(sim.lock().channels.clone()).into_response()
}
