// Live auctions: the shopper's card (current bid, leader, a timer that visibly jumps when a
// late bid extends it, quick bids and a private maximum) and the host's list with cancel.
import { clock, el } from "./live.js";
import { reason, t } from "./i18n.js";

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
    const maxInput = el("input", { type: "number", min: 0, step: "any", "aria-label": t("max_bid"), placeholder: t("max_bid"), class: "maxbid", "data-testid": "max-bid" });
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
        el("form", { class: "maxform", onsubmit: (ev) => { ev.preventDefault(); bid(a, { max: Math.round(Number(maxInput.value) * 10 ** view.digits(a.currency)) }); } },
          maxInput, el("button", { type: "submit", disabled: !open, "data-testid": "set-max" }, t("set_max"))),
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
