// A WebSocket echo server on Node's `ws`, for `e2e --peer`: echoes every message as it
// came (text as text, binary as binary), with permessage-deflate on. It compresses
// messages of 64 bytes and more, as Sockeye does by default, so that both compress the same
// messages (ws's own default is 1 KiB; `--threshold N` sets it, `--no-deflate` turns
// compression off). Prints `ws://ADDR` on its first line.
//
//   node benches/peers/ws-echo.js [--threshold N] [--no-deflate] --listen 127.0.0.1:0
//
// `ws` comes from target/interop/node (`bash .ci/interop-setup.sh`) unless NODE_PATH
// finds another.
'use strict';
const path = require('path');

function load() {
  try {
    return require('ws');
  } catch (_) {
    return require(path.join(__dirname, '../../target/interop/node/node_modules/ws'));
  }
}

function main() {
  const args = process.argv.slice(2);
  let listen = '127.0.0.1:0';
  let threshold = 64;
  let deflate = true;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--listen') listen = args[++i];
    else if (args[i] === '--threshold') threshold = Number(args[++i]);
    else if (args[i] === '--no-deflate') deflate = false;
    else {
      console.error(`ws-echo: unknown argument ${args[i]}`);
      process.exit(2);
    }
  }
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at);
  const port = Number(listen.slice(at + 1));
  const { WebSocketServer } = load();
  const wss = new WebSocketServer({
    host,
    port,
    maxPayload: 64 << 20,
    perMessageDeflate: deflate ? { threshold } : false,
  });
  wss.on('listening', () => {
    const a = wss.address();
    console.log(`ws://${a.address}:${a.port}`);
  });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('error', () => socket.terminate());
  });
}

main();
