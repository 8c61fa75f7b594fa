// The Node `ws` client against the tokio server (node.rs).
//
// Usage: NODE_PATH=target/interop/node/node_modules node ws_client.js ws://127.0.0.1:PORT SIZES
// Does every exchange and prints one JSON object (the last stdout line) for the Rust test
// to assert on; a mismatch is reported, never asserted here.
'use strict';

const WebSocket = require('ws');

const URL = process.argv[2];
const SIZES = process.argv[3].split(',').map(Number);
const STEP = 10000;

const textOf = (n) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
const binaryOf = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

function open(path, options) {
  const ws = new WebSocket(URL + path, ['chat'], { handshakeTimeout: STEP, ...options });
  const conn = { ws, messages: [], waiters: [], pongs: [], closed: null };
  const deliver = () => {
    while (conn.waiters.length && (conn.messages.length || conn.closed)) {
      const w = conn.waiters.shift();
      if (conn.messages.length) w.resolve(conn.messages.shift());
      else w.reject(new Error(`closed ${conn.closed.code} while waiting`));
    }
  };
  ws.on('message', (data, isBinary) => {
    conn.messages.push(isBinary ? data : data.toString('utf8'));
    deliver();
  });
  ws.on('pong', (data) => conn.pongs.push(data.toString('utf8')));
  conn.closedPromise = new Promise((resolve) => ws.on('close', (code, reason) => {
    conn.closed = { code, reason: reason.toString('utf8') };
    deliver();
    resolve(conn.closed);
  }));
  conn.next = () => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), STEP);
    conn.waiters.push({ resolve: (v) => { clearTimeout(timer); resolve(v); }, reject });
    deliver();
  });
  conn.opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return conn;
}

function describe(sent, got) {
  const kind = (m) => (Buffer.isBuffer(m) ? 'binary' : 'text');
  const size = (m) => (Buffer.isBuffer(m) ? m.length : Buffer.byteLength(m, 'utf8'));
  const equal = kind(sent) === kind(got) && (Buffer.isBuffer(sent) ? sent.equals(got) : sent === got);
  return { kind: kind(sent), len: size(sent), got_kind: kind(got), got_len: size(got), equal };
}

async function main() {
  const result = { ws: require('ws/package.json').version };
  const c = open('/node', { perMessageDeflate: true, maxPayload: 0 });
  await c.opened;
  result.protocol = c.ws.protocol;
  result.extensions = c.ws.extensions;
  result.echoes = [];
  for (const n of SIZES) {
    for (const m of [textOf(n), binaryOf(n)]) {
      c.ws.send(m);
      result.echoes.push(describe(m, await c.next()));
    }
  }
  // A fragmented message (ws sends one frame per send with fin: false).
  c.ws.send('Hel', { fin: false });
  c.ws.send('lo, pieces', { fin: true });
  result.fragmented = await c.next();
  c.ws.ping('node-ping');
  c.ws.send('cmd:ping');
  result.server_ping = await c.next();
  result.pongs = c.pongs;
  c.ws.close(4321, 'node done');
  result.close = await c.closedPromise;
  const s = open('/server-close', { perMessageDeflate: false });
  await s.opened;
  result.plain_extensions = s.ws.extensions;
  s.ws.send('cmd:close');
  result.server_close = await s.closedPromise;
  console.log(JSON.stringify(result));
}

main().catch((e) => { console.log(JSON.stringify({ error: String(e && e.stack || e) })); process.exit(0); });
