#![doc = include_str!("../README.md")]
//!
//! ## Receiving: the loop a connection layer runs
//!
//! ```
//! use sockeye_frame::{apply_mask, parse_header, OpCode, ParseConfig, Status};
//!
//! // Bytes as a client sent them (RFC 6455 §5.7): "Hel" then "lo", masked.
//! let mut wire = vec![
//!     0x01, 0x83, 0x01, 0x02, 0x03, 0x04, b'H' ^ 1, b'e' ^ 2, b'l' ^ 3,
//!     0x80, 0x82, 0x05, 0x06, 0x07, 0x08, b'l' ^ 5, b'o' ^ 6,
//! ];
//! let config = ParseConfig::new().max_payload_len(1 << 20);
//! let mut message = Vec::new();
//! let mut at = 0;
//! loop {
//!     let header = match parse_header(&wire[at..], &config)? {
//!         Status::Complete(header) => header,
//!         Status::Incomplete(_) => break, // read more bytes from the socket
//!     };
//!     // A server requires a mask (§5.1); a client requires none.
//!     let key = header.mask().expect("client frames are masked");
//!     let start = at + header.len();
//!     let end = start + header.payload_len() as usize; // checked against the limit
//!     let payload = &mut wire[start..end]; // (a real loop waits until it is all here)
//!     apply_mask(payload, key, 0);
//!     message.extend_from_slice(payload);
//!     at = end;
//!     if header.fin() && header.opcode() != OpCode::Ping {
//!         break;
//!     }
//! }
//! assert_eq!(message, b"Hello");
//! # Ok::<(), sockeye_frame::Error>(())
//! ```
//!
//! ## Sending
//!
//! ```
//! use sockeye_frame::{apply_mask, CloseCode, ControlFrame, FrameHeader, OpCode, Rsv};
//!
//! let mut out = Vec::new();
//! let payload = b"Hello";
//! let key = [0x37, 0xfa, 0x21, 0x3d]; // from a good random source (§5.3, §10.3)
//! let header = FrameHeader::new(true, Rsv::NONE, OpCode::Text, Some(key), 5)?;
//! out.extend_from_slice(&header.encode());
//! let at = out.len();
//! out.extend_from_slice(payload);
//! apply_mask(&mut out[at..], key, 0);
//! assert_eq!(out, [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
//!
//! out.extend_from_slice(&ControlFrame::close(CloseCode::NORMAL, "done", Some(key))?);
//! # Ok::<(), sockeye_frame::Error>(())
//! ```
//!
//! ## Features
//! - `std` (default): runtime CPU detection for the AVX2 masking path on x86-64. Without
//!   it the crate is `no_std` and masking uses the portable loop (which the compiler still
//!   vectorises with SSE2 on x86-64).
#![no_std]
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

#[cfg(any(feature = "std", test))]
extern crate std;

mod close;
mod control;
mod error;
mod header;
mod mask;
mod opcode;
mod parse;
mod rsv;
#[cfg(all(feature = "std", target_arch = "x86_64"))]
mod simd;

pub use close::{CloseBody, CloseCode, parse_close_payload};
pub use control::{ControlFrame, MAX_CLOSE_REASON_LEN, MAX_CONTROL_FRAME_LEN, truncate_reason};
pub use error::Error;
pub use header::{
    FrameHeader, HeaderBytes, MAX_CONTROL_PAYLOAD_LEN, MAX_HEADER_LEN, MAX_PAYLOAD_LEN,
};
pub use mask::apply_mask;
pub use opcode::OpCode;
pub use parse::{DEFAULT_MAX_PAYLOAD_LEN, ParseConfig, Status, parse_header};
pub use rsv::Rsv;
