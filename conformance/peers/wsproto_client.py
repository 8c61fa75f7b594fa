"""An Autobahn client driver on Python `wsproto` (sans-IO) over a blocking socket: the
peer the harness's fuzzing server and the real suite's fuzzingserver both test as a client.

    python wsproto_client.py ws://127.0.0.1:PORT AGENT

The usual Autobahn client script: `/getCaseCount`, then `/runCase?case=N&agent=AGENT` for
every case, echoing each message whole until the connection ends, then
`/updateReports?agent=AGENT`. Offers permessage-deflate. A close (or a protocol error
wsproto reports as a CloseConnection event) is answered with `event.response()`; then the
client waits for the server to close TCP (at most 10 s). Prints `wsproto VERSION` first and
one line per case, and exits 0 once the reports are updated.
"""
import socket
import sys
from importlib.metadata import version
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Ping,
                            RejectConnection, Request, TextMessage)
from wsproto.extensions import PerMessageDeflate


def run(url, on_text=None):
    """One connection; echoes unless `on_text` is given (then it gets text messages)."""
    u = urlsplit(url)
    sock = socket.create_connection((u.hostname, u.port), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ws = WSConnection(ConnectionType.CLIENT)
    target = u.path + ("?" + u.query if u.query else "")
    sock.sendall(ws.send(Request(host=f"{u.hostname}:{u.port}", target=target,
                                 extensions=[PerMessageDeflate()])))
    parts = []
    how = "closed"
    try:
        while True:
            data = sock.recv(65536)
            ws.receive_data(data or None)
            out = b""
            done = not data
            for event in ws.events():
                if isinstance(event, (TextMessage, BytesMessage)):
                    parts.append(event.data)
                    if event.message_finished:
                        whole = ("" if isinstance(event, TextMessage) else b"").join(parts)
                        parts = []
                        if on_text is not None:
                            on_text(whole)
                        else:
                            out += ws.send(type(event)(data=whole))
                elif isinstance(event, Ping):
                    out += ws.send(event.response())
                elif isinstance(event, CloseConnection):
                    how = f"closed {event.code}"
                    if data:
                        out += ws.send(event.response())
                    done = True
                elif isinstance(event, RejectConnection):
                    how = "rejected"
                    done = True
                elif isinstance(event, AcceptConnection):
                    pass
            if out:
                sock.sendall(out)
            if done:
                break
        # The server closes TCP first (RFC 6455 §7.1.1); wait for it.
        sock.settimeout(10)
        while sock.recv(65536):
            pass
    except OSError as e:
        how = f"ended: {type(e).__name__}"
    except Exception as e:  # noqa: BLE001 - wsproto errors end the case, not the driver
        how = f"ended: {type(e).__name__}"
    finally:
        sock.close()
    return how


def main(base, agent):
    print(f"wsproto {version('wsproto')}", flush=True)
    texts = []
    run(f"{base}/getCaseCount", on_text=texts.append)
    count = int(texts[0])
    for n in range(1, count + 1):
        how = run(f"{base}/runCase?case={n}&agent={agent}")
        print(f"case {n}/{count}: {how}", flush=True)
    run(f"{base}/updateReports?agent={agent}", on_text=lambda _t: None)


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
