// The JavaScript client of live's room socket (docs/clients.md): the pages use it, and a
// merchant's own site can import it (`import { LiveClient } from "https://<live>/live.js"`).
// Connect, hello with the token, resume from the last seq after a drop (exponential
// backoff with jitter), requests with replies. User text is only ever put into the page
// with textContent (see el()).

/** Close codes after which the client reconnects (and resumes); see docs/protocol.md. */
export const RECONNECT = new Set([1001, 1006, 1011, 1012, 4008, 4010, 4029]);

/**
 * @typedef {{type: string, seq?: number, ts?: number, [field: string]: unknown}} ServerMessage
 * @typedef {{type: "reply", id: string, ok: boolean, result?: object, error?: {code: string, message: string, retry_after_ms?: number}}} Reply
 * @typedef {"connecting" | "reconnecting" | "live" | "ended" | "closed"} Status
 * @typedef {object} Options
 * @property {string|null} [token] the viewer's token (null: watch as a guest where allowed)
 * @property {string|null} [ref] an affiliate's referral code
 * @property {string|null} [server] the live server's origin, e.g. "https://live.example" (default: this page's)
 * @property {(m: ServerMessage) => void} [onEvent] every event and signal, in order
 * @property {(w: ServerMessage) => void} [onWelcome] each welcome (a resume, or a fresh snapshot in `room`)
 * @property {(s: Status, code?: number, reason?: string) => void} [onStatus]
 */

export class LiveClient {
  /** @param {string} roomId @param {Options} [options] */
  constructor(roomId, { token = null, ref = null, server = null, onEvent = () => {}, onWelcome = () => {}, onStatus = () => {} } = {}) {
    Object.assign(this, { roomId, token, ref, server, onEvent, onWelcome, onStatus });
    this.seq = null;
    this.epoch = null;
    this.nextId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.closedForGood = false;
    this.welcomed = false;
  }

  /** Whether requests can be sent now (the socket is open and welcomed). */
  get open() {
    return this.welcomed && this.ws?.readyState === WebSocket.OPEN;
  }

  /** Open the socket (and reopen it after a drop with a reconnect code). */
  connect() {
    const base = new URL(this.server ?? location.origin);
    const scheme = base.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${base.host}/v1/rooms/${encodeURIComponent(this.roomId)}/ws`, ["live.v1.json"]);
    this.ws = ws;
    this.welcomed = false;
    this.onStatus(this.seq === null && this.attempt === 0 ? "connecting" : "reconnecting");
    ws.onopen = () => {
      const hello = { type: "hello", id: "hello", token: this.token, ref: this.ref };
      if (this.seq !== null) Object.assign(hello, { since: this.seq, epoch: this.epoch });
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (msg) => {
      for (const m of JSON.parse(msg.data)) this.handle(m);
    };
    ws.onclose = (ev) => {
      this.welcomed = false;
      for (const [, reject] of this.pending.values()) reject(new Error("disconnected"));
      this.pending.clear();
      if (this.closedForGood || !RECONNECT.has(ev.code)) {
        this.onStatus(ev.code === 4009 ? "ended" : "closed", ev.code, ev.reason);
        return;
      }
      this.onStatus("reconnecting", ev.code);
      const bound = Math.min(30000, 500 * 2 ** this.attempt++);
      this.retry = setTimeout(() => this.connect(), Math.random() * bound);
    };
  }

  /** Try again now instead of waiting out the backoff (a person pressed "Try now"). */
  reconnectNow() {
    if (this.closedForGood || (this.ws && this.ws.readyState !== WebSocket.CLOSED)) return;
    clearTimeout(this.retry);
    this.connect();
  }

  handle(m) {
    if (m.type === "welcome") {
      this.attempt = 0;
      this.epoch = m.epoch;
      this.seq = m.seq;
      this.welcomed = true;
      this.onWelcome(m);
      this.onStatus("live");
      return;
    }
    if (m.type === "reply") {
      const waiter = this.pending.get(m.id);
      if (waiter) {
        this.pending.delete(m.id);
        waiter[0](m);
      } else if (!m.ok && m.id !== "hello") {
        this.onEvent({ type: "error", error: m.error });
      }
      return;
    }
    if (typeof m.seq === "number") this.seq = Math.max(this.seq ?? 0, m.seq);
    this.onEvent(m);
  }

  /**
   * Send one message; resolves with its reply (check `ok`), rejects if the socket is not open.
   * @param {string} type @param {object} [fields] @returns {Promise<Reply>}
   */
  request(type, fields = {}) {
    const id = `r${this.nextId++}`;
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return reject(new Error("not connected"));
      this.pending.set(id, [resolve, reject]);
      this.ws.send(JSON.stringify({ type, id, ...fields }));
    });
  }

  /** Like request(), but a lost connection is a failed reply ({ok: false, error: {code: "disconnected"}}), never a throw. */
  async ask(type, fields = {}) {
    try {
      return await this.request(type, fields);
    } catch {
      return { type: "reply", ok: false, error: { code: "disconnected", message: "not connected" } };
    }
  }

  close() {
    this.closedForGood = true;
    this.ws?.close();
  }
}

// --- page helpers

/** Redraw a live part by changing only what differs (docs/pages.md): kept elements stay the same
 * nodes, so a tap spanning a stock tick lands and typing and focus stay. Elements match by tag and
 * IDENTITY attributes; handlers come from the new build (forms read fields from form.elements). */
export function refill(node, build) {
  morphChildren(node, build().filter((c) => c !== null && c !== undefined && c !== false));
}

const IDENTITY = ["data-key", "data-testid", "data-product", "data-offer", "data-auction", "data-poll", "data-question", "data-giveaway", "data-review", "data-message", "data-room"];
const HANDLERS = ["onclick", "oninput", "onchange", "onsubmit", "onkeydown", "onfocus", "onblur"];

const sameNode = (a, b) => a.nodeName === b.nodeName && (a.nodeType !== 1 || IDENTITY.every((k) => a.getAttribute(k) === b.getAttribute(k)));

function morphChildren(parent, next) {
  const fresh = next.map((c) => (c instanceof Node ? c : document.createTextNode(String(c))));
  let at = parent.firstChild;
  fresh.forEach((node, i) => {
    let match = at;
    while (match && !sameNode(match, node)) match = match.nextSibling;
    if (!match) {
      parent.insertBefore(node, at);
      return;
    }
    // Skipped nodes go, unless a later child wants one: a reorder, moved with moveBefore (keeps focus).
    let wanted = false;
    for (let n = at; n !== match && !wanted; n = n.nextSibling) wanted = fresh.some((l, j) => j > i && sameNode(n, l));
    if (wanted) move(parent, match, at);
    else while (at !== match) { const gone = at; at = at.nextSibling; gone.remove(); }
    patch(match, node);
    at = match.nextSibling;
  });
  while (at) {
    const gone = at;
    at = at.nextSibling;
    gone.remove();
  }
}

function move(parent, node, before) {
  try {
    parent.moveBefore(node, before);
  } catch {
    parent.insertBefore(node, before);  // no moveBefore here, or a part not on the page yet
  }
}

function patch(live, fresh) {
  if (live.nodeType !== 1) {
    if (live.nodeValue !== fresh.nodeValue) live.nodeValue = fresh.nodeValue;
    return;
  }
  for (const { name } of [...live.attributes]) if (!fresh.hasAttribute(name)) live.removeAttribute(name);
  for (const { name, value } of fresh.attributes) if (live.getAttribute(name) !== value) live.setAttribute(name, value);
  for (const h of HANDLERS) if (live[h] !== fresh[h]) live[h] = fresh[h];
  morphChildren(live, [...fresh.childNodes]);
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node[k] = v;  // a property, so refill() can hand it to the live node
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Minor units per currency: prices travel as integers (IDR has none: 150000 is Rp 150.000).
const MINOR = { IDR: 0, JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

/** How many digits a currency's minor unit has (2 unless listed). */
export const minorDigits = (currency) => MINOR[currency] ?? 2;

export function formatPrice(amount, currency, lang) {
  const digits = MINOR[currency] ?? 2;
  const locale = lang === "id" ? "id-ID" : "en-US";
  return new Intl.NumberFormat(locale, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(amount / 10 ** digits);
}

export function params() {
  const out = new URLSearchParams(location.search);
  for (const [k, v] of new URLSearchParams(location.hash.slice(1))) out.set(k, v); // tokens travel in the fragment: never sent, never logged
  return out;
}

/** A countdown or an offset: m:ss, h:mm:ss from an hour on, and days first from a day on. */
export function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  // With days, hours always show: "3d 0:41:05", not "3d 41:05".
  return d || h ? `${d ? `${d}d ` : ""}${h}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}
