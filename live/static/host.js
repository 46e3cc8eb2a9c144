// Host console: /host.html?room=ROOM#token=JWT (a host, moderator or affiliate token).
// Laptop first: the preview and the chat side by side above the fold, the controls in a
// third column; every action answers in the toast (and screen readers hear it).
import { LiveClient, el, formatPrice, minorDigits, params, refill } from "./live.js";
import { lang, reason, t } from "./i18n.js";
import { RoomView } from "./room-view.js";

const query = params();
const room = query.get("room");
const token = query.get("token");
const mod = { moderators: [], brand_moderators: [], banned: [], timed_out: {}, shadow_muted: [], report_threshold: 3 };
const sales = {};
const names = new Map(); // user id -> display name, from chat
const client = new LiveClient(room, {
  token,
  onWelcome: (w) => {
    view.me = w.you;
    if (!w.resumed) {
      view.reset(w.room);
      const { queue, ...team } = w.moderation ?? {};
      Object.assign(mod, team);
      Object.assign(sales, w.sales ?? {});
      view.setQueue(queue ?? []);
      renderModeration();
    }
    view.apply({ type: "presence", viewers: w.viewers });
    renderAllHost();
  },
  onEvent: (ev) => { view.apply(ev); hostEvent(ev); },
  onStatus: (state, code) => { view.setConnection(state, code); renderBar(); },
});
const view = new RoomView({ client, host: true });
const p = view.parts;
const say = (reply, done) => { view.say(reply.ok ? done : reason(reply.error), reply.ok ? "ok" : "error"); return reply; };

function hostEvent(ev) {
  if (ev.type === "chat.message") names.set(ev.message.user.id, ev.message.user);
  if (ev.type === "sales.updated") sales[ev.affiliate_id] = ev;
  if (ev.type === "mod.ban") mod.banned = [...new Set([...mod.banned, ev.user_id])];
  if (ev.type === "mod.unban") mod.banned = mod.banned.filter((u) => u !== ev.user_id);
  if (ev.type === "mod.timeout") mod.timed_out = { ...mod.timed_out, [ev.user_id]: ev.until };
  if (ev.type === "mod.untimeout") { const { [ev.user_id]: _, ...rest } = mod.timed_out; mod.timed_out = rest; }
  if (ev.type === "mod.appointed") { mod.moderators = [...new Set([...mod.moderators, ev.user_id])]; if (ev.brand) mod.brand_moderators = [...mod.brand_moderators, ev.user_id]; }
  if (ev.type === "mod.dismissed") { mod.moderators = mod.moderators.filter((u) => u !== ev.user_id); mod.brand_moderators = mod.brand_moderators.filter((u) => u !== ev.user_id); }
  if (ev.type === "mod.shadow_mute") mod.shadow_muted = [...new Set([...mod.shadow_muted, ev.user_id])];
  if (ev.type === "mod.shadow_unmute") mod.shadow_muted = mod.shadow_muted.filter((u) => u !== ev.user_id);
  if (ev.type === "mod.report_threshold") mod.report_threshold = ev.reports;
  if (ev.type === "cohost.invited") view.room.cohost_invites = [...new Set([...(view.room.cohost_invites ?? []), ev.user_id])];
  if (ev.type === "cohost.joined") { view.room.cohost_invites = (view.room.cohost_invites ?? []).filter((u) => u !== ev.user_id); view.room.cohosts = [...new Set([...(view.room.cohosts ?? []), ev.user_id])]; names.set(ev.user_id, { name: ev.name }); }
  if (ev.type === "cohost.removed") { view.room.cohost_invites = (view.room.cohost_invites ?? []).filter((u) => u !== ev.user_id); view.room.cohosts = (view.room.cohosts ?? []).filter((u) => u !== ev.user_id); }
  if (ev.type.startsWith("mod.") || ev.type.startsWith("cohost.") || ev.type === "room.status") renderModeration();
  renderAllHost();
}

// --- the bar: title, state, go live / end
const goLive = el("button", { type: "button", class: "primary", "data-testid": "go-live", onclick: async () => {
  goLive.disabled = true;
  const r = await http("POST", `/v1/rooms/${room}/live`);
  view.say(r.ok ? `${t("live")} ✓` : reason((await r.json()).error), r.ok ? "ok" : "error");
  renderBar();
} }, t("go_live"));
// A rehearsal: a private copy of the room with a simulated audience that counts nowhere.
const rehearse = el("button", { type: "button", "data-testid": "rehearse", onclick: async () => {
  const r = await http("POST", `/v1/rooms/${room}/rehearsal`, { viewers: 20, chat_per_minute: 60 });
  const body = await r.json();
  if (!r.ok) return view.say(reason(body.error), "error");
  const url = `/host.html?room=${encodeURIComponent(body.room_id)}${location.search.includes("lang=id") ? "&lang=id" : ""}${location.hash}`;
  rehearsalLink.replaceChildren(el("a", { href: url, class: "button", "data-testid": "rehearsal-link" }, `🎬 ${t("open_rehearsal")}`));
  view.say(`${t("rehearse")} ✓`, "ok");
} }, `🎬 ${t("rehearse")}`);
const rehearsalLink = el("span", {});
const endButton = el("button", { type: "button", class: "danger", "data-testid": "end-show", onclick: () => confirmEnd.showModal() }, t("end"));
const confirmEnd = el("dialog", { "data-testid": "end-confirm", "aria-labelledby": "end-q" },
  el("p", { id: "end-q" }, t("end_confirm")),
  el("div", { class: "row2" },
    el("button", { type: "button", "data-testid": "end-cancel", onclick: () => confirmEnd.close() }, t("keep_going")),
    el("button", { type: "button", class: "danger", "data-testid": "end-yes", onclick: async () => {
      confirmEnd.close();
      const r = await http("POST", `/v1/rooms/${room}/end`);
      view.say(r.ok ? t("ended") : reason((await r.json()).error), r.ok ? "ok" : "error");
    } }, t("end"))));
function renderBar() {
  const status = view.room?.status;
  rehearse.hidden = status !== "scheduled" || !!view.room?.rehearsal_of;
  goLive.hidden = status !== "scheduled";
  goLive.disabled = view.connection !== "live";
  endButton.disabled = status === "ended" || !status;
}
const http = (method, path, body) => fetch(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body && JSON.stringify(body) });

// --- numbers
const tiles = el("dl", { class: "tiles", "data-testid": "numbers" });
const affiliates = el("ul", { class: "affiliates", "data-testid": "affiliate-sales" });
const money = (rev) => Object.entries(rev ?? {}).map(([c, v]) => formatPrice(v, c, lang)).join(" + ") || formatPrice(0, "IDR", lang).replace(/\d.*/, "0");
function renderNumbers() {
  const offers = [...view.offers.values()];
  const claimed = offers.reduce((n, o) => n + o.reserved + o.paid, 0);
  const revenue = {};
  for (const s of Object.values(sales)) for (const [c, v] of Object.entries(s.revenue ?? {})) revenue[c] = (revenue[c] ?? 0) + v;
  const tile = (label, value, testid) => el("div", { class: "tile" }, el("dt", {}, label), el("dd", { "data-testid": testid }, value));
  tiles.replaceChildren(tile(t("viewers_chart"), String(view.viewers ?? 0), "viewer-count"), tile(t("claims"), String(claimed), "claimed-units"),
    tile(t("revenue"), money(revenue), "revenue"), tile(t("questions"), String([...view.questions.values()].filter((q) => !q.answered).length), "open-questions"));
  const rows = Object.entries(sales).filter(([, s]) => s.units || s.reserved_units);
  affiliates.replaceChildren(...(rows.length ? rows.map(([aff, s]) => {
    const who = aff === "none" ? t("direct") : names.get(aff)?.name ? `${names.get(aff).name} (${aff})` : aff;
    return el("li", {}, el("span", {}, who), el("span", {}, `${s.units} ${t("sold")} · ${s.reserved_units} ${t("reserved_short").toLowerCase()} · ${money(s.revenue)}`));
  }) : [el("li", { class: "muted" }, t("no_sales"))]));
}
setInterval(renderNumbers, 1000);

// --- catalog: one click to pin, one form to run a flash sale
const catalogList = el("ul", { class: "catalog", "data-testid": "catalog" });
let products = [];
let openForm = null;
async function loadCatalog() {
  const info = await (await fetch(`/v1/rooms/${encodeURIComponent(room)}`)).json();
  const owner = info.brand_id || (info.host_id && "@" + info.host_id);
  products = owner ? (await (await fetch(`/v1/catalog/${encodeURIComponent(owner)}/products`)).json()).products ?? [] : [];
  renderCatalog();
}

// The forms read their fields by name when used (``form.elements``): refill() keeps the live form's
// inputs (what the host typed) and hands it the new build's handlers.
function offerForm(product) {
  const digits = minorDigits(product.currency);
  const major = (v) => (v / 10 ** digits).toFixed(digits);
  const number = (name, value, attrs = {}) => el("input", { type: "number", name, min: 0, value, "data-testid": `offer-${name}`, ...attrs });
  return el("form", { class: "offer-form", "data-testid": "offer-form", "data-key": `offer-${product.id}`,
    oninput: (ev) => {  // the price and the discount follow each other
      const f = ev.currentTarget.elements;
      if (ev.target === f.price) f.discount.value = String(Math.max(0, Math.round(100 * (1 - (Number(f.price.value) * 10 ** digits) / product.price))));
      if (ev.target === f.discount) f.price.value = major(Math.round(product.price * (1 - Number(f.discount.value) / 100)));
    },
    onsubmit: async (ev) => {
      ev.preventDefault();
      const f = ev.currentTarget.elements;
      const reply = await client.ask("offer.create", {
        product_id: product.id, units: Number(f.units.value), price: Math.round(Number(f.price.value) * 10 ** digits), per_buyer_limit: Number(f.limit.value),
        duration_seconds: Number(f.seconds.value), starts_in_seconds: Number(f.delay.value), early_access_seconds: Number(f.early.value), members_only: f.members.checked });
      say(reply, `${t("launch_offer")} ✓ ${product.title}`);
      if (reply.ok) { openForm = null; renderCatalog(); }
    } },
  el("label", {}, t("price"), number("price", major(product.price), { step: 1 / 10 ** digits })),
  el("label", {}, t("discount"), number("discount", 0, { max: 99, step: 1 })),
  el("label", {}, t("units"), number("units", 100, { min: 1 })),
  el("label", {}, t("per_buyer"), number("limit", 2, { min: 1 })),
  el("label", {}, t("duration"), number("seconds", 60, { min: 1 })),
  el("label", {}, t("delay"), number("delay", 0)),
  el("label", {}, t("early_access"), number("early", 0)),
  el("label", { class: "check" }, el("input", { type: "checkbox", name: "members", "data-testid": "offer-members" }), t("members_only_offer")),
  el("button", { type: "submit", class: "primary go", "data-testid": "launch-offer" }, t("launch_offer")));
}

function auctionForm(product) {
  const digits = minorDigits(product.currency);
  const major = (v) => (v / 10 ** digits).toFixed(digits);
  const number = (name, value, attrs = {}) => el("input", { type: "number", name, min: 0, value, "data-testid": `auction-${name}`, ...attrs });
  const check = (name) => el("input", { type: "checkbox", name, "data-testid": `auction-${name}` });
  return el("form", { class: "offer-form", "data-testid": "auction-form", "data-key": `auction-${product.id}`, onsubmit: async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget.elements;
    const reply = await client.ask("auction.start", {
      product_id: product.id, start_price: Math.round(Number(f.start.value) * 10 ** digits), increment: Math.max(1, Math.round(Number(f.increment.value) * 10 ** digits)),
      duration_seconds: Number(f.seconds.value), extend_seconds: Number(f.extend.value), sudden_death: f.sudden.checked, starts_in_seconds: Number(f.delay.value), members_only: f.members.checked });
    say(reply, `${t("start_auction")} ✓ ${product.title}`);
    if (reply.ok) { openForm = null; renderCatalog(); }
  } },
  el("label", {}, t("start_price_label"), number("start", major(Math.round(product.price / 2)), { step: 1 / 10 ** digits })),
  el("label", {}, t("increment"), number("increment", major(Math.max(1, Math.round(product.price / 50))), { step: 1 / 10 ** digits })),
  el("label", {}, t("duration"), number("seconds", 60, { min: 5 })),
  el("label", {}, t("extend"), number("extend", 10, { min: 1, max: 300 })),
  el("label", {}, t("delay"), number("delay", 0)),
  el("label", { class: "check" }, check("sudden"), t("sudden_death")),
  el("label", { class: "check" }, check("members"), t("members_only_offer")),
  el("button", { type: "submit", class: "primary go", "data-testid": "launch-auction" }, `🔨 ${t("start_auction")}`));
}

function renderCatalog() {
  const pinned = new Set(view.products.map((x) => x.product.id));
  refill(catalogList, () => products.length ? products.map((product) => el("li", { class: pinned.has(product.id) ? "pinned" : "", "data-product": product.id },
    el("div", { class: "row" },
      product.image_url ? el("img", { src: product.image_url, alt: "", width: 48, height: 48, loading: "lazy" }) : el("div", { class: "img-ph", "aria-hidden": "true" }, product.title.slice(0, 1)),
      el("div", {}, el("h3", {}, product.title), el("span", { class: "muted" }, formatPrice(product.price, product.currency, lang))),
      el("div", { class: "actions" },
        pinned.has(product.id)
          ? el("button", { type: "button", "data-testid": `unpin-${product.id}`, onclick: async () => say(await client.ask("product.unpin", { product_id: product.id }), `${t("unpin")} ✓`) }, t("unpin"))
          : el("button", { type: "button", "data-testid": `pin-${product.id}`, onclick: async () => say(await client.ask("product.pin", { product_id: product.id }), `${t("pin")} ✓ ${product.title}`) }, t("pin")),
        el("button", { type: "button", class: "primary", "aria-expanded": String(openForm === product.id), "data-testid": `flash-${product.id}`, onclick: () => { openForm = openForm === product.id ? null : product.id; renderCatalog(); } }, `⚡ ${t("flash_sale")}`),
        el("button", { type: "button", "aria-expanded": String(openForm === `a:${product.id}`), "aria-label": `${t("auction")}: ${product.title}`, "data-testid": `auction-${product.id}`,
          onclick: () => { openForm = openForm === `a:${product.id}` ? null : `a:${product.id}`; renderCatalog(); } }, "🔨"))),
    openForm === product.id ? offerForm(product) : openForm === `a:${product.id}` ? auctionForm(product) : null))
    : [el("li", { class: "empty" }, t("catalog_empty"))]);
}

// --- polls and giveaways: make them here, run them in the panels RoomView draws
const pollQuestion = el("input", { type: "text", maxlength: 200, "data-testid": "poll-question", "aria-label": t("question"), placeholder: t("question") });
const pollOptions = el("textarea", { rows: 3, "aria-label": t("options"), placeholder: t("options"), "data-testid": "poll-options" });
const pollForm = el("form", { class: "stack", onsubmit: async (ev) => {
  ev.preventDefault();
  const reply = say(await client.ask("poll.create", { question: pollQuestion.value, options: pollOptions.value.split("\n").map((s) => s.trim()).filter(Boolean) }), `${t("create_poll")} ✓`);
  if (reply.ok) { pollQuestion.value = ""; pollOptions.value = ""; }
} }, pollQuestion, pollOptions, el("button", { type: "submit", "data-testid": "create-poll" }, t("create_poll")));
const giveawayTitle = el("input", { type: "text", maxlength: 200, "aria-label": t("giveaway"), placeholder: t("giveaway"), "data-testid": "giveaway-title" });
const giveawayWinners = el("input", { type: "number", min: 1, max: 100, value: 1, "aria-label": t("winners"), class: "qty" });
const giveawayForm = el("form", { class: "row2", onsubmit: async (ev) => {
  ev.preventDefault();
  const reply = say(await client.ask("giveaway.start", { title: giveawayTitle.value, winners: Number(giveawayWinners.value) }), `${t("start_giveaway")} ✓`);
  if (reply.ok) giveawayTitle.value = "";
} }, giveawayTitle, giveawayWinners, el("button", { type: "submit", "data-testid": "start-giveaway" }, t("start_giveaway")));
p.poll.append(pollForm);
p.giveaway.append(giveawayForm);

// --- moderation: who moderates, who is banned or timed out, and undoing it
const modBox = el("div", { "data-testid": "moderation" });
function renderModeration() {
  const who = (id) => names.get(id)?.name ? `${names.get(id).name} (${id})` : id;
  // The brand's team is the brand's to dismiss (from its own page): labelled, no button.
  const list = (title, ids, action, label, testid, brands = []) => [el("h3", {}, title), el("ul", { class: "people", "data-testid": testid }, ...(ids.length ? ids.map((id) => el("li", { "data-key": id }, el("span", {}, who(id)),
    brands.includes(id) ? el("span", { class: "muted", "data-testid": "brand-team" }, t("brand_team"))
      : el("button", { type: "button", onclick: async () => say(await client.ask(action, { user_id: id }), `${label} ✓ ${who(id)}`) }, label))) : [el("li", { class: "muted" }, t("nobody"))]))];
  // Rows are forms read by field name when used: refill() keeps what the host is typing through the room's events.
  const row = (key, submit, ...body) => el("form", { class: "row2", "data-key": key, onsubmit: (ev) => { ev.preventDefault(); submit(ev.currentTarget.elements); } }, ...body);
  const userForm = (key, action, label, testid, inputTestid) => row(key, async (f) => { if (say(await client.ask(action, { user_id: f.user.value.trim() }), `${label} ✓`).ok) f.user.value = ""; },
    el("input", { type: "text", name: "user", "aria-label": label, placeholder: t("user_id"), "data-testid": inputTestid }), el("button", { type: "submit", "data-testid": testid }, label));
  refill(modBox, () => [
    row("threshold", async (f) => say(await client.ask("mod.report_threshold", { reports: Number(f.reports.value) }), `${t("report_threshold")} ✓`),
      el("label", {}, t("report_threshold"), " ", el("input", { type: "number", name: "reports", min: 1, max: 100, value: mod.report_threshold, class: "qty", "data-testid": "report-threshold" })),
      el("button", { type: "submit", "data-testid": "set-threshold" }, t("apply"))),
    row("slow", async (f) => say(await client.ask("mod.slow_mode", { seconds: Number(f.seconds.value) }), `${t("slow_mode")} ✓`),
      el("label", {}, t("slow_mode"), " ", el("input", { type: "number", name: "seconds", min: 0, max: 3600, value: view.room?.slow_mode_seconds ?? 0, class: "qty" })),
      el("button", { type: "submit" }, t("apply"))),
    el("label", { class: "row2" }, el("input", { type: "checkbox", "data-testid": "members-chat",
      onchange: async (ev) => { const box = ev.currentTarget; say(await client.ask("chat.members_only", { enabled: box.checked }), `${t("members_chat")} ✓`); } }), t("members_chat")),
    userForm("appoint", "mod.appoint", t("appoint"), "appoint", "appoint-user"),
    ...list(t("moderators"), mod.moderators, "mod.dismiss", t("dismiss"), "moderators", mod.brand_moderators),
    ...list(t("banned_list"), mod.banned, "mod.unban", t("unban"), "banned"),
    ...list(t("timed_out_list"), Object.keys(mod.timed_out), "mod.untimeout", t("untimeout"), "timed-out"),
    ...list(t("shadow_list"), mod.shadow_muted, "mod.shadow_unmute", t("shadow_unmute"), "shadow-muted"),
    ...list(t("cohosts"), [...(view.room?.cohosts ?? []), ...(view.room?.cohost_invites ?? [])], "cohost.remove", t("remove"), "cohosts"),
    userForm("cohost", "cohost.invite", t("invite_cohost"), "invite-cohost", "cohost-user"),
  ]);
  modBox.querySelector("[data-testid=members-chat]").checked = Boolean(view.membersOnly);  // the room's, also when another moderator switched it
}

// --- reviews of the pinned products: put one on screen
const reviewsBox = el("div", { "data-testid": "host-reviews" });
function renderReviews() {
  const shown = view.room?.spotlight;
  const rows = [];
  for (const { product, reviews } of view.products) {
    const seen = new Set();
    for (const r of [...(reviews?.most_helpful ?? []), ...(reviews?.newest ?? [])]) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      rows.push(el("li", { "data-review": r.id }, el("span", {}, `${"★".repeat(r.stars)} ${product.title} · ${r.author.name}: “${r.text}”`),
        shown?.id === r.id ? el("strong", { class: "ok" }, " ✓")
          : el("button", { type: "button", "data-testid": "spotlight", onclick: async () => say(await client.ask("review.spotlight", { review_id: r.id }), `${t("spotlight")} ✓`) }, t("spotlight"))));
    }
  }
  refill(reviewsBox, () => [el("div", {}, el("ul", { class: "people" }, ...(rows.length ? rows : [el("li", { class: "muted" }, t("no_reviews"))])),
    shown ? el("button", { type: "button", "data-testid": "unspotlight", onclick: async () => say(await client.ask("review.unspotlight"), `${t("unspotlight")} ✓`) }, t("unspotlight")) : null)]);
}


function renderAllHost() {
  renderBar(); renderNumbers(); renderCatalog(); renderReviews();
}

const box = (title, ...body) => el("section", { class: "panelbox", "aria-label": title }, el("h2", {}, title), ...body);
for (const part of [p.poll, p.qa, p.giveaway]) part.classList.add("panelbox");
document.body.prepend(el("header", { class: "bar" }, el("div", { class: "title" }, p.status), p.toast, rehearsalLink, rehearse, goLive, endButton, confirmEnd));
document.getElementById("app").replaceChildren(
  el("div", { class: "col", tabindex: 0, role: "region", "aria-label": t("viewers") }, el("div", { class: "preview" }, p.stage), tiles, box(t("affiliates"), affiliates)),
  el("div", { class: "col chatcol" }, el("section", { class: "panelbox chatcol", "aria-label": t("chat") }, el("h2", {}, t("chat")), p.banner, p.chat, el("div", { class: "bottom" }, p.composer, p.reactions))),
  el("div", { class: "col controls" }, box(t("review_queue"), p.queue), box(t("catalog"), catalogList), box(t("running"), p.offers), box(t("reviews_panel"), reviewsBox), p.qa, p.poll, p.giveaway, box(t("moderation"), modBox)));
view.onCommerce = () => renderCatalog();
renderModeration();
loadCatalog();
client.connect();
