// Node `ws` clients with permessage-deflate against our servers
// (crates/server/tests/interop/deflate.rs).
//
// Usage: NODE_PATH=target/interop/node/node_modules node deflate_ws_client.js URL[,URL...]
//
// For every URL (one per server-side mode) and every client-side combination ws supports,
// connects, exchanges messages of several sizes and kinds (threshold 0: everything
// compressed), compares the echoes and records the 101's `Sec-WebSocket-Extensions`. Prints one JSON object
// (the last stdout line); never asserts itself.
'use strict';

const crypto = require('crypto');
const WebSocket = require('ws');

const URLS = process.argv[2].split(',');
const STEP = 10000;

const COMBINATIONS = {
  default: {},
  serverNoContextTakeover: { serverNoContextTakeover: true },
  clientNoContextTakeover: { clientNoContextTakeover: true },
  noTakeoverBoth: { serverNoContextTakeover: true, clientNoContextTakeover: true },
  serverMaxWindowBits10: { serverMaxWindowBits: 10 },
  serverMaxWindowBits8: { serverMaxWindowBits: 8 },
  clientMaxWindowBits9: { clientMaxWindowBits: 9 },
  everything: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
};

function jsonOf(n) {
  const line = '{"symbol":"ACME","price":123.45,"volume":1000,"note":"chat and ticker"}';
  return ('[' + Array(Math.floor(n / line.length) + 1).fill(line).join(',') + ']').slice(0, n);
}

function messages() {
  const out = [];
  for (const n of [0, 10, 200, 5000, 70000]) {
    out.push(jsonOf(n));
    out.push(Buffer.from(jsonOf(n)));
  }
  out.push(crypto.randomBytes(1 << 20));
  out.push('ünïcødé 🦀 '.repeat(3000));
  return out;
}

function exchange(url, options) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0, ...options }, handshakeTimeout: STEP });
    const pending = messages();
    const bad = [];
    let current;
    let agreed = null;
    // `ws.extensions` names the extensions only: the parameters are in the 101's header.
    ws.on('upgrade', (res) => { agreed = res.headers['sec-websocket-extensions'] || null; });
    const timer = setTimeout(() => resolve({ error: 'timed out' }), 60000);
    const next = () => {
      current = pending.shift();
      if (current === undefined) {
        ws.close(1000);
        return;
      }
      ws.send(current, { binary: Buffer.isBuffer(current) });
    };
    ws.on('open', next);
    ws.on('message', (data, isBinary) => {
      const same = isBinary ? Buffer.isBuffer(current) && data.equals(current) : data.toString('utf8') === current;
      if (!same) bad.push({ len: current.length, binary: Buffer.isBuffer(current) });
      next();
    });
    ws.on('error', (e) => { clearTimeout(timer); resolve({ error: String(e) }); });
    ws.on('close', (code) => { clearTimeout(timer); resolve({ extensions: agreed, bad, close: code }); });
  });
}

(async () => {
  const result = { ws: require('ws/package.json').version, runs: [] };
  for (const url of URLS) {
    for (const [name, options] of Object.entries(COMBINATIONS)) {
      const r = await exchange(url, options);
      result.runs.push({ url, combination: name, ...r });
    }
  }
  console.log(JSON.stringify(result));
})();
