//! `GET /media/{file}`: the direct links (`downloadUrl`, `urlFile`). Like Green-API's bucket
//! (`sw-media-….storage.yandexcloud.net`) they need no authentication.

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::GreenApiSim;

pub(crate) async fn serve(State(sim): State<GreenApiSim>, Path(file): Path<String>) -> Response {
    let state = sim.lock();
    match state.media.get(&file) {
        Some(media) => ([(CONTENT_TYPE, media.mime.clone())], media.bytes.clone()).into_response(),
        // What an S3-compatible bucket answers for a missing key.
        None => (
            StatusCode::NOT_FOUND,
            [(CONTENT_TYPE, "application/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>\
             <Message>The specified key does not exist.</Message></Error>",
        )
            .into_response(),
    }
}
