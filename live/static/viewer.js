// Viewer page: /viewer.html?room=ROOM#token=JWT (no token: a guest; &ref=AFFILIATE; &login=URL
// for "Sign in"; &embed=1 in a merchant's page, see embed.js). Phone first: the video fills the
// screen, chat and the product on air over its lower part, the rest in sheets over it (docked
// in a second column from 900 px). An ended show offers a replay.
import { LiveClient, el, params } from "./live.js";
import { t } from "./i18n.js";
import { RoomView } from "./room-view.js";

const query = params();
const embedded = location.pathname.startsWith("/embed/");
const embed = embedded || query.get("embed") ? embedBridge() : null;
const client = new LiveClient(embedded ? decodeURIComponent(location.pathname.split("/")[2]) : query.get("room"), {
  token: query.get("token"),
  ref: query.get("ref"),
  onWelcome: (w) => {
    view.me = w.you;
    if (!w.resumed) {  // a resumed one carries none: its backlog has any change
      view.appointed = Boolean(w.moderation);
      view.setQueue(w.moderation?.queue ?? []);
      view.reset(w.room);
      view.loadOrders();
      if (!view.guest) client.ask("auction.mine").then((r) => { for (const a of r.result?.auctions ?? []) if (a.max) view.myMax.set(a.auction_id, a.max); view.renderCommerce(); });
      embed?.emit("ready", { room_id: w.room.id, title: w.room.title, status: w.room.status });
    }
    if (w.viewers !== undefined) view.apply({ type: "presence", viewers: w.viewers });
    view.renderAll();
  },
  onEvent: (ev) => view.apply(ev),
  onStatus: (state, code) => {
    view.setConnection(state, code);
    if (state === "ended") import("./watch-replay.js").then((m) => m.offerReplay(view, client.roomId));
  },
});
const view = new RoomView({ client, embed });
const p = view.parts;

// --- the sheets: one open at a time on a phone, docked on a desktop
const panel = el("aside", { class: "panel", "data-testid": "panel", "data-open": "" }, p.bag, p.orders, p.poll, p.qa, p.giveaway, p.product, p.rules, p.guest, p.mod, p.queueSheet);
const scrim = el("div", { class: "scrim", "aria-hidden": "true", onclick: () => closeSheet() });
let opener = null;
p.openSheet = (name) => {
  opener = document.activeElement;
  panel.dataset.open = name;
  document.body.dataset.sheet = name;
  panel.querySelector(`[data-sheet=${name}]`)?.focus();
};
p.closeSheet = () => closeSheet();
function closeSheet() {
  panel.dataset.open = "";
  document.body.dataset.sheet = "";
  opener?.focus?.();
}
panel.addEventListener("click", (ev) => { if (ev.target.closest("[data-close]")) closeSheet(); });
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && panel.dataset.open) closeSheet(); });

const LABEL = { qa: "questions", orders: "my_orders", queue: "review_queue" };
const railButton = (name, icon, testid) => el("button", { type: "button", class: "rail-btn", "data-testid": testid, "aria-label": t(LABEL[name] ?? name), onclick: () => p.openSheet(name) },
  el("span", { class: "icon", "aria-hidden": "true" }, icon), el("span", { class: "count" }));
const rail = {
  bag: railButton("bag", "🛍️", "open-bag"),
  poll: railButton("poll", "📊", "open-poll"),
  qa: railButton("qa", "❓", "open-qa"),
  giveaway: railButton("giveaway", "🎁", "open-giveaway"),
  orders: railButton("orders", "🧾", "open-orders-rail"),
  queue: railButton("queue", "🛡️", "open-queue"),
};
const setCount = (button, n, show = true) => {
  button.hidden = !show;
  button.querySelector(".count").textContent = n ? String(n) : "";
};
view.onCommerce = (products, orders) => { setCount(rail.bag, products); setCount(rail.orders, orders, orders > 0); };
view.onCommunity = () => {
  const openPolls = [...view.polls.values()].filter((x) => !x.closed).length;
  setCount(rail.poll, openPolls, view.polls.size > 0);
  setCount(rail.qa, [...view.questions.values()].filter((q) => !q.answered).length);
  setCount(rail.giveaway, [...view.giveaways.values()].filter((g) => !g.drawn).length, view.giveaways.size > 0);
};

document.getElementById("app").replaceChildren(
  el("div", { class: "screen" }, p.stage,
    el("div", { class: "overlay" }, el("div", { class: "top" }, p.status, p.banner),
      el("div", { class: "lower" },
        el("nav", { class: "rail", "aria-label": t("bag") }, ...Object.values(rail)),
        p.chat, p.toast, p.card,
        el("div", { class: "bottom" }, p.composer, p.reactions)))),
  scrim, panel);
view.onQueue = (n) => {  // staff only: held and reported messages to review
  setCount(rail.queue, n, view.staff);
  p.queueSheet.hidden = !view.staff;
};
view.onCommerce(0, 0);
view.onQueue(0);
view.onCommunity();
embed?.onOpenProduct(async (id) => {
  if (!view.catalog && view.room) {  // a product not on air yet: its catalog entry
    const owner = encodeURIComponent(view.room.brand_id || "@" + view.room.host_id);
    view.catalog = (await (await fetch(`/v1/catalog/${owner}/products`)).json()).products ?? [];
  }
  view.openProduct(id);
});
window.liveClient = client;
client.connect();

// The viewer's side of the embed (docs/embed.md): events go up to the merchant's page, and
// only that page (the frame's parent, on the origin that framed us) may call methods.
function embedBridge() {
  const frame = new URLSearchParams(location.search).get("frame") ?? "";
  const parentOrigin = location.ancestorOrigins?.[0] ?? (document.referrer ? new URL(document.referrer).origin : null);
  const handlers = {};
  window.addEventListener("message", (ev) => {
    const m = ev.data;
    if (ev.source !== window.parent || ev.origin !== parentOrigin || m?.source !== "live-embed-host" || m.frame !== frame) return;
    if (m.method === "openProduct" && typeof m.product_id === "string") handlers.openProduct?.(m.product_id);
  });
  document.documentElement.dataset.embed = "1";
  return {
    emit(type, detail) {
      if (parentOrigin && window.parent !== window) window.parent.postMessage({ source: "live-embed", frame, type, detail }, parentOrigin);
    },
    onOpenProduct(fn) { handlers.openProduct = fn; },
  };
}
