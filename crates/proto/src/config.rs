//! Limits and behaviour switches of a connection.

use core::time::Duration;

/// Limits and behaviour of a [`Connection`](crate::Connection), fixed at construction.
///
/// Every limit has a safe default; the defaults accept everything the Autobahn test suite
/// sends (16 MiB messages; 4 MiB in 65,537 frames: 65,536 of 64 bytes and an empty final
/// one). A peer going over a size limit fails
/// the connection with close code 1009 (§7.4.1: "a message that is too big for it to
/// process"), detected from the announced frame length before any payload byte is read.
///
/// The fields are public; start from [`Config::default`] and change what you need:
///
/// ```
/// use std::time::Duration;
/// let mut config = sockeye_proto::Config::default();
/// config.max_message_size = 1 << 20;
/// config.keepalive_interval = Some(Duration::from_secs(30));
/// assert_eq!(config.max_frame_payload, 16 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Largest payload of one received frame. Default 16 MiB.
    pub max_frame_payload: u64,
    /// Largest received message (sum of its fragments). Default 16 MiB.
    ///
    /// For a message decoded by an [`Extension`](crate::Extension) (permessage-deflate)
    /// the limit applies twice: to the announced wire bytes, from the frame headers as for
    /// any message, and to the decoded bytes as they are produced, so that a compression
    /// bomb fails (1009) having produced at most one byte more than this.
    pub max_message_size: u64,
    /// Frames one received message may have whatever their size, counting the first and
    /// every empty continuation. Default 4,096 (as Python websockets' fixed limit).
    ///
    /// Past it, every further frame must be paid for with payload: a message may have at
    /// most `fragment_allowance + payload / fragment_bytes` frames, where `payload` counts
    /// the announced lengths so far, the new frame's included. A flood of tiny or empty
    /// continuations is stopped (1009) after a few thousand frames, while a large message
    /// in many reasonable fragments passes: Autobahn's 4 MiB in 65,536 frames of 64 bytes
    /// plus an empty final one (cases 9.3.1, 9.4.1) is within the default. The work per
    /// message stays linear in its bytes, and those bytes count against
    /// [`max_message_size`](Self::max_message_size).
    pub fragment_allowance: u32,
    /// Payload bytes that earn one frame beyond [`fragment_allowance`](Self::fragment_allowance).
    /// Default 64. `0` gives no frames beyond the allowance.
    pub fragment_bytes: u32,
    /// Auto-pongs kept waiting for [`poll_transmit`](crate::Connection::poll_transmit)
    /// before further pings are answered by replacing the most recent pending pong
    /// (§5.5.3: "an endpoint MAY elect to send a Pong frame for only the most recently
    /// processed Ping frame"). Bounds the control output a flood of pings can cause.
    /// At least 1 and at most 256 are used. Default 32 (Autobahn's case 2.10 sends 10
    /// pings at once and expects 10 pongs).
    pub max_pending_pongs: u16,
    /// Answer pings automatically (default `true`). When `false` the application answers
    /// [`Event::Ping`](crate::Event::Ping) with [`Sender::pong`](crate::Sender::pong).
    pub auto_pong: bool,
    /// Frame-level streaming: deliver data as [`Event::Chunk`](crate::Event::Chunk) as it
    /// arrives instead of whole messages, so that huge messages need no buffer. A message
    /// decoded by an extension comes as chunks of its decoded bytes, at most
    /// [`STREAM_CHUNK`](crate::STREAM_CHUNK) (64 KiB) each, never assembled. Default
    /// `false`.
    pub streaming: bool,
    /// Largest payload of one frame this side sends: longer messages given to
    /// [`Sender::send_text`](crate::Sender::send_text) and
    /// [`Sender::send_binary`](crate::Sender::send_binary) are fragmented (§5.4). `0`
    /// (the default) sends every message as a single frame.
    pub max_send_frame: usize,
    /// How long to wait for the peer's close frame after sending ours, and (client) for
    /// the server to close TCP after the close handshake (§7.1.1). Default 5 s.
    pub close_timeout: Duration,
    /// Keepalive: after this long without receiving anything, send a ping. `None` (the
    /// default) turns keepalive off. The check is coarse: the ping goes out between one
    /// and two intervals after the last received byte.
    pub keepalive_interval: Option<Duration>,
    /// Keepalive: after a keepalive ping, fail the connection if nothing at all (pong or
    /// any other frame) arrives within this time. Default 10 s.
    pub keepalive_timeout: Duration,
}

impl Config {
    /// 16 MiB.
    pub const DEFAULT_MAX_FRAME_PAYLOAD: u64 = 16 << 20;
    /// 16 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 16 << 20;
    /// 4,096.
    pub const DEFAULT_FRAGMENT_ALLOWANCE: u32 = 4096;
    /// 64 bytes.
    pub const DEFAULT_FRAGMENT_BYTES: u32 = 64;
    /// 32.
    pub const DEFAULT_MAX_PENDING_PONGS: u16 = 32;
    /// 5 seconds.
    pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
    /// 10 seconds.
    pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

    /// The defaults listed on each field.
    pub const fn new() -> Self {
        Self {
            max_frame_payload: Self::DEFAULT_MAX_FRAME_PAYLOAD,
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            fragment_allowance: Self::DEFAULT_FRAGMENT_ALLOWANCE,
            fragment_bytes: Self::DEFAULT_FRAGMENT_BYTES,
            max_pending_pongs: Self::DEFAULT_MAX_PENDING_PONGS,
            auto_pong: true,
            streaming: false,
            max_send_frame: 0,
            close_timeout: Self::DEFAULT_CLOSE_TIMEOUT,
            keepalive_interval: None,
            keepalive_timeout: Self::DEFAULT_KEEPALIVE_TIMEOUT,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}
