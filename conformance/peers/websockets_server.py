"""An echo server on Python `websockets` (asyncio API), the peer the harness and the real
Autobahn|Testsuite both test as a server (conformance/tests/suite_agreement.rs,
conformance/autobahn/suite.py).

    python websockets_server.py [--port N] [--no-compression] [--stdin-watch]

Prints `websockets VERSION listening on ws://127.0.0.1:PORT` once listening (port 0, the
default, picks a free one). Echoes every text and binary message; websockets answers pings
and closes by itself. permessage-deflate is accepted as websockets does by default (the
suite offers it only in sections 12 and 13). No size limit (section 9 sends 16 MiB), no
keepalive pings (they would be unexpected frames in a case). `--stdin-watch`: exit when
stdin reaches EOF, so a test that dies without stopping us does not leave us running.
"""
import argparse
import asyncio
import os
import sys
import threading

import websockets
from websockets.asyncio.server import serve


def watch_stdin():
    sys.stdin.read()
    os._exit(0)


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main(args):
    compression = None if args.no_compression else "deflate"
    async with serve(echo, "127.0.0.1", args.port, max_size=None, compression=compression,
                     ping_interval=None, close_timeout=10) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"websockets {websockets.__version__} listening on ws://127.0.0.1:{port}",
              flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--no-compression", action="store_true")
    p.add_argument("--stdin-watch", action="store_true")
    a = p.parse_args()
    if a.stdin_watch:
        threading.Thread(target=watch_stdin, daemon=True).start()
    asyncio.run(main(a))
