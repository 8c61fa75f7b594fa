// An echo server on Node `ws`, the peer the harness and the real Autobahn|Testsuite both
// test as a server (conformance/tests/suite_agreement.rs, conformance/autobahn/suite.py).
//
//   NODE_PATH=target/interop/node/node_modules node ws_server.js [--port N] [--stdin-watch]
//
// Prints `ws VERSION listening on ws://127.0.0.1:PORT` once listening (port 0, the
// default, picks a free one). Echoes every message with its type; ws answers pings and
// closes by itself. permessage-deflate is enabled (ws's server default is off; the suite
// offers it only in sections 12 and 13, and they need it), with ws's defaults otherwise.
// No message size limit below section 9's 16 MiB (ws's default maxPayload is 100 MiB).
// --stdin-watch: exit when stdin reaches EOF (a test that dies leaves nothing running).
'use strict';

const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
const port = portAt >= 0 ? Number(args[portAt + 1]) : 0;
if (args.includes('--stdin-watch')) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: true });
wss.on('listening', () => {
  const version = require('ws/package.json').version;
  process.stdout.write(`ws ${version} listening on ws://127.0.0.1:${wss.address().port}\n`);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  // A failed connection is logged by nobody: the tester judges what it saw on the wire.
  ws.on('error', () => {});
});
