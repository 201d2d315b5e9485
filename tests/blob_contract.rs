//! The blob store contract, run against both adapters: S3 through the real SDK on moto, and the
//! local folder store. The 20 MiB body crosses the multipart threshold, so the streaming upload
//! path (and its memory bound) is what is exercised, not just PutObject.

use std::time::Duration;

use bridge_aws::{s3_client, S3BlobStore};
use bridge_core::ports::{BlobError, BlobStore, ByteStream};
use bridge_embedded::DirBlobStore;
use bytes::Bytes;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

/// `total` bytes in 1 MiB chunks, with the SHA-256 of the whole; varied content so a misplaced
/// part changes the hash.
fn generated(total: usize) -> (ByteStream, String) {
    let chunks: Vec<Bytes> = (0..total.div_ceil(MIB))
        .map(|i| {
            let len = MIB.min(total - i * MIB);
            Bytes::from((0..len).map(|j| ((i * 31 + j * 7 + j / 251) % 256) as u8).collect::<Vec<u8>>())
        })
        .collect();
    let mut hash = Sha256::new();
    for c in &chunks {
        hash.update(c);
    }
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok));
    (Box::pin(stream), hex::encode(hash.finalize()))
}

fn body_of(data: &'static [u8]) -> ByteStream {
    Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(data))]))
}

/// A source that yields `ok_bytes` and then fails, as a dropped provider download would.
fn failing(ok_bytes: usize) -> ByteStream {
    let (good, _) = generated(ok_bytes);
    Box::pin(good.chain(futures_util::stream::iter([Err(std::io::Error::other("connection reset"))])))
}

async fn read_all(mut s: ByteStream) -> (Vec<u8>, usize) {
    let (mut out, mut chunks) = (Vec::new(), 0);
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c.expect("chunk"));
        chunks += 1;
    }
    (out, chunks)
}

async fn contract(store: &dyn BlobStore) {
    // Small body: one PutObject.
    let n = store.put("acme/in/small.txt", "text/plain", body_of(b"hello blob")).await.unwrap();
    assert_eq!(n, 10);
    let (meta, body) = store.get("acme/in/small.txt").await.unwrap();
    assert_eq!((meta.size, meta.content_type.as_str()), (10, "text/plain"));
    assert_eq!(read_all(body).await.0, b"hello blob");

    // Overwrite replaces both body and type.
    store.put("acme/in/small.txt", "application/json", body_of(b"{}")).await.unwrap();
    let (meta, body) = store.get("acme/in/small.txt").await.unwrap();
    assert_eq!((meta.size, meta.content_type.as_str()), (2, "application/json"));
    assert_eq!(read_all(body).await.0, b"{}");

    // 20 MiB: multipart on S3; hashed as it streams back, in more than one chunk.
    let (stream, want) = generated(20 * MIB);
    assert_eq!(store.put("acme/in/big.bin", "video/mp4", stream).await.unwrap(), (20 * MIB) as u64);
    let (meta, mut body) = store.get("acme/in/big.bin").await.unwrap();
    assert_eq!((meta.size, meta.content_type.as_str()), ((20 * MIB) as u64, "video/mp4"));
    let (mut hash, mut len, mut chunks) = (Sha256::new(), 0usize, 0);
    while let Some(c) = body.next().await {
        let c = c.expect("chunk");
        len += c.len();
        chunks += 1;
        hash.update(&c);
    }
    assert_eq!(len, 20 * MIB);
    assert!(chunks > 1, "the body should arrive as a stream, not one buffer");
    assert_eq!(hex::encode(hash.finalize()), want);

    // A source failing mid-upload (after the first part) is a Source error and stores nothing.
    let err = store.put("acme/in/broken.bin", "video/mp4", failing(10 * MIB)).await.unwrap_err();
    assert!(matches!(err, BlobError::Source(_)), "{err:?}");
    assert!(matches!(store.get("acme/in/broken.bin").await, Err(BlobError::NotFound(_))));

    match store.get("acme/in/missing.bin").await {
        Err(BlobError::NotFound(k)) => assert_eq!(k, "acme/in/missing.bin"),
        Err(e) => panic!("expected NotFound, got {e:?}"),
        Ok(_) => panic!("expected NotFound, got a body"),
    }
}

#[tokio::test]
async fn s3_store_on_moto() {
    let client = s3_client(&e2e_tests::aws_config().await, true);
    let bucket = format!("bridge-blobs-{}", uuid::Uuid::new_v4());
    S3BlobStore::create_bucket_with_lifecycle(&client, &bucket, 14).await.expect("create bucket in moto");
    let store = S3BlobStore::new(client.clone(), &bucket);

    contract(&store).await;

    // The big object really went through multipart (ETag "<md5>-<parts>": 8 + 8 + 4 MiB) and is encrypted.
    let head = client.head_object().bucket(&bucket).key("acme/in/big.bin").send().await.unwrap();
    assert!(head.e_tag().unwrap_or_default().ends_with("-3\""), "etag {:?}", head.e_tag());
    assert_eq!(head.server_side_encryption(), Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256));
    let head = client.head_object().bucket(&bucket).key("acme/in/small.txt").send().await.unwrap();
    assert_eq!(head.server_side_encryption(), Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256));
    // The failed upload was aborted, not left to accrue storage.
    let pending = client.list_multipart_uploads().bucket(&bucket).send().await.unwrap();
    assert!(pending.uploads().is_empty(), "{:?}", pending.uploads());

    // A presigned URL fetches the object without credentials (moto does not check the signature,
    // so only the URL's shape and reachability are tested here).
    let url = store.presign_get("acme/in/small.txt", Duration::from_secs(300), None).await.unwrap();
    assert!(url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=300"), "{url}");
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"{}");
    // Named for a provider that fetches by URL: S3 answers with the signed Content-Disposition.
    let url = store.presign_get("acme/in/small.txt", Duration::from_secs(300), Some("Счёт.json")).await.unwrap();
    let resp = reqwest::get(&url).await.unwrap();
    assert_eq!(resp.status(), 200);
    let disposition = resp.headers().get("content-disposition").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert_eq!(disposition, Some(bridge_core::ports::blob::content_disposition("Счёт.json")));

    let block = client.get_public_access_block().bucket(&bucket).send().await.unwrap();
    let block = block.public_access_block_configuration().expect("public access block");
    assert_eq!((block.block_public_acls(), block.restrict_public_buckets()), (Some(true), Some(true)));

    let lc = client.get_bucket_lifecycle_configuration().bucket(&bucket).send().await.unwrap();
    let rule = lc.rules().first().expect("one lifecycle rule");
    assert_eq!(rule.expiration().and_then(|e| e.days()), Some(14));
    assert_eq!(rule.abort_incomplete_multipart_upload().and_then(|a| a.days_after_initiation()), Some(1));
}

#[tokio::test]
async fn dir_store() {
    let root = std::env::temp_dir().join(format!("bridge-blobs-{}", uuid::Uuid::new_v4()));
    let store = DirBlobStore::new(&root, "http://127.0.0.1:8080/".into(), b"local-secret".to_vec());

    contract(&store).await;

    for bad in ["../escape", "/etc/passwd", "a/../../b", "", "a/.hidden", "x.content-type"] {
        let err = store.put(bad, "text/plain", body_of(b"x")).await.unwrap_err();
        assert!(matches!(err, BlobError::Unavailable(_)), "{bad:?}: {err:?}");
    }
    assert!(!root.parent().unwrap().join("escape").exists());

    let url = store.presign_get("acme/in/small file.txt", Duration::from_secs(60), None).await.unwrap();
    let (path, query) = url.split_once('?').unwrap();
    assert_eq!(path, "http://127.0.0.1:8080/blobs/acme/in/small%20file.txt");
    let param = |name: &str| {
        query.split('&').find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('='))).unwrap().to_owned()
    };
    let (expires, sig) = (param("expires").parse::<i64>().unwrap(), param("sig"));
    let now = expires - 60;
    assert!(store.verify_presigned("acme/in/small file.txt", expires, None, &sig, now));
    assert!(!store.verify_presigned("acme/in/small file.txt", expires, None, &sig, expires + 1), "expired");
    assert!(!store.verify_presigned("acme/in/other.txt", expires, None, &sig, now), "other key");
    assert!(!store.verify_presigned("acme/in/small file.txt", expires + 3600, None, &sig, now), "extended expiry");
    let mut tampered = sig.clone().into_bytes();
    tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
    assert!(!store.verify_presigned(
        "acme/in/small file.txt",
        expires,
        None,
        &String::from_utf8(tampered).unwrap(),
        now
    ));
    assert!(!store.verify_presigned("acme/in/small file.txt", expires, None, "not-hex", now));
    // Another secret does not accept this store's signature.
    let other = DirBlobStore::new(&root, "http://127.0.0.1:8080".into(), b"other".to_vec());
    assert!(!other.verify_presigned("acme/in/small file.txt", expires, None, &sig, now));

    // No temp files left behind by the failed upload or the overwrites.
    let leftovers: Vec<_> = std::fs::read_dir(root.join("acme/in"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    std::fs::remove_dir_all(&root).unwrap();
}
