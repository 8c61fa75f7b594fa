"""An echo server on Python `wsproto` (sans-IO) over blocking sockets, one thread per
connection, the shape of wsproto's synchronous server example: the peer the harness and
the real Autobahn|Testsuite both test as a server.

    python wsproto_server.py [--port N] [--stdin-watch]

Prints `wsproto VERSION listening on ws://127.0.0.1:PORT` once listening (port 0, the
default, picks a free one). Accepts permessage-deflate when offered (only sections 12 and
13 offer it). Echoes every message whole (fragments are collected until the message is
finished), answers pings, answers a close (or a protocol error wsproto reports as a
CloseConnection event) with `event.response()` and then closes the socket, as the example
does. `--stdin-watch`: exit when stdin reaches EOF.
"""
import argparse
import os
import socket
import sys
import threading
from importlib.metadata import version

from wsproto import ConnectionType, WSConnection
from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection, Ping, Request,
                            TextMessage)
from wsproto.extensions import PerMessageDeflate


def serve(sock):
    ws = WSConnection(ConnectionType.SERVER)
    parts = []
    running = True
    try:
        while running:
            data = sock.recv(65536)
            ws.receive_data(data or None)
            out = b""
            for event in ws.events():
                if isinstance(event, Request):
                    out += ws.send(AcceptConnection(extensions=[PerMessageDeflate()]))
                elif isinstance(event, (TextMessage, BytesMessage)):
                    parts.append(event.data)
                    if event.message_finished:
                        whole = ("" if isinstance(event, TextMessage) else b"").join(parts)
                        parts = []
                        out += ws.send(type(event)(data=whole))
                elif isinstance(event, Ping):
                    out += ws.send(event.response())
                elif isinstance(event, CloseConnection):
                    if data:
                        out += ws.send(event.response())
                    running = False
            if out:
                sock.sendall(out)
            if not data:
                running = False
    except Exception:  # noqa: BLE001 - a broken peer ends its connection, not the server
        pass
    finally:
        sock.close()


def main(args):
    listener = socket.create_server(("127.0.0.1", args.port))
    port = listener.getsockname()[1]
    print(f"wsproto {version('wsproto')} listening on ws://127.0.0.1:{port}", flush=True)
    while True:
        sock, _ = listener.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(sock,), daemon=True).start()


def watch_stdin():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--stdin-watch", action="store_true")
    a = p.parse_args()
    if a.stdin_watch:
        threading.Thread(target=watch_stdin, daemon=True).start()
    main(a)
