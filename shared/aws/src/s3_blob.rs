//! S3 blob store (real aws-sdk-s3). Bodies stream in and out; uploads larger than one part go
//! through multipart upload so at most one part is ever buffered.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream as S3Body;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, ChecksumAlgorithm,
    CompletedMultipartUpload, CompletedPart, CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, PublicAccessBlockConfiguration, ServerSideEncryption,
};
use aws_sdk_s3::Client;
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use bridge_core::ports::blob::{BlobError, BlobMeta, BlobStore, ByteStream};

/// Multipart part size: above S3's 5 MiB minimum, and the memory bound of one upload.
pub const PART_SIZE: usize = 8 * 1024 * 1024;

const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";

#[derive(Clone)]
pub struct S3BlobStore {
    client: Client,
    bucket: String,
}

/// An S3 client from the shared AWS config. `force_path_style` is needed by emulators (moto)
/// that cannot serve virtual-hosted bucket names.
pub fn s3_client(cfg: &aws_config::SdkConfig, force_path_style: bool) -> Client {
    let conf = aws_sdk_s3::config::Builder::from(cfg).force_path_style(force_path_style).build();
    Client::from_conf(conf)
}

fn unavailable<E: std::error::Error + 'static>(e: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> BlobError {
    BlobError::Unavailable(DisplayErrorContext(e).to_string())
}

/// Buffers the source stream one part at a time.
struct PartReader {
    body: ByteStream,
    buf: BytesMut,
    eof: bool,
    total: u64,
}

impl PartReader {
    /// Reads until more than a part is buffered (so "exactly one part" still takes the cheap
    /// PutObject path) or the source ends.
    async fn fill(&mut self) -> Result<(), BlobError> {
        while !self.eof && self.buf.len() <= PART_SIZE {
            match self.body.next().await {
                Some(Ok(chunk)) => {
                    self.total += chunk.len() as u64;
                    self.buf.extend_from_slice(&chunk);
                }
                Some(Err(e)) => return Err(BlobError::Source(e.to_string())),
                None => self.eof = true,
            }
        }
        Ok(())
    }

    /// Takes up to one part; the overshoot of the last chunk (at most one chunk) stays buffered.
    fn take_part(&mut self) -> Bytes {
        let mut part = std::mem::take(&mut self.buf);
        if part.len() > PART_SIZE {
            self.buf.extend_from_slice(&part[PART_SIZE..]);
            part.truncate(PART_SIZE);
        }
        part.freeze()
    }
}

impl S3BlobStore {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    /// Creates the bucket private, with every object expiring after `retention_days`.
    /// For local runs and tests; on AWS the stack owns the bucket.
    pub async fn create_bucket_with_lifecycle(
        client: &Client,
        bucket: &str,
        retention_days: i32,
    ) -> Result<(), BlobError> {
        let mut create = client.create_bucket().bucket(bucket);
        // us-east-1 is the one region that rejects an explicit location constraint.
        if let Some(region) = client.config().region().map(|r| r.as_ref().to_owned()).filter(|r| r != "us-east-1") {
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        create.send().await.map_err(unavailable)?;

        let block = PublicAccessBlockConfiguration::builder()
            .block_public_acls(true)
            .ignore_public_acls(true)
            .block_public_policy(true)
            .restrict_public_buckets(true)
            .build();
        match client.put_public_access_block().bucket(bucket).public_access_block_configuration(block).send().await {
            Ok(_) => {}
            // Emulators may lack this call; it only hardens a bucket that is private anyway.
            Err(e) if e.code() == Some("NotImplemented") => {}
            Err(e) => return Err(unavailable(e)),
        }

        let invalid = |e: aws_sdk_s3::error::BuildError| BlobError::Unavailable(e.to_string());
        let rule = LifecycleRule::builder()
            .id("expire-blobs")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .expiration(LifecycleExpiration::builder().days(retention_days).build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build(),
            )
            .build()
            .map_err(invalid)?;
        let lifecycle = BucketLifecycleConfiguration::builder().rules(rule).build().map_err(invalid)?;
        client
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(lifecycle)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put_multipart(&self, key: &str, content_type: &str, reader: &mut PartReader) -> Result<(), BlobError> {
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .server_side_encryption(ServerSideEncryption::Aes256)
            // Declared up front so S3 accepts the CRC32 the SDK attaches to every part.
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(unavailable)?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| BlobError::Unavailable("CreateMultipartUpload returned no upload id".into()))?
            .to_owned();
        let result = self.upload_parts(key, &upload_id, reader).await;
        if result.is_err() {
            // Best effort: the bucket's lifecycle rule reaps what an abort misses.
            let abort =
                self.client.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(&upload_id).send().await;
            if let Err(e) = abort {
                tracing::warn!(key, error = %DisplayErrorContext(e), "aborting multipart upload failed");
            }
        }
        result
    }

    async fn upload_parts(&self, key: &str, upload_id: &str, reader: &mut PartReader) -> Result<(), BlobError> {
        let mut parts = Vec::new();
        loop {
            reader.fill().await?;
            if reader.buf.is_empty() {
                break;
            }
            let part = reader.take_part();
            let number = parts.len() as i32 + 1;
            let out = self
                .client
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .checksum_algorithm(ChecksumAlgorithm::Crc32)
                .content_length(part.len() as i64)
                .body(S3Body::from(part))
                .send()
                .await
                .map_err(unavailable)?;
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                    .build(),
            );
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl BlobStore for S3BlobStore {
    async fn put(&self, key: &str, content_type: &str, body: ByteStream) -> Result<u64, BlobError> {
        let mut reader = PartReader { body, buf: BytesMut::new(), eof: false, total: 0 };
        reader.fill().await?;
        if reader.eof && reader.buf.len() <= PART_SIZE {
            let data = reader.take_part();
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .content_type(content_type)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .content_length(data.len() as i64)
                .body(S3Body::from(data))
                .send()
                .await
                .map_err(unavailable)?;
        } else {
            self.put_multipart(key, content_type, &mut reader).await?;
        }
        Ok(reader.total)
    }

    async fn get(&self, key: &str) -> Result<(BlobMeta, ByteStream), BlobError> {
        let out = self.client.get_object().bucket(&self.bucket).key(key).send().await.map_err(|e| match e {
            SdkError::ServiceError(ref se) if se.err().is_no_such_key() => BlobError::NotFound(key.to_owned()),
            e => unavailable(e),
        })?;
        let meta = BlobMeta {
            size: out.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            content_type: out.content_type().unwrap_or(DEFAULT_CONTENT_TYPE).to_owned(),
        };
        // Pull chunks from the SDK body as the consumer asks for them: nothing is collected.
        let stream = futures_util::stream::unfold(out.body, |mut body| async move {
            body.next().await.map(|chunk| (chunk.map_err(std::io::Error::other), body))
        });
        Ok((meta, Box::pin(stream)))
    }

    async fn presign_get(&self, key: &str, ttl: Duration, download_name: Option<&str>) -> Result<String, BlobError> {
        let config = PresigningConfig::expires_in(ttl).map_err(|e| BlobError::Unavailable(e.to_string()))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            // Signed into the URL: S3 answers with this header, so the fetcher sees the name.
            .set_response_content_disposition(download_name.map(bridge_core::ports::blob::content_disposition))
            .presigned(config)
            .await
            .map_err(unavailable)?;
        Ok(req.uri().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(chunk: usize, chunks: usize) -> PartReader {
        let body = futures_util::stream::iter((0..chunks).map(move |_| Ok(Bytes::from(vec![7u8; chunk]))));
        PartReader { body: Box::pin(body), buf: BytesMut::new(), eof: false, total: 0 }
    }

    #[tokio::test]
    async fn parts_are_cut_at_part_size_and_keep_the_overshoot() {
        let mb = 1024 * 1024;
        // 7 chunks of 3 MiB = 21 MiB: parts of 8, 8, 5 MiB.
        let mut r = reader(3 * mb, 7);
        let mut sizes = Vec::new();
        loop {
            r.fill().await.unwrap();
            // Never more than one part plus one chunk buffered.
            assert!(r.buf.len() <= PART_SIZE + 3 * mb);
            if r.buf.is_empty() {
                break;
            }
            sizes.push(r.take_part().len());
        }
        assert_eq!(sizes, [8 * mb, 8 * mb, 5 * mb]);
        assert_eq!(r.total, 21 * mb as u64);
    }

    #[tokio::test]
    async fn exactly_one_part_stays_a_single_put() {
        let mut r = reader(PART_SIZE / 4, 4);
        r.fill().await.unwrap();
        assert!(r.eof && r.buf.len() == PART_SIZE);
    }
}
