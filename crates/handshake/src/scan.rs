//! The incremental end-of-head finder.
//!
//! The caller keeps the bytes received so far in its own buffer and passes the whole
//! buffer on every call. The scanner remembers how far it looked, so every byte is
//! examined once however the bytes arrive — no quadratic re-scanning of a growing head
//! (tungstenite's CVE-2023-43669). On the way it enforces the caps of [`Limits`]; it never
//! looks past [`Limits::max_head_len`] bytes.
//!
//! A line ends at LF; a CR before it belongs to the line ending (RFC 7230 §3.5 lets a
//! recipient accept a bare LF, and httparse does). Empty lines before the first line are
//! skipped (RFC 7230 §3.5: a server "SHOULD ignore at least one empty line"). The head
//! ends at the first empty line after a non-empty one.
#![deny(clippy::indexing_slicing)]

use crate::Limits;

/// The result of a parse that may need more bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<T> {
    /// The head is complete; here is the result.
    Complete(T),
    /// The head has not ended yet: append more bytes to the buffer and call again.
    Incomplete,
}

impl<T> Status<T> {
    /// The complete result through `f`; `Incomplete` stays so.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Status<U> {
        match self {
            Self::Complete(t) => Status::Complete(f(t)),
            Self::Incomplete => Status::Incomplete,
        }
    }
}

/// A cap the scanner enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScanError {
    HeadTooLarge,
    TooManyHeaders,
    LineTooLong,
}

/// Where the head ends, found by [`Scanner::scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadEnd {
    /// Bytes in the head, through the blank line's LF.
    pub(crate) len: usize,
    /// Header lines counted (an upper bound of the headers httparse will find).
    pub(crate) header_lines: usize,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Scanner {
    /// Bytes of the caller's buffer already examined.
    pos: usize,
    /// Start of the line being scanned.
    line_start: usize,
    /// Non-empty lines ended so far (request or status line included).
    lines: usize,
    /// Work counter: bytes examined, over the scanner's whole life.
    scanned: u64,
}

impl Scanner {
    /// Forgets the position (not the work counter), ready for a new head.
    pub(crate) fn reset(&mut self) {
        self.pos = 0;
        self.line_start = 0;
        self.lines = 0;
    }

    /// Bytes examined so far, by this scanner and the parse that follows it.
    pub(crate) fn bytes_scanned(&self) -> u64 {
        self.scanned
    }

    /// Counts `n` bytes of work done by someone else on this head (the httparse pass).
    pub(crate) fn count(&mut self, n: usize) {
        self.scanned = self.scanned.saturating_add(n as u64);
    }

    /// Scans for the end of the head in `buf` (the whole buffer so far) and, once it is
    /// found or a limit is broken, resets for the next head. On success returns the head
    /// (through the blank line) and the number of header lines; the final parse's pass
    /// over the head is counted in [`bytes_scanned`](Self::bytes_scanned).
    pub(crate) fn next_head<'b>(
        &mut self,
        buf: &'b [u8],
        limits: &Limits,
    ) -> Result<Option<(&'b [u8], usize)>, ScanError> {
        let end = match self.scan(buf, limits) {
            Ok(Some(end)) => end,
            Ok(None) => return Ok(None),
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        self.reset();
        self.count(end.len);
        // `scan` only reports an end inside `buf`; an empty head is impossible.
        Ok(buf.get(..end.len).map(|head| (head, end.header_lines)))
    }

    /// Looks at the bytes of `buf` not yet examined. `buf` must be the buffer of the
    /// previous call with bytes appended; a shorter buffer restarts the scan.
    pub(crate) fn scan(
        &mut self,
        buf: &[u8],
        limits: &Limits,
    ) -> Result<Option<HeadEnd>, ScanError> {
        if buf.len() < self.pos {
            self.reset();
        }
        let limit = buf.len().min(limits.get_max_head_len());
        let window = buf.get(..limit).unwrap_or_default();
        while let Some(rest) = window.get(self.pos..) {
            let Some(at) = find_lf(rest) else {
                self.count(rest.len());
                self.pos = limit;
                break;
            };
            self.count(at + 1);
            let lf = self.pos + at;
            let line = window.get(self.line_start..lf).unwrap_or_default();
            let content = line.strip_suffix(b"\r").unwrap_or(line);
            self.pos = lf + 1;
            self.line_start = lf + 1;
            if content.len() > limits.get_max_line_len() {
                return Err(ScanError::LineTooLong);
            }
            if content.is_empty() {
                if self.lines == 0 {
                    continue; // an empty line before the request line
                }
                return Ok(Some(HeadEnd {
                    len: lf + 1,
                    header_lines: self.lines - 1,
                }));
            }
            self.lines += 1;
            if self.lines - 1 > limits.get_max_headers() {
                return Err(ScanError::TooManyHeaders);
            }
        }
        // The line in progress: it cannot end within the cap if it is already too long
        // (one byte of slack for a CR that may be followed by LF).
        if limit - self.line_start.min(limit) > limits.get_max_line_len().saturating_add(1) {
            return Err(ScanError::LineTooLong);
        }
        if limit >= limits.get_max_head_len() {
            return Err(ScanError::HeadTooLarge);
        }
        Ok(None)
    }
}

/// The index of the first LF in `hay`, eight bytes at a time.
fn find_lf(hay: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        if let Some(bytes) = chunk.first_chunk::<8>() {
            let x = u64::from_le_bytes(*bytes) ^ LF;
            // A zero byte of x is an LF; the lowest set bit marks the first one (bits set
            // above a zero byte by the borrow never come before it).
            let zero = x.wrapping_sub(ONES) & !x & HIGH;
            if zero != 0 {
                return Some(base + (zero.trailing_zeros() / 8) as usize);
            }
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|at| base + at)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn find_lf_matches_naive(hay in proptest::collection::vec(
            prop_oneof![Just(b'\n'), Just(b'\r'), Just(0x8a_u8), any::<u8>()], 0..40)) {
            prop_assert_eq!(find_lf(&hay), hay.iter().position(|&b| b == b'\n'));
        }
    }

    #[test]
    fn finds_end_across_pieces() {
        let head = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        let mut scanner = Scanner::default();
        let limits = Limits::new();
        for len in 0..head.len() {
            let got = scanner.scan(&head[..len], &limits).unwrap();
            if len < 27 {
                assert_eq!(got, None, "at {len}");
            } else {
                assert_eq!(
                    got,
                    Some(HeadEnd {
                        len: 27,
                        header_lines: 1
                    })
                );
                break;
            }
        }
        assert!(scanner.bytes_scanned() <= head.len() as u64);
    }

    #[test]
    fn skips_leading_empty_lines_and_accepts_bare_lf() {
        let mut scanner = Scanner::default();
        let got = scanner.scan(b"\r\n\nGET / HTTP/1.1\nA: b\n\n", &Limits::new());
        assert_eq!(
            got,
            Ok(Some(HeadEnd {
                len: 24,
                header_lines: 1
            }))
        );
    }

    #[test]
    fn caps() {
        let limits = Limits::new()
            .max_head_len(64)
            .max_headers(2)
            .max_line_len(10);
        let scan = |buf: &[u8]| Scanner::default().scan(buf, &limits);
        assert_eq!(scan(b"GET / HTTP/1.1\r\n"), Err(ScanError::LineTooLong));
        assert_eq!(scan(b"0123456789\r"), Ok(None));
        assert_eq!(scan(b"0123456789ab"), Err(ScanError::LineTooLong));
        assert_eq!(
            scan(b"a\r\nb\r\nc\r\nd\r\n"),
            Err(ScanError::TooManyHeaders)
        );
        assert_eq!(scan(&[b'\n'; 64]), Err(ScanError::HeadTooLarge));
        assert_eq!(scan(&[b'\n'; 63]), Ok(None));
    }
}
