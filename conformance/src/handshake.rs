//! The tester's opening handshake in both roles, over any [`Transport`], with the
//! suite's extension rules (`deflate_case`): as a client it offers what the case offers
//! (sections 12 and 13) and takes the server's answer as the suite would; as a server it
//! answers the client's offers with the case's accept function (none outside 12 and 13).

use std::time::Duration;

use sockeye_handshake::{
    Accept, ClientRequest, DeflateParams, Outcome, Request, RequestParser, Status, WsUrl,
    is_permessage_deflate,
};

use crate::deflate_case::{self, ParamSet};
use crate::transport::{Incoming, Transport};

/// A connection whose opening handshake completed.
#[derive(Debug, Clone, Default)]
pub struct Opened {
    /// permessage-deflate in force, if negotiated.
    pub deflate: Option<DeflateParams>,
    /// The `Sec-WebSocket-Extensions` element in force, as sent.
    pub extension: Option<String>,
    /// The server's `Server` header (client role).
    pub server: Option<String>,
    /// Bytes that came after the head: the peer's first frames.
    pub leftover: Vec<u8>,
}

/// Reads until `parse` completes or `timeout` (the suite's `openHandshakeTimeout`) passes.
fn read_head<T>(
    t: &mut dyn Transport,
    timeout: Duration,
    buf: &mut Vec<u8>,
    mut parse: impl FnMut(&[u8]) -> Result<Option<T>, String>,
) -> Result<T, String> {
    let deadline = t.now() + timeout;
    loop {
        if let Some(done) = parse(buf)? {
            return Ok(done);
        }
        let left = deadline.saturating_duration_since(t.now());
        if left.is_zero() {
            return Err("peer did not finish (in time) the opening handshake".into());
        }
        match t.recv(left) {
            Incoming::Data(d) => buf.extend_from_slice(&d),
            Incoming::Eof => {
                return Err("the connection closed during the opening handshake".into());
            }
            Incoming::Timeout => {}
        }
    }
}

/// Client role: sends the request for `url` with `offers` (the case's deflate parameter
/// set, if any) and checks the response.
///
/// # Errors
/// Why the handshake failed (the suite then reports FAILED / FAILED).
pub fn client(
    t: &mut dyn Transport,
    url: &WsUrl,
    offers: Option<ParamSet>,
    nonce: [u8; 16],
    timeout: Duration,
) -> Result<Opened, String> {
    let mut request = ClientRequest::new(url, nonce);
    for ext in offers.map(deflate_case::client_offers).unwrap_or_default() {
        request = request.extension(ext);
    }
    let mut out = Vec::new();
    let mut handshake = request.write(&mut out);
    t.send(&out)?;
    let mut buf = Vec::new();
    let outcome = read_head(t, timeout, &mut buf, |b| {
        match handshake.parse_response(b) {
            Ok(Status::Complete(o)) => Ok(Some(o)),
            Ok(Status::Incomplete) => Ok(None),
            Err(e) => Err(format!("bad opening handshake response: {e}")),
        }
    })?;
    let accepted = match outcome {
        Outcome::Accepted(a) => a,
        Outcome::Rejected(r) => {
            return Err(format!(
                "WebSocket connection upgrade failed ({} - {})",
                r.status(),
                r.reason()
            ));
        }
    };
    let deflate = deflate_case::client_accept_response(accepted.extensions())?;
    Ok(Opened {
        deflate,
        extension: accepted.extensions().first().map(ToString::to_string),
        server: accepted
            .response()
            .headers()
            .get_str("server")
            .map(str::to_owned),
        leftover: buf[accepted.head_len()..].to_vec(),
    })
}

/// Server role: reads the client's request (the fuzzing server reads it itself, to pick
/// the case from the path). Returns it and the bytes after it.
///
/// # Errors
/// A malformed request (a 400 was written), a timeout, a closed connection.
pub fn read_request(
    t: &mut dyn Transport,
    timeout: Duration,
) -> Result<(Request, Vec<u8>), String> {
    let mut parser = RequestParser::default();
    let mut buf = Vec::new();
    let mut refusal = Vec::new();
    let request = read_head(t, timeout, &mut buf, |b| match parser.parse(b) {
        Ok(Status::Complete(r)) => Ok(Some(r)),
        Ok(Status::Incomplete) => Ok(None),
        Err(e) => {
            e.write_response(&mut refusal);
            Err(format!("bad opening handshake request: {e}"))
        }
    });
    match request {
        Ok(r) => {
            let rest = buf[r.head_len()..].to_vec();
            Ok((r, rest))
        }
        Err(e) => {
            if !refusal.is_empty() {
                let _ = t.send(&refusal);
            }
            Err(e)
        }
    }
}

/// Server role: answers `request` (followed by `leftover`, the client's first bytes)
/// with `101`, accepting permessage-deflate with the case's
/// accept function `params` (none: nothing is accepted, as outside sections 12 and 13).
/// Every permessage-deflate offer is parsed with the suite's rules first; one it refuses
/// fails the handshake with 400, as the suite does.
///
/// # Errors
/// Why the handshake failed.
pub fn server(
    t: &mut dyn Transport,
    request: &Request,
    leftover: &[u8],
    params: Option<ParamSet>,
) -> Result<Opened, String> {
    let mut offers = Vec::new();
    for ext in request
        .extensions()
        .iter()
        .filter(|e| is_permessage_deflate(e))
    {
        match deflate_case::parse_offer(ext) {
            Ok(o) => offers.push(o),
            Err(e) => {
                let _ = t.send(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
                return Err(e);
            }
        }
    }
    let agreed = params.and_then(|p| deflate_case::server_accept(p, &offers));
    let mut accept = Accept::new();
    if let Some((_, ext)) = &agreed {
        accept = accept.extension(ext.clone());
    }
    let mut out = Vec::new();
    request
        .accept_with(&accept, &mut out)
        .map_err(|e| format!("cannot accept: {e}"))?;
    t.send(&out)?;
    Ok(Opened {
        extension: agreed.as_ref().map(|(_, e)| e.to_string()),
        deflate: agreed.map(|(p, _)| p),
        server: None,
        leftover: leftover.to_vec(),
    })
}

/// The nonce for a client request, from the case's seed.
pub fn nonce(seed: u64) -> [u8; 16] {
    let mut rng =
        <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(seed ^ 0x6e6f_6e63_6521);
    let mut n = [0u8; 16];
    n[..8].copy_from_slice(&rand::RngExt::random::<u64>(&mut rng).to_be_bytes());
    n[8..].copy_from_slice(&rand::RngExt::random::<u64>(&mut rng).to_be_bytes());
    n
}
