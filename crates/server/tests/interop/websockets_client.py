"""The Python `websockets` client against our server (crates/server/tests/interop/python.rs).

Usage: python websockets_client.py ws://127.0.0.1:PORT SIZES [CA_FILE]
  SIZES: comma-separated message sizes in bytes.
  CA_FILE: for a wss:// URL, the only CA trusted (hostname checking stays on); the
  report then says which TLS version and ALPN protocol were negotiated.

Does every exchange, compares what came back with what was sent, and prints one JSON
object (the last stdout line) that the Rust test asserts on. Never asserts itself: a
mismatch is reported, so the test shows exactly what differed.
"""

import asyncio
import json
import ssl
import sys
import time

import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

URL = sys.argv[1]
SIZES = [int(s) for s in sys.argv[2].split(",")]
STEP = 10  # seconds: no single exchange may take longer
CA = sys.argv[3] if len(sys.argv) > 3 else None


def tls_context():
    """None for ws://; for wss://, a default context (certificate and hostname checks on)
    trusting CA only, offering ALPN http/1.1 as RFC 6455 over TLS does."""
    if CA is None:
        return None
    context = ssl.create_default_context(cafile=CA)
    context.set_alpn_protocols(["http/1.1"])
    return context


def text_of(n):
    return "".join(chr(ord("a") + i % 26) for i in range(n))


def binary_of(n):
    return bytes(i % 251 for i in range(n))


def kind(message):
    return "text" if isinstance(message, str) else "binary"


def size(message):
    """Bytes on the wire (UTF-8 for text)."""
    return len(message.encode()) if isinstance(message, str) else len(message)


def describe(sent, got):
    return {
        "kind": kind(sent),
        "len": size(sent),
        "got_kind": kind(got),
        "got_len": size(got),
        "equal": sent == got,
    }


async def roundtrip(ws, message):
    await asyncio.wait_for(ws.send(message), STEP)
    return await asyncio.wait_for(ws.recv(), STEP)


async def main():
    result = {"websockets": websockets.__version__}

    # Connection 1: echoes, ping/pong, fragments, a client-initiated close.
    async with connect(URL + "/python", subprotocols=["chat"], max_size=None, ssl=tls_context(),
                       open_timeout=STEP, close_timeout=STEP, ping_interval=None) as ws:
        result["subprotocol"] = ws.subprotocol
        tls = ws.transport.get_extra_info("ssl_object")
        if tls is not None:
            result["tls"] = {"version": tls.version(), "alpn": tls.selected_alpn_protocol()}
        echoes = []
        for n in SIZES:
            for message in (text_of(n), binary_of(n)):
                echoes.append(describe(message, await roundtrip(ws, message)))
        for message in ("ünïcødé 🦀 — 日本語", "é🦀" * 100_000):
            echoes.append(describe(message, await roundtrip(ws, message)))
        result["echoes"] = echoes

        # A fragmented message: send() with an iterable sends one frame per item.
        await asyncio.wait_for(ws.send(["Hel", "", "lo, ", "frag", "ments"]), STEP)
        result["fragmented_text"] = await asyncio.wait_for(ws.recv(), STEP)
        await asyncio.wait_for(ws.send([b"\x00\x01", b"\x02" * 70_000, b"\xff"]), STEP)
        got = await asyncio.wait_for(ws.recv(), STEP)
        result["fragmented_binary"] = describe(b"\x00\x01" + b"\x02" * 70_000 + b"\xff", got)

        # Our ping: ping() returns a waiter that completes when the matching pong arrives.
        pong_waiter = await ws.ping(b"python-ping")
        latency = await asyncio.wait_for(pong_waiter, STEP)
        result["ping"] = {"answered": True, "latency": latency}

        # The server's ping: websockets answers it; the server reports the pong's payload.
        result["server_ping"] = await roundtrip(ws, "cmd:ping")

        started = time.monotonic()
        await ws.close(code=4321, reason="python done")
        result["close"] = {
            "sent_code": ws.protocol.close_sent.code,
            "sent_reason": ws.protocol.close_sent.reason,
            "code": ws.close_code,
            "reason": ws.close_reason,
            "rcvd_then_sent": ws.protocol.close_rcvd_then_sent,
            "seconds": time.monotonic() - started,
        }

    # Connection 2: the server closes it through its handle, from another thread.
    async with connect(URL + "/python-server-close", open_timeout=STEP, ssl=tls_context(),
                       close_timeout=STEP, ping_interval=None) as ws:
        await ws.send("ctl:close-me")
        try:
            extra = await asyncio.wait_for(ws.recv(), STEP)
            result["server_close"] = {"unexpected_message": repr(extra)}
        except ConnectionClosed:
            await asyncio.wait_for(ws.wait_closed(), STEP)
            result["server_close"] = {
                "code": ws.close_code,
                "reason": ws.close_reason,
                "rcvd_then_sent": ws.protocol.close_rcvd_then_sent,
            }

    print(json.dumps(result), flush=True)


asyncio.run(main())
