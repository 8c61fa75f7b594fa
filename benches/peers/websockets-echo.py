"""A WebSocket echo server on Python's `websockets` (asyncio), for `e2e --peer`.

Echoes every message as it came, with permessage-deflate on (the library's default
offer handling) unless `--no-deflate`. Prints `ws://ADDR` on its first line.

    target/interop/venv/bin/python benches/peers/websockets-echo.py [--no-deflate] \
        --listen 127.0.0.1:0
"""

import argparse
import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(socket):
    async for message in socket:
        await socket.send(message)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--no-deflate", action="store_true")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    async with serve(
        echo,
        host,
        int(port),
        compression=None if args.no_deflate else "deflate",
        max_size=64 << 20,
        max_queue=None,
    ) as server:
        addr = server.sockets[0].getsockname()
        print(f"ws://{addr[0]}:{addr[1]}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
