"""Extracts what the suite's tester sent in each case from a wstest report directory, for
conformance/tests/catalog_transcripts.rs, which checks that the harness sends the same:

    python3 transcripts.py REPORT_DIR AGENT > ../expected/suite/transcripts.json

Per case (sections 1-7 and 10; the suite turns its wire log off in 9, 12 and 13):
  frames: [opcode, fin, rsv, payload length, asciiLogData(payload), chop size, sync]
          for every frame it sent (its `TF` entries; a repeated payload is expanded);
  writes: [octets, sync] for every write after the opening handshake (`TO`);
  timers: [kind, ms] for every continueLater (CT), killAfter (KL), closeAfter (TI);
  answer: how many of those writes were made before the peer's first bytes arrived
          (what comes later depends on how fast the peer answered).
The run should be against a peer that behaves (Sockeye), so that the tester's reactions
(its close, its pongs) are the ones the harness makes against the same peer in memory.
"""
import glob
import json
import os
import sys


def ascii_log_data(data, maxlen=64):
    """The suite's asciiLogData, on bytes."""
    cut = data[:maxlen]
    long = len(data) > maxlen - 4
    try:
        return cut.decode("utf8") + (" ..." if long else "")
    except UnicodeDecodeError:
        return "0x" + cut.hex() + (" ..." if long else "")


def cesu8(text):
    """UTF-8 with every code point above U+FFFF as two encoded surrogates, as Python 2
    writes what it decoded from encoded surrogates."""
    out = bytearray()
    for c in text:
        o = ord(c)
        if o > 0xFFFF:
            o -= 0x10000
            for u in (0xD800 + (o >> 10), 0xDC00 + (o & 0x3FF)):
                out += chr(u).encode("utf8", "surrogatepass")
        else:
            out += c.encode("utf8", "surrogatepass")
    return bytes(out)


def normalized(preview, length):
    """The suite's preview as strict UTF-8 would make it (and the Rust side does).

    Python 2 decodes encoded surrogates (ED A0 80 ...) as text, and the report's JSON
    turns them into code points (a pair into one above U+FFFF) or lone surrogates. Such a
    preview is turned back into its bytes — UTF-8 or, where that gives the wrong length,
    encoded surrogates — and previewed again."""
    if preview.startswith("0x") or preview.endswith(" ..."):
        return preview
    if all(ord(c) <= 0xFFFF and not 0xD800 <= ord(c) <= 0xDFFF for c in preview):
        return preview
    raw = preview.encode("utf8", "surrogatepass")
    if len(raw) != length:
        raw = cesu8(preview)
    return ascii_log_data(raw)


def unit_bytes(preview):
    """The bytes of a short `TF` payload preview (text, or 0x-hex)."""
    if preview.startswith("0x"):
        return bytes.fromhex(preview[2:])
    return preview.encode("utf8")


def case_transcript(wirelog):
    frames, writes, timers = [], [], []
    seen_to = seen_ro = False
    answer = None
    for e in wirelog:
        kind = e[0]
        if kind == "TO":
            if not seen_to:
                seen_to = True  # the opening handshake
                continue
            writes.append([e[1][0], bool(e[2])])
        elif kind == "RO":
            if seen_ro and answer is None:
                answer = len(writes)
            seen_ro = True
        elif kind == "TF":
            (length, preview), opcode, fin, rsv, _mask, repeat, chop, sync = e[1:]
            if repeat is not None:
                # sendFrame(payload=UNIT, payload_len=N): UNIT repeated to N bytes.
                unit = unit_bytes(preview)
                data = (unit * (repeat // len(unit) + 1))[:repeat]
                preview = ascii_log_data(data)
                length = repeat
            frames.append([opcode, bool(fin), rsv, length, normalized(preview, length), chop, bool(sync)])
        elif kind in ("CT", "KL", "TI"):
            timers.append([kind, int(round(e[1] * 1000))])
    if answer is None:
        answer = len(writes)
    return {"frames": frames, "writes": writes, "timers": timers, "answer": answer} if seen_ro else None


def main(report_dir, agent):
    prefix = agent.lower()
    out = {}
    for path in sorted(glob.glob(os.path.join(report_dir, f"{prefix}_case_*.json"))):
        with open(path) as f:
            case = json.load(f)
        section = int(case["id"].split(".")[0])
        if section in (9, 12, 13):
            continue
        t = case_transcript(case["wirelog"])
        if t is not None:
            out[case["id"]] = t
    ids = sorted(out, key=lambda i: [int(x) for x in i.split(".")])
    json.dump({i: out[i] for i in ids}, sys.stdout, indent=0, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
