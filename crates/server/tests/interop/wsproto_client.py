"""A `wsproto` (sans-I/O) client over a plain socket against our server
(crates/server/tests/interop/python.rs). wsproto exposes frame-level control that the
`websockets` client hides: a ping between the fragments of a message, empty pings, a
close frame without a status code, and a message at the server's fragment-count limit.

Usage: python wsproto_client.py HOST PORT

Prints one JSON object (the last stdout line) that the Rust test asserts on.
"""

import collections
import json
import socket
import sys
from importlib.metadata import version

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    Pong,
    Request,
    TextMessage,
)
from wsproto.frame_protocol import CloseReason

HOST, PORT = sys.argv[1], int(sys.argv[2])


class Client:
    def __init__(self, path, subprotocols=()):
        self.sock = socket.create_connection((HOST, PORT), timeout=10)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending = collections.deque()
        self.out = bytearray()
        self.send(Request(host=f"{HOST}:{PORT}", target=path, subprotocols=list(subprotocols)))
        self.flush()
        self.accept = self.next_event()

    def send(self, event):
        """Queues an event's bytes; flush() writes them (so thousands of frames go in a
        few writes)."""
        self.out += self.ws.send(event)
        if len(self.out) >= 1 << 20:
            self.flush()

    def flush(self):
        self.sock.sendall(self.out)
        self.out.clear()

    def next_event(self):
        while not self.pending:
            data = self.sock.recv(1 << 20)
            self.ws.receive_data(data or None)
            self.pending.extend(self.ws.events())
            if not data and not self.pending:
                raise EOFError("connection closed")
        return self.pending.popleft()

    def next_message(self):
        """The next whole text or binary message, or the next other event."""
        parts = []
        while True:
            event = self.next_event()
            if not isinstance(event, (TextMessage, BytesMessage)):
                assert not parts, f"{event!r} inside a message"
                return event
            parts.append(event.data)
            if event.message_finished:
                return ("" if isinstance(event, TextMessage) else b"").join(parts)

    def close(self, code, reason=None):
        kwargs = {"reason": reason} if reason is not None else {}
        self.send(CloseConnection(code=code, **kwargs))
        self.flush()
        reply = self.next_event()
        # The server then closes TCP.
        eof = self.sock.recv(1) == b""
        self.sock.close()
        return reply, eof


def main():
    result = {"wsproto": version("wsproto")}

    c = Client("/wsproto", ["chat"])
    result["accepted"] = isinstance(c.accept, AcceptConnection)
    result["subprotocol"] = c.accept.subprotocol

    # A ping between the fragments of a text message (with an empty middle fragment):
    # the pong comes first, then the whole message.
    c.send(TextMessage(data="Hel", message_finished=False))
    c.send(Ping(payload=b"between fragments"))
    c.send(TextMessage(data="", message_finished=False))
    c.flush()
    first = c.next_message()
    result["pong_between_fragments"] = first.payload.decode() if isinstance(first, Pong) else repr(first)
    c.send(TextMessage(data="lo été", message_finished=True))
    c.flush()
    result["fragmented_text"] = c.next_message()

    # An empty ping gets an empty pong.
    c.send(Ping(payload=b""))
    c.flush()
    pong = c.next_message()
    result["empty_pong"] = isinstance(pong, Pong) and pong.payload == b""

    # 65,536 fragments of 256 bytes: exactly the server's default message size limit
    # (16 MiB), and well within the fragment rule, so it must be accepted and echoed whole.
    chunk = bytes(range(256))
    for i in range(65536):
        c.send(BytesMessage(data=chunk, message_finished=i == 65535))
    c.flush()
    got = c.next_message()
    result["limit_message"] = {
        "len": len(got) if isinstance(got, bytes) else None,
        "equal": isinstance(got, bytes) and got == chunk * 65536,
    }

    # A close frame without a status code: the server answers with an empty close (1005).
    reply, eof = c.close(CloseReason.NO_STATUS_RCVD)
    result["close_without_code"] = {
        "reply_code": int(reply.code) if isinstance(reply, CloseConnection) else repr(reply),
        "tcp_closed": eof,
    }

    # One fragment too many: the server fails the connection with 1009.
    d = Client("/wsproto-too-many-fragments")
    for i in range(65537):
        d.send(BytesMessage(data=b"x", message_finished=i == 65536))
    try:
        d.flush()
    except OSError:
        pass  # the server may already have closed
    event = d.next_message()
    result["too_many_fragments"] = int(event.code) if isinstance(event, CloseConnection) else repr(event)

    print(json.dumps(result), flush=True)


main()
