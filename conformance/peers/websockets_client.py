"""An Autobahn client driver on Python `websockets` (asyncio API): the peer the harness's
fuzzing server and the real suite's fuzzingserver both test as a client.

    python websockets_client.py ws://127.0.0.1:PORT AGENT

The usual Autobahn client script: `/getCaseCount`, then `/runCase?case=N&agent=AGENT` for
every case, echoing each message until the server closes,
then `/updateReports?agent=AGENT`. permessage-deflate is offered as websockets does by
default; no size limit; no keepalive pings. Prints `websockets VERSION` first and one line
per case (for the log), and exits 0 once the reports are updated.
"""
import argparse
import asyncio

import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException


async def case(url):
    try:
        async with connect(url, max_size=None, ping_interval=None, close_timeout=10,
                           open_timeout=30) as ws:
            async for message in ws:
                await ws.send(message)
        return "closed"
    except (WebSocketException, OSError) as e:
        return f"ended: {type(e).__name__}"


async def run(base, agent):
    print(f"websockets {websockets.__version__}", flush=True)
    async with connect(f"{base}/getCaseCount") as ws:
        count = int(await ws.recv())
    for n in range(1, count + 1):
        how = await case(f"{base}/runCase?case={n}&agent={agent}")
        print(f"case {n}/{count}: {how}", flush=True)
    async with connect(f"{base}/updateReports?agent={agent}") as ws:
        try:
            await ws.recv()
        except WebSocketException:
            pass


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("agent")
    a = p.parse_args()
    asyncio.run(run(a.base.rstrip("/"), a.agent))
