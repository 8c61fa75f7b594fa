//! Caps on the size of a handshake head, enforced before any further work.

/// The default for [`Limits::max_head_len`]: 8 KiB.
pub const DEFAULT_MAX_HEAD_LEN: usize = 8 * 1024;
/// The default for [`Limits::max_headers`]: 64.
pub const DEFAULT_MAX_HEADERS: usize = 64;
/// The default for [`Limits::max_line_len`]: 4 KiB, the per-cookie size browsers allow.
/// Raise it (and [`Limits::max_head_len`]) for applications with large `Cookie` headers.
pub const DEFAULT_MAX_LINE_LEN: usize = 4 * 1024;

/// How large a request head (server role) or response head (client role) may be.
///
/// The scanner enforces all three while it looks for the end of the head, so a peer that
/// sends an endless head costs at most [`Limits::max_head_len`] bytes of scanning before it
/// is refused (`431` for a request). Line lengths exclude the line ending.
///
/// ```
/// use sockeye_handshake::Limits;
/// let limits = Limits::new().max_head_len(16 * 1024).max_line_len(8 * 1024);
/// assert_eq!(limits.get_max_headers(), 64);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    max_head_len: usize,
    max_headers: usize,
    max_line_len: usize,
}

impl Limits {
    /// [`DEFAULT_MAX_HEAD_LEN`], [`DEFAULT_MAX_HEADERS`], [`DEFAULT_MAX_LINE_LEN`].
    pub const fn new() -> Self {
        Self {
            max_head_len: DEFAULT_MAX_HEAD_LEN,
            max_headers: DEFAULT_MAX_HEADERS,
            max_line_len: DEFAULT_MAX_LINE_LEN,
        }
    }

    /// The most bytes the head may take, request or status line through the blank line
    /// that ends it.
    #[must_use]
    pub const fn max_head_len(mut self, max: usize) -> Self {
        self.max_head_len = max;
        self
    }

    /// The most header lines (the request or status line not counted).
    #[must_use]
    pub const fn max_headers(mut self, max: usize) -> Self {
        self.max_headers = max;
        self
    }

    /// The longest line, without its line ending.
    #[must_use]
    pub const fn max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max;
        self
    }

    /// See [`Limits::max_head_len`].
    pub const fn get_max_head_len(&self) -> usize {
        self.max_head_len
    }

    /// See [`Limits::max_headers`].
    pub const fn get_max_headers(&self) -> usize {
        self.max_headers
    }

    /// See [`Limits::max_line_len`].
    pub const fn get_max_line_len(&self) -> usize {
        self.max_line_len
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}
