//! Interop: our server and client against WebSocket implementations no one here wrote —
//! the Python `websockets` client, the Node `ws` client and server, headless Chromium,
//! over `ws://` and over `wss://` (a CA made for the run, see `pki.rs`).
//!
//! The peers are installed by `bash .ci/interop-setup.sh` (under `target/interop`, and
//! Debian's `chromium`). A test whose peer is missing prints a notice and passes, unless
//! the environment variable `CI` is `true`: then it fails. See `docs/interop.md`.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr
)]

mod apps;
mod chromium;
mod deflate;
mod node;
mod pki;
mod python;
mod support;
