"""Python `websockets` clients with permessage-deflate against our servers
(crates/server/tests/interop/deflate.rs).

Usage: python deflate_websockets_client.py URL[,URL...]

For every URL (one per server-side mode) and every client-side combination websockets
supports (context takeover both ways or not, window bits asked of the server, window bits
the client keeps to), connects, exchanges messages of several sizes and kinds, compares the
echoes, and records the negotiated `Sec-WebSocket-Extensions`. Prints one JSON object (the
last stdout line); never asserts itself.
"""

import asyncio
import json
import os
import sys

import websockets
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

URLS = sys.argv[1].split(",")
STEP = 10

COMBINATIONS = {
    "default": {},
    "server_no_context_takeover": {"server_no_context_takeover": True},
    "client_no_context_takeover": {"client_no_context_takeover": True},
    "no_takeover_both": {"server_no_context_takeover": True, "client_no_context_takeover": True},
    "server_max_window_bits_10": {"server_max_window_bits": 10},
    "server_max_window_bits_8": {"server_max_window_bits": 8},
    "client_max_window_bits_9": {"client_max_window_bits": 9},
    "everything": {"server_no_context_takeover": True, "client_no_context_takeover": True,
                   "server_max_window_bits": 9, "client_max_window_bits": 9},
}


def json_of(n):
    line = '{"symbol":"ACME","price":123.45,"volume":1000,"note":"chat and ticker"}'
    return ("[" + ",".join([line] * (n // len(line) + 1)) + "]")[:n]


def messages():
    out = []
    for n in (0, 10, 200, 5_000, 70_000):
        out.append(json_of(n))
        out.append(json_of(n).encode())
    out.append(os.urandom(1 << 20))
    out.append("ünïcødé 🦀 " * 3_000)
    return out


async def exchange(url, options):
    factory = ClientPerMessageDeflateFactory(**options)
    async with connect(url, extensions=[factory], compression=None, max_size=None,
                       open_timeout=STEP, close_timeout=STEP, ping_interval=None) as ws:
        agreed = ws.response.headers.get("Sec-WebSocket-Extensions")
        bad = []
        for m in messages():
            await asyncio.wait_for(ws.send(m), STEP)
            got = await asyncio.wait_for(ws.recv(), STEP)
            if got != m:
                bad.append({"len": len(m), "kind": type(m).__name__})
        return {"extensions": agreed, "bad": bad}


async def main():
    result = {"websockets": websockets.__version__, "runs": []}
    for url in URLS:
        for name, options in COMBINATIONS.items():
            try:
                r = await exchange(url, options)
            except Exception as e:  # reported, the Rust test fails on it
                r = {"error": f"{type(e).__name__}: {e}"}
            r.update({"url": url, "combination": name})
            result["runs"].append(r)
    print(json.dumps(result), flush=True)


asyncio.run(main())
