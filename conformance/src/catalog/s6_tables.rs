//! The suite's UTF-8 test sequences for 6.5–6.23 (`case6_x_x.py`,
//! `createUtf8TestSequences`, after Markus Kuhn's UTF-8 decoder stress test), group by
//! group in the suite's order, each entry with the suite's own validity flag.

/// "κόσμε".
pub(super) const KOSME: &[u8] = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";

/// One group: its title and (valid, bytes) entries.
pub(super) type Group = (&'static str, Vec<(bool, Vec<u8>)>);

fn all(valid: bool, items: &[&[u8]]) -> Vec<(bool, Vec<u8>)> {
    items.iter().map(|b| (valid, b.to_vec())).collect()
}

/// The 19 groups (6.5 … 6.23).
pub(super) fn groups() -> Vec<Group> {
    let mut g: Vec<Group> = Vec::new();
    g.push((
        "Some valid UTF-8 sequences",
        all(
            true,
            &[
                b"hello\x24world",
                b"hello\xc2\xa2world",
                b"hello\xe2\x82\xacworld",
                b"hello\xf0\xa4\xad\xa2world",
                KOSME,
            ],
        ),
    ));
    // Valid exactly when the prefix is UTF-8 ending on a code point, as the suite's
    // validator says (`res[0] and res[1]`).
    g.push((
        "All prefixes of a valid UTF-8 string that contains multi-byte code points",
        (1..=KOSME.len())
            .map(|i| {
                (
                    core::str::from_utf8(&KOSME[..i]).is_ok(),
                    KOSME[..i].to_vec(),
                )
            })
            .collect(),
    ));
    g.push((
        "First possible sequence of a certain length",
        all(
            true,
            &[b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"],
        ),
    ));
    g.push((
        "First possible sequence length 5/6 (invalid codepoints)",
        all(
            false,
            &[b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"],
        ),
    ));
    g.push((
        "Last possible sequence of a certain length",
        all(
            true,
            &[b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"],
        ),
    ));
    g.push((
        "Last possible sequence length 4/5/6 (invalid codepoints)",
        all(
            false,
            &[
                b"\xf7\xbf\xbf\xbf",
                b"\xfb\xbf\xbf\xbf\xbf",
                b"\xfd\xbf\xbf\xbf\xbf\xbf",
            ],
        ),
    ));
    let mut boundary = all(
        true,
        &[
            b"\xed\x9f\xbf",
            b"\xee\x80\x80",
            b"\xef\xbf\xbd",
            b"\xf4\x8f\xbf\xbf",
        ],
    );
    boundary.push((false, b"\xf4\x90\x80\x80".to_vec()));
    g.push(("Other boundary conditions", boundary));
    let mut cont = all(
        false,
        &[
            b"\x80",
            b"\xbf",
            b"\x80\xbf",
            b"\x80\xbf\x80",
            b"\x80\xbf\x80\xbf",
            b"\x80\xbf\x80\xbf\x80",
            b"\x80\xbf\x80\xbf\x80\xbf",
        ],
    );
    // `xrange(0x80, 0xbf)`: 0xbf itself is not included.
    cont.push((false, (0x80..0xbf).collect()));
    g.push(("Unexpected continuation bytes", cont));
    // `xrange(lo, hi)` with each byte followed by a space: `hi` not included.
    let lonely = [
        (0xc0u8, 0xdfu8),
        (0xe0, 0xef),
        (0xf0, 0xf7),
        (0xf8, 0xfb),
        (0xfc, 0xfd),
    ]
    .iter()
    .map(|(lo, hi)| (false, (*lo..*hi).flat_map(|b| [b, 0x20]).collect()))
    .collect();
    g.push(("Lonely start characters", lonely));
    let missing: [&[u8]; 10] = [
        b"\xc0",
        b"\xe0\x80",
        b"\xf0\x80\x80",
        b"\xf8\x80\x80\x80",
        b"\xfc\x80\x80\x80\x80",
        b"\xdf",
        b"\xef\xbf",
        b"\xf7\xbf\xbf",
        b"\xfb\xbf\xbf\xbf",
        b"\xfd\xbf\xbf\xbf\xbf",
    ];
    g.push((
        "Sequences with last continuation byte missing",
        all(false, &missing),
    ));
    g.push((
        "Concatenation of incomplete sequences",
        vec![(false, missing.concat())],
    ));
    g.push((
        "Impossible bytes",
        all(false, &[b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"]),
    ));
    g.push((
        "Examples of an overlong ASCII character",
        all(
            false,
            &[
                b"\xc0\xaf",
                b"\xe0\x80\xaf",
                b"\xf0\x80\x80\xaf",
                b"\xf8\x80\x80\x80\xaf",
                b"\xfc\x80\x80\x80\x80\xaf",
            ],
        ),
    ));
    g.push((
        "Maximum overlong sequences",
        all(
            false,
            &[
                b"\xc1\xbf",
                b"\xe0\x9f\xbf",
                b"\xf0\x8f\xbf\xbf",
                b"\xf8\x87\xbf\xbf\xbf",
                b"\xfc\x83\xbf\xbf\xbf\xbf",
            ],
        ),
    ));
    g.push((
        "Overlong representation of the NUL character",
        all(
            false,
            &[
                b"\xc0\x80",
                b"\xe0\x80\x80",
                b"\xf0\x80\x80\x80",
                b"\xf8\x80\x80\x80\x80",
                b"\xfc\x80\x80\x80\x80\x80",
            ],
        ),
    ));
    let singles: [&[u8]; 7] = [
        b"\xed\xa0\x80",
        b"\xed\xad\xbf",
        b"\xed\xae\x80",
        b"\xed\xaf\xbf",
        b"\xed\xb0\x80",
        b"\xed\xbe\x80",
        b"\xed\xbf\xbf",
    ];
    g.push(("Single UTF-16 surrogates", all(false, &singles)));
    let mut pairs = Vec::new();
    for hi in &singles[..4] {
        for lo in [&b"\xed\xb0\x80"[..], b"\xed\xbf\xbf"] {
            pairs.push((false, [*hi, lo].concat()));
        }
    }
    g.push(("Paired UTF-16 surrogates", pairs));
    let mut nonchars = all(true, &[b"\xef\xbf\xbe", b"\xef\xbf\xbf"]);
    for z1 in [0xf0u8, 0xf1, 0xf2, 0xf3, 0xf4] {
        for z2 in [0x8fu8, 0x9f, 0xaf, 0xbf] {
            if z1 == 0xf4 && z2 != 0x8f {
                continue; // beyond U+10FFFF
            }
            for z3 in [0xbeu8, 0xbf] {
                let zz = vec![z1, z2, 0xbf, z3];
                if zz[..3] != [0xf0, 0x8f, 0xbf] {
                    nonchars.push((true, zz)); // the overlong F0 8F BF BE/BF left out
                }
            }
        }
    }
    g.push(("Non-character code points (valid UTF-8)", nonchars));
    g.push((
        "Unicode specials (i.e. replacement char)",
        (0xb9u8..=0xbf)
            .map(|b| (true, vec![0xef, 0xbf, b]))
            .collect(),
    ));
    g
}
