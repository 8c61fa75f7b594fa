//! Server role: plain HTTP requests beside the upgrade (a page and its assets served by
//! the same port that speaks WebSocket).
//!
//! [`RequestParser::parse_incoming`] tells the two apart once the head is complete: a
//! `GET` or `HEAD` without an `Upgrade` header is an [`HttpRequest`]; anything else is
//! checked as an opening handshake exactly as [`RequestParser::parse`] does. The head
//! went through the same scanner and the same [`Limits`](crate::Limits) either way. The
//! answer is a [`Reject`](crate::Reject) with any status (200 included), written with
//! [`Reject::write_for`](crate::Reject::write_for): a `HEAD` gets the head only. Every
//! response closes the connection (`Connection: close`): no keep-alive, so a request
//! can never be followed by bytes of another layer.
#![deny(clippy::indexing_slicing)]

use crate::headers::{Field, Headers, Span};
use crate::request::Request;
use crate::tokens::trim_ows;
use crate::{RequestError, RequestParser, Status};

/// The method of a plain [`HttpRequest`]: the two a static page needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// `GET`.
    Get,
    /// `HEAD`: the response without its body (RFC 9110 §9.3.2).
    Head,
}

/// A complete request head: an opening handshake, or a plain HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// A validated WebSocket opening handshake (§4.2.1).
    Upgrade(Request),
    /// A `GET` or `HEAD` that asks for no upgrade.
    Http(HttpRequest),
}

/// A plain HTTP/1.1 `GET` or `HEAD` request without a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    method: Method,
    headers: Headers,
    target: Span,
    path_len: usize,
}

impl RequestParser {
    /// [`parse`](Self::parse), except that a `GET` or `HEAD` without an `Upgrade` header
    /// is returned as an [`HttpRequest`] instead of refused.
    ///
    /// # Errors
    /// As [`parse`](Self::parse) for a head that is not a plain request; for a plain one,
    /// [`RequestError::Malformed`], [`RequestError::HttpVersionTooOld`],
    /// [`RequestError::InvalidTarget`], [`RequestError::UnexpectedBody`] or
    /// [`RequestError::MissingHost`].
    pub fn parse_incoming(&mut self, buf: &[u8]) -> Result<Status<Incoming>, RequestError> {
        let Some((head, lines)) = self.next_complete_head(buf)? else {
            return Ok(Status::Incomplete);
        };
        match HttpRequest::parse(head, lines)? {
            Some(http) => Ok(Status::Complete(Incoming::Http(http))),
            None => {
                Request::parse_head(head, lines).map(|r| Status::Complete(Incoming::Upgrade(r)))
            }
        }
    }
}

impl HttpRequest {
    /// The request if `head` is a plain `GET`/`HEAD` (no `Upgrade` header); `None` to
    /// check it as a handshake instead.
    fn parse(head: &[u8], header_lines: usize) -> Result<Option<Self>, RequestError> {
        let mut slots = vec![httparse::EMPTY_HEADER; header_lines];
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(head) {
            Ok(httparse::Status::Complete(n)) if n == head.len() => {}
            _ => return Err(RequestError::Malformed),
        }
        let method = match req.method {
            Some("GET") => Method::Get,
            Some("HEAD") => Method::Head,
            _ => return Ok(None),
        };
        if req
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("upgrade"))
        {
            return Ok(None);
        }
        // HTTP/1.1 only: a 1.0 client may not send Host (RFC 9112 §3.2), and nothing here
        // needs to talk to one.
        if req.version != Some(1) {
            return Err(RequestError::HttpVersionTooOld);
        }
        let target = req.path.unwrap_or_default();
        if !target.starts_with('/') {
            return Err(RequestError::InvalidTarget);
        }
        let span = |part: &[u8]| Span::of(head, part).ok_or(RequestError::Malformed);
        let target_span = span(target.as_bytes())?;
        let mut fields = Vec::with_capacity(req.headers.len());
        let (mut hosts, mut body) = (0, false);
        for h in req.headers.iter() {
            fields.push(Field {
                name: span(h.name.as_bytes())?,
                value: span(h.value)?,
            });
            if h.name.eq_ignore_ascii_case("host") && !trim_ows(h.value).is_empty() {
                hosts += 1;
            } else if h.name.eq_ignore_ascii_case("content-length") {
                body |= trim_ows(h.value) != b"0";
            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                body = true;
            }
        }
        // A body would be read as the next request: refused, the connection closes.
        if body {
            return Err(RequestError::UnexpectedBody);
        }
        // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to
        // any HTTP/1.1 request message that lacks a Host header field and to any request
        // message that contains more than one Host header field".
        match hosts {
            1 => {}
            0 => return Err(RequestError::MissingHost),
            _ => return Err(RequestError::DuplicateHeader("Host")),
        }
        let path_len = target.find('?').unwrap_or(target.len());
        Ok(Some(Self {
            method,
            headers: Headers::new(head.into(), fields),
            target: target_span,
            path_len,
        }))
    }

    /// `GET` or `HEAD`.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The request-target: path and query, e.g. `/app.js?v=2`.
    pub fn target(&self) -> &str {
        self.target.get_str(self.headers.head())
    }

    /// The path: the target up to `?` (still percent-encoded).
    pub fn path(&self) -> &str {
        self.target().get(..self.path_len).unwrap_or_default()
    }

    /// The query, after `?`, if there is one.
    pub fn query(&self) -> Option<&str> {
        self.target().get(self.path_len..)?.strip_prefix('?')
    }

    /// Every header of the request.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The bytes the request took in the buffer, through its blank line.
    pub fn head_len(&self) -> usize {
        self.headers.head().len()
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::Reject;

    fn incoming(head: &str) -> Result<Status<Incoming>, RequestError> {
        RequestParser::default().parse_incoming(head.as_bytes())
    }

    fn http(head: &str) -> HttpRequest {
        match incoming(head) {
            Ok(Status::Complete(Incoming::Http(r))) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_page_request_is_plain_http() {
        let r = http("GET /app.js?v=2 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
        assert_eq!(r.method(), Method::Get);
        assert_eq!((r.path(), r.query()), ("/app.js", Some("v=2")));
        assert_eq!(r.headers().get_str("accept"), Some("*/*"));
        let r = http("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(
            (r.method(), r.target(), r.query()),
            (Method::Head, "/", None)
        );
    }

    #[test]
    fn an_upgrade_is_still_checked_as_a_handshake() {
        let ok = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        assert!(matches!(
            incoming(ok),
            Ok(Status::Complete(Incoming::Upgrade(_)))
        ));
        // An Upgrade header makes it a handshake, whose rules then apply.
        let bad = "GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n";
        assert_eq!(incoming(bad), Err(RequestError::ConnectionNotUpgrade));
        // Other methods are not plain requests: the handshake's 405.
        let post = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(incoming(post), Err(RequestError::MethodNotAllowed));
    }

    #[test]
    fn broken_plain_requests_are_refused() {
        let cases = [
            (
                "GET / HTTP/1.0\r\nHost: a\r\n\r\n",
                RequestError::HttpVersionTooOld,
            ),
            (
                "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
                RequestError::InvalidTarget,
            ),
            ("GET / HTTP/1.1\r\n\r\n", RequestError::MissingHost),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                RequestError::DuplicateHeader("Host"),
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
                RequestError::UnexpectedBody,
            ),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                RequestError::UnexpectedBody,
            ),
        ];
        for (head, want) in cases {
            assert_eq!(incoming(head), Err(want), "{head:?}");
        }
        assert_eq!(
            incoming("GET / HTTP/1.1\r\nHost: a\r\n"),
            Ok(Status::Incomplete)
        );
    }

    #[test]
    fn the_limits_of_the_upgrade_apply() {
        let long = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
        assert_eq!(incoming(&long), Err(RequestError::LineTooLong));
    }

    #[test]
    fn a_head_request_gets_the_head_only() {
        let page = Reject::new(200)
            .unwrap()
            .header("Content-Type", "text/html")
            .unwrap()
            .body("<p>hi</p>");
        let (mut get, mut head) = (Vec::new(), Vec::new());
        page.write_for(Method::Get, &mut get);
        page.write_for(Method::Head, &mut head);
        assert!(get.ends_with(b"\r\n\r\n<p>hi</p>"));
        assert_eq!(
            &get[..get.len() - 9],
            &head[..],
            "same head, Content-Length: 9 included"
        );
        assert!(
            String::from_utf8(head)
                .unwrap()
                .contains("Content-Length: 9\r\n")
        );
    }
}
