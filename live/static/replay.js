// Brand replay: /replay.html?brand=BRAND#token=JWT (a brand token) — sessions, numbers,
// charts (SVG, drawn here), a replay with a timeline scrubber, and exports.
import { clock, el, formatPrice, params } from "./live.js";
import { lang, t } from "./i18n.js";
import { RoomView } from "./room-view.js";

const query = params();
const brand = query.get("brand");
const auth = { authorization: `Bearer ${query.get("token")}` };
document.getElementById("sessions-title").textContent = t("sessions");
const status = document.querySelector("[data-testid=connection]");
let socket = null;

async function load() {
  const { sessions } = await (await fetch(`/v1/brands/${brand}/sessions`, { headers: auth })).json();
  document.getElementById("sessions").replaceChildren(...sessions.map((s) => el("li", {},
    el("button", { type: "button", "data-room": s.room_id, onclick: () => open(s.room_id) }, s.title),
    ` · ${s.viewers.peak} ${t("viewers")} · ${s.chat.messages} ${t("chat")} · `,
    Object.entries(s.commerce.revenue).map(([c, v]) => formatPrice(v, c, lang)).join(", ") || "–")));
}

function chart(title, points, key, testid) {
  const w = 300, h = 120, max = Math.max(1, ...points.map((p) => p[key]));
  const span = Math.max(1, points.length - 1);
  const line = points.map((p, i) => `${((i / span) * w).toFixed(1)},${(h - (p[key] / max) * (h - 10)).toFixed(1)}`).join(" ");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  svg.dataset.testid = testid;
  const poly = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  poly.setAttribute("points", points.length === 1 ? `0,${line.split(",")[1]} ${w},${line.split(",")[1]}` : line);
  poly.setAttribute("fill", "none");
  poly.setAttribute("stroke", "#d7263d");
  poly.setAttribute("stroke-width", "2");
  svg.append(poly);
  return el("figure", {}, el("figcaption", {}, `${title} (max ${max})`), svg);
}

async function open(roomId) {
  const a = await (await fetch(`/v1/rooms/${roomId}/analytics`, { headers: auth })).json();
  document.getElementById("charts").replaceChildren(
    chart(t("viewers_chart"), a.per_minute, "viewers", "chart-viewers"),
    chart(t("sales_chart"), a.per_minute, "paid_orders", "chart-sales"),
    el("p", {}, `${t("revenue")}: `, Object.entries(a.commerce.revenue).map(([c, v]) => formatPrice(v, c, lang)).join(", ") || "–"));
  document.getElementById("exports").replaceChildren(el("h2", {}, t("export")), ...["ndjson", "csv", "vtt"].map((fmt) =>
    el("button", { type: "button", onclick: async () => {
      const blob = await (await fetch(`/v1/rooms/${roomId}/export.${fmt}`, { headers: auth })).blob();
      const link = el("a", { href: URL.createObjectURL(blob), download: `${roomId}.${fmt}` });
      link.click();
    } }, fmt.toUpperCase())));
  const scrub = el("input", { type: "range", class: "timeline", min: 0, max: a.duration_ms, value: 0, step: 1000, "aria-label": "timeline", "data-testid": "timeline" });
  const label = el("span", { "data-testid": "position" }, clock(0));
  scrub.addEventListener("input", () => { label.textContent = clock(Number(scrub.value)); });
  scrub.addEventListener("change", () => play(roomId, Number(scrub.value), scrub, label));
  document.getElementById("player").replaceChildren(el("h2", {}, t("replay")),
    el("button", { type: "button", "data-testid": "play", onclick: () => play(roomId, Number(scrub.value), scrub, label) }, t("play")), " ", label, scrub);
}

const view = new RoomView(document.getElementById("room"), { replay: true });

function play(roomId, fromMs, scrub, label) {
  socket?.close();
  const speed = Number(query.get("speed") || 4);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/v1/rooms/${roomId}/replay/ws?from_ms=${fromMs}&speed=${speed}`, ["live.v1.json"]);
  socket = ws;
  let liveAt = 0;
  ws.onmessage = (msg) => {
    for (const m of JSON.parse(msg.data)) {
      if (m.type === "replay.start") {
        liveAt = m.room.went_live_at;
        view.replayNow = () => liveAt + Number(scrub.value);
        view.reset(m.room);
      } else if (m.type === "replay.end") {
        status.textContent = "■";
        status.dataset.state = "ended";
      } else {
        if (typeof m.offset_ms === "number") { scrub.value = m.offset_ms; label.textContent = clock(m.offset_ms); }
        view.apply(m);
      }
    }
  };
}

load();
