//! # sockeye-deflate
//!
//! RFC 7692 permessage-deflate for [`sockeye_proto`]: the [`PerMessageDeflate`]
//! extension, built from the [`DeflateParams`](sockeye_handshake::DeflateParams) that
//! `sockeye-handshake` negotiated, installed with
//! [`Connection::with_extension`](sockeye_proto::Connection::with_extension).
//!
//! - **Receiving** (§7.2.2): payload is inflated as it arrives, never past the bound
//!   `sockeye-proto` gives per call (the message budget plus one, 64 KiB chunks in
//!   streaming mode), growing the output by at most 32 KiB per step and never by a length
//!   the peer announced. A 1 MiB bomb that would inflate to 1 GiB costs at most the
//!   message limit. Corrupt data fails the connection with 1007.
//! - **Sending** (§7.2.1): compress, sync-flush, drop the trailing `00 00 ff ff`; the
//!   context taken over between messages unless `*_no_context_takeover` says otherwise.
//!   Messages under [`DeflateOptions::threshold`] go out uncompressed.
//! - **Windows** 8..=15 bits both ways; 8 bits (which zlib cannot do) by a 9-bit
//!   compressor flushed every 256 bytes ([`compress`](crate) module docs).
//! - **Memory modes** ([`Memory`], [`SharedCompressor`]): from full zlib states per
//!   connection to none at all while idle. Measured figures: `docs/compression.md`.
//! - **Broadcast**: [`Precompressed`] compresses once for many connections, with the rule
//!   for which connections may receive it.
//!
//! ```
//! use std::time::Instant;
//! use sockeye_deflate::{DeflateOptions, PerMessageDeflate};
//! use sockeye_handshake::{DeflateClientPolicy, DeflateServerPolicy, negotiate_deflate};
//! use sockeye_proto::{Config, Connection, Role, test_support::{CounterMasks, feed, Owned}};
//!
//! // Negotiation (normally inside the HTTP upgrade).
//! let client_policy = DeflateClientPolicy::new();
//! let (params, answer) = negotiate_deflate(&[client_policy.offer()], &DeflateServerPolicy::new()).unwrap();
//! let client_params = client_policy.accept_response(&[answer])?.unwrap();
//!
//! let now = Instant::now();
//! let mut server = Connection::server(Config::default(), now)
//!     .with_extension(Box::new(PerMessageDeflate::new(Role::Server, params, DeflateOptions::new())));
//! let mut client = Connection::client(Config::default(), Box::new(CounterMasks::default()), now)
//!     .with_extension(Box::new(PerMessageDeflate::new(Role::Client, client_params, DeflateOptions::new())));
//!
//! let text = "a message long enough to be worth compressing, compressing, compressing";
//! let mut wire = Vec::new();
//! client.send_text(text, &mut wire)?;
//! assert!(wire.len() < text.len());
//! let seen = feed(&mut server, &wire, &[7], now);
//! assert_eq!(seen.events, [Owned::Text(text.into())]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Why flate2 on zlib-rs
//!
//! permessage-deflate needs raw DEFLATE with chosen window sizes (the negotiated
//! `*_max_window_bits`), sync and full flushes, and resets that keep the window size:
//! zlib's API. flate2 exposes it; its `zlib-rs` backend is zlib in pure Rust (no C
//! toolchain, no FFI), with zlib's output and performance. miniz_oxide, flate2's default,
//! only does 15-bit windows; C zlib or zlib-ng would bring a C build for the same API.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod broadcast;
mod compress;
mod extension;
mod inflate;
mod options;
mod shared;

pub use broadcast::Precompressed;
pub use extension::PerMessageDeflate;
pub use options::{DeflateOptions, Memory};
pub use shared::SharedCompressor;
