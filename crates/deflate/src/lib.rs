#![doc = include_str!("../README.md")]
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
