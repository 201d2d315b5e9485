//! How Green-API classifies a file: by the **extension** of `fileName` (NOTES §5.4). Used for
//! the `typeMessage` of API echoes and for naming stored media.

/// Extension of a file name, without the dot (`"a.tar.gz"` → `"gz"`); `None` when there is none
/// or it is empty (`"a."`, `".bashrc"` count as none).
pub(crate) fn extension(file_name: &str) -> Option<&str> {
    let (stem, extension) = file_name.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty() && !extension.contains(['/', '\\'])).then_some(extension)
}

/// `typeMessage` of an echo for a file with this name; Green-API sends unknown types as documents.
pub(crate) fn type_message(file_name: &str) -> &'static str {
    match extension(file_name).map(str::to_ascii_lowercase).as_deref() {
        Some("jpg" | "jpeg" | "png" | "webp" | "gif" | "bmp") => "imageMessage",
        Some("mp4" | "mov" | "3gp" | "mkv" | "avi") => "videoMessage",
        Some("mp3" | "ogg" | "oga" | "opus" | "m4a" | "aac" | "amr" | "wav") => "audioMessage",
        _ => "documentMessage",
    }
}

/// MIME type for a file name, when the sender gave none.
pub(crate) fn mime_for(file_name: &str) -> &'static str {
    match extension(file_name).map(str::to_ascii_lowercase).as_deref() {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("mp4") => "video/mp4",
        Some("3gp") => "video/3gpp",
        Some("mp3") => "audio/mpeg",
        Some("ogg" | "oga" | "opus") => "audio/ogg",
        Some("m4a") => "audio/mp4",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Extension for media stored without a file name.
pub(crate) fn extension_for_mime(mime: &str) -> &'static str {
    let essence = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "video/mp4" => "mp4",
        "video/3gpp" => "3gp",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "oga",
        "audio/mp4" => "m4a",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_rules() {
        assert_eq!(extension("invoice.pdf"), Some("pdf"));
        assert_eq!(extension("a.tar.gz"), Some("gz"));
        assert_eq!(extension("noext"), None);
        assert_eq!(extension("dot."), None);
        assert_eq!(extension(".bashrc"), None);
        assert_eq!(type_message("Photo.JPG"), "imageMessage");
        assert_eq!(type_message("voice.ogg"), "audioMessage");
        assert_eq!(type_message("clip.mp4"), "videoMessage");
        assert_eq!(type_message("report.xlsx"), "documentMessage");
        assert_eq!(extension_for_mime("audio/ogg; codecs=opus"), "oga");
    }
}
