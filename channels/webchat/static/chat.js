// The web chat client: one WebSocket, resumable, with client message ids so a resend is harmless.
(() => {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const store = window.localStorage;
  const seen = new Set();      // mailbox message ids already shown
  const pending = new Map();   // client id -> {text, element}
  let socket = null;
  let backoff = 500;

  const session = () => store.getItem("wismo.session");
  const cursor = () => Number(store.getItem("wismo.after") || "0");

  function note(text, kind) {
    const el = document.createElement("div");
    el.className = "note" + (kind ? " " + kind : "");
    el.textContent = text;
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
  }

  function bubble(direction, text, links) {
    const el = document.createElement("div");
    el.className = "msg " + direction;
    el.textContent = text;
    if (links && links.length) {
      const row = document.createElement("div");
      row.className = "links";
      for (const link of links) {
        if (!/^https:\/\//.test(link.url)) continue;
        const a = document.createElement("a");
        a.href = link.url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = link.label;
        row.appendChild(a);
      }
      el.appendChild(row);
    }
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
    return el;
  }

  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const params = new URLSearchParams({ after: String(cursor()) });
    if (session()) params.set("session", session());
    socket = new WebSocket(`${proto}//${location.host}/webchat/ws?${params}`);
    socket.onopen = () => {
      backoff = 500;
      status.textContent = "online";
      status.className = "online";
      for (const [id, item] of pending) send(id, item.text);  // resend what was never acked
    };
    socket.onclose = () => {
      status.textContent = "reconnecting…";
      status.className = "";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
    socket.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === "session") {
        if (frame.session !== session()) { store.setItem("wismo.session", frame.session); store.setItem("wismo.after", "0"); }
      } else if (frame.type === "ack") {
        const item = pending.get(frame.id);
        if (item) { item.element.classList.remove("pending"); pending.delete(frame.id); seen.add(item.eventId); }
      } else if (frame.type === "message") {
        store.setItem("wismo.after", String(frame.seq));
        if (seen.has(frame.id)) return;
        seen.add(frame.id);
        bubble(frame.direction, frame.text, frame.links);
      } else if (frame.type === "error") {
        const item = frame.id && pending.get(frame.id);
        if (item && frame.code !== "unavailable") { item.element.remove(); pending.delete(frame.id); }
        note(frame.message, "error");
      }
    };
  }

  function send(id, text) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "message", id, text }));
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const id = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/[^A-Za-z0-9_-]/g, "");
    const sid = (session() || "").split(".")[0];
    const element = bubble("in pending", text);
    pending.set(id, { text, element, eventId: `webchat:${sid}:${id}` });
    send(id, text);
    input.value = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  connect();
})();
