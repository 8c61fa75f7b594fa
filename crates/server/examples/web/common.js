// Shared by the demos' pages: one WebSocket to this page's own server, reconnected with
// backoff, and a status line that says how the last open connection ended (its close
// code and the name RFC 6455 §7.4.1 gives it).
"use strict";

const CLOSE_NAMES = {
  1000: "normal closure", 1001: "going away", 1002: "protocol error",
  1003: "unsupported data", 1005: "no status", 1006: "abnormal closure",
  1007: "invalid payload", 1008: "policy violation", 1009: "message too big",
  1011: "internal error", 1012: "service restart", 1013: "try again later",
};

// connect(path, {open(socket), message(data, socket), close(event)}) -> {send(data)}
function connect(path, handlers) {
  const status = document.getElementById("status");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let delay = 250;
  let socket = null;
  let lastEnd = "";
  const show = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  function open() {
    const ws = new WebSocket(`${scheme}//${location.host}${path}`);
    ws.binaryType = "arraybuffer";
    socket = ws;
    let opened = false;
    show("connecting", "connecting…" + (lastEnd ? ` (last: ${lastEnd})` : ""));
    ws.onopen = () => {
      opened = true;
      delay = 250;
      window.demo.opens += 1;
      window.demo.extensions = ws.extensions;
      window.demo.socket_url = ws.url;
      show("open", "connected" + (ws.extensions ? ` · ${ws.extensions}` : ""));
      if (handlers.open) handlers.open(ws);
    };
    ws.onmessage = (e) => handlers.message(e.data, ws);
    ws.onclose = (e) => {
      if (opened) {
        const name = CLOSE_NAMES[e.code] || "";
        lastEnd = `closed ${e.code}` + (name ? ` (${name})` : "") + (e.reason ? `: ${e.reason}` : "");
        window.demo.lastClose = { code: e.code, reason: e.reason };
        if (handlers.close) handlers.close(e);
      }
      // A failed attempt keeps the last open connection's ending on show.
      show(opened ? "closed" : "offline", `${lastEnd || "offline"} · reconnecting in ${delay / 1000} s`);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 4000);
    };
  }
  window.demo = { opens: 0, lastClose: null, extensions: "" };
  open();
  return {
    send(data) {
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(data);
        return true;
      }
      return false;
    },
  };
}
