"""The Python `websockets` client against the tokio server (python.rs).

Usage: python websockets_client.py ws://127.0.0.1:PORT SIZES
Does every exchange and prints one JSON object (the last stdout line) for the Rust test
to assert on; a mismatch is reported, never asserted here.
"""

import asyncio
import json
import sys
import time

import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

URL = sys.argv[1]
SIZES = [int(s) for s in sys.argv[2].split(",")]
STEP = 10


def describe(sent, got):
    size = lambda m: len(m.encode()) if isinstance(m, str) else len(m)
    kind = lambda m: "text" if isinstance(m, str) else "binary"
    return {"kind": kind(sent), "len": size(sent), "got_kind": kind(got),
            "got_len": size(got), "equal": sent == got}


async def roundtrip(ws, message):
    await asyncio.wait_for(ws.send(message), STEP)
    return await asyncio.wait_for(ws.recv(), STEP)


async def main():
    result = {"websockets": websockets.__version__}
    async with connect(URL + "/python", subprotocols=["chat"], max_size=None,
                       open_timeout=STEP, close_timeout=STEP, ping_interval=None) as ws:
        result["subprotocol"] = ws.subprotocol
        result["extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions")
        echoes = []
        for n in SIZES:
            for message in ("".join(chr(97 + i % 26) for i in range(n)), bytes(i % 251 for i in range(n))):
                echoes.append(describe(message, await roundtrip(ws, message)))
        for message in ("ünïcødé 🦀 — 日本語", "é🦀" * 100_000):
            echoes.append(describe(message, await roundtrip(ws, message)))
        result["echoes"] = echoes
        # One frame per item: a fragmented message comes back whole.
        await asyncio.wait_for(ws.send(["Hel", "", "lo, ", "frag", "ments"]), STEP)
        result["fragmented"] = await asyncio.wait_for(ws.recv(), STEP)
        pong = await ws.ping(b"python-ping")
        result["ping_answered"] = await asyncio.wait_for(pong, STEP) is not None
        # The server pings; websockets answers; the server reports the pong's payload.
        result["server_ping"] = await roundtrip(ws, "cmd:ping")
        started = time.monotonic()
        await ws.close(4321, "python done")
        result["close"] = {"code": ws.close_code, "reason": ws.close_reason,
                           "seconds": time.monotonic() - started}
    async with connect(URL + "/plain", compression=None, open_timeout=STEP) as ws:
        result["plain_extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions")
        result["plain_echo"] = await roundtrip(ws, "no compression")
        await ws.send("cmd:close")
        try:
            await asyncio.wait_for(ws.recv(), STEP)
        except ConnectionClosed:
            pass
        result["server_close"] = {"code": ws.close_code, "reason": ws.close_reason}
    print(json.dumps(result))


asyncio.run(main())
