#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod buffers;
mod client;
mod conn;
mod defaults;
mod error;
mod masks;
mod message;
mod sending;
mod server;
mod split;
mod stream;
mod task;
#[cfg(feature = "http")]
pub mod upgrade;

pub use client::{ClientBuilder, client_with_stream, connect};
pub use error::Error;
pub use message::{Chunk, CloseFrame, Message, Utf8Bytes};
pub use sending::Sending;
pub use server::{
    AcceptAll, Accepting, ServerHandshake, accept, accept_hdr, accept_hdr_with_config,
    accept_with_config, read_request,
};
pub use split::{ReadHalf, WriteHalf};
pub use stream::WebSocketStream;

pub use sockeye_driver::{Bytes, Closed, DeflateConfig, DriverConfig, OverflowPolicy, SharedFrame};
pub use sockeye_handshake::{Accept, Reject, Request, Response};
pub use sockeye_proto::{CloseCode, Config, MessageKind, Role};

/// The crates this one builds on, for the rest of their types.
pub use {sockeye_driver, sockeye_handshake, sockeye_proto};

/// TLS configuration types (feature `tls`): certificates from PEM files, SNI, renewal
/// ([`tls::CertStore`]), client roots and CA files, and [`tls::TlsError`].
#[cfg(feature = "tls")]
pub use sockeye_driver::tls;
