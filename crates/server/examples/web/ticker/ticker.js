// The ticker page: subscribe to symbols, show each update and its end-to-end latency,
// and acknowledge each batch (the server sends at most two unacknowledged batches, so a
// page that falls behind gets conflated prices instead of a backlog).
"use strict";

const $ = (id) => document.getElementById(id);
// ?slow=MS: busy-wait this long per batch, to play a page that cannot keep up.
const slowMs = Number(new URLSearchParams(location.search).get("slow") || 0);
$("slow").textContent = `${slowMs} ms`;
// What a test (or a curious reader in devtools) can look at.
const state = (window.ticker = { symbols: {}, batches: 0, updates: 0, conflated: 0, latencies: [] });
const rows = {};
// The symbols a fresh page subscribes to: all, unless this tab chose otherwise.
const chosen = () => JSON.parse(sessionStorage.getItem("subs") || "null");

function row(name, price) {
  const tr = document.createElement("tr");
  tr.dataset.symbol = name;
  tr.innerHTML = `<td class="sym"></td><td class="px"></td><td class="chg"></td><td class="n">0</td><td class="age">–</td><td><input type="checkbox"></td>`;
  tr.querySelector(".sym").textContent = name;
  tr.querySelector(".px").textContent = price.toFixed(2);
  const box = tr.querySelector("input");
  box.addEventListener("change", () => setSub(name, box.checked));
  $("rows").append(tr);
  rows[name] = tr;
  state.symbols[name] = { open: price, price, ts: 0, count: 0, subscribed: false };
}

function setSub(name, on) {
  state.symbols[name].subscribed = on;
  rows[name].classList.toggle("off", !on);
  rows[name].querySelector("input").checked = on;
  feed.send(JSON.stringify({ type: on ? "sub" : "unsub", symbol: name }));
  const subs = Object.keys(state.symbols).filter((s) => state.symbols[s].subscribed);
  sessionStorage.setItem("subs", JSON.stringify(subs));
}
window.setSub = setSub;

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
}

function prices(m) {
  const now = Date.now();
  for (const [name, price, ts] of m.u) {
    const s = state.symbols[name];
    // Only newer prices count (a batch never goes back in time, but be sure).
    if (!s || ts <= s.ts) continue;
    s.ts = ts;
    s.count += 1;
    const tr = rows[name];
    const change = ((price - s.open) / s.open) * 100;
    tr.querySelector(".px").textContent = price.toFixed(2);
    const chg = tr.querySelector(".chg");
    chg.textContent = `${change >= 0 ? "+" : ""}${change.toFixed(2)}%`;
    chg.className = `chg ${change >= 0 ? "up" : "down"}`;
    tr.querySelector(".n").textContent = s.count;
    const latency = now - ts;
    tr.querySelector(".age").textContent = `${latency.toFixed(1)} ms`;
    s.price = price;
    state.updates += 1;
    state.latencies.push(latency);
  }
  if (state.latencies.length > 2000) state.latencies.splice(0, state.latencies.length - 2000);
  state.batches += 1;
  state.conflated = m.conflated;
  $("batches").textContent = state.batches;
  $("updates").textContent = state.updates;
  $("conflated").textContent = m.conflated;
  const sorted = [...state.latencies].sort((a, b) => a - b);
  $("p50").textContent = `${percentile(sorted, 0.5).toFixed(1)} ms`;
  $("p99").textContent = `${percentile(sorted, 0.99).toFixed(1)} ms`;
}

const feed = connect("/ticker", {
  open(ws) {
    ws.send(JSON.stringify({ type: "list" }));
  },
  message(data, ws) {
    const m = JSON.parse(data);
    if (m.type === "symbols") {
      $("rate").textContent = `${m.rate} /s`;
      if (!Object.keys(rows).length) m.symbols.forEach((s) => row(s.name, s.price));
      const subs = chosen() || m.symbols.map((s) => s.name);
      for (const s of m.symbols) setSub(s.name, subs.includes(s.name));
    } else if (m.type === "prices") {
      if (slowMs) {
        const until = performance.now() + slowMs;
        while (performance.now() < until);
      }
      prices(m);
      ws.send(JSON.stringify({ type: "ack", seq: m.seq }));
    }
  },
});
