//! Pages and files served beside the WebSocket ([`Handler::on_http`](crate::Handler::on_http)):
//! a fixed set of paths, each with its content type, held in memory (an example embeds
//! its page with `include_str!`). Nothing is read from disk at request time, so no path
//! in a request can reach a file that was not registered.

use std::collections::HashMap;

use sockeye_handshake::{HttpRequest, Reject};

/// A set of in-memory files by path, answering plain requests: `200` with the file's
/// `Content-Type`, or `404`.
///
/// ```
/// use sockeye_server::Assets;
/// let assets = Assets::new()
///     .file("/", "<!doctype html><script src=app.js></script>")
///     .file("/app.js", "new WebSocket(`ws://${location.host}/chat`)");
/// assert_eq!(assets.content_type_of("/app.js"), Some("text/javascript; charset=utf-8"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Assets {
    files: HashMap<String, Asset>,
}

#[derive(Debug, Clone)]
struct Asset {
    content_type: &'static str,
    body: Vec<u8>,
}

impl Assets {
    /// No files: every request gets `404`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `body` at `path` (e.g. `/`, `/app.js`), with the content type of its
    /// extension ([`content_type`]); a path ending in `/` is HTML.
    pub fn file(self, path: &str, body: impl Into<Vec<u8>>) -> Self {
        self.typed(path, content_type(path), body)
    }

    /// Serves `body` at `path` with `content_type`.
    pub fn typed(
        mut self,
        path: &str,
        content_type: &'static str,
        body: impl Into<Vec<u8>>,
    ) -> Self {
        let body = body.into();
        self.files
            .insert(path.to_owned(), Asset { content_type, body });
        self
    }

    /// The content type served at `path`, if a file is there.
    pub fn content_type_of(&self, path: &str) -> Option<&'static str> {
        self.files.get(path).map(|a| a.content_type)
    }

    /// The response to `request`: its path's file (the query is ignored), else `404`.
    pub fn respond(&self, request: &HttpRequest) -> Reject {
        self.get(request.path()).unwrap_or_else(|| status(404))
    }

    /// The `200` response for the file at `path`, if there is one.
    pub fn get(&self, path: &str) -> Option<Reject> {
        let asset = self.files.get(path)?;
        let ok = Reject::new(200).ok()?;
        let ok = ok
            .header("Content-Type", asset.content_type)
            .and_then(|r| r.header("Cache-Control", "no-cache"))
            .and_then(|r| r.header("X-Content-Type-Options", "nosniff"))
            .ok()?;
        Some(ok.body(asset.body.clone()))
    }
}

/// The content type for a path's extension: HTML, JavaScript, CSS, JSON, SVG, PNG, ICO,
/// WebAssembly, plain text; `application/octet-stream` for anything else. A path ending
/// in `/` (a directory's page) is HTML.
pub fn content_type(path: &str) -> &'static str {
    if path.ends_with('/') {
        return "text/html; charset=utf-8";
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A bodiless response with `status` (`404`, `500`: both in range).
#[allow(clippy::expect_used)]
pub(crate) fn status(status: u16) -> Reject {
    Reject::new(status)
        .or_else(|_| Reject::new(500))
        .expect("500 is a valid status (200..=599)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sockeye_handshake::{Incoming, RequestParser, Status};

    fn get(path: &str) -> HttpRequest {
        let head = format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n");
        match RequestParser::default().parse_incoming(head.as_bytes()) {
            Ok(Status::Complete(Incoming::Http(r))) => r,
            other => panic!("{other:?}"),
        }
    }

    fn written(r: &Reject) -> String {
        let mut out = Vec::new();
        r.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn files_by_path_with_their_types() {
        let assets = Assets::new()
            .file("/", "<p>page</p>")
            .file("/style.css", "p{}")
            .typed("/data", "application/json", "{}");
        let page = written(&assets.respond(&get("/?v=1")));
        assert!(page.starts_with("HTTP/1.1 200 OK\r\n"), "{page}");
        assert!(page.contains("Content-Type: text/html; charset=utf-8\r\n"));
        assert!(page.ends_with("\r\n\r\n<p>page</p>"));
        let css = written(&assets.respond(&get("/style.css")));
        assert!(
            css.contains("Content-Type: text/css; charset=utf-8\r\n"),
            "{css}"
        );
        assert_eq!(assets.content_type_of("/data"), Some("application/json"));
        let missing = written(&assets.respond(&get("/../etc/passwd")));
        assert!(
            missing.starts_with("HTTP/1.1 404 Not Found\r\n"),
            "{missing}"
        );
    }

    #[test]
    fn content_types_by_extension() {
        let cases = [
            ("/a/", "text/html; charset=utf-8"),
            ("/index.HTML", "text/html; charset=utf-8"),
            ("/app.js", "text/javascript; charset=utf-8"),
            ("/x.svg", "image/svg+xml"),
            ("/x.png", "image/png"),
            ("/x.wasm", "application/wasm"),
            ("/dir.d/noext", "application/octet-stream"),
        ];
        for (path, want) in cases {
            assert_eq!(content_type(path), want, "{path}");
        }
    }
}
