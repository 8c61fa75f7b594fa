// The Node `ws` client against our server (crates/server/tests/interop/node.rs).
//
// Usage: NODE_PATH=target/interop/node/node_modules node ws_client.js ws://127.0.0.1:PORT SIZES [CA_FILE]
//   SIZES: comma-separated message sizes in bytes.
//   CA_FILE: for a wss:// URL, the only CA trusted (Node checks the certificate and the
//   host name); the report then says which TLS version and ALPN protocol were negotiated.
//
// Does every exchange, compares what came back with what was sent, and prints one JSON
// object (the last stdout line) that the Rust test asserts on. Never asserts itself.
'use strict';

const WebSocket = require('ws');

const URL = process.argv[2];
const SIZES = process.argv[3].split(',').map(Number);
const STEP = 10000; // ms: no single exchange may take longer
const CA = process.argv[4] ? require('fs').readFileSync(process.argv[4]) : undefined;
const TLS_OPTIONS = CA ? { ca: CA, ALPNProtocols: ['http/1.1'] } : {};

const textOf = (n) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
const binaryOf = (n) => Buffer.from(Array.from({ length: n }, (_, i) => i % 251));

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), STEP);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A connection with a queue of incoming messages, pongs and the close.
function open(path, protocols) {
  const ws = new WebSocket(URL + path, protocols, { handshakeTimeout: STEP, ...TLS_OPTIONS });
  const conn = { ws, messages: [], waiters: [], pongs: [], closed: null };
  const deliver = () => {
    while (conn.waiters.length && (conn.messages.length || conn.closed)) {
      const waiter = conn.waiters.shift();
      if (conn.messages.length) waiter.resolve(conn.messages.shift());
      else waiter.reject(new Error(`closed ${conn.closed.code} while waiting`));
    }
  };
  ws.on('message', (data, isBinary) => {
    conn.messages.push(isBinary ? { binary: true, data } : { binary: false, data: data.toString('utf8') });
    deliver();
  });
  ws.on('pong', (data) => conn.pongs.push(data.toString('utf8')));
  conn.closedPromise = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      conn.closed = { code, reason: reason.toString('utf8') };
      deliver();
      resolve(conn.closed);
    });
  });
  conn.next = (what) =>
    withTimeout(new Promise((resolve, reject) => { conn.waiters.push({ resolve, reject }); deliver(); }), what);
  conn.opened = withTimeout(
    new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }),
    `open ${path}`);
  return conn;
}

function describe(sent, got) {
  const sentBinary = Buffer.isBuffer(sent);
  const size = (m, binary) => (binary ? m.length : Buffer.byteLength(m, 'utf8'));
  return {
    kind: sentBinary ? 'binary' : 'text',
    len: size(sent, sentBinary),
    got_kind: got.binary ? 'binary' : 'text',
    got_len: size(got.data, got.binary),
    equal: sentBinary === got.binary && (sentBinary ? sent.equals(got.data) : sent === got.data),
  };
}

async function main() {
  const result = { ws: require('ws/package.json').version, node: process.version };

  // Connection 1: echoes, fragments, pings both ways, a client-initiated close.
  const c = open('/node', ['chat']);
  await c.opened;
  result.subprotocol = c.ws.protocol;
  // ws keeps its socket private; reading it is fine for a test (a TLSSocket under wss://).
  const socket = c.ws._socket;
  if (socket && socket.encrypted) result.tls = { version: socket.getProtocol(), alpn: socket.alpnProtocol };
  const echoes = [];
  const messages = [];
  for (const n of SIZES) messages.push(textOf(n), binaryOf(n));
  messages.push('ünïcødé 🦀 — 日本語', 'é🦀'.repeat(100000));
  for (const m of messages) {
    c.ws.send(m, { binary: Buffer.isBuffer(m) });
    echoes.push(describe(m, await c.next(`echo of ${m.length}`)));
  }
  result.echoes = echoes;

  // A burst: 1000 messages written at once come back complete and in order.
  const burst = Array.from({ length: 1000 }, (_, i) => `burst ${i} ` + 'x'.repeat(i % 300));
  burst.forEach((m) => c.ws.send(m));
  const burstBack = [];
  for (let i = 0; i < burst.length; i++) burstBack.push((await c.next(`burst ${i}`)).data);
  result.burst = { sent: burst.length, in_order: burstBack.every((m, i) => m === burst[i]) };

  // A fragmented message: send(..., { fin: false }) leaves the message open.
  c.ws.send('Hel', { fin: false });
  c.ws.send('', { fin: false });
  c.ws.send('lo, fragments', { fin: true });
  result.fragmented_text = (await c.next('fragmented text')).data;
  const parts = [Buffer.from([0, 1]), Buffer.alloc(70000, 2), Buffer.from([255])];
  parts.forEach((p, i) => c.ws.send(p, { binary: true, fin: i === parts.length - 1 }));
  result.fragmented_binary = describe(Buffer.concat(parts), await c.next('fragmented binary'));

  // Our ping: ws reports the pong as an event; a text echo after it orders things.
  c.ws.ping('node-ping');
  c.ws.send('after the ping');
  await c.next('echo after the ping');
  result.pongs = c.pongs;

  // The server's ping: ws answers it; the server reports the pong's payload.
  c.ws.send('cmd:ping');
  result.server_ping = (await c.next('server ping')).data;

  // A message right before the close is still echoed, before the server's close frame.
  const started = Date.now();
  c.ws.send('last words');
  c.ws.close(4321, 'node done ✓');
  const closed = await withTimeout(c.closedPromise, 'close');
  result.close = { ...closed, ms: Date.now() - started, before: c.messages.map((m) => m.data) };

  // Connection 2: the server closes it from its handler callback.
  const d = open('/node-callback-close');
  await d.opened;
  d.ws.send('cmd:close');
  result.callback_close = await withTimeout(d.closedPromise, 'callback close');

  // Connection 3: the server closes it through its handle, from another thread.
  const e = open('/node-handle-close');
  await e.opened;
  e.ws.send('ctl:close-me');
  result.handle_close = await withTimeout(e.closedPromise, 'handle close');

  // Connections 4 and 5 break the server's rules: the server fails them with its close
  // code, and the client sees that code (the server lingers so the close frame is read).
  const g = open('/node-too-big');
  await g.opened;
  g.ws.send(Buffer.alloc(16 * 1024 * 1024 + 1, 7), { binary: true });
  result.too_big_close = await withTimeout(g.closedPromise, 'too-big close');
  const h = open('/node-bad-utf8');
  await h.opened;
  h.ws.send(Buffer.from([0x6f, 0x6b, 0xc3, 0x28]), { binary: false }); // a text frame, not UTF-8
  result.bad_utf8_close = await withTimeout(h.closedPromise, 'bad-utf8 close');

  // A slow reader: the client stops reading while it sends 64 MiB. The server must stop
  // reading too (back-pressure) rather than queue everything or cut the client off, and
  // recover once the client reads again: every echo arrives, whole and in order. Random
  // bytes: with permessage-deflate (ws offers it) anything else would shrink to nothing.
  const sr = open('/node-slow-reader');
  await sr.opened;
  sr.ws._socket.pause();
  const COUNT = 64;
  const slowSent = Array.from({ length: COUNT }, () => require('crypto').randomBytes(1 << 20));
  for (let i = 0; i < COUNT; i++) sr.ws.send(slowSent[i], { binary: true });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const bufferedWhilePaused = sr.ws.bufferedAmount;
  sr.ws._socket.resume();
  let intact = 0;
  for (let i = 0; i < COUNT; i++) {
    const m = await sr.next(`slow reader echo ${i}`);
    if (m.binary && m.data.equals(slowSent[i])) intact++;
  }
  sr.ws.close(1000);
  result.slow_reader = {
    sent: COUNT,
    intact,
    buffered_while_paused: bufferedWhilePaused,
    close: await withTimeout(sr.closedPromise, 'slow reader close'),
  };

  // Last: the server shuts down (close 1001 to every connection).
  const f = open('/node-shutdown');
  await f.opened;
  f.ws.send('ctl:shutdown');
  result.shutdown_close = await withTimeout(f.closedPromise, 'shutdown close');

  console.log(JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    process.exit(1);
  },
);
