//! Benchmarks for Sockeye.
//!
//! Criterion micro benchmarks (`cargo bench -p sockeye-benches --bench NAME`):
//!
//! - `frame`: header parse, encode, and unmasking beside a memcpy of the same size.
//! - `handshake`: parse + validate + the 101 response for a browser's request.
//! - `proto`: the receive path (parse + unmask + UTF-8 + event) beside memcpy and simdutf8.
//!
//! The end-to-end echo comparison (binaries in `src/bin/`):
//!
//! - `e2e`: starts `sockeye echo --threads 1` and the peer echo servers one at a time on
//!   CPU 0, drives each with `loadgen` on CPU 1, in rounds with the order rotated, and
//!   prints medians, per-round ratios and an SVG plot (`docs/perf/e2e-echo.svg`).
//! - `loadgen`: the load generator ([`load`], the `sockeye-load` crate): one thread on `mio`, masked frames built
//!   with `sockeye-frame`, the client handshake from `sockeye-handshake`, every echo byte
//!   checked; or a hold mode that opens idle connections and reports the server's RSS
//!   growth per connection.
//! - `echo-raw` (TCP echo on `mio`, no framing: the ceiling), `echo-tungstenite`
//!   (tokio-tungstenite, `--read-buffer BYTES`), `echo-fastws` (fastwebsockets' echo shape
//!   behind hyper's upgrade): the peers, one thread each. Over TLS: `echo-rustls` (a TLS
//!   echo on `mio` and rustls, no framing: the wss:// ceiling) and `echo-tungstenite
//!   --tls-cert --tls-key` (tokio-tungstenite over tokio-rustls).
//!
//! - `fanout --broadcast`: one publisher, 1,000 and 10,000 subscribers, against the broadcast
//!   servers `bcast-sockeye` (sockeye-server), `bcast-tungstenite` and `bcast-fastws`;
//!   `fanout --chat`: the chat example, 1 node against 3 behind HAProxy through Redis.
//! - `benches/peers/`: external peers (Node `ws`, Python `websockets`, a uWebSockets echo
//!   built outside the repository by `build-uws.sh`), given to `e2e` with `--peer` or
//!   `--plain-peer`.
//!
//! Results, with the commands that made them, are in `docs/performance.md`.

pub mod args;
pub mod tls;

/// The load generator, in its own crate so that `sockeye bench` runs it too.
pub use sockeye_load as load;
pub use sockeye_load::procfs;
