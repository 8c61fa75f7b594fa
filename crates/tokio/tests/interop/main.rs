//! Peers no one here wrote against the tokio server: the Python `websockets` client, the
//! Node `ws` client, and headless Chromium. Each test skips with a notice when its peer
//! is not installed (`bash .ci/interop-setup.sh`), and fails then under `CI=true`.

#![allow(clippy::print_stderr, unreachable_pub)]

mod chromium;
mod node;
mod python;
mod support;
