//! Upgrades an HTTP server received (hyper 1, axum): Sockeye's handshake rules on an
//! [`http::Request`], an [`http::Response`] to answer with, then the connection over the
//! upgraded transport.
//!
//! ```ignore
//! // in a hyper service or an axum handler, with `req: http::Request<_>`
//! let upgrade = match sockeye_tokio::upgrade::Upgrade::new(&req, config.clone()) {
//!     Ok(upgrade) => upgrade,
//!     Err(error) => return sockeye_tokio::upgrade::refusal(&error), // 400, 426...
//! };
//! let (response, accepted) = upgrade.accept(&Accept::new())?;
//! tokio::spawn(async move {
//!     let io = hyper::upgrade::on(req).await?; // after the 101 went out
//!     let ws = accepted.into_stream(hyper_util::rt::TokioIo::new(io));
//!     // ... ws is a WebSocketStream
//! });
//! response // a 101 with Sec-WebSocket-Accept and permessage-deflate's answer
//! ```
//!
//! The request is checked by [`sockeye_handshake`] exactly as [`accept`](crate::accept)
//! checks one read from a socket (its head is rebuilt from the parsed request for that),
//! and permessage-deflate is negotiated with the configuration's policy.

use std::sync::Arc;

use bytes::Bytes;
use sockeye_deflate::PerMessageDeflate;
use sockeye_driver::DriverConfig;
use sockeye_handshake::{
    Accept, DeflateParams, Reject, Request, RequestError, RequestParser, Status,
    is_permessage_deflate, negotiate_deflate,
};
use sockeye_proto::{Connection, Role};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::conn::now;
use crate::{Error, WebSocketStream};

/// An upgrade request that passed RFC 6455 §4.2.1's checks, waiting for an answer.
#[derive(Debug)]
pub struct Upgrade {
    request: Request,
    config: Arc<DriverConfig>,
}

impl Upgrade {
    /// Checks `request` (method, version, `Upgrade`, `Connection`, key, version, size
    /// limits from `config`).
    ///
    /// # Errors
    /// What is wrong with it; answer with [`refusal`].
    pub fn new<B>(
        request: &http::Request<B>,
        config: impl Into<Arc<DriverConfig>>,
    ) -> Result<Self, RequestError> {
        let config = config.into();
        let head = head_of(request);
        match RequestParser::new(config.handshake_limits).parse(&head)? {
            Status::Complete(request) => Ok(Self { request, config }),
            Status::Incomplete => Err(RequestError::Malformed),
        }
    }

    /// The request as Sockeye parsed it (path, origin, subprotocols, extensions,
    /// headers).
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Accepts with `accept`'s choices (subprotocol, headers), adding permessage-deflate's
    /// answer when the client offered it and `accept` has none: the `101` to send, and
    /// what makes the connection once the transport is upgraded.
    ///
    /// # Errors
    /// [`Error::Accept`] if `accept` chose a subprotocol the client did not offer.
    pub fn accept(self, accept: &Accept) -> Result<(http::Response<Bytes>, Accepted), Error> {
        let mut accept = accept.clone();
        let mut deflate = None;
        if let Some(policy) = &self.config.deflate
            && !accept.get_extensions().iter().any(is_permessage_deflate)
            && let Some((params, answer)) =
                negotiate_deflate(self.request.extensions(), &policy.server)
        {
            accept = accept.extension(answer);
            deflate = Some(params);
        }
        let mut head = Vec::new();
        self.request
            .accept_with(&accept, &mut head)
            .map_err(Error::Accept)?;
        let accepted = Accepted {
            config: self.config,
            deflate,
            protocol: accept.get_protocol().map(Into::into),
        };
        Ok((response_of(&head), accepted))
    }
}

/// An accepted upgrade: the connection's configuration and what was agreed on.
#[derive(Debug)]
pub struct Accepted {
    config: Arc<DriverConfig>,
    deflate: Option<DeflateParams>,
    protocol: Option<Box<str>>,
}

impl Accepted {
    /// The permessage-deflate parameters agreed on, if any.
    pub fn deflate(&self) -> Option<&DeflateParams> {
        self.deflate.as_ref()
    }

    /// The open connection over the upgraded transport (e.g.
    /// `TokioIo::new(hyper::upgrade::on(req).await?)`).
    pub fn into_stream<S>(self, io: S) -> WebSocketStream<S>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut ws = Connection::server(self.config.shared_connection(), now());
        if let (Some(policy), Some(params)) = (&self.config.deflate, self.deflate) {
            let mut extension = PerMessageDeflate::new(Role::Server, params, policy.options);
            if let Some(shared) = &policy.shared {
                extension = extension.with_shared_compressor(shared.clone());
            }
            ws = ws.with_extension(Box::new(extension));
        }
        let mut stream = WebSocketStream::from_connection(io, ws, self.config, None);
        stream.conn.protocol = self.protocol;
        stream
    }
}

/// The response an invalid upgrade request calls for (400, 405, 426 with the version we
/// speak, 431).
pub fn refusal(error: &RequestError) -> http::Response<Bytes> {
    response_of(&error.to_response())
}

/// The application's own refusal (a `401` with a challenge, a redirect) as a response.
pub fn rejection(reject: &Reject) -> http::Response<Bytes> {
    let mut raw = Vec::new();
    reject.write(&mut raw);
    response_of(&raw)
}

/// The head the handshake parser checks, rebuilt from what the HTTP server parsed.
fn head_of<B>(request: &http::Request<B>) -> Vec<u8> {
    let mut head = Vec::with_capacity(512);
    head.extend_from_slice(request.method().as_str().as_bytes());
    head.push(b' ');
    let target = request.uri().path_and_query().map_or("/", |p| p.as_str());
    head.extend_from_slice(target.as_bytes());
    head.extend_from_slice(match request.version() {
        http::Version::HTTP_10 => b" HTTP/1.0\r\n",
        http::Version::HTTP_11 => b" HTTP/1.1\r\n",
        // HTTP/2 and 3 upgrade differently (RFC 8441): the parser refuses this as
        // malformed.
        _ => b" HTTP/2.0\r\n",
    });
    for (name, value) in request.headers() {
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

/// An `http::Response` from a response `sockeye-handshake` wrote (a status line, header
/// lines, a blank line, the body).
fn response_of(raw: &[u8]) -> http::Response<Bytes> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match split {
        Some(at) => (&raw[..at], &raw[at + 4..]),
        None => (raw, &[][..]),
    };
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status = lines
        .next()
        .and_then(|line| line.get(9..12))
        .and_then(|code| std::str::from_utf8(code).ok()?.parse::<u16>().ok())
        .unwrap_or(500);
    let mut response = http::Response::new(Bytes::copy_from_slice(body));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let value = line[colon + 1..].trim_ascii();
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(&line[..colon]),
            http::HeaderValue::from_bytes(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &str) -> http::Request<()> {
        http::Request::get("/chat?room=1")
            .header("Host", "example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "Upgrade")
            .header("Sec-WebSocket-Key", key)
            .header("Sec-WebSocket-Version", "13")
            .header("Sec-WebSocket-Protocol", "chat")
            .header("Sec-WebSocket-Extensions", "permessage-deflate")
            .body(())
            .unwrap()
    }

    /// RFC 6455 §1.3's example key and accept value; deflate answered by the policy.
    #[test]
    fn accepts_with_the_rfc_accept_key_and_deflate() {
        let upgrade = Upgrade::new(
            &request("dGhlIHNhbXBsZSBub25jZQ=="),
            DriverConfig::default(),
        )
        .unwrap();
        assert_eq!(upgrade.request().path(), "/chat");
        let accept = Accept::new().protocol("chat").unwrap();
        let (response, accepted) = upgrade.accept(&accept).unwrap();
        assert_eq!(response.status(), 101);
        let h = response.headers();
        assert_eq!(h["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(h["sec-websocket-protocol"], "chat");
        assert_eq!(h["upgrade"], "websocket");
        let extensions = h["sec-websocket-extensions"].to_str().unwrap();
        assert!(extensions.starts_with("permessage-deflate"), "{extensions}");
        assert!(accepted.deflate().is_some());
    }

    #[test]
    fn refuses_what_accept_would_refuse() {
        let mut bad = request("dGhlIHNhbXBsZSBub25jZQ==");
        bad.headers_mut().remove("sec-websocket-version");
        let error = Upgrade::new(&bad, DriverConfig::default()).unwrap_err();
        let response = refusal(&error);
        assert!(response.status().is_client_error(), "{response:?}");
        let mut post = request("dGhlIHNhbXBsZSBub25jZQ==");
        *post.method_mut() = http::Method::POST;
        let error = Upgrade::new(&post, DriverConfig::default()).unwrap_err();
        assert_eq!(refusal(&error).status(), 405);
        let reject = Reject::new(401)
            .unwrap()
            .header("WWW-Authenticate", "Bearer")
            .unwrap();
        let response = rejection(&reject.body("log in"));
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert_eq!(response.body().as_ref(), b"log in");
    }
}
