// Node `ws` echo servers with permessage-deflate, for our client
// (crates/server/tests/interop/deflate.rs).
//
// Usage: NODE_PATH=target/interop/node/node_modules node deflate_ws_server.js
//
// Starts one server on 127.0.0.1 (port 0) per server-side combination ws supports
// (threshold 0: every message compressed), prints {"servers": {NAME: PORT, ...}} on one
// line, echoes every message, and runs until killed (by PID; after 120 s it exits itself).
'use strict';

const { WebSocketServer } = require('ws');

const COMBINATIONS = {
  default: {},
  serverNoContextTakeover: { serverNoContextTakeover: true },
  clientNoContextTakeover: { clientNoContextTakeover: true },
  serverMaxWindowBits10: { serverMaxWindowBits: 10 },
  clientMaxWindowBits9: { clientMaxWindowBits: 9 },
  everything: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
};

const ports = {};
let listening = 0;
for (const [name, options] of Object.entries(COMBINATIONS)) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0, ...options } });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  wss.on('listening', () => {
    ports[name] = wss.address().port;
    listening += 1;
    if (listening === Object.keys(COMBINATIONS).length) {
      console.log(JSON.stringify({ ws: require('ws/package.json').version, servers: ports }));
    }
  });
}
setTimeout(() => process.exit(0), 120000);
