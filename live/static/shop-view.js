// What a shopper buys from: the sticky card of the product on air, the bag of every product
// of the show, a product's sheet, and "my orders"; the host's list of running offers; and live
// auctions (the card with current bid, leader, a timer that visibly jumps when a late bid extends
// it, quick bids and a private maximum; the host's list with cancel).
import { clock, el, refill } from "./live.js";
import { reason, t } from "./i18n.js";
import { offerClock } from "./room-view.js";
import { sheet } from "./community-view.js";

export function commerceParts(view) {
  const card = el("div", { class: "card-slot", "data-testid": "pinned-products", "aria-live": "polite" });
  const bagList = el("ul", { class: "bag-list", "data-testid": "bag" });
  const ordersList = el("ul", { class: "orders-list", "data-testid": "orders" });
  const productBody = el("div", { class: "product-body" });
  const offersList = el("div", { class: "offers", "data-testid": "offers" });
  const notes = new Map(); // offer id -> [text, kind]: survives re-rendering
  const auctions = auctionParts(view);
  const liveAuction = () => [...view.auctions.values()].filter((a) => !a.ended).sort((a, b) => Number(b.started) - Number(a.started) || a.ends_at - b.ends_at)[0];
  const storeKey = () => `live:orders:${view.room?.id}:${view.me?.id}`;
  let shownProduct = null;

  const running = () => [...view.offers.values()].filter((o) => !o.ended).sort((a, b) => Number(b.started) - Number(a.started) || a.ends_at - b.ends_at);
  // A shopper's replay: a deal of the show is over, its product sells at its price (the brand's replay shows the deal).
  const deal = (o) => (view.replay && view.client ? null : o);
  const offerFor = (productId) => deal(running().find((o) => o.product.id === productId) ?? null);
  const items = () => {
    const out = new Map();
    for (const { product } of view.products) out.set(product.id, { product, offer: offerFor(product.id) });
    for (const o of running()) if (!out.has(o.product.id)) out.set(o.product.id, { product: o.product, offer: deal(o) });
    return [...out.values()];
  };
  const reviewsOf = (productId) => view.products.find((p) => p.product.id === productId)?.reviews ?? null;
  const featured = () => {
    const o = running()[0];
    if (o) return { product: o.product, offer: deal(o) };
    const last = view.products.at(-1);
    return last ? { product: last.product, offer: null } : null;
  };

  function prices(product, offer) {
    const now = offer ? offer.price : product.price;
    const was = offer && offer.price < product.price ? product.price : null;
    const off = was ? Math.round(100 * (1 - offer.price / product.price)) : 0;
    return el("p", { class: "prices" }, el("strong", { class: "now", "data-testid": "price" }, view.price(now, product.currency)),
      was ? el("s", { class: "was", "data-testid": "was-price", "aria-label": `${t("was")} ${view.price(was, product.currency)}` }, view.price(was, product.currency)) : null,
      off ? el("span", { class: "off", "data-testid": "discount" }, `-${off}%`) : null);
  }

  function facts(offer) {
    if (!offer) return null;
    const sold = offer.reserved + offer.paid;
    const low = offer.available > 0 && offer.available <= Math.max(3, Math.ceil(offer.units * 0.1));
    return el("div", { class: "facts" },
      el("div", { class: "stock-bar", role: "progressbar", "aria-label": t("left"), "aria-valuemin": 0, "aria-valuemax": offer.units, "aria-valuenow": offer.available },
        el("span", { style: `width:${offer.units ? Math.round((100 * offer.available) / offer.units) : 0}%` })),
      el("p", { class: "stock-line" },
        el("span", { "data-testid": "offer-stock" }, offer.available === 0 ? t("sold_out") : `${offer.available} / ${offer.units} ${t("left")}`),
        sold ? el("span", { "data-testid": "sold" }, ` · ${sold} ${t("sold")}`) : null,
        low ? el("strong", { class: "low", "data-testid": "low-stock" }, ` · ${t("only_left", { n: offer.available })}`) : null),
      el("p", { class: "countdown", "data-testid": "offer-countdown", "data-offer-clock": offer.id }, offerClock(offer, view.now())));
  }

  function image(product, size) {
    return product.image_url ? el("img", { src: product.image_url, alt: "", width: size, height: size, loading: "lazy", decoding: "async" })
      : el("div", { class: "img-ph", "aria-hidden": "true" }, product.title.slice(0, 1).toUpperCase());
  }

  function buyButton(product, offer, testid = "claim-button") {
    if (view.host || !view.client) return null;
    if (offer) {
      const qtyKey = `qty${offer.id}`;
      const qty = offer.per_buyer_limit > 1 ? el("input", { type: "number", min: 1, max: offer.per_buyer_limit, value: notes.get(qtyKey) ?? 1, "aria-label": t("units"), "data-testid": "claim-units", name: "units", class: "qty",
        oninput: (ev) => notes.set(qtyKey, ev.target.value) }) : null;
      const closed = offer.ended || offer.available === 0 || view.connection === "closed";
      return el("div", { class: "buy" }, qty, el("button", { type: "button", class: "primary", "data-testid": testid, disabled: closed, onclick: (ev) => claim(offer, Number(ev.currentTarget.parentNode.querySelector("[name=units]")?.value ?? 1), product) },
        view.guest ? `🔒 ${t("claim")}` : t("claim")));
    }
    if (view.embed) return el("div", { class: "buy" }, el("button", { type: "button", class: "primary", "data-testid": "add-to-cart", onclick: () => {
      view.embed.emit("add-to-cart", { product_id: product.id, sku: product.sku, title: product.title, price: product.price, currency: product.currency, quantity: 1 });
      view.say(`${t("add_to_cart")} ✓`, "ok");
    } }, t("add_to_cart")));
    return el("div", { class: "buy" }, el("button", { type: "button", class: "secondary", "data-testid": "details", onclick: () => openProduct(product.id) }, t("details")));
  }

  async function claim(offer, units, product) {
    if (view.needsSignIn()) return;
    const reply = await view.client.ask("offer.claim", { offer_id: offer.id, units, key: crypto.randomUUID() });
    if (reply.ok) {
      const r = reply.result;
      view.orders.set(r.reservation_id, { ...r, title: product.title, status: "reserved", ...(view.orders.get(r.reservation_id) ?? {}) }); // order.placed may have come first
      save();
      notes.set(offer.id, ["reserved", "ok", r.expires_at]);
      view.embed?.emit("checkout", { reservation_id: r.reservation_id, offer_id: offer.id, product_id: product.id, sku: product.sku, units: r.units, price: r.price, currency: r.currency, expires_at: r.expires_at, checkout_url: r.checkout_url ?? null });
    } else notes.set(offer.id, [reason(reply.error), "error"]);
    render();
  }

  function note(offer) {
    const [text, kind, expires] = notes.get(offer?.id) ?? ["", "error"];
    const order = [...view.orders.values()].find((o) => o.offer_id === offer?.id && o.status === "reserved" && o.checkout_url);
    const body = text === "reserved" ? [t("reserved"), " ", el("strong", { "data-expires": expires }, clock(expires - view.now())), " · ",
      order ? el("a", { href: order.checkout_url, target: "_blank", rel: "noopener", class: "link", "data-testid": "card-checkout" }, t("checkout"))
        : el("button", { type: "button", class: "link", "data-testid": "open-orders", onclick: () => view.parts.openSheet?.("orders") }, t("my_orders"))] : [text];
    return el("p", { class: "note", role: "status", "data-testid": "offer-error", "data-kind": kind }, ...body);
  }

  function renderCard() {
    if (view.host) return refill(card, () => []);
    const a = liveAuction();
    if (a) return refill(card, () => [auctions.card(a)]);
    const f = featured();
    if (!f) return refill(card, () => []);
    const { product, offer } = f;
    refill(card, () => [el("article", { class: `card ${offer?.started === false ? "upcoming" : ""}`, "data-testid": "product-card", "data-product": product.id },
      image(product, 72),
      el("div", { class: "info" }, el("h2", { class: "ptitle" }, el("button", { type: "button", class: "link plain", "data-testid": "card-title", onclick: () => openProduct(product.id) }, product.title)), reviewsBlock(reviewsOf(product.id), false), prices(product, offer), facts(offer)),
      buyButton(product, offer), offer ? note(offer) : null)]);
  }

  function renderBag() {
    const all = items();
    refill(bagList, () => all.length ? all.map(({ product, offer }) => el("li", { class: "bag-item", "data-testid": "bag-item", "data-product": product.id },
      image(product, 56), el("div", { class: "info" }, el("h3", {}, product.title), prices(product, offer), offer ? el("p", { class: "countdown", "data-offer-clock": offer.id }, offerClock(offer, view.now())) : null),
      buyButton(product, offer, "bag-claim"))) : [el("li", { class: "empty" }, t("bag_empty"))]);
  }

  function renderOrders() {
    const all = [...view.orders.values()].reverse();
    const now = Date.now();
    refill(ordersList, () => all.length ? all.map((o) => {
      const status = o.status === "reserved" && o.expires_at < now ? "expired" : o.status;
      return el("li", { class: `order ${status}`, "data-testid": "order", "data-key": o.reservation_id, "data-status": status },
        el("p", {}, el("strong", {}, o.title), ` · ${o.units} × ${view.price(o.price, o.currency)}`),
        status === "reserved" ? el("p", {}, t("reserved"), " ", el("strong", { "data-expires": o.expires_at }, clock(o.expires_at - now))) : el("p", { class: "status" }, t(`order_${status}`)),
        status === "reserved" && o.checkout_url ? el("a", { href: o.checkout_url, class: "primary button", target: "_blank", rel: "noopener", "data-testid": "checkout-link" }, t("checkout")) : null,
        status === "paid" && !o.reviewed ? reviewForm(o) : null,
        status === "reserved" ? el("button", { type: "button", class: "secondary", onclick: async () => {
          const reply = await view.client.ask("order.cancel", { reservation_id: o.reservation_id });
          if (reply.ok) { o.status = "cancelled"; save(); render(); }
          view.say(reply.ok ? t("order_cancelled") : reason(reply.error), reply.ok ? "ok" : "error");
        } }, t("cancel_order")) : null);
    }) : [el("li", { class: "empty" }, t(view.replay ? "no_orders_over" : "no_orders"))]);
  }

  /** A paid order's buyer reviews the product: stars and a few words (verified buyer). Its fields are read by name
   * when sent: refill() keeps the live form (what the shopper typed) through the stock ticks of a flash sale. */
  function reviewForm(o) {
    return el("form", { class: "review-form", "data-key": `review-${o.reservation_id}`, onsubmit: async (ev) => {
      ev.preventDefault();
      const f = ev.currentTarget.elements;
      const r = await fetch(`/v1/rooms/${encodeURIComponent(view.room.id)}/orders/${o.reservation_id}/review`, { method: "POST",
        headers: { authorization: `Bearer ${view.client.token}`, "content-type": "application/json" }, body: JSON.stringify({ stars: Number(f.stars.value), text: f.text.value }) });
      const body = await r.json();
      if (r.ok || r.status === 409) { (view.orders.get(o.reservation_id) ?? o).reviewed = true; save(); render(); }
      view.say(r.ok ? (body.status === "published" ? t("review_thanks") : t("review_held")) : reason(body.error), r.ok ? "ok" : "error");
    } }, el("strong", {}, t("write_review")),
    el("select", { name: "stars", "aria-label": t("stars"), "data-testid": "review-stars" }, ...[5, 4, 3, 2, 1].map((n) => el("option", { value: n }, "★".repeat(n)))),
    el("input", { type: "text", name: "text", maxlength: 2000, placeholder: t("review_placeholder"), "aria-label": t("review_placeholder"), "data-testid": "review-text" }),
    el("button", { type: "submit", class: "primary", "data-testid": "review-submit" }, t("send")));
  }

  /** A pinned product's reviews: the average and count, how many gave each star, the newest and most helpful. */
  function reviewsBlock(summary, full) {
    if (!summary?.count) return full ? el("p", { class: "muted" }, t("no_reviews")) : null;
    const line = el("p", { class: "rating", "data-testid": "rating", "aria-label": `${summary.average.toFixed(1)} / 5, ${summary.count} ${t("reviews_count")}` }, `★ ${summary.average.toFixed(1)} `, el("span", { class: "muted" }, `(${summary.count})`));
    if (!full) return line;
    const seen = new Set();
    const list = [...(summary.most_helpful ?? []), ...(summary.newest ?? [])].filter((r) => !seen.has(r.id) && seen.add(r.id));
    return el("div", { class: "reviews", "data-testid": "reviews" }, line,
      el("ol", { class: "histogram", "aria-label": t("reviews_count") }, ...[5, 4, 3, 2, 1].map((n) => el("li", {}, `${n}★ `,
        el("span", { class: "hbar" }, el("span", { style: `width:${Math.round((100 * (summary.stars?.[n - 1] ?? 0)) / summary.count)}%` })), ` ${summary.stars?.[n - 1] ?? 0}`))),
      el("ul", { class: "review-list" }, ...list.map((r) => el("li", { "data-testid": "review" },
        el("p", {}, el("span", { class: "stars", "aria-label": `${r.stars} / 5` }, "★".repeat(r.stars)), " ", el("strong", {}, r.author.name), r.verified ? el("span", { class: "muted" }, ` · ✓ ${t("verified_buyer")}`) : null),
        el("p", {}, r.text),
        view.guest ? null : el("button", { type: "button", class: "link", "data-testid": "helpful", onclick: async () => {
          const res = await fetch(`/v1/reviews/${r.id}/helpful`, { method: "POST", headers: { authorization: `Bearer ${view.client.token}` } });
          view.say(res.ok ? `${t("helpful")} ✓` : reason((await res.json()).error), res.ok ? "ok" : "error");
        } }, `👍 ${t("helpful")} (${r.helpful})`)))));
  }

  function renderOffers() {
    if (!view.host) return;
    refill(offersList, () => [...[...view.auctions.values()].reverse().map((a) => auctions.hostRow(a)), ...[...view.offers.values()].reverse().map((o) => el("article", { class: `offer ${o.ended ? "ended" : ""}`, "data-offer": o.id },
      el("h3", {}, o.product.title, " · ", view.price(o.price, o.currency)), facts(o),
      !view.replay && !o.ended ? el("button", { type: "button", onclick: async () => {
        const reply = await view.client.ask("offer.end", { offer_id: o.id });
        view.say(reply.ok ? `${t("end_offer")} ✓` : reason(reply.error), reply.ok ? "ok" : "error");
      } }, t("end_offer")) : null))]);
  }

  function openProduct(productId) {
    shownProduct = productId;
    renderProduct();
    view.parts.openSheet?.("product");
  }

  function renderProduct() {
    const found = items().find((i) => i.product.id === shownProduct) ?? (view.catalog ?? []).map((p) => ({ product: p, offer: null })).find((i) => i.product.id === shownProduct);
    if (!found) return refill(productBody, () => []);
    const { product, offer } = found;
    refill(productBody, () => [el("div", {}, image(product, 240), el("h3", {}, product.title), prices(product, offer), product.description ? el("p", {}, product.description) : null, facts(offer),
      buyButton(product, offer, "sheet-claim"), offer ? note(offer) : null, reviewsBlock(reviewsOf(product.id), true))]);
  }

  function save() {
    try { sessionStorage.setItem(storeKey(), JSON.stringify([...view.orders.values()])); } catch { /* private mode: orders last the page */ }
  }

  view.productImage = image;
  view.setOrders = (orders, reviewed = []) => {
    const done = new Set(reviewed);
    view.orders = new Map(orders.map((o) => [o.reservation_id, done.has(o.reservation_id) ? { ...o, reviewed: true } : o]));
    render();
  };
  view.upsertOrder = (order) => {
    view.orders.set(order.reservation_id, { ...(view.orders.get(order.reservation_id) ?? {}), ...order });
    const o = view.orders.get(order.reservation_id);
    if (o.checkout_url) view.embed?.emit("checkout", { reservation_id: o.reservation_id, offer_id: o.offer_id, product_id: o.product_id, units: o.units, price: o.price, currency: o.currency, expires_at: o.expires_at, checkout_url: o.checkout_url });
    render();
  };
  view.patchOrder = (id, patch) => {
    const o = view.orders.get(id);
    if (!o) return;
    Object.assign(o, patch);
    if (patch.checkout_url) view.embed?.emit("checkout", { reservation_id: id, offer_id: o.offer_id, product_id: o.product_id, units: o.units, price: o.price, currency: o.currency, expires_at: o.expires_at, checkout_url: patch.checkout_url });
    render();
  };
  view.addOrder = (order) => {
    view.orders.set(order.reservation_id, order);
    save();
    render();
  };
  view.loadOrders = () => {
    try { view.orders = new Map(JSON.parse(sessionStorage.getItem(storeKey()) ?? "[]").map((o) => [o.reservation_id, o])); } catch { view.orders = new Map(); }
    renderOrders();
  };

  function render() {
    renderCard(); renderBag(); renderOrders(); renderOffers(); if (shownProduct) renderProduct();
    view.onCommerce?.(items().length, view.orders.size);
  }
  view.renderCommerce = render;
  view.openProduct = openProduct;
  return {
    card, offers: offersList,
    bag: sheet("bag", t("bag"), bagList),
    orders: sheet("orders", t("my_orders"), ordersList),
    product: sheet("product", t("details"), productBody),
  };
}

// --- auctions

export const auctionClock = (a, now) => (a.ended ? t("auction_ended") : now < a.starts_at ? `${t("starts_in")} ${clock(a.starts_at - now)}` : `${t("ends_in")} ${clock(a.ends_at - now)}`);

/** The state an auction event changes; returns what the page should say to this viewer, if anything. */
export function applyAuction(view, ev) {
  const a = view.auctions.get(ev.auction_id ?? ev.auction?.id);
  switch (ev.type) {
    case "auction.created":
      view.auctions.set(ev.auction.id, { ...ev.auction, price: 0, leader: null, bids: 0, started: false, ended: false });
      return null;
    case "auction.started": if (a) Object.assign(a, { started: true, ends_at: ev.ends_at }); return null;
    case "auction.bid":
      if (!a) return null;
      Object.assign(a, { price: ev.price, leader: ev.leader, bids: ev.bids, ends_at: ev.ends_at, started: true });
      return ev.outbid && ev.outbid === view.me?.id ? t("outbid") : null;
    case "auction.extended":
      if (a) { a.ends_at = ev.ends_at; a.extendedAt = Date.now(); }
      return null;
    case "auction.ended":
      if (!a) return null;
      Object.assign(a, { ended: true, winner: ev.winner, price: ev.price, bids: ev.bids, reservation_id: ev.reservation_id, end_reason: ev.reason });
      if (ev.winner?.id === view.me?.id && !view.host && !view.replay) {
        const expires = (ev.ts ?? Date.now()) + (view.room.reservation_seconds ?? 600) * 1000;
        view.addOrder({ reservation_id: ev.reservation_id, title: a.product.title, units: 1, price: ev.price, currency: a.currency, expires_at: expires, status: "reserved" });
        view.embed?.emit("checkout", { reservation_id: ev.reservation_id, auction_id: a.id, product_id: a.product.id, sku: a.product.sku, units: 1, price: ev.price, currency: a.currency, expires_at: expires, checkout_url: null });
        return `🎉 ${t("you_won")}`;
      }
      return null;
  }
  return null;
}

export function auctionParts(view) {
  const notes = new Map();
  const minNext = (a) => (a.bids ? a.price + a.increment : a.start_price);

  async function bid(a, fields) {
    if (view.needsSignIn()) return;
    const reply = await view.client.ask("auction.bid", { auction_id: a.id, key: crypto.randomUUID(), ...fields });
    const r = reply.result;
    const text = reply.ok ? (r.leading ? `${t("leading")} · ${view.price(r.price, a.currency)}${r.max ? ` · ${t("max_bid")} ${view.price(r.max, a.currency)}` : ""}` : t("outbid_max")) : reason(reply.error);
    notes.set(a.id, [text, reply.ok && r.leading ? "ok" : "error"]);
    if (reply.ok && r.max) view.myMax.set(a.id, r.max);
    view.renderCommerce();
  }

  /** The card of a running (or coming) auction, for the shopper. */
  function card(a) {
    const leading = a.leader?.id === view.me?.id;
    const next = minNext(a);
    const extended = a.extendedAt && Date.now() - a.extendedAt < 3000;
    const [text, kind] = notes.get(a.id) ?? ["", "error"];
    const open = a.started && !a.ended && view.connection !== "closed";
    return el("article", { class: "card auction", "data-testid": "auction-card", "data-auction": a.id },
      view.productImage(a.product, 72),
      el("div", { class: "info" },
        el("h2", { class: "ptitle" }, `🔨 ${a.product.title}`),
        el("p", { class: "prices" }, el("strong", { class: "now", "data-testid": "current-bid" }, view.price(a.bids ? a.price : a.start_price, a.currency)),
          el("span", { class: "muted-light" }, a.bids ? ` · ${a.bids} ${t("bids")}` : ` · ${t("start_price")}`)),
        el("p", { class: "stock-line", "data-testid": "leader" }, leading ? el("strong", { class: "ok-light" }, `★ ${t("leading")}`) : a.leader ? `${t("leader")}: ${a.leader.name}` : t("no_bids_yet")),
        el("p", { class: `countdown ${extended ? "extended" : ""}`, "data-testid": "auction-countdown", "data-auction-clock": a.id }, auctionClock(a, view.now()))),
      view.replay || view.host ? null : el("div", { class: "bids" },
        ...[1, 2, 5].map((n) => {
          const amount = next + (n - 1) * a.increment;
          return el("button", { type: "button", class: n === 1 ? "primary" : "secondary", disabled: !open, "data-testid": `bid-${n}`, onclick: () => bid(a, { amount }) }, view.guest ? `🔒 ${view.price(amount, a.currency)}` : view.price(amount, a.currency));
        }),
        el("form", { class: "maxform", onsubmit: (ev) => { ev.preventDefault(); bid(a, { max: Math.round(Number(ev.currentTarget.elements.max.value) * 10 ** view.digits(a.currency)) }); } },
          el("input", { type: "number", name: "max", min: 0, step: "any", "aria-label": t("max_bid"), placeholder: t("max_bid"), class: "maxbid", "data-testid": "max-bid" }), el("button", { type: "submit", disabled: !open, "data-testid": "set-max" }, t("set_max"))),
        view.myMax.get(a.id) ? el("span", { class: "muted-light" }, `${t("max_bid")}: ${view.price(view.myMax.get(a.id), a.currency)}`) : null),
      el("p", { class: "note", role: "status", "data-testid": "bid-note", "data-kind": kind }, text));
  }

  /** The host's row: current bid, leader, timer, cancel. */
  function hostRow(a) {
    return el("article", { class: `offer ${a.ended ? "ended" : ""}`, "data-auction": a.id, "data-testid": "host-auction" },
      el("h3", {}, `🔨 ${a.product.title} · ${view.price(a.bids ? a.price : a.start_price, a.currency)}`),
      el("p", {}, a.ended ? (a.winner ? `${t("winner")}: ${a.winner.name} · ${view.price(a.price, a.currency)}` : t("no_winner")) : a.leader ? `${t("leader")}: ${a.leader.name} · ${a.bids} ${t("bids")}` : t("no_bids_yet")),
      el("p", { class: "countdown", "data-auction-clock": a.id }, auctionClock(a, view.now())),
      !view.replay && !a.ended ? el("button", { type: "button", class: "danger", "data-testid": "cancel-auction", onclick: async () => {
        const reply = await view.client.ask("auction.cancel", { auction_id: a.id });
        view.say(reply.ok ? `${t("cancel_auction")} ✓` : reason(reply.error), reply.ok ? "ok" : "error");
      } }, t("cancel_auction")) : null);
  }

  return { card, hostRow };
}
