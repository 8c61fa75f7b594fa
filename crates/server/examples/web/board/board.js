// The board page: the server's board drawn on a canvas, updated from the binary diff of
// each tick; clicks and drags send paints (the board changes when the server says so).
"use strict";

const COLORS = ["#0b1118", "#f85149", "#f0883e", "#e3b341", "#3fb950", "#4fb3ff", "#a371f7", "#e6edf3"];
const canvas = document.getElementById("board");
const ctx = canvas.getContext("2d");
const state = (window.board = { w: 0, h: 0, cells: new Uint8Array(0), diffs: 0, tick: 0, players: 0 });
let color = 4;

const palette = document.getElementById("palette");
COLORS.forEach((c, i) => {
  const b = document.createElement("button");
  b.style.background = c;
  b.title = i === 0 ? "erase" : `color ${i}`;
  b.dataset.color = i;
  b.addEventListener("click", () => pick(i));
  palette.append(b);
});
function pick(i) {
  color = i;
  palette.querySelectorAll("button").forEach((b) => b.classList.toggle("on", Number(b.dataset.color) === i));
}
pick(color);

function cellSize() {
  return state.w ? canvas.width / state.w : 16;
}

function draw(cell) {
  const s = cellSize();
  const x = cell % state.w, y = Math.floor(cell / state.w);
  ctx.fillStyle = COLORS[state.cells[cell]] || "#000";
  ctx.fillRect(x * s + 1, y * s + 1, s - 2, s - 2);
}

function apply(buf) {
  const v = new DataView(buf);
  const kind = v.getUint8(0);
  if (kind === 0) {
    state.w = v.getUint8(1);
    state.h = v.getUint8(2);
    state.cells = new Uint8Array(buf.slice(3));
    canvas.height = (canvas.width / state.w) * state.h;
    for (let i = 0; i < state.cells.length; i++) draw(i);
  } else if (kind === 1) {
    state.tick = v.getUint32(1, true);
    state.players = v.getUint16(5, true);
    const n = v.getUint16(7, true);
    for (let i = 0; i < n; i++) {
      const at = 9 + i * 3;
      const cell = v.getUint16(at, true);
      state.cells[cell] = v.getUint8(at + 2);
      draw(cell);
    }
    state.diffs += 1;
    document.getElementById("players").textContent = state.players;
    document.getElementById("tick").textContent = `#${state.tick}`;
    document.getElementById("diff").textContent = `${n} cells, ${buf.byteLength} B`;
    document.getElementById("diffs").textContent = state.diffs;
  }
}

const game = connect("/board", {
  open(ws) {
    ws.send(new Uint8Array([0]));
  },
  message(data) {
    if (data instanceof ArrayBuffer) apply(data);
  },
});

// Paint at canvas coordinates; exposed for tests and the devtools console.
function paintAt(px, py, c = color) {
  const s = cellSize();
  const x = Math.floor(px / s), y = Math.floor(py / s);
  if (x < 0 || y < 0 || x >= state.w || y >= state.h) return false;
  return game.send(new Uint8Array([1, x, y, c]));
}
window.paintAt = paintAt;

let down = false;
const at = (e) => {
  const r = canvas.getBoundingClientRect();
  return [((e.clientX - r.left) * canvas.width) / r.width, ((e.clientY - r.top) * canvas.height) / r.height];
};
canvas.addEventListener("pointerdown", (e) => { down = true; paintAt(...at(e)); });
canvas.addEventListener("pointermove", (e) => { if (down) paintAt(...at(e)); });
window.addEventListener("pointerup", () => { down = false; });
