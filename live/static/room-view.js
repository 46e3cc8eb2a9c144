// A room's state from its snapshot and events, drawn as parts each page places where it
// wants (the viewer over a vertical video, the host console in columns, the replay beside
// a scrubber). Everything a user wrote goes in with textContent (el()).
import { clock, el, formatPrice, minorDigits, refill } from "./live.js";
import { applyAuction, auctionClock, commerceParts } from "./shop-view.js";
import { lang, locale, reason, t, why } from "./i18n.js";
import { communityParts, sheet } from "./community-view.js";

const MAX_CHAT = 200;
const STAFF = ["host", "moderator", "brand"];
export const REACTIONS = [["heart", "❤️"], ["fire", "🔥"], ["clap", "👏"], ["laugh", "😂"], ["wow", "😮"]];
const ICON = Object.fromEntries(REACTIONS);
const BADGE_ICON = { first_purchase: "🛍️", top_supporter: "⭐", regular: "🔁" };

export class RoomView {
  /** @param {{client?: object, host?: boolean, replay?: boolean, embed?: object|null, onChange?: () => void}} options */
  constructor({ client = null, host = false, replay = false, embed = null, onChange = () => {} } = {}) {
    Object.assign(this, { client, host, replay, embed, onChange });
    this.me = null;
    this.room = null;
    this.products = [];
    this.offers = new Map();
    this.polls = new Map();
    this.questions = new Map();
    this.giveaways = new Map();
    this.auctions = new Map();
    this.myMax = new Map(); // auction id -> my private maximum (from my replies and auction.mine)
    this.messages = new Map();
    this.orders = new Map(); // my reservations: id -> {…claim result, product, status}
    this.queue = []; // chat typed while disconnected
    this.connection = "connecting";
    this.myPoints = null;
    this.parts = {
      status: el("div", { class: "topbar", "data-testid": "room-status" }),
      stage: el("div", { class: "stage", "data-testid": "stage" }),
      floats: el("div", { class: "floats", "aria-hidden": "true" }),
      banner: el("div", { class: "banner", role: "status", "aria-live": "polite", "data-testid": "banner", hidden: true }),
      chat: el("ol", { class: "chat-list", "data-testid": "chat-list", "aria-live": "polite", "aria-label": t("chat"), tabindex: 0 }),
      toast: el("p", { class: "toast", role: "status", "aria-live": "polite", "data-testid": "toast" }),
    };
    this.parts.composer = replay ? el("div") : this.composer();
    this.parts.reactions = replay ? el("div") : this.reactionBar();
    Object.assign(this.parts, commerceParts(this), communityParts(this));
    this.modBody = el("div", { class: "mod-sheet" });
    this.parts.mod = sheet("mod", t("moderate"), this.modBody);
    this.modQueue = []; // held and reported messages waiting for staff, oldest first
    this.parts.queue = el("ol", { class: "queue", "data-testid": "review-queue" });
    this.parts.queueSheet = sheet("queue", t("review_queue"), this.parts.queue);
    this.timer = setInterval(() => this.tick(), 250);
  }

  get guest() {
    return !this.me || this.me.role === "guest";
  }

  /** Staff by their token's role, or appointed in this room (their welcome carried the moderation view). */
  get staff() {
    return STAFF.includes(this.me?.role) || Boolean(this.appointed);
  }

  now() {
    return this.replay ? this.replayNow?.() ?? Date.now() : Date.now();
  }

  // --- state

  reset(room) {
    this.room = room;
    this.offers = new Map(room.offers.map((o) => [o.id, o]));
    this.polls = new Map(room.polls.map((p) => [p.id, p]));
    this.questions = new Map(room.questions.map((q) => [q.id, q]));
    this.giveaways = new Map((room.giveaways ?? []).map((g) => [g.id, g]));
    this.auctions = new Map((room.auctions ?? []).map((a) => [a.id, a]));
    this.products = room.pinned_products;
    this.membersOnly = room.members_only_chat;
    this.drawStage(room);
    this.renderSpotlight();
    this.messages.clear();
    this.parts.chat.replaceChildren();
    this.renderRules();
    this.renderInvite();
    for (const m of room.messages) this.addMessage(m);
    this.renderAll();
  }

  /** The review the host put on screen, over the video. */
  renderSpotlight() {
    const r = this.room?.spotlight;
    this.spotlightNode?.remove();
    this.spotlightNode = null;
    if (!r) return;
    this.spotlightNode = el("aside", { class: "spotlight", "data-testid": "spotlight", "aria-label": t("review") },
      el("p", { class: "stars", "aria-label": `${r.stars} / 5` }, "★".repeat(r.stars) + "☆".repeat(5 - r.stars)),
      el("p", { class: "rtext" }, `“${r.text}”`), el("p", { class: "rby" }, `— ${r.author.name}${r.verified ? ` · ✓ ${t("verified_buyer")}` : ""}`));
    this.parts.stage.append(this.spotlightNode);
  }

  drawStage(room) {
    const url = room.playback_url;
    if (url && this.video?.dataset.src === url) return; // a re-sync keeps the player and its position
    let media;
    if (url) {
      media = el("video", { src: /\.m3u8(\?|$)/.test(url) ? null : url, autoplay: !this.replay, muted: true, playsinline: true, loop: this.replay ? null : true, "data-testid": "video", "aria-label": room.title, "data-src": url });
      if (/\.m3u8(\?|$)/.test(url)) attachHls(media, url);
    } else {
      media = el("div", { class: "poster", "data-testid": "poster", role: "img", "aria-label": room.title }, el("span", {}, "▶"));
    }
    this.video = url ? media : null;
    this.parts.stage.replaceChildren(media, this.parts.floats);
    if (this.spotlightNode) this.parts.stage.append(this.spotlightNode);
  }

  apply(ev) {
    const room = this.room;
    if (!room && ev.type !== "error") return;
    switch (ev.type) {
      case "chat.message": this.addMessage(ev.message); break;
      case "chat.deleted": this.messages.get(ev.message_id)?.remove(); this.messages.delete(ev.message_id); break;
      case "room.status": room.status = ev.status; this.renderStatus(); this.renderComposer(); break;
      case "presence": this.viewers = ev.viewers; this.renderStatus(); break;
      case "reactions": this.burst(ev.counts); break;
      case "chat.members_only": this.membersOnly = ev.enabled; this.renderComposer(); break;
      case "room.slow_mode": room.slow_mode_seconds = ev.seconds; break;
      case "product.pinned": this.products = [...this.products.filter((p) => p.product.id !== ev.product.id), { product: ev.product, highlight: ev.highlight, reviews: ev.reviews }]; this.renderCommerce(); break;
      case "product.unpinned": this.products = this.products.filter((p) => p.product.id !== ev.product_id); this.renderCommerce(); break;
      case "offer.created": this.offers.set(ev.offer.id, { ...ev.offer, available: ev.offer.units, reserved: 0, paid: 0, started: false, ended: false }); this.renderCommerce(); break;
      case "offer.started": this.patchOffer(ev.offer_id, { started: true }); break;
      case "offer.stock": this.patchOffer(ev.offer_id, { available: ev.available, reserved: ev.reserved, paid: ev.paid }); break;
      case "offer.sold_out": this.patchOffer(ev.offer_id, { available: 0 }); break;
      case "offer.ended": this.patchOffer(ev.offer_id, { ended: true }); break;
      case "poll.created": this.polls.set(ev.poll.id, { ...ev.poll, tallies: ev.poll.options.map(() => 0), voters: 0, closed: false }); this.renderCommunity(); break;
      case "poll.tally": Object.assign(this.polls.get(ev.poll_id) ?? {}, { tallies: ev.tallies, voters: ev.voters }); this.renderCommunity(); break;
      case "poll.closed": Object.assign(this.polls.get(ev.poll_id) ?? {}, { tallies: ev.tallies, voters: ev.voters, closed: true, winners: ev.winners }); this.renderCommunity(); break;
      case "question.asked": this.questions.set(ev.question.id, ev.question); this.renderCommunity(); break;
      case "question.votes": Object.assign(this.questions.get(ev.question_id) ?? {}, { votes: ev.votes }); this.renderCommunity(); break;
      case "question.answered": Object.assign(this.questions.get(ev.question_id) ?? {}, { answered: true }); this.renderCommunity(); break;
      case "question.highlighted": Object.assign(this.questions.get(ev.question_id) ?? {}, { highlighted: true }); this.renderCommunity(); break;
      case "giveaway.started": this.giveaways.set(ev.giveaway_id, { id: ev.giveaway_id, title: ev.title, winners: ev.winners, eligibility: ev.eligibility, entrants: 0, drawn: null }); this.renderCommunity(); break;
      case "giveaway.entries": Object.assign(this.giveaways.get(ev.giveaway_id) ?? {}, { entrants: ev.entrants }); this.renderCommunity(); break;
      case "giveaway.drawn": Object.assign(this.giveaways.get(ev.giveaway_id) ?? {}, { entrants: ev.entrants, drawn: ev.winners }); this.renderCommunity(); break;
      case "points.awarded": if (ev.user_id === this.me?.id) { this.myPoints = ev.points; this.myBadges = ev.badges; this.renderStatus(); } break;
      case "chat.held":
        if (ev.message.user.id === this.me?.id && !this.host) this.addMessage(ev.message, { held: ev.reasons });
        if (this.staff) this.setQueue([...this.modQueue.filter((q) => q.message.id !== ev.message.id), { message: ev.message, reasons: ev.reasons, kind: ev.kind, reports: ev.reports }]);
        break;
      case "chat.reported": this.setQueue(this.modQueue.map((q) => (q.message.id === ev.message_id ? { ...q, reports: ev.reports } : q))); break;
      case "mod.reviewed": this.setQueue(this.modQueue.filter((q) => q.message.id !== ev.message_id)); break;
      case "chat.blocked": if (ev.user.id === this.me?.id && !this.host) this.say(`${t("blocked_note")}: ${why(ev.reasons)}`); break;
      case "chat.rejected": this.markRejected(ev.message_id, ev.reason); break;
      case "chat.hidden": { const li = this.messages.get(ev.message_id); if (li) li.hidden = true; break; }
      case "chat.restored": { const li = this.messages.get(ev.message.id); if (li) li.hidden = false; else this.addMessage(ev.message); break; }
      case "chat.shadowed": if (this.host) this.addMessage(ev.message, { shadowed: true }); break;
      case "rules.changed": room.rules = ev.rules; this.renderRules(); break;
      case "auction.created": case "auction.started": case "auction.bid": case "auction.extended": case "auction.ended": {
        const note = applyAuction(this, ev);
        if (note) this.say(note, "ok");
        this.renderCommerce();
        break;
      }
      case "chat.claim": this.markClaim(ev); break;
      case "mod.appointed": case "mod.dismissed": if (ev.user_id === this.me?.id && !this.host) this.setAppointed(ev.type === "mod.appointed"); break;
      case "staff": this.setQueue(ev.moderation.queue); break;  // made staff mid-show: the queue as it stands
      case "me": this.following = ev.following; this.setOrders?.(ev.orders ?? [], ev.reviewed ?? []); this.renderStatus(); break;
      case "order.placed": this.upsertOrder?.(ev.order); break;
      case "order.checkout": this.patchOrder?.(ev.reservation_id, { checkout_url: ev.checkout_url, expires_at: ev.expires_at }); break;
      case "order.paid": this.patchOrder?.(ev.reservation_id, { status: "paid" }); break;
      case "order.expired": this.patchOrder?.(ev.reservation_id, { status: "expired" }); break;
      case "order.cancelled": this.patchOrder?.(ev.reservation_id, { status: "cancelled" }); break;
      case "product.reviews": for (const p of this.products) if (p.product.id === ev.product_id) p.reviews = ev.reviews; this.renderCommerce(); break;
      case "cohost.invited": if (ev.user_id === this.me?.id) { room.cohost_invites = [...(room.cohost_invites ?? []), ev.user_id]; this.renderInvite(); } break;
      case "cohost.joined": case "cohost.removed": if (ev.user_id === this.me?.id) { room.cohost_invites = []; room.cohosts = ev.type === "cohost.joined" ? [ev.user_id] : []; this.renderInvite(); if (!this.host) this.setAppointed(ev.type === "cohost.joined", false); } break;
      case "review.spotlighted": room.spotlight = ev.review; this.renderSpotlight(); break;
      case "review.unspotlighted": room.spotlight = null; this.renderSpotlight(); break;
      case "chat.thinned": this.thinned = ev.thinned; this.say(ev.thinned ? t("thinned") : "", "ok"); break;
      case "error": this.say(reason(ev.error)); break;
    }
    this.onChange(ev);
  }

  patchOffer(id, patch) {
    const offer = this.offers.get(id);
    if (offer) Object.assign(offer, patch);
    this.renderCommerce();
  }

  // --- connection

  /** The socket's state as the page shows it: nothing stale (no LIVE, no count) while it is not connected. */
  setConnection(state, code) {
    this.connection = state;
    const banner = this.parts.banner;
    const closedText = { 4001: t("auth_failed"), 4003: t("forbidden_room"), 4004: t("room_missing"), 4029: t("kicked") }[code] ?? t("closed");
    const text = state === "live" ? "" : state === "ended" ? t("ended") : state === "closed" ? closedText : state === "reconnecting" ? t("reconnecting") : t("connecting");
    banner.hidden = !text;
    banner.dataset.state = state;
    const retry = state === "reconnecting" && this.client ? el("button", { type: "button", class: "link", "data-testid": "try-now", onclick: () => this.client.reconnectNow() }, t("try_now")) : null;
    banner.replaceChildren(el("span", {}, text ? el("strong", {}, text) : null, state === "reconnecting" ? el("span", {}, " ", t("offline_hint"), " ") : null, retry,
      state === "closed" && code === 4001 ? this.signInLink() : null));
    if (state === "closed" && code === 4001) this.authFailed = true;
    if (state === "live") this.flushQueue();
    if (state === "closed" || state === "ended") for (const item of this.queue) this.failPending(item);
    this.renderStatus();
    this.renderComposer();
    this.renderCommerce();
  }

  signInLink(cls = "link") {
    const url = new URLSearchParams(location.search).get("login");
    if (this.embed) return el("button", { type: "button", class: cls, onclick: () => this.embed.emit("login", {}) }, t("sign_in"));
    return url && /^https?:/.test(url) ? el("a", { href: url, class: cls }, t("sign_in")) : null;
  }

  // --- rendering

  renderAll() {
    this.renderStatus(); this.renderCommerce(); this.renderCommunity(); this.renderComposer();
  }

  renderStatus() {
    const room = this.room;
    if (!room) return;
    const connected = this.connection === "live" || this.replay;
    const badge = room.rehearsal_of ? null : room.status === "live" && connected ? el("span", { class: "badge live", "data-testid": "live-badge" }, t("live"))
      : room.status === "ended" ? el("span", { class: "badge ended" }, t("ended"))
      : room.status === "scheduled" ? el("span", { class: "badge scheduled" }, t("scheduled")) : null;
    const watching = connected && this.viewers !== undefined && room.status === "live" && !this.replay
      ? el("span", { class: "viewers", "data-testid": "viewers" }, `👁 ${this.viewers} ${t("viewers")}`) : null;
    const rehearsal = room.rehearsal_of ? el("span", { class: "badge scheduled", "data-testid": "rehearsal-badge" }, t("rehearsal")) : null;
    const points = this.myPoints ? el("span", { class: "chip", "data-testid": "my-points" }, `⭐ ${this.myPoints} ${t("points")}`) : null;
    const soon = room.status === "scheduled" && room.starts_at && !this.host
      ? el("p", { class: "starts", "data-testid": "starts-in" }, `${t("starts_in")} `, el("strong", { "data-expires": room.starts_at }, clock(room.starts_at - this.now())), ` · ${new Date(room.starts_at).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" })}`,
        room.brand_id && !this.replay ? this.followButton(room.brand_id) : null) : null;
    refill(this.parts.status, () => [el("h1", { class: "title" }, room.title), el("span", { class: "meta" }, badge, rehearsal, watching, points), soon]);  // Follow stays tappable
    this.tick();
  }

  addMessage(m, { held = null, shadowed = false } = {}) {
    const own = m.user.id === this.me?.id;
    const existing = this.messages.get(m.id);
    if (existing) { existing.classList.remove("held"); existing.querySelector(".held-note")?.remove(); existing.hidden = false; return; } // a held line approved
    const role = STAFF.includes(m.user.role) || m.user.role === "affiliate" ? el("span", { class: `role role-${m.user.role}` }, t(`role_${m.user.role}`)) : null;
    const badges = (m.user.badges ?? []).map((b) => el("span", { class: "user-badge", title: t(`badge_${b}`), "aria-label": t(`badge_${b}`) }, BADGE_ICON[b] ?? "🏅"));
    const replyTo = m.reply_to ? el("span", { class: "reply-to" }, `↪ ${this.messages.get(m.reply_to)?.dataset.name ?? ""} `) : null;
    const note = held ? el("em", { class: "held-note", "data-testid": "held-note" }, ` ⏳ ${t("held")} (${why(held)})`) : shadowed ? el("em", { class: "held-note" }, ` (${t("shadowed")})`) : null;
    const item = el("li", { "data-id": m.id, "data-name": m.user.name, class: `${own ? "own" : ""} ${held ? "held" : ""}` }, replyTo, role,
      el("span", { class: "name" }, m.user.name), ...badges, " ", el("span", { class: "text" }, m.text), note, this.modActions(m), this.reportButton(m));
    item.message = m;  // what its moderation sheet shows, should its viewer become staff
    this.messages.set(m.id, item);
    this.parts.chat.append(item);
    while (this.parts.chat.children.length > MAX_CHAT) this.parts.chat.firstElementChild.remove();
    this.parts.chat.scrollTop = this.parts.chat.scrollHeight;
  }

  /** Staff's actions on others' lines: a row on the host console, "⋯" opening a sheet elsewhere. */
  modActions(m) {
    if (this.replay || !this.staff || m.user.id === this.me?.id || STAFF.includes(m.user.role)) return null;
    if (!this.host) return el("button", { type: "button", class: "mod-open", "aria-label": `${t("moderate")}: ${m.user.name}`, "data-testid": "moderate", onclick: () => this.openMod(m) }, "⋯");
    return el("span", { class: "mod" }, ...this.modChoices(m).map(([label, act]) => el("button", { type: "button", "aria-label": `${label}: ${m.user.name}`, onclick: act }, label)));
  }

  /** The review queue staff work through: approve shows a line to everyone, reject removes it. */
  setQueue(queue) {
    this.modQueue = queue;
    refill(this.parts.queue, () => queue.length ? queue.map((q) => el("li", { "data-testid": "queue-item", "data-message": q.message.id },
      el("span", { class: "kind" }, t(`kind_${q.kind}`)), el("strong", {}, q.message.user.name),
      el("span", { class: "muted" }, `${why(q.reasons)}${q.reports ? ` · ${q.reports} ⚑` : ""}`),
      el("span", { class: "qtext" }, q.message.text),
      ...[["mod.approve", "approve", "primary"], ["mod.reject", "reject", "danger"]].map(([type, label, kind]) => el("button", { type: "button", class: kind, "data-testid": label, onclick: async () => {
        const reply = await this.client.ask(type, { message_id: q.message.id });
        this.say(reply.ok ? `${t(label)} ✓` : reason(reply.error), reply.ok ? "ok" : "error");
      } }, t(label)))))
      : [el("li", { class: "muted" }, t("queue_empty"))]);
    this.onQueue?.(queue.length);
  }

  /** Appointed (or dismissed) mid-show: the lines on screen gain (or lose) their "⋯" at once, no reload. */
  setAppointed(on, announce = true) {
    if (Boolean(this.appointed) === on) return;
    this.appointed = on;
    for (const li of this.messages.values()) {
      li.querySelector(".mod-open")?.remove();
      li.querySelector(".report")?.remove();
      const extra = this.modActions(li.message) ?? this.reportButton(li.message);
      if (extra) li.append(extra);
    }
    this.onQueue?.(this.modQueue.length);
    if (announce) this.say(on ? t("now_moderator") : t("no_longer_moderator"), "ok");
  }

  openMod(m) {
    this.modBody.replaceChildren(el("p", { class: "quote", "data-testid": "mod-line" }, el("strong", {}, m.user.name), " ", m.text),
      ...this.modChoices(m, () => { this.parts.closeSheet?.(); if (!document.activeElement || document.activeElement === document.body) this.parts.chat.focus(); }).map(([label, act, kind, detail]) => el("button", { type: "button", class: kind, onclick: act }, label, detail ? ` · ${detail}` : "")));
    this.parts.openSheet?.("mod");
  }

  /** [label, action, style, detail] per moderation action on a line; ``done`` runs after one succeeds. */
  modChoices(m, done = () => {}) {
    const act = (type, fields, ok) => async () => {
      const reply = await this.client.ask(type, fields);
      this.say(reply.ok ? ok : reason(reply.error), reply.ok ? "ok" : "error");
      if (reply.ok) done();
    };
    return [
      [t("delete"), act("chat.delete", { message_id: m.id }, `${t("delete")} ✓`), "secondary"],
      [t("timeout"), act("mod.timeout", { user_id: m.user.id, seconds: 300 }, `${m.user.name}: ${t("timeout")} 5:00 ✓`), "secondary", "5:00"],
      [t("shadow_mute"), act("mod.shadow_mute", { user_id: m.user.id }, `${m.user.name}: ${t("shadow_mute")} ✓`), "secondary"],
      [t("ban"), act("mod.ban", { user_id: m.user.id }, `${m.user.name}: ${t("ban")} ✓`), "danger"],
    ];
  }

  /** Viewers report others' lines (not staff's): enough distinct reports hide a line until staff review it. */
  reportButton(m) {
    if (this.host || this.replay || this.guest || this.staff || m.user.id === this.me?.id || STAFF.includes(m.user.role)) return null;
    return el("button", { type: "button", class: "report", "aria-label": `${t("report")}: ${m.user.name}`, title: t("report"), onclick: async () => {
      const reply = await this.client.ask("chat.report", { message_id: m.id });
      this.say(reply.ok || reply.error.code === "conflict" ? t("reported") : reason(reply.error), reply.ok ? "ok" : "error");
    } }, "⚑");
  }

  /** A chat line that claimed or bid ("keep 2", "bid 150k") shows how it went. */
  markClaim(ev) {
    const li = this.messages.get(ev.message_id);
    if (!li) return;
    const what = ev.kind === "bid" ? `${t("bid")} ${this.price(ev.amount ?? 0, this.auctions.get(ev.target_id)?.currency ?? "IDR")}` : `${t("claim")} ${ev.units ?? ""}`;
    li.append(el("span", { class: `claim-tag ${ev.ok ? "ok" : "no"}`, "data-testid": "claim-tag" }, ev.ok ? ` ✓ ${what}` : ` ✗ ${reason({ code: ev.code })}`));
  }

  /** Invited to co-host: accept here, then run the show from the host console with the same sign-in. */
  renderInvite() {
    this.inviteNode?.remove();
    this.inviteNode = null;
    const me = this.me?.id;
    if (!me || this.host || this.replay) return;
    const invited = (this.room?.cohost_invites ?? []).includes(me);
    const joined = (this.room?.cohosts ?? []).includes(me);
    if (!invited && !joined) return;
    const console_ = `/host.html?room=${encodeURIComponent(this.room.id)}${location.search.includes("lang=id") ? "&lang=id" : ""}${location.hash}`;
    this.inviteNode = el("div", { class: "banner invite", "data-testid": "cohost-invite" }, invited ? t("cohost_invited") : t("cohost_joined"), " ",
      invited ? el("button", { type: "button", class: "primary", "data-testid": "accept-cohost", onclick: async () => {
        const reply = await this.client.ask("cohost.accept");
        this.say(reply.ok ? `${t("accept_cohost")} ✓` : reason(reply.error), reply.ok ? "ok" : "error");
      } }, t("accept_cohost")) : el("a", { href: console_, class: "button primary", "data-testid": "open-console" }, t("open_console")));
    this.parts.banner.after(this.inviteNode);
  }

  /** Follow the brand: the platform reminds followers before a scheduled show and when it goes live. */
  followButton(brandId) {
    const on = this.following?.brand;
    return el("button", { type: "button", class: on ? "secondary follow" : "primary follow", "aria-pressed": String(!!on), "data-testid": "follow", onclick: async () => {
      if (this.needsSignIn()) return;
      const r = await fetch(`/v1/me/follows/brand/${encodeURIComponent(brandId)}`, { method: on ? "DELETE" : "PUT", headers: { authorization: `Bearer ${this.client.token}` } });
      if (r.ok) this.following = { ...(this.following ?? {}), brand: (await r.json()).following };
      this.say(r.ok ? (this.following.brand ? t("following_now") : t("unfollowed")) : t("error_generic"), r.ok ? "ok" : "error");
      this.renderStatus();
    } }, on ? `✓ ${t("following")}` : `🔔 ${t("follow")}`);
  }

  digits(currency) {
    return minorDigits(currency);
  }

  markRejected(id, why_) {
    this.say(`${t("rejected_note")}${why_ ? `: ${why_}` : ""}`);
    const li = this.messages.get(id);
    if (!li) return;
    li.classList.add("rejected");
    li.querySelector(".held-note")?.remove();
    li.append(el("em", { class: "held-note", "data-testid": "rejected-note" }, ` — ${t("rejected_note")}${why_ ? `: ${why_}` : ""}`));
  }

  /** The rules in force, at the top of the chat; a sheet to read (and accept) them. */
  renderRules() {
    const rules = this.room?.rules;
    this.rulesLine?.remove();
    this.rulesLine = null;
    this.parts.rulesText?.replaceChildren(rules ? rules.text : "");
    if (!rules || this.replay) return;
    this.rulesLine = el("li", { class: "system", "data-testid": "rules-line" }, "📜 ", el("button", { type: "button", class: "link", onclick: () => this.parts.openSheet?.("rules") }, t("read_rules")));
    this.parts.chat.prepend(this.rulesLine);
  }

  async acceptRules() {
    if (this.needsSignIn()) return;
    const reply = await this.client.ask("rules.accept");
    this.say(reply.ok ? t("rules_accepted") : reason(reply.error), reply.ok ? "ok" : "error");
    if (reply.ok) { this.rulesAccepted = true; this.parts.closeSheet?.(); }
  }

  tick() {
    const now = this.now();
    for (const node of document.querySelectorAll("[data-offer-clock]")) {
      const o = this.offers.get(Number(node.dataset.offerClock));
      if (o) node.textContent = offerClock(o, now);
    }
    for (const node of document.querySelectorAll("[data-auction-clock]")) {
      const a = this.auctions.get(Number(node.dataset.auctionClock));
      if (a) node.textContent = auctionClock(a, now);
    }
    for (const node of document.querySelectorAll("[data-expires]")) {
      node.textContent = clock(Number(node.dataset.expires) - now);
    }
  }

  // --- chat input

  composer() {
    this.chatInput = el("input", { type: "text", maxlength: 500, placeholder: t("say"), "aria-label": t("say"), "data-testid": "chat-input", enterkeyhint: "send", autocomplete: "off" });
    this.sendButton = el("button", { type: "submit", class: "send", "data-testid": "send" }, t("send"));
    this.guestButton = el("button", { type: "button", class: "guest-cta", "data-testid": "guest-cta", hidden: true, onclick: () => this.openGuest() }, t("guest"));
    this.chatError = el("p", { class: "error", role: "alert", "data-testid": "chat-error" });
    return el("form", { class: "composer", onsubmit: (ev) => {
      ev.preventDefault();
      const text = this.chatInput.value.trim();
      if (!text) return;
      this.chatInput.value = "";
      this.post(text);
    } }, this.guestButton, this.chatInput, this.sendButton, this.chatError);
  }

  /** Post now, or queue visibly until the socket is back; a failure stays on screen with a retry. */
  async post(text) {
    if (!this.client.open) {
      const item = { text, li: el("li", { class: "pending", "data-testid": "pending" }, el("span", { class: "name" }, this.me?.name ?? ""), " ", el("span", { class: "text" }, text), " ", el("em", {}, t("sending"))) };
      this.parts.chat.append(item.li);
      this.queue.push(item);
      item.timer = setTimeout(() => this.failPending(item), 20000);
      return;
    }
    const reply = await this.client.ask("chat.post", { text });
    // While chat is thinned for us the server skips viewers' messages, ours too: show it from the reply.
    if (reply.ok && this.thinned) this.addMessage({ id: reply.result.message_id, user: { ...this.me, badges: [] }, text });
    if (!reply.ok) {
      this.say(reason(reply.error));
      if (reply.error.code === "disconnected") this.post(text);
      if (reply.error.code === "rules_not_accepted") { this.pendingRulesText = text; this.parts.openSheet?.("rules"); }
    }
  }

  async flushQueue() {
    const items = this.queue.splice(0);
    for (const item of items) {
      clearTimeout(item.timer);
      item.li.remove();
      await this.post(item.text);
    }
  }

  failPending(item) {
    clearTimeout(item.timer);
    this.queue = this.queue.filter((i) => i !== item);
    item.li.classList.add("failed");
    item.li.dataset.testid = "failed";
    item.li.querySelector("em").replaceWith(el("button", { type: "button", class: "link", onclick: () => { item.li.remove(); this.post(item.text); } }, t("not_sent")));
  }

  renderComposer() {
    if (!this.chatInput) return;
    const guest = this.guest && !this.authFailed;
    const gone = this.connection === "closed" || this.connection === "ended" || this.room?.status === "ended";
    const membersOnly = this.membersOnly && !this.me?.tier && !this.staff && this.me?.role !== "affiliate";
    this.guestButton.hidden = !guest;
    this.guestButton.textContent = t("guest");
    this.chatInput.hidden = guest;
    this.sendButton.hidden = guest;
    this.chatInput.disabled = gone || membersOnly || this.authFailed;
    this.sendButton.disabled = this.chatInput.disabled;
    this.chatInput.placeholder = membersOnly ? t("members_only") : this.authFailed ? t("auth_failed") : t("say");
  }

  openGuest() {
    this.parts.openSheet?.("guest");
  }

  /** A guest's press on anything that writes: say what it needs instead of failing. */
  needsSignIn() {
    if (!this.guest && !this.authFailed) return false;
    this.openGuest();
    return true;
  }

  reactionBar() {
    const send = (kind) => () => {
      if (this.needsSignIn()) return;
      this.client.ask("reaction", { kind });
      this.float(kind);
    };
    const picker = el("div", { class: "picker", hidden: true, role: "group", "aria-label": t("more_reactions") },
      ...REACTIONS.map(([kind, icon]) => el("button", { type: "button", "aria-label": kind, "data-reaction": kind, onclick: send(kind) }, icon)));
    const more = el("button", { type: "button", class: "more", "aria-label": t("more_reactions"), "aria-expanded": "false", onclick: () => {
      picker.hidden = !picker.hidden;
      more.setAttribute("aria-expanded", String(!picker.hidden));
    } }, "😊");
    return el("div", { class: "reactions", role: "group", "aria-label": t("react") },
      el("button", { type: "button", class: "heart", "aria-label": "heart", "data-reaction": "heart", "data-testid": "react-heart", onclick: send("heart") }, "❤️"), more, picker);
  }

  /** Floating emoji for a burst (a few per kind, not one per tap: a busy room must not flood the page). */
  burst(counts) {
    for (const [kind, n] of Object.entries(counts)) for (let i = 0; i < Math.min(n, 6); i++) setTimeout(() => this.float(kind), i * 120);
  }

  float(kind) {
    const floats = this.parts.floats;
    if (floats.childElementCount > 24) return;
    const node = el("span", { class: "float", "data-kind": kind, style: `left:${60 + Math.random() * 30}%` }, ICON[kind] ?? "❤️");
    node.addEventListener("animationend", () => node.remove());
    floats.append(node);
    setTimeout(() => node.remove(), 4000);
  }

  /** A short line everyone near the action reads (and screen readers announce). */
  say(text, kind = "error") {
    const toast = this.parts.toast;
    toast.textContent = text;
    toast.dataset.kind = kind;
    clearTimeout(this.toastTimer);
    if (text) this.toastTimer = setTimeout(() => { toast.textContent = ""; }, 6000);
  }

  price(amount, currency) {
    return formatPrice(amount, currency, lang);
  }
}

export function offerClock(o, now) {
  if (o.ended) return t("offer_ended");
  if (now < o.starts_at) return `${t("starts_in")} ${clock(o.starts_at - now)}`;
  return `${t("ends_in")} ${clock(o.ends_at - now)}`;
}

/** HLS where the browser cannot play it natively: the vendored hls.js, loaded only then. */
function attachHls(video, url) {
  if (video.canPlayType("application/vnd.apple.mpegurl")) {
    video.src = url;
    return;
  }
  const script = el("script", { src: "/vendor/hls.light.min.js" });
  script.onload = () => {
    if (!window.Hls?.isSupported()) return;
    const hls = new window.Hls({ enableWorker: false });
    hls.loadSource(url);
    hls.attachMedia(video);
  };
  document.head.append(script);
}
