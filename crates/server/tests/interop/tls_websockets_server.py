"""A Python `websockets` echo server over TLS, for our client (python.rs).

Usage: python tls_websockets_server.py CERT_FILE KEY_FILE

Listens on 127.0.0.1, port 0, with Python's ssl (OpenSSL) serving the PEM certificate and
key, ALPN http/1.1. Prints {"port": N, ...} once listening, then one JSON line per TLS
connection that completed its WebSocket handshake ({"tls": VERSION, "alpn": A}). Echoes
every message; accepts the subprotocol `chat`. The test kills it (by PID) when done; as
a safety net it exits by itself after 60 s.
"""

import json
import ssl
import sys
import threading
import os

import websockets
from websockets.sync.server import serve

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
context.set_alpn_protocols(["http/1.1"])


def say(obj):
    print(json.dumps(obj), flush=True)


def echo(ws):
    tls = ws.socket
    say({"tls": tls.version(), "alpn": tls.selected_alpn_protocol(), "path": ws.request.path})
    for message in ws:
        ws.send(message)


threading.Timer(60, lambda: os._exit(0)).start()
with serve(echo, "127.0.0.1", 0, ssl=context, subprotocols=["chat"], max_size=None) as server:
    say({"port": server.socket.getsockname()[1], "websockets": websockets.__version__})
    server.serve_forever()
