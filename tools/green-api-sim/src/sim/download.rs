//! `POST /waInstance{id}/downloadFile/{token}` `{chatId, idMessage}` → `{downloadUrl}` for files
//! received (added with `add_message_media`) or sent (by the file sends)
//! (`https://green-api.com/en/docs/api/receiving/files/DownloadFile/`).

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::gate::Call;
use super::green_error::GreenError;
use super::validate;
use super::{json_body, GreenApiSim};

pub(crate) async fn handle(sim: &GreenApiSim, call: &Call, request: Request) -> Result<Response, GreenError> {
    let body = json_body::read_object(call, request).await?;
    let invalid = |details: String| GreenError::validation(&call.path, details);
    let chat_id = validate::chat_id(&body).map_err(invalid)?;
    let id_message = validate::message_id(&body, "idMessage").map_err(invalid)?;
    validate::only_known(body.keys(), &["chatId", "idMessage"]).map_err(invalid)?;
    let state = sim.lock();
    match state.message_media.get(&(chat_id.to_owned(), id_message.to_owned())) {
        Some(media) => Ok(Json(json!({ "downloadUrl": state.media_url(media, call.host.as_deref()) })).into_response()),
        // The docs' text for a message without a file.
        None => Err(GreenError::bad_request(
            &call.path,
            format!("File message encrypted url not found by chatId {chat_id} and idMessage {id_message}"),
        )),
    }
}
