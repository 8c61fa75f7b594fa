// An Autobahn client driver on Node `ws`: the peer the harness's fuzzing server and the
// real suite's fuzzingserver both test as a client.
//
//   NODE_PATH=target/interop/node/node_modules node ws_client.js ws://127.0.0.1:PORT AGENT
//
// The usual Autobahn client script: /getCaseCount, then /runCase?case=N&agent=AGENT for
// every case, echoing each message with its type until the server closes, then
// /updateReports?agent=AGENT. permessage-deflate is offered (ws's client default). Prints
// `ws VERSION` first and one line per case, and exits 0 once the reports are updated.
'use strict';

const WebSocket = require('ws');

const [base, agent] = process.argv.slice(2).map((s, i) => (i === 0 ? s.replace(/\/$/, '') : s));

function open(url, onMessage) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: true });
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on('error', (e) => resolve(`ended: ${e.code || e.message}`));
    ws.on('close', (code) => resolve(`closed ${code}`));
  });
}

async function main() {
  console.log(`ws ${require('ws/package.json').version}`);
  let count = 0;
  await open(`${base}/getCaseCount`, (_ws, data) => {
    count = Number(data.toString());
  });
  for (let n = 1; n <= count; n += 1) {
    const how = await open(`${base}/runCase?case=${n}&agent=${agent}`, (ws, data, isBinary) =>
      ws.send(data, { binary: isBinary }),
    );
    console.log(`case ${n}/${count}: ${how}`);
  }
  await open(`${base}/updateReports?agent=${agent}`, () => {});
}

main();
