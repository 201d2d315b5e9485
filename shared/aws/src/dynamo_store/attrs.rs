//! Attribute values in and out of items, and the mapping of SDK errors to `StoreError`.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

use bridge_core::ports::store::StoreError;

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) fn get_i64(item: &Item, name: &str) -> Option<i64> {
    item.get(name).and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok())
}
pub(super) fn get_str<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(super) fn is_done(item: &Item) -> bool {
    item.get("done").and_then(|v| v.as_bool().ok()).copied().unwrap_or(false)
}

pub(super) fn unavailable<E: std::error::Error + 'static>(
    e: SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

pub(super) fn map_owner_condition(
    result: Result<
        (),
        SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
            aws_sdk_dynamodb::config::http::HttpResponse,
        >,
    >,
) -> Result<(), StoreError> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.as_service_error(), Some(err) if err.is_conditional_check_failed_exception()) => {
            Err(StoreError::LeaseLost)
        }
        Err(e) => Err(unavailable(e)),
    }
}
