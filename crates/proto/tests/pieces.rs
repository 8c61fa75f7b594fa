//! A frame whose payload arrives in pieces is assembled whole, wherever the pieces fall:
//! in particular after a multiple of 256 payload bytes, where the receiver's count of
//! bytes received so far (kept modulo 256) is back at zero and only its "partial" flag
//! says the rest is not a whole frame.

use sockeye_proto::test_support::{Owned, Pair, feed};

#[test]
fn payload_pieces_at_multiples_of_256_bytes_are_assembled() {
    for len in [255usize, 256, 257, 512, 600, 1024, 70_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i * 7 + i / 256) as u8).collect();
        for first in [256usize, 512, 1024, 1, 3] {
            if first >= len {
                continue;
            }
            let mut pair = Pair::new();
            let wire = pair.client_sends(|c, out| c.send_binary(&payload, out));
            // The header: 2 bytes, the extended length (2 or 8), the 4-byte mask key.
            let header = wire.len() - len;
            let seen = feed(
                &mut pair.server,
                &wire,
                &[header + first, usize::MAX],
                pair.now,
            );
            assert!(
                seen.error.is_none(),
                "{len} B cut at {first}: {:?}",
                seen.error
            );
            assert_eq!(seen.events.len(), 1, "{len} B cut at {first}");
            match &seen.events[0] {
                Owned::Binary(got) => assert!(got == &payload, "{len} B cut at {first}"),
                other => panic!("{len} B cut at {first}: {other:?}"),
            }
        }
    }
}
