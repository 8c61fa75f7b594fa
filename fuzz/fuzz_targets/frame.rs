#![no_main]
//! Placeholder replaced below in the same commit series.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sockeye_frame::parse_header(data, &sockeye_frame::ParseConfig::new());
});
