// The live event feed (/v1/ws), as the client library follows it: hello with the last event id
// processed, the missed events first, then live; reconnect with backoff and resume from where we
// were, so nothing is lost or shown twice. The session's cookie authenticates the handshake (the
// hello names no token). 4401 means the access token expired: refresh, then resume.
import { refreshSession } from "./api.js";

const listeners = new Set();
const statusListeners = new Set();
let socket = null;
let lastId = 0;
let attempts = 0;
let stopped = true;
let status = "offline";

export function onEvent(callback) {
  listeners.add(callback);
  return () => listeners.delete(callback);
}

export function onStatus(callback) {
  statusListeners.add(callback);
  callback(status);
  return () => statusListeners.delete(callback);
}

function setStatus(value) {
  status = value;
  for (const callback of statusListeners) callback(value);
}

export function startFeed(after) {
  if (!stopped) return;
  stopped = false;
  lastId = after ?? lastId;
  connect();
}

export function stopFeed() {
  stopped = true;
  if (socket) socket.close(1000);
  socket = null;
  setStatus("offline");
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/v1/ws`);
  socket = ws;
  setStatus("connecting");
  ws.onopen = () => ws.send(JSON.stringify({ type: "hello", after: lastId }));
  ws.onmessage = (message) => receive(JSON.parse(message.data));
  ws.onclose = (event) => closed(ws, event.code);
}

function receive(frame) {
  if (frame.type === "ready") {
    attempts = 0;
    setStatus("live");
    return;
  }
  if (frame.type !== "event" || frame.id <= lastId) return; // never twice
  lastId = frame.id;
  for (const callback of listeners) {
    try { callback(frame); } catch (error) { console.error(error); }
  }
}

async function closed(ws, code) {
  if (ws !== socket || stopped) return;
  setStatus("reconnecting");
  if (code === 4410) { stopFeed(); return; } // the session ended (logout elsewhere, revoked)
  if (code === 4401 && !(await refreshSession())) { stopFeed(); return; }
  attempts += 1;
  const wait = Math.min(10000, 250 * 2 ** Math.min(attempts, 6)) * (0.5 + Math.random() / 2);
  setTimeout(() => { if (!stopped) connect(); }, code === 4401 ? 0 : wait);
}

export function lastEventId() { return lastId; }
