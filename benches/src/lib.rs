//! Benchmarks for Sockeye.
//!
//! - `cargo bench -p sockeye-benches --bench frame`: header parse, encode, and unmasking
//!   beside a memcpy of the same size (criterion).
//!
//! Results, with the commands that made them, are in `docs/performance.md`.
