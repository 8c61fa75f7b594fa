"""Python `websockets` echo servers with permessage-deflate, for our client
(crates/server/tests/interop/deflate.rs).

Usage: python deflate_websockets_server.py

Starts one server on 127.0.0.1 (port 0) per server-side combination websockets supports,
prints {"servers": {NAME: PORT, ...}} on one line, echoes every message, and runs until it
is killed (by PID; after 120 s it exits by itself).
"""

import asyncio
import json

import websockets
from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

COMBINATIONS = {
    "default": {},
    "server_no_context_takeover": {"server_no_context_takeover": True},
    "client_no_context_takeover": {"client_no_context_takeover": True},
    "server_max_window_bits_10": {"server_max_window_bits": 10},
    "client_max_window_bits_9": {"client_max_window_bits": 9},
    "everything": {"server_no_context_takeover": True, "client_no_context_takeover": True,
                   "server_max_window_bits": 9, "client_max_window_bits": 9},
}


async def echo(ws):
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.ConnectionClosed:
        pass


async def main():
    ports = {}
    servers = []
    for name, options in COMBINATIONS.items():
        factory = ServerPerMessageDeflateFactory(**options)
        server = await serve(echo, "127.0.0.1", 0, extensions=[factory], compression=None,
                             max_size=None, ping_interval=None)
        servers.append(server)
        ports[name] = server.sockets[0].getsockname()[1]
    print(json.dumps({"websockets": websockets.__version__, "servers": ports}), flush=True)
    await asyncio.sleep(120)


asyncio.run(main())
