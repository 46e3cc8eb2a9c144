// Brand page: /replay.html?brand=BRAND#token=JWT (a brand token) — sessions with their
// headline numbers, KPI tiles, charts with axes, a timeline with markers, a replay whose
// video follows the scrubber (and the room's state at that instant), exports and the
// moderation log.
import { clock, el, formatPrice, params } from "./live.js";
import { lang, locale, reason, t } from "./i18n.js";
import { RoomView } from "./room-view.js";
import { chart, timeLabel } from "./charts.js";

const query = params();
const brand = query.get("brand");
const auth = { authorization: `Bearer ${query.get("token")}` };
const speed = Number(query.get("speed") || 1);
/** ``r``, or its error's code thrown (shown with ``said``). */
const ok = async (r) => {
  if (!r.ok) throw new Error((await r.json()).error?.code ?? "error");
  return r;
};
const get = async (path) => (await ok(await fetch(path, { headers: auth }))).json();
// Its own words when it cannot show the sessions (i18n.js is held to the shopper's budget).
const FAIL = {
  en: { unauthorized: "Your sign-in has expired or is not valid. Open this page again from your brand dashboard.",
    forbidden: "This sign-in is not for this brand's sessions.", no_brand: "No brand given: the address needs ?brand=…", retry: "Try again" },
  id: { unauthorized: "Sesi masukmu kedaluwarsa atau tidak valid. Buka lagi halaman ini dari dasbor brand-mu.",
    forbidden: "Akun ini bukan untuk siaran brand ini.", no_brand: "Brand tidak disebut: alamatnya perlu ?brand=…", retry: "Coba lagi" },
}[lang];
// an API error code in the reader's words
const said = (err) => reason({ code: err?.message });
const money = (rev) => Object.entries(rev ?? {}).map(([c, v]) => formatPrice(v, c, lang)).join(" + ") || "–";
const duration = (ms) => {
  const m = Math.round((ms ?? 0) / 60000);
  return m >= 60 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} ${t("minute")}` : `${m} ${t("minute")}`;
};
const pct = (x) => `${(100 * (x ?? 0)).toFixed(1)}%`;
const box = (title, testid, ...body) => el("section", { class: "panelbox", "aria-label": title, "data-testid": testid }, el("h2", {}, title), ...body);

const sessionsList = el("ul", { class: "sessions", "data-testid": "sessions" });
const detail = el("div", { class: "stack", "data-testid": "session-detail" }, el("p", { class: "panelbox muted" }, t("choose_session")));
const view = new RoomView({ replay: true });
const p = view.parts;
const say = view.say.bind(view);
// A call failing once the page is up (a network drop, an expired token) says why in the toast.
const guard = (call) => call.catch((err) => { say(said(err), "error"); return false; });
document.body.prepend(el("header", { class: "bar" }, el("h1", { class: "title" }, `live · ${t("sessions")} · ${brand ?? ""}`), p.toast));
const reviewsBox = box(t("product_reviews"), "reviews-box");
const aside = el("aside", { class: "stack" }, box(t("sessions"), "sessions-box", sessionsList), reviewsBox);
document.getElementById("app").replaceChildren(aside, detail);

async function load() {
  const { sessions } = await get(`/v1/brands/${encodeURIComponent(brand)}/sessions`);
  sessionsList.replaceChildren(...(sessions.length ? [...sessions].reverse().map((s) => el("li", {},
    el("button", { type: "button", "data-room": s.room_id, onclick: (ev) => guard(open(s.room_id, ev.currentTarget)) },
      el("span", { class: "s-title" }, s.title), el("span", { class: "s-rev" }, money(s.commerce.revenue)),
      el("span", { class: "s-meta", "data-testid": "session-meta" },
        s.went_live_at ? new Date(s.went_live_at).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" }) : t("scheduled"),
        ` · ${duration(s.duration_ms)} · ${t("peak")} ${s.viewers.peak} · ${t("conversion")} ${pct(s.commerce.conversion)}`))))
    : [el("li", { class: "empty" }, t("no_sessions"))]));
}

const tile = (label, value, testid) => el("div", { class: "tile" }, el("dt", {}, label), el("dd", { "data-testid": testid }, value));

async function open(roomId, button) {
  for (const b of sessionsList.querySelectorAll("button")) b.setAttribute("aria-current", String(b === button));
  const a = await get(`/v1/rooms/${roomId}/analytics`);
  const startMs = a.went_live_at ?? Date.now();
  const c = a.commerce;
  const markers = await timelineMarkers(roomId, a);
  detail.replaceChildren(
    box(`${button?.querySelector(".s-title")?.textContent ?? roomId} · ${new Date(startMs).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" })} · ${duration(a.duration_ms)}`, "kpis",
      el("dl", { class: "kpis" }, tile(t("peak"), String(a.viewers.peak), "kpi-peak"), tile(t("unique_viewers"), String(a.viewers.unique), "kpi-unique"),
        tile(t("revenue"), money(c.revenue), "kpi-revenue"), tile(t("buyers"), String(c.buyers), "kpi-buyers"), tile(t("conversion"), pct(c.conversion), "kpi-conversion"),
        tile(t("claims"), String(c.claims), "kpi-claims"), tile(t("sales_chart"), String(c.paid_orders), "kpi-paid"), tile(t("messages_chart"), String(a.chat.messages), "kpi-messages"),
        tile(t("reactions"), String(a.reactions), "kpi-reactions"), tile(t("questions"), `${a.questions.answered} / ${a.questions.asked}`, "kpi-questions"))),
    box(t("per_minute"), "charts", el("div", { class: "charts" },
      chart({ title: t("viewers_chart"), points: a.per_minute, key: "viewers", startMs, testid: "chart-viewers" }),
      chart({ title: t("sales_chart"), points: a.per_minute, key: "paid_orders", startMs, kind: "bars", testid: "chart-sales" }),
      chart({ title: t("messages_chart"), points: a.per_minute, key: "messages", startMs, kind: "bars", testid: "chart-messages" }))),
    player(roomId, a, startMs, markers),
    box(t("export"), "exports", el("div", { class: "exports" }, ...["csv", "ndjson", "vtt"].map((fmt) => el("button", { type: "button", "data-testid": `export-${fmt}`, onclick: () => guard(download(roomId, fmt)) }, `⬇ ${fmt.toUpperCase()}`)))),
    await moderationLog(roomId));
}

async function download(roomId, fmt) {
  const r = await ok(await fetch(`/v1/rooms/${roomId}/export.${fmt}`, { headers: auth })); // not an error saved as the file
  const link = el("a", { href: URL.createObjectURL(await r.blob()), download: `${roomId}.${fmt}` });
  link.click();
  say(`${t("export")} ${fmt.toUpperCase()} ✓`, "ok");
}

const MARKS = { "product.pinned": ["📌", "m_pin"], "offer.created": ["⚡", "m_offer"], "poll.created": ["📊", "m_poll"], "giveaway.started": ["🎁", "m_giveaway"], "auction.created": ["🔨", "m_auction"] };

async function timelineMarkers(roomId, a) {
  const out = [];
  let after = 0;
  for (let page = 0; page < 10 && after !== null; page++) {
    const r = await get(`/v1/rooms/${roomId}/replay?include=commerce,polls,giveaways&after=${after}&limit=500`);
    for (const ev of r.events) if (MARKS[ev.type]) out.push({ at: ev.offset_ms, icon: MARKS[ev.type][0], label: t(MARKS[ev.type][1]), what: ev.product?.title ?? ev.offer?.product?.title ?? ev.auction?.product?.title ?? ev.poll?.question ?? ev.title ?? "" });
    after = r.next_after;
  }
  // Spikes: minutes whose chat + reactions stand well above the show's mean.
  const activity = a.per_minute.map((m) => m.messages + m.reactions);
  const mean = activity.reduce((x, y) => x + y, 0) / Math.max(1, activity.length);
  const sd = Math.sqrt(activity.reduce((x, y) => x + (y - mean) ** 2, 0) / Math.max(1, activity.length));
  a.per_minute.forEach((m, i) => { if (activity[i] > mean + 1.5 * sd && activity[i] >= 5) out.push({ at: m.minute * 60000 + 30000, icon: "🔥", label: t("m_spike"), what: `${activity[i]}` }); });
  return out.sort((x, y) => x.at - y.at);
}

let socket = null;
function player(roomId, a, startMs, markers) {
  const total = Math.max(1000, a.duration_ms ?? 0);
  const scrub = el("input", { type: "range", min: 0, max: total, value: 0, step: 1000, "aria-label": t("timeline"), "data-testid": "timeline" });
  const label = el("span", { "data-testid": "position", class: "countdown" }, `${clock(0)} · ${timeLabel(startMs)}`);
  const show = (ms) => { label.textContent = `${clock(ms)} · ${timeLabel(startMs + ms)}`; };
  const playing = { on: false };
  const playButton = el("button", { type: "button", class: "primary", "data-testid": "play", onclick: () => (playing.on ? pause() : play(Number(scrub.value))) }, `▶ ${t("play")}`);
  view.replayNow = () => startMs + Number(scrub.value);
  const videoAt = (ms) => { if (view.video && Math.abs(view.video.currentTime * 1000 - ms) > 400) view.video.currentTime = ms / 1000; };
  const seek = (ms) => { scrub.value = String(ms); show(ms); videoAt(ms); play(ms, playing.on); };
  function pause() {
    playing.on = false;
    socket?.close();
    view.video?.pause();
    playButton.textContent = `▶ ${t("play")}`;
  }
  function play(fromMs, run = true) {
    socket?.close();
    playing.on = run;
    playButton.textContent = run ? `⏸ ${t("pause")}` : `▶ ${t("play")}`;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/v1/rooms/${roomId}/replay/ws?from_ms=${fromMs}&speed=${speed}`, ["live.v1.json"]);
    socket = ws;
    ws.onmessage = (msg) => {
      for (const m of JSON.parse(msg.data)) {
        if (m.type === "replay.start") {
          view.reset({ ...m.room, playback_url: m.room.playback_url ?? a.playback_url });
          if (view.video) { view.video.muted = true; view.video.playbackRate = Math.min(16, speed); videoAt(fromMs); if (run) view.video.play().catch(() => {}); else view.video.pause(); }
          if (!run) ws.close();
        } else if (m.type === "replay.end") {
          pause();
        } else {
          if (typeof m.offset_ms === "number" && !view.video) { scrub.value = String(m.offset_ms); show(m.offset_ms); }
          view.apply(m);
        }
      }
    };
  }
  scrub.addEventListener("input", () => show(Number(scrub.value)));
  scrub.addEventListener("change", () => seek(Number(scrub.value)));
  // With a video, the video is the clock: the scrubber follows it, the replay the scrubber.
  view.parts.stage.addEventListener("timeupdate", () => {
    if (!view.video || !playing.on) return;
    const ms = Math.round(view.video.currentTime * 1000);
    scrub.value = String(ms);
    show(ms);
  }, true);
  // Under the track; a marker close to the last sits right of it.
  let prev = -9, shift = 0;
  const markerRow = el("div", { class: "markers", "data-testid": "markers" }, ...markers.map((m) => {
    const left = Math.min(100, (100 * m.at) / total);
    shift = left - prev < 4 ? shift + 1.8 : 0;
    prev = left;
    return el("button", { type: "button", class: "marker", style: `left:calc(${left}% + ${shift}rem)`,
      title: `${m.label} · ${clock(m.at)} ${m.what}`, "aria-label": `${m.label} ${clock(m.at)} ${m.what}`, "data-marker": m.label, onclick: () => seek(m.at) }, m.icon);
  }));
  const legend = el("p", { class: "legend" }, ...Object.values(MARKS).map(([icon, key]) => el("span", {}, `${icon} ${t(key)}`)), el("span", {}, `🔥 ${t("m_spike")}`));
  seek(0);
  return box(t("replay"), "player", el("div", { class: "replay-grid" },
    el("div", { class: "preview" }, p.stage, p.card),
    el("div", {}, el("div", { class: "scrubber" }, playButton, label, el("div", {}, scrub, markerRow)), legend, el("h3", {}, t("chat")), p.chat, p.poll, p.giveaway)));
}

async function moderationLog(roomId) {
  let actions = [];
  try { actions = (await get(`/v1/rooms/${roomId}/moderation`)).actions; } catch { /* not the tenant's: shown empty */ }
  return box(t("moderation_log"), "modlog", el("ul", { class: "modlog" }, ...(actions.length ? actions.map((x) => el("li", {},
    `${timeLabel(x.ts)} · ${x.user?.name ?? "?"} · ${x.action.replace("mod.", "")} → ${x.user_id ?? ""}${x.seconds ? ` (${clock(x.seconds * 1000)})` : ""}${x.reason ? ` — ${x.reason}` : ""}`))
    : [el("li", { class: "muted" }, t("no_actions"))])));
}

/** One alert for the page: with a stale or wrong token, or no brand, nothing else can show. */
function failed(err) {
  document.getElementById("app").replaceChildren(el("section", { class: "panelbox", style: "grid-column: 1 / -1; width: min(100%, 34rem); margin: 12vh auto 0",
    role: "alert", "data-testid": "page-error" },
  el("p", { style: "margin: 0 0 0.75rem" }, FAIL[err?.message] ?? said(err)), el("button", { type: "button", onclick: () => location.reload() }, FAIL.retry)));
}

(brand ? load() : Promise.reject(new Error("no_brand"))).then(() => {
  // After the sessions: the page draws without them (its budget counts what loads before it draws).
  const panel = { brand, get, auth, say, guard };
  import("./brand-reviews.js").then(({ reviewsPanel }) => reviewsPanel(reviewsBox, panel));
  import("./brand-team.js").then(({ teamPanel }) => aside.append(teamPanel(panel)));
}, failed);
