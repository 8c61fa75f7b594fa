// The chat page: join with a nickname (kept for this tab, so a reload or a reconnect
// rejoins under the same name), then lines, notices and the presence list.
"use strict";

const $ = (id) => document.getElementById(id);
const log = $("log");
// Rows kept on the page: a busy room must not grow the DOM without bound.
const MAX_ROWS = 500;
let me = null;
// Line ids on show: a line that arrives twice (this node's history, then the cluster's
// from Redis, after a reconnect) is shown once.
const shown = new Set();

function add(cls, parts) {
  const row = document.createElement("div");
  row.className = cls;
  for (const [tag, text, c] of parts) {
    const el = document.createElement(tag);
    el.textContent = text;
    if (c) el.className = c;
    row.append(el);
  }
  log.append(row);
  while (log.childElementCount > MAX_ROWS) log.firstElementChild.remove();
  log.scrollTop = log.scrollHeight;
}

function line(l) {
  if (l.id) {
    if (shown.has(l.id)) return;
    shown.add(l.id);
  }
  const t = new Date(l.ts).toLocaleTimeString();
  add("line", [["time", t], ["span", l.name, "name"], ["span", l.text, "text"]]);
  log.lastElementChild.dataset.ts = l.ts;
}

// Lines from the cluster's history that this page has not shown, put in time order
// among the rows already there.
function merge(lines) {
  for (const l of lines) {
    if (!l || (l.id && shown.has(l.id))) continue;
    line(l);
    const row = log.lastElementChild;
    const later = [...log.querySelectorAll(".line")].find((r) => r !== row && Number(r.dataset.ts) > l.ts);
    if (later) log.insertBefore(row, later);
  }
}

// The members here: the welcome's list, then each presence change.
let members = [];

function presence(list) {
  members = [...list].sort();
  const ul = $("members");
  ul.replaceChildren(...members.map((m) => {
    const li = document.createElement("li");
    li.textContent = m;
    if (m === me) li.className = "me";
    return li;
  }));
  $("count").textContent = `(${members.length})`;
}

// The tab's session: the server lets it keep its name when it reconnects to any node,
// even while the node it left still lists it.
function session() {
  let sid = sessionStorage.getItem("sid");
  if (!sid) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    sid = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    sessionStorage.setItem("sid", sid);
  }
  return sid;
}

const chat = connect("/chat", {
  open(ws) {
    const name = sessionStorage.getItem("nick");
    if (name) ws.send(JSON.stringify({ type: "join", name, sid: session() }));
  },
  message(data) {
    const m = JSON.parse(data);
    if (m.type === "welcome") {
      me = m.you;
      sessionStorage.setItem("nick", me);
      // Merged, not replaced: after a reconnect the page keeps what it has shown (the
      // new node's history may lack lines, if Redis is away).
      merge(m.history);
      add("notice", [["span", `you joined as ${me}`]]);
      presence(m.members);
      $("join").hidden = true;
      $("say").hidden = false;
      $("text").focus();
    } else if (m.type === "presence") {
      if (m.joined) {
        add("notice", [["span", `${m.joined} joined`]]);
        presence([...members.filter((x) => x !== m.joined), m.joined]);
      }
      if (m.left) {
        add("notice", [["span", `${m.left} left`]]);
        presence(members.filter((x) => x !== m.left));
      }
    } else if (m.type === "line") {
      line(m);
    } else if (m.type === "history") {
      merge(m.lines);
    }
  },
  close(e) {
    add("notice", [["span", `disconnected: ${e.code}${e.reason ? " " + e.reason : ""}`]]);
  },
});

$("join").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = $("name").value.trim();
  if (!name) return;
  sessionStorage.setItem("nick", name);
  chat.send(JSON.stringify({ type: "join", name, sid: session() }));
});

$("say").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (text.trim() && chat.send(JSON.stringify({ type: "say", text }))) $("text").value = "";
});
