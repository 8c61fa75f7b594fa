//! The `Origin` allow-list (RFC 6455 §10.2).

use crate::{Request, RequestError};

/// The origins a server accepts connections from.
///
/// §10.2: servers that are not meant to serve any web page "SHOULD verify the |Origin|
/// field is an origin they expect. If the origin indicated is unacceptable to the server,
/// then it SHOULD respond to the WebSocket handshake with a reply containing HTTP 403
/// Forbidden status code." Browsers always send `Origin`; other clients usually do not,
/// and are not the threat §10.2 is about, so whether a missing `Origin` passes is the
/// caller's choice ([`OriginAllowList::allow_missing`], off by default). Origins are
/// compared ASCII case-insensitively (scheme and host are case-insensitive, RFC 6454 §4).
///
/// ```
/// use sockeye_handshake::{OriginAllowList, RequestError, RequestParser, Status};
/// let allow = OriginAllowList::new(["https://example.com", "https://app.example.com:8443"]);
/// let buf = b"GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///     Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n";
/// let Status::Complete(request) = RequestParser::default().parse(buf)? else { unreachable!() };
/// let refused = allow.check(&request).unwrap_err();
/// assert_eq!(refused, RequestError::OriginNotAllowed);
/// assert_eq!(refused.status(), 403);
/// # Ok::<(), RequestError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OriginAllowList {
    origins: Vec<String>,
    allow_missing: bool,
}

impl OriginAllowList {
    /// Allows exactly `origins` (serialized origins such as `https://example.com`,
    /// with a port only if it is not the scheme's default).
    pub fn new<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            origins: origins.into_iter().map(Into::into).collect(),
            allow_missing: false,
        }
    }

    /// Whether a request without `Origin` (a non-browser client) passes.
    #[must_use]
    pub fn allow_missing(mut self, allow: bool) -> Self {
        self.allow_missing = allow;
        self
    }

    /// Whether `origin` (the header's value, if any) is allowed.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        match origin {
            None => self.allow_missing,
            Some(origin) => self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }

    /// `Ok` if the request's origin is allowed, else [`RequestError::OriginNotAllowed`],
    /// whose [`response`](RequestError::write_response) is `403 Forbidden`.
    pub fn check(&self, request: &Request) -> Result<(), RequestError> {
        if self.allows(request.origin()) {
            Ok(())
        } else {
            Err(RequestError::OriginNotAllowed)
        }
    }
}
