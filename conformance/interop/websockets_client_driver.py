"""An Autobahn-style client driver with Python `websockets` (asyncio API), run against the
harness's fuzzing server:

    cargo run --release -p sockeye-conformance -- client --listen 127.0.0.1:9001 --report DIR
    python websockets_client_driver.py ws://127.0.0.1:9001 websockets

It follows the usual Autobahn client script: /getCaseCount, each /runCase echoing every
message until the server closes, then /updateReports.
"""
import asyncio
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException


async def run(base, agent):
    async with connect(f"{base}/getCaseCount") as ws:
        count = int(await ws.recv())
    print(f"{count} cases", flush=True)
    for case in range(1, count + 1):
        try:
            async with connect(f"{base}/runCase?case={case}&agent={agent}",
                               max_size=2**25, compression=None, ping_interval=None) as ws:
                async for message in ws:
                    await ws.send(message)
        except WebSocketException:
            pass
    async with connect(f"{base}/updateReports?agent={agent}") as ws:
        try:
            await ws.recv()
        except WebSocketException:
            pass


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1], sys.argv[2]))
