//! File transfers, run by the file-relay function (or the local worker): provider → S3 →
//! Planfix for what customers send, Planfix → S3 → provider for files on notifying comments.
//! Every body is a stream; S3 is the durable middle so a retry never depends on a provider URL
//! that has expired in the meantime (Meta's live about five minutes).

use super::html::text_to_html;
use super::lease::{with_lease, JobLease, LeaseTiming, Leased};
use super::outbound::employees_to_notify;
use super::AccountRuntime;
use crate::domain::FileJob;
use crate::metrics::{self, Metric};
use crate::ports::store::SentRecord;
use crate::ports::{
    BlobError, BlobStore, FileSend, FileSource, MediaKind, OutgoingFile, PlanfixError, SendFailure, Store, StoreError,
};
use crate::retry::Retry;

/// Planfix's per-file limit on paid plans (NOTES §7); free plans allow 15 MB and answer 7002.
pub const PLANFIX_MAX_FILE: u64 = 100 * 1024 * 1024;

/// How long a provider that fetches files by URL may take to fetch one. Twilio fetches at once;
/// Green-API queues sends on its side, so an hour leaves room for its sending delay (and stays
/// within the Lambda role's session, which bounds a presigned URL's life anyway).
pub const OUTGOING_URL_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct RelayError {
    pub retry: Retry,
    pub reason: String,
}

impl From<PlanfixError> for RelayError {
    fn from(e: PlanfixError) -> Self {
        Self { retry: e.retry(), reason: format!("Planfix: {e}") }
    }
}
impl From<SendFailure> for RelayError {
    fn from(e: SendFailure) -> Self {
        Self { retry: e.retry(), reason: format!("WhatsApp: {e}") }
    }
}
impl From<BlobError> for RelayError {
    fn from(e: BlobError) -> Self {
        Self { retry: e.retry(), reason: format!("file storage: {e}") }
    }
}
impl From<StoreError> for RelayError {
    fn from(e: StoreError) -> Self {
        Self { retry: e.retry(), reason: format!("store: {e}") }
    }
}

fn permanent(reason: impl Into<String>) -> RelayError {
    RelayError { retry: Retry::Never, reason: reason.into() }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayOutcome {
    Delivered,
    /// Not transferred; the other side got a visible note saying why.
    Reported(String),
    AlreadyDone,
}

pub struct FileRelay {
    pub lease_secs: i64,
}

pub fn human_size(bytes: u64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    if bytes as f64 >= MB {
        format!("{:.1} MB", bytes as f64 / MB)
    } else {
        format!("{:.0} KB", (bytes as f64 / 1024.0).ceil())
    }
}

/// What a file is called on the other side: its own name, or one made from kind and type.
fn file_name(job_name: Option<&str>, media_kind: &str, mime: Option<&str>, message_id: &str) -> String {
    if let Some(name) = job_name.map(str::trim).filter(|n| !n.is_empty()) {
        // Keep names path-free: they end up in S3 keys and multipart headers.
        return name.replace(['/', '\\'], "_");
    }
    let ext = mime
        .and_then(|m| m.split(';').next())
        .map(str::trim)
        .and_then(|m| match m {
            // mime_guess lists rare spellings first (image/jpeg → "jfif"); people expect these.
            "image/jpeg" => Some("jpg"),
            "image/png" => Some("png"),
            "image/webp" => Some("webp"),
            "video/mp4" => Some("mp4"),
            "audio/ogg" => Some("ogg"),
            "audio/mpeg" => Some("mp3"),
            "audio/aac" => Some("aac"),
            "audio/amr" => Some("amr"),
            "application/pdf" => Some("pdf"),
            other => mime_guess::get_mime_extensions_str(other).and_then(|e| e.first().copied()),
        })
        .unwrap_or("bin");
    let tail: String = message_id
        .chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    format!("{media_kind}-{tail}.{ext}")
}

/// How a Planfix file goes to WhatsApp: its natural kind if within the provider's limit for it,
/// otherwise as a document (which allows the most), or not at all.
pub fn outgoing_kind(mime: &str, size: u64, max: impl Fn(MediaKind) -> u64) -> Option<MediaKind> {
    let natural = match mime.split(';').next().unwrap_or("").trim() {
        "image/jpeg" | "image/png" => MediaKind::Image,
        "video/mp4" | "video/3gpp" => MediaKind::Video,
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => MediaKind::Audio,
        _ => MediaKind::Document,
    };
    [natural, MediaKind::Document].into_iter().find(|k| size <= max(*k))
}

impl FileRelay {
    /// Runs one job once (exactly-once via the store's job lease). `last_try`: the queue will not
    /// deliver it again, so a transient failure is reported instead of retried.
    pub async fn run(
        &self,
        store: &dyn Store,
        blob: &dyn BlobStore,
        acct: &AccountRuntime,
        job: &FileJob,
        last_try: bool,
    ) -> Result<RelayOutcome, RelayError> {
        let key = job.job_key();
        // Never waits: a job another relay holds is that relay's; the queue brings it back.
        let lease = LeaseTiming { lease_secs: self.lease_secs, ..LeaseTiming::default() }.no_wait();
        let leased = with_lease(store, &acct.id, &JobLease(&key), &lease, |_| async {
            let outcome = self.transfer_or_report(store, blob, acct, job, last_try).await?;
            let summary = format!("{outcome:?}");
            Ok::<_, RelayError>((outcome, summary))
        })
        .await
        .map_err(|f| f.error)?;
        match leased {
            Leased::Ran { value, .. } => Ok(value),
            Leased::AlreadyDone => Ok(RelayOutcome::AlreadyDone),
            Leased::Busy => Err(RelayError { retry: Retry::SOON, reason: "another relay holds this job".into() }),
        }
    }

    /// The transfer; a failure no retry will fix (or on the last try) is reported visibly.
    async fn transfer_or_report(
        &self,
        store: &dyn Store,
        blob: &dyn BlobStore,
        acct: &AccountRuntime,
        job: &FileJob,
        last_try: bool,
    ) -> Result<RelayOutcome, RelayError> {
        let result = match job {
            FileJob::Inbound { .. } => self.inbound(blob, acct, job).await,
            FileJob::Outbound { .. } => self.outbound(store, blob, acct, job).await,
        };
        let metric = |delivered: bool| match (job, delivered) {
            (FileJob::Inbound { .. }, true) => Metric::FilesIn,
            (FileJob::Outbound { .. }, true) => Metric::FilesOut,
            (_, false) => Metric::FilesNotTransferred,
        };
        match result {
            Ok(()) => {
                metrics::count(acct.id.as_str(), metric(true), 1.0);
                Ok(RelayOutcome::Delivered)
            }
            Err(e) if e.retry.is_retryable() && !last_try => Err(e),
            Err(e) => {
                self.report(acct, job, &e.reason).await?;
                metrics::count(acct.id.as_str(), metric(false), 1.0);
                Ok(RelayOutcome::Reported(e.reason))
            }
        }
    }

    async fn inbound(&self, blob: &dyn BlobStore, acct: &AccountRuntime, job: &FileJob) -> Result<(), RelayError> {
        let FileJob::Inbound {
            phone,
            message_id,
            task_id,
            comment_id,
            caption_html,
            media,
            media_kind,
            mime_type,
            filename,
            ..
        } = job
        else {
            return Err(permanent("not an inbound job"));
        };
        let media = acct.media.download(media).await?;
        if let Some(size) = media.size.filter(|s| *s > PLANFIX_MAX_FILE) {
            return Err(permanent(format!(
                "it is {}, over Planfix's limit of {}",
                human_size(size),
                human_size(PLANFIX_MAX_FILE)
            )));
        }
        let mime =
            media.mime_type.clone().or_else(|| mime_type.clone()).unwrap_or_else(|| "application/octet-stream".into());
        let name = file_name(filename.as_deref(), media_kind, Some(&mime), message_id);
        let key = format!("{}/{}/in/{}/{}", acct.id, phone.digits(), message_id, name);
        let size = blob.put(&key, &mime, media.body).await?;
        if size > PLANFIX_MAX_FILE {
            return Err(permanent(format!(
                "it is {}, over Planfix's limit of {}",
                human_size(size),
                human_size(PLANFIX_MAX_FILE)
            )));
        }
        let (_, stream) = blob.get(&key).await?;
        let file_id = acct.planfix_files.upload_file(&name, &mime, size, stream).await?;
        let html = join_note(caption_html, &format!("📎 {} ({})", name, human_size(size)));
        acct.planfix_files.update_comment(*task_id, *comment_id, &html, &[file_id]).await?;
        tracing::info!(account = %acct.id, message = %message_id, file = file_id, size, "inbound file attached in Planfix");
        Ok(())
    }

    async fn outbound(
        &self,
        store: &dyn Store,
        blob: &dyn BlobStore,
        acct: &AccountRuntime,
        job: &FileJob,
    ) -> Result<(), RelayError> {
        let FileJob::Outbound { phone, task_id, comment_id, file_id, author, .. } = job else {
            return Err(permanent("not an outbound job"));
        };
        let info = acct
            .planfix_files
            .file_info(*file_id)
            .await?
            .ok_or_else(|| permanent(format!("file {file_id} no longer exists in Planfix")))?;
        let name = info.name.replace(['/', '\\'], "_");
        let guessed = mime_guess::from_path(&name).first_or_octet_stream().essence_str().to_owned();
        let caps = acct.sender.capabilities();
        let Some(kind) = outgoing_kind(&guessed, info.size, |k| caps.media_limits.max(k)) else {
            return Err(permanent(format!(
                "«{name}» is {}, over WhatsApp's limit of {} for files",
                human_size(info.size),
                human_size(caps.media_limits.max(MediaKind::Document))
            )));
        };
        let (content_type, body) = acct.planfix_files.download_file(*file_id).await?;
        let mime = content_type.filter(|c| !c.starts_with("application/octet-stream")).unwrap_or(guessed);
        let key = format!("{}/{}/out/{}/{}-{}", acct.id, phone.digits(), comment_id, file_id, name);
        let size = blob.put(&key, &mime, body).await?;
        let (source, mime) = match caps.file_send {
            // Served from the stored copy with its type and name (Twilio checks the type).
            FileSend::ByUrl => (FileSource::Url(blob.presign_get(&key, OUTGOING_URL_TTL, Some(&name)).await?), mime),
            FileSend::Upload => {
                let (_, stream) = blob.get(&key).await?;
                // A photo or video too big for its kind goes as a document; Meta checks uploads
                // against the limit of their MIME type, so the fallback is uploaded as a generic
                // binary (unconfirmed against live Meta whether it also accepts the original type).
                let natural = outgoing_kind(&mime, 0, |_| u64::MAX);
                let mime = if kind == MediaKind::Document && natural != Some(MediaKind::Document) {
                    "application/octet-stream".to_owned()
                } else {
                    mime
                };
                (FileSource::Stream(stream), mime)
            }
        };
        let file = OutgoingFile { kind, filename: name.clone(), mime_type: mime, size, caption: None, source };
        let reference = format!("{}-file-{comment_id}-{file_id}", acct.id);
        let wamid = acct.media.send_file(phone, file, &reference).await?;
        store
            .put_sent(
                &acct.id,
                &wamid,
                &SentRecord {
                    comment_id: *comment_id,
                    task_id: *task_id,
                    author: author.clone(),
                    excerpt: Some(format!("📎 {name}")),
                },
            )
            .await?;
        tracing::info!(account = %acct.id, comment = comment_id, file = file_id, size, "outbound file sent to WhatsApp");
        Ok(())
    }

    /// The visible end of a failed transfer: inbound → the comment says which file is missing and
    /// why (its text stays); outbound → an internal note for the comment's author.
    async fn report(&self, acct: &AccountRuntime, job: &FileJob, reason: &str) -> Result<(), RelayError> {
        match job {
            FileJob::Inbound {
                task_id, comment_id, caption_html, filename, media_kind, mime_type, message_id, ..
            } => {
                let name = file_name(filename.as_deref(), media_kind, mime_type.as_deref(), message_id);
                let note = format!("⚠ The customer sent a file «{name}» that could not be transferred: {reason}. Ask them to send it again or another way.");
                acct.planfix_files.update_comment(*task_id, *comment_id, &join_note(caption_html, &note), &[]).await?;
            }
            FileJob::Outbound { task_id, comment_id, file_id, author, .. } => {
                let name = acct
                    .planfix_files
                    .file_info(*file_id)
                    .await
                    .ok()
                    .flatten()
                    .map(|f| format!("«{}» ({})", f.name, human_size(f.size)));
                let note = format!(
                    "⚠ WhatsApp: the file {} of comment #{comment_id} was not delivered to the customer: {reason}.",
                    name.unwrap_or_else(|| format!("#{file_id}"))
                );
                let notify = employees_to_notify(author.as_deref());
                acct.planfix.add_internal_comment(*task_id, &text_to_html(&note), &notify).await?;
            }
        }
        tracing::warn!(account = %acct.id, job = %job.job_key(), reason, "file not transferred; reported");
        Ok(())
    }
}

fn join_note(caption_html: &str, note: &str) -> String {
    let note = format!("<i>{}</i>", text_to_html(note));
    if caption_html.is_empty() {
        note
    } else {
        format!("{caption_html}<br>{note}")
    }
}

/// Entry point for one queued job, used by the file-relay Lambda and the local worker alike.
pub async fn handle_job(app: &crate::Bridge, job: &FileJob, last_try: bool) -> Result<RelayOutcome, RelayError> {
    let acct = match app.accounts.lookup(job.account()).await {
        crate::accounts::Lookup::Ready(acct) => acct,
        // A broken configuration is the operator's to fix: the job waits for it in the queue.
        crate::accounts::Lookup::Broken => {
            return Err(RelayError {
                retry: Retry::Later { not_before: Some(std::time::Duration::from_secs(300)) },
                reason: format!("the configuration of account {} is broken; waiting for it to be fixed", job.account()),
            });
        }
        crate::accounts::Lookup::Unknown => return Err(permanent(format!("unknown account {}", job.account()))),
    };
    let Some(blob) = &app.blob else {
        return Err(permanent("this instance has no blob store configured (BRIDGE_BUCKET)"));
    };
    app.relay.run(app.store.as_ref(), blob.as_ref(), &acct, job, last_try).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(kind: MediaKind) -> u64 {
        const MB: u64 = 1024 * 1024;
        match kind {
            MediaKind::Image => 5 * MB,
            MediaKind::Video | MediaKind::Audio => 16 * MB,
            MediaKind::Document => 100 * MB,
            MediaKind::Sticker => MB / 2,
        }
    }

    #[test]
    fn big_media_fall_back_to_documents_and_huge_files_are_refused() {
        assert_eq!(outgoing_kind("image/jpeg", 1024, meta), Some(MediaKind::Image));
        assert_eq!(outgoing_kind("image/jpeg", 6 * 1024 * 1024, meta), Some(MediaKind::Document));
        assert_eq!(outgoing_kind("video/mp4", 50 * 1024 * 1024, meta), Some(MediaKind::Document));
        assert_eq!(outgoing_kind("application/pdf", 101 * 1024 * 1024, meta), None);
        assert_eq!(outgoing_kind("image/webp", 1024, meta), Some(MediaKind::Document));
    }

    #[test]
    fn names_files_without_paths() {
        assert_eq!(file_name(Some("../etc/passwd"), "document", None, "wamid.x"), ".._etc_passwd");
        assert_eq!(file_name(None, "voice", Some("audio/ogg; codecs=opus"), "wamid.ABCDEFGH12"), "voice-CDEFGH12.ogg");
        assert!(file_name(None, "image", Some("image/jpeg"), "wamid.1").starts_with("image-"));
    }
}
