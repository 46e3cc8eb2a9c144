// Host console: /host.html?room=ROOM#token=JWT (a host, moderator or affiliate token).
import { LiveClient, el, formatPrice, params } from "./live.js";
import { lang, reason, t } from "./i18n.js";
import { RoomView } from "./room-view.js";

const query = params();
const room = query.get("room");
const token = query.get("token");
const status = document.querySelector("[data-testid=connection]");
const numbers = { claims: 0, revenue: {}, affiliates: {} };
const client = new LiveClient(room, {
  token,
  onWelcome: (w) => {
    view.me = w.you;
    if (!w.resumed) view.reset(w.room);
    for (const [aff, s] of Object.entries(w.sales ?? {})) numbers.affiliates[aff] = s;
    renderNumbers();
  },
  onEvent: (ev) => {
    view.apply(ev);
    if (ev.type === "sales.updated") { numbers.affiliates[ev.affiliate_id] = ev; renderNumbers(); }
    if (ev.type === "offer.stock") renderNumbers();
  },
  onStatus: (state) => { status.dataset.state = state; status.textContent = state === "live" ? "" : t(state); },
});
const view = new RoomView(document.getElementById("room"), { client, host: true });
client.connect();

const http = (method, path, body) => fetch(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body && JSON.stringify(body) });
const feedback = el("p", { class: "error", role: "alert", "data-testid": "host-error" });
const show = (reply) => { feedback.textContent = reply.ok ? "" : reason(reply.error); feedback.dataset.kind = reply.ok ? "ok" : "error"; return reply; };
const field = (label, attrs) => el("label", {}, label, " ", el("input", attrs));

const numbersBox = el("dl", { class: "numbers", "data-testid": "numbers" });
function renderNumbers() {
  const offers = [...view.offers.values()];
  const claimed = offers.reduce((n, o) => n + o.reserved + o.paid, 0);
  const revenue = {};
  for (const s of Object.values(numbers.affiliates)) for (const [cur, v] of Object.entries(s.revenue)) revenue[cur] = (revenue[cur] ?? 0) + v;
  numbersBox.replaceChildren(
    el("dt", {}, t("viewers")), el("dd", { "data-testid": "viewer-count" }, String(view.viewers ?? 0)),
    el("dt", {}, t("claims")), el("dd", { "data-testid": "claimed-units" }, String(claimed)),
    el("dt", {}, t("revenue")), el("dd", {}, Object.entries(revenue).map(([c, v]) => formatPrice(v, c, lang)).join(" + ") || "0"),
    el("dt", {}, t("affiliates")), el("dd", {}, el("ul", { "data-testid": "affiliate-sales" }, ...Object.entries(numbers.affiliates).map(([aff, s]) =>
      el("li", {}, `${aff}: ${s.units} (${Object.entries(s.revenue).map(([c, v]) => formatPrice(v, c, lang)).join(", ")})`)))));
}
setInterval(renderNumbers, 1000);

const productSelect = el("select", { "aria-label": t("pin"), "data-testid": "product-select" });
async function loadCatalog() {
  const roomInfo = await (await fetch(`/v1/rooms/${room}`)).json();
  const owner = roomInfo.brand_id || roomInfo.host_id;
  const { products } = await (await fetch(`/v1/catalog/${owner}/products`)).json();
  productSelect.replaceChildren(...products.map((p) => el("option", { value: p.id }, `${p.title} · ${formatPrice(p.price, p.currency, lang)}`)));
}
loadCatalog();

const units = field(t("units"), { type: "number", min: 1, value: 100, "data-testid": "offer-units" });
const limit = field(t("per_buyer"), { type: "number", min: 1, value: 2, "data-testid": "offer-limit" });
const seconds = field(t("duration"), { type: "number", min: 1, value: 60, "data-testid": "offer-seconds" });
const pollQuestion = field(t("question"), { type: "text", "data-testid": "poll-question" });
const pollOptions = el("textarea", { "aria-label": t("options"), rows: 3, "data-testid": "poll-options" });
const giveawayTitle = field(t("giveaway"), { type: "text", "data-testid": "giveaway-title" });
const slow = field(t("slow_mode"), { type: "number", min: 0, value: 0 });
const value = (label) => label.querySelector("input").value;

document.getElementById("controls").append(
  el("section", {},
    el("button", { type: "button", "data-testid": "go-live", onclick: async () => show({ ok: (await http("POST", `/v1/rooms/${room}/live`)).ok, error: { code: "conflict" } }) }, t("go_live")),
    el("button", { type: "button", "data-testid": "end-show", onclick: async () => http("POST", `/v1/rooms/${room}/end`) }, t("end")), feedback),
  el("section", {}, el("h2", {}, t("pinned")), productSelect,
    el("button", { type: "button", "data-testid": "pin-product", onclick: async () => show(await client.request("product.pin", { product_id: productSelect.value })) }, t("pin"))),
  el("section", {}, el("h2", {}, t("launch_offer")), units, limit, seconds,
    el("button", { type: "button", "data-testid": "launch-offer", onclick: async () => show(await client.request("offer.create", {
      product_id: productSelect.value, units: Number(value(units)), per_buyer_limit: Number(value(limit)), duration_seconds: Number(value(seconds)) })) }, t("launch_offer"))),
  el("section", {}, el("h2", {}, t("create_poll")), pollQuestion, pollOptions,
    el("button", { type: "button", "data-testid": "create-poll", onclick: async () => show(await client.request("poll.create", {
      question: value(pollQuestion), options: pollOptions.value.split("\n").map((s) => s.trim()).filter(Boolean) })) }, t("create_poll"))),
  el("section", {}, el("h2", {}, t("giveaway")), giveawayTitle,
    el("button", { type: "button", onclick: async () => show(await client.request("giveaway.start", { title: value(giveawayTitle), winners: 1 })) }, t("start_giveaway"))),
  el("section", {}, el("h2", {}, t("moderation")), slow,
    el("button", { type: "button", onclick: async () => show(await client.request("mod.slow_mode", { seconds: Number(value(slow)) })) }, "OK")),
  el("section", {}, numbersBox),
);
