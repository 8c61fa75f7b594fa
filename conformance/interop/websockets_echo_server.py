"""Echo server with Python `websockets` (asyncio API), for running the harness against it:

    python websockets_echo_server.py PORT   (0: any free port, printed)
    cargo run --release -p sockeye-conformance -- server ws://127.0.0.1:PORT --agent websockets

Sizes as Autobahn's section 9 needs them (16 MiB messages); no compression (the harness
does not offer it anyway).
"""
import asyncio
import sys

from websockets.asyncio.server import serve


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def main(port):
    async with serve(echo, "127.0.0.1", port, max_size=2**25, compression=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
