// A Node `ws` echo server for our client (crates/server/tests/interop/node.rs).
//
// Usage: NODE_PATH=target/interop/node/node_modules node ws_server.js [CERT_FILE KEY_FILE]
//
// With CERT_FILE and KEY_FILE (PEM) it serves wss:// from an https server (ALPN http/1.1).
// Listens on 127.0.0.1, port 0, and prints one JSON object per line on stdout:
//   {"port": N}                                        once listening
//   {"event": "tls", "version": V, "alpn": A}          each TLS handshake (wss:// only)
//   {"event": "ping", "path": P, "data": "..."}        a ping from the client
//   {"event": "close", "path": P, "code": C, "reason": R}   a connection ended
// Accepts the subprotocol `chat` when offered. Echoes every message, except:
//   "cmd:ping"  -> pings the client with "node-ping"; each pong is answered "pong:<payload>"
//   "cmd:fragments" -> sends "Hel", a ping "between", "", "lo" as one fragmented message
//   "cmd:close" -> closes with 4003 "node says bye"
// The test kills it (by PID) when done; as a safety net it exits by itself after 60 s.
'use strict';

const { WebSocketServer } = require('ws');

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const handleProtocols = (protocols) => (protocols.has('chat') ? 'chat' : false);
const [certFile, keyFile] = process.argv.slice(2);
let wss;
if (certFile) {
  const fs = require('fs');
  const https = require('https');
  const server = https.createServer({
    cert: fs.readFileSync(certFile),
    key: fs.readFileSync(keyFile),
    ALPNProtocols: ['http/1.1'],
  });
  wss = new WebSocketServer({ server, handleProtocols });
  server.on('secureConnection', (socket) =>
    say({ event: 'tls', version: socket.getProtocol(), alpn: socket.alpnProtocol }));
  server.listen(0, '127.0.0.1', () =>
    say({ port: server.address().port, ws: require('ws/package.json').version, tls: true }));
} else {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols });
  wss.on('listening', () => say({ port: wss.address().port, ws: require('ws/package.json').version }));
}

wss.on('connection', (ws, req) => {
  const path = req.url;
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'cmd:ping') {
      ws.ping('node-ping');
    } else if (!isBinary && data.toString() === 'cmd:fragments') {
      ws.send('Hel', { fin: false });
      ws.ping('between');
      ws.send('', { fin: false });
      ws.send('lo', { fin: true });
    } else if (!isBinary && data.toString() === 'cmd:close') {
      ws.close(4003, 'node says bye');
    } else {
      ws.send(data, { binary: isBinary });
    }
  });
  ws.on('ping', (data) => say({ event: 'ping', path, data: data.toString() }));
  ws.on('pong', (data) => ws.send('pong:' + data.toString()));
  ws.on('close', (code, reason) => say({ event: 'close', path, code, reason: reason.toString() }));
});

setTimeout(() => process.exit(0), 60000).unref();
