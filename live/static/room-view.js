// Renders a room from its snapshot and events: used by the viewer page, the host console
// and the replay page. Everything a user wrote goes in with textContent (el()).
import { clock, el, formatPrice } from "./live.js";
import { lang, reason, t } from "./i18n.js";

const MAX_CHAT = 200;

export class RoomView {
  constructor(root, { client = null, me = null, host = false, replay = false } = {}) {
    Object.assign(this, { root, client, me, host, replay });
    this.offers = new Map();
    this.polls = new Map();
    this.questions = new Map();
    this.messages = new Map();
    this.offerNotes = new Map(); // offer id -> [text, kind]: survives the card's re-rendering
    root.replaceChildren(
      (this.statusLine = el("p", { class: "status", "data-testid": "room-status", role: "status" })),
      (this.stage = el("div", { class: "stage", "aria-label": "video" }, el("div", { class: "poster" }, "▶"))),
      (this.productsBox = el("section", { class: "products", "data-testid": "pinned-products", "aria-label": t("pinned") })),
      (this.offersBox = el("section", { class: "offers", "data-testid": "offers" })),
      (this.pollsBox = el("section", { class: "polls", "data-testid": "polls", "aria-label": t("poll") })),
      (this.giveawayBox = el("section", { class: "giveaways", "data-testid": "giveaways", "aria-live": "polite" })),
      el("section", { class: "chat", "aria-label": t("chat") },
        (this.chatList = el("ol", { class: "chat-list", "data-testid": "chat-list", "aria-live": "polite" })),
        replay ? null : this.chatForm()),
      (this.reactionsBox = replay ? el("div") : this.reactionBar()),
      el("section", { class: "qa", "aria-label": t("questions") }, el("h2", {}, t("questions")),
        (this.questionList = el("ol", { "data-testid": "questions" })), replay ? null : this.askForm()),
    );
    setInterval(() => this.tick(), 250);
  }

  // --- state -------------------------------------------------------------------

  reset(room) {
    this.room = room;
    this.offers = new Map(room.offers.map((o) => [o.id, o]));
    this.polls = new Map(room.polls.map((p) => [p.id, p]));
    this.questions = new Map(room.questions.map((q) => [q.id, q]));
    this.products = room.pinned_products;
    this.membersOnly = room.members_only_chat;
    this.stage.replaceChildren(room.playback_url
      ? el("video", { src: room.playback_url, controls: true, autoplay: true, muted: true, playsinline: true, "data-testid": "video", "aria-label": room.title })
      : el("div", { class: "poster", "data-testid": "poster" }, "▶"));
    this.messages.clear();
    this.chatList.replaceChildren();
    for (const m of room.messages) this.addMessage(m);
    this.renderAll();
  }

  apply(ev) {
    const room = this.room;
    switch (ev.type) {
      case "chat.message": this.addMessage(ev.message); break;
      case "chat.deleted": this.messages.get(ev.message_id)?.remove(); this.messages.delete(ev.message_id); break;
      case "room.status": room.status = ev.status; this.renderStatus(); break;
      case "presence": this.viewers = ev.viewers; this.renderStatus(); break;
      case "reactions": this.burst(ev.counts); break;
      case "chat.members_only": this.membersOnly = ev.enabled; this.renderChatState(); break;
      case "room.slow_mode": room.slow_mode_seconds = ev.seconds; break;
      case "product.pinned": this.products = [...this.products.filter((p) => p.product.id !== ev.product.id), { product: ev.product, highlight: ev.highlight }]; this.renderProducts(); break;
      case "product.unpinned": this.products = this.products.filter((p) => p.product.id !== ev.product_id); this.renderProducts(); break;
      case "offer.created": this.offers.set(ev.offer.id, { ...ev.offer, available: ev.offer.units, reserved: 0, paid: 0, started: false, ended: false }); this.renderOffers(); break;
      case "offer.started": this.patchOffer(ev.offer_id, { started: true }); break;
      case "offer.stock": this.patchOffer(ev.offer_id, { available: ev.available, reserved: ev.reserved, paid: ev.paid }); break;
      case "offer.sold_out": this.patchOffer(ev.offer_id, { available: 0 }); break;
      case "offer.ended": this.patchOffer(ev.offer_id, { ended: true }); break;
      case "poll.created": this.polls.set(ev.poll.id, { ...ev.poll, tallies: ev.poll.options.map(() => 0), voters: 0, closed: false }); this.renderPolls(); break;
      case "poll.tally": Object.assign(this.polls.get(ev.poll_id) ?? {}, { tallies: ev.tallies, voters: ev.voters }); this.renderPolls(); break;
      case "poll.closed": Object.assign(this.polls.get(ev.poll_id) ?? {}, { tallies: ev.tallies, voters: ev.voters, closed: true, winners: ev.winners }); this.renderPolls(); break;
      case "question.asked": this.questions.set(ev.question.id, ev.question); this.renderQuestions(); break;
      case "question.votes": Object.assign(this.questions.get(ev.question_id) ?? {}, { votes: ev.votes }); this.renderQuestions(); break;
      case "question.answered": Object.assign(this.questions.get(ev.question_id) ?? {}, { answered: true }); this.renderQuestions(); break;
      case "question.highlighted": Object.assign(this.questions.get(ev.question_id) ?? {}, { highlighted: true }); this.renderQuestions(); break;
      case "giveaway.started": this.giveaway = { id: ev.giveaway_id, title: ev.title, entrants: 0 }; this.renderGiveaway(); break;
      case "giveaway.entries": if (this.giveaway) this.giveaway.entrants = ev.entrants; this.renderGiveaway(); break;
      case "giveaway.drawn": this.giveaway = { ...(this.giveaway ?? {}), id: ev.giveaway_id, winners: ev.winners }; this.renderGiveaway(); break;
      case "chat.thinned": this.thinned = ev.thinned; this.flash(this.chatError, ev.thinned ? t("thinned") : "", "ok"); break;
      case "error": this.flash(this.chatError, reason(ev.error)); break;
    }
  }

  patchOffer(id, patch) {
    const offer = this.offers.get(id);
    if (offer) Object.assign(offer, patch);
    this.renderOffers();
  }

  // --- rendering -------------------------------------------------------------------

  renderAll() {
    this.renderStatus(); this.renderProducts(); this.renderOffers(); this.renderPolls(); this.renderQuestions(); this.renderChatState();
  }

  renderStatus() {
    const room = this.room;
    if (!room) return;
    const state = room.status === "live" ? t("live") : room.status === "ended" ? t("ended") : t("scheduled");
    this.statusLine.replaceChildren(el("strong", {}, room.title), " · ", el("span", { class: `badge ${room.status}` }, state),
      this.viewers !== undefined ? ` · ${this.viewers} ${t("viewers")}` : "");
  }

  addMessage(m) {
    const badges = (m.user.badges ?? []).map((b) => el("span", { class: "user-badge", title: b }, b.replace("_", " ")));
    const actions = this.host && !this.replay ? el("span", { class: "mod" },
      el("button", { type: "button", onclick: () => this.client.request("chat.delete", { message_id: m.id }) }, t("delete")),
      el("button", { type: "button", onclick: () => this.client.request("mod.timeout", { user_id: m.user.id, seconds: 300 }) }, t("timeout")),
      el("button", { type: "button", onclick: () => this.client.request("mod.ban", { user_id: m.user.id }) }, t("ban"))) : null;
    const replyTo = m.reply_to ? el("span", { class: "reply-to" }, `↪ ${this.messages.get(m.reply_to)?.dataset.name ?? ""} `) : null;
    const item = el("li", { "data-id": m.id, "data-name": m.user.name }, replyTo, el("span", { class: "name" }, m.user.name), ...badges, " ", el("span", { class: "text" }, m.text), actions);
    this.messages.set(m.id, item);
    this.chatList.append(item);
    while (this.chatList.children.length > MAX_CHAT) this.chatList.firstElementChild.remove();
    this.chatList.scrollTop = this.chatList.scrollHeight;
  }

  renderProducts() {
    this.productsBox.replaceChildren(el("h2", {}, t("pinned")), ...(this.products ?? []).map(({ product, highlight }) =>
      el("article", { class: "product", "data-product": product.id },
        product.image_url ? el("img", { src: product.image_url, alt: product.title, width: 64, height: 64 }) : null,
        el("h3", {}, product.title), highlight ? el("p", { class: "highlight" }, highlight) : null,
        el("p", { class: "price" }, formatPrice(product.price, product.currency, lang)),
        this.host && !this.replay ? el("button", { type: "button", onclick: () => this.client.request("product.unpin", { product_id: product.id }) }, t("unpin")) : null)));
  }

  renderOffers() {
    this.offersBox.replaceChildren(...[...this.offers.values()].filter((o) => !o.ended || this.replay || this.host).map((o) => {
      const pct = o.units ? Math.round((100 * o.available) / o.units) : 0;
      const qty = el("input", { type: "number", min: 1, max: o.per_buyer_limit, value: this.offerNotes.get(`qty${o.id}`) ?? 1, "aria-label": t("units"), "data-testid": "claim-units",
        oninput: (ev) => this.offerNotes.set(`qty${o.id}`, ev.target.value) });
      const [note, kind] = this.offerNotes.get(o.id) ?? ["", "error"];
      const error = el("p", { class: "error", role: "alert", "data-testid": "offer-error", "data-kind": kind }, note);
      const claim = el("button", { type: "button", "data-testid": "claim-button", disabled: o.ended || o.available === 0 || this.replay, onclick: async () => {
        const reply = await this.client.request("offer.claim", { offer_id: o.id, units: Number(qty.value), key: crypto.randomUUID() });
        const text = reply.ok ? `${t("reserved")} ${new Date(reply.result.expires_at).toLocaleTimeString(lang)}` : reason(reply.error);
        this.offerNotes.set(o.id, [text, reply.ok ? "ok" : "error"]);
        this.renderOffers();
      } }, t("claim"));
      return el("article", { class: `offer ${o.ended ? "ended" : ""}`, "data-offer": o.id, "data-starts": o.starts_at, "data-ends": o.ends_at },
        el("h3", {}, o.product.title, " · ", formatPrice(o.price, o.currency, lang)),
        el("p", { class: "countdown", "data-testid": "offer-countdown" }),
        el("div", { class: "stock-bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": o.units, "aria-valuenow": o.available },
          el("span", { style: `width:${pct}%` })),
        el("p", { "data-testid": "offer-stock" }, o.available === 0 ? t("sold_out") : `${o.available} / ${o.units} ${t("left")}`),
        this.replay ? null : el("div", { class: "claim" }, qty, claim),
        this.host && !this.replay && !o.ended ? el("button", { type: "button", onclick: () => this.client.request("offer.end", { offer_id: o.id }) }, t("end_offer")) : null,
        error);
    }));
    this.tick();
  }

  tick() {
    const now = this.replay ? this.replayNow?.() ?? Date.now() : Date.now();
    for (const card of this.offersBox.querySelectorAll(".offer")) {
      const offer = this.offers.get(Number(card.dataset.offer));
      const line = card.querySelector(".countdown");
      if (!offer || !line) continue;
      line.textContent = offer.ended ? t("offer_ended") : now < offer.starts_at ? `${t("starts_in")} ${clock(offer.starts_at - now)}` : `${t("ends_in")} ${clock(offer.ends_at - now)}`;
    }
  }

  renderPolls() {
    this.pollsBox.replaceChildren(...[...this.polls.values()].map((p) => {
      const total = Math.max(1, p.tallies.reduce((a, b) => a + b, 0));
      return el("fieldset", { class: `poll ${p.closed ? "closed" : ""}`, "data-poll": p.id },
        el("legend", {}, `${p.closed ? t("closed_poll") + ": " : ""}${p.question}`),
        ...p.options.map((label, i) => el("div", { class: "poll-option" },
          el("button", { type: "button", "data-testid": "poll-option", disabled: p.closed || this.replay, onclick: () => this.client.request("poll.vote", { poll_id: p.id, options: [i] }) }, label),
          el("span", { class: "bar", style: `width:${Math.round((100 * p.tallies[i]) / total)}%` }),
          el("span", { class: "count", "data-testid": "poll-count" }, String(p.tallies[i])))),
        el("p", {}, `${p.voters} ${t("votes")}`),
        this.host && !this.replay && !p.closed ? el("button", { type: "button", onclick: () => this.client.request("poll.close", { poll_id: p.id }) }, t("close_poll")) : null);
    }));
  }

  renderQuestions() {
    const ordered = [...this.questions.values()].sort((a, b) => b.votes - a.votes || a.id - b.id);
    this.questionList.replaceChildren(...ordered.map((q) => el("li", { class: `${q.answered ? "answered" : ""} ${q.highlighted ? "highlighted" : ""}` },
      el("span", { class: "name" }, q.user.name), " ", el("span", { class: "text" }, q.text), ` (${q.votes})`,
      q.answered ? el("em", {}, ` ${t("answered")}`) : null,
      this.replay ? null : el("button", { type: "button", "aria-label": t("upvote"), onclick: () => this.client.request("question.upvote", { question_id: q.id }) }, "▲"),
      this.host && !this.replay ? el("button", { type: "button", onclick: () => this.client.request("question.answer", { question_id: q.id }) }, t("answer")) : null,
      this.host && !this.replay ? el("button", { type: "button", onclick: () => this.client.request("question.highlight", { question_id: q.id }) }, t("highlight")) : null)));
  }

  renderGiveaway() {
    const g = this.giveaway;
    if (!g) return;
    this.giveawayBox.replaceChildren(el("h2", {}, `${t("giveaway")}: ${g.title ?? ""}`),
      g.winners ? el("p", { "data-testid": "giveaway-winners" }, `${t("winners")}: `, ...g.winners.map((w) => el("strong", {}, w.name, " ")))
        : el("p", {}, `${g.entrants ?? 0} · `, this.replay ? null : el("button", { type: "button", onclick: async () => {
            const reply = await this.client.request("giveaway.enter", { giveaway_id: g.id });
            this.flash(this.chatError, reply.ok ? t("entered") : reason(reply.error), reply.ok ? "ok" : "error");
          } }, t("enter"))),
      this.host && !this.replay && !g.winners ? el("button", { type: "button", onclick: () => this.client.request("giveaway.draw", { giveaway_id: g.id }) }, t("draw")) : null);
  }

  // --- input -------------------------------------------------------------------------

  chatForm() {
    this.chatInput = el("input", { type: "text", maxlength: 500, placeholder: t("say"), "aria-label": t("say"), "data-testid": "chat-input" });
    this.chatError = el("p", { class: "error", role: "alert", "data-testid": "chat-error" });
    return el("form", { class: "chat-form", onsubmit: async (ev) => {
      ev.preventDefault();
      const text = this.chatInput.value;
      if (!text.trim()) return;
      const reply = await this.client.request("chat.post", { text });
      // While chat is thinned for us the server skips viewers' messages, ours too: show it from the reply.
      if (reply.ok && this.thinned) this.addMessage({ id: reply.result.message_id, user: { ...this.me, badges: [] }, text: text.trim() });
      if (reply.ok) this.chatInput.value = "";
      else this.flash(this.chatError, reason(reply.error));
    } }, this.chatInput, el("button", { type: "submit" }, t("send")), this.chatError);
  }

  renderChatState() {
    if (!this.chatInput) return;
    const guest = !this.me || this.me.role === "guest";
    const blocked = guest || (this.membersOnly && !this.me.tier && !["host", "moderator", "brand"].includes(this.me.role));
    this.chatInput.disabled = blocked;
    this.chatInput.placeholder = guest ? t("guest") : blocked ? t("members_only") : t("say");
  }

  reactionBar() {
    this.burstLine = el("span", { class: "burst", "aria-live": "polite", "data-testid": "reactions" });
    return el("div", { class: "reactions", role: "group", "aria-label": t("react") },
      ...[["heart", "❤️"], ["clap", "👏"], ["fire", "🔥"], ["laugh", "😂"], ["wow", "😮"]].map(([kind, icon]) =>
        el("button", { type: "button", "aria-label": kind, onclick: () => this.client.request("reaction", { kind }) }, icon)), this.burstLine);
  }

  burst(counts) {
    this.burstLine.textContent = Object.entries(counts).map(([k, n]) => `${k} ×${n}`).join("  ");
  }

  askForm() {
    const input = el("input", { type: "text", maxlength: 300, placeholder: t("ask_placeholder"), "aria-label": t("ask_placeholder") });
    return el("form", { onsubmit: async (ev) => {
      ev.preventDefault();
      const reply = await this.client.request("question.ask", { text: input.value });
      if (reply.ok) input.value = "";
      else this.flash(this.chatError, reason(reply.error));
    } }, input, el("button", { type: "submit" }, t("ask")));
  }

  flash(node, text, kind = "error") {
    if (!node) return;
    node.textContent = text;
    node.dataset.kind = kind;
  }
}
