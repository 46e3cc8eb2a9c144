// The brand page's product reviews, loaded once the page has drawn: the reviews the brand's automatic
// moderation held wait here with why; the brand publishes or hides them (and any published or hidden one).
import { el, refill } from "./live.js";
import { locale, reason, t, why } from "./i18n.js";

const PAGE = 20; // a page of reviews: held ones oldest first (the queue), the others newest first

/** Fill ``box`` with the tabs and the list; ``get`` fetches with the brand's token, ``say`` is the page's toast, ``guard(call)`` toasts its failure. */
export function reviewsPanel(box, { brand, get, auth, say, guard }) {
  const tabs = el("div", { class: "segmented", role: "group", "aria-label": t("product_reviews") });
  const list = el("ul", { class: "rv-list", "data-testid": "brand-reviews" });
  box.append(tabs, list);
  let status = "held";
  let titles = null; // product id -> title, from the brand's catalog
  let shown = []; // the reviews listed, a page at a time
  let more = false; // a next page exists
  let asked = 0; // the latest load: an older answer arriving after it is dropped

  async function load(next = false) {
    const mine = ++asked;
    titles ??= new Map(((await (await fetch(`/v1/catalog/${encodeURIComponent(brand)}/products`)).json()).products ?? []).map((p) => [p.id, p.title]));
    const offset = next ? shown.length : 0;
    const { reviews } = await get(`/v1/brands/${encodeURIComponent(brand)}/reviews?status=${status}&limit=${PAGE + 1}&offset=${offset}`);
    if (mine !== asked) return;
    shown = [...(next ? shown : []), ...reviews.slice(0, PAGE)];
    more = reviews.length > PAGE;
    const count = `${shown.length}${more ? "+" : ""}`;
    refill(tabs, () => ["held", "published", "hidden"].map((s) => el("button", { type: "button", "aria-pressed": String(s === status), "data-testid": `reviews-${s}`,
      onclick: () => { status = s; guard(load()); } }, t(`rv_${s}`), s === "held" && status === "held" && shown.length ? ` (${count})` : "")));
    refill(list, () => [...(shown.length ? shown.map((r) => el("li", { class: "rv", "data-testid": "brand-review", "data-review": r.id },
      el("p", { class: "rv-head" }, el("span", { class: "stars", role: "img", "aria-label": `${r.stars} / 5` }, "★".repeat(r.stars) + "☆".repeat(5 - r.stars)), " ",
        el("strong", {}, titles.get(r.product_id) ?? r.product_id)),
      el("p", { class: "rv-text" }, `“${r.text}”`),
      el("p", { class: "muted" }, `${r.author.name} · ${new Date(r.created_at).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" })} · ${t("rv_order")} ${r.room_id}.${r.reservation_id}`),
      r.status === "held" && r.reasons.length ? el("p", { class: "rv-why", "data-testid": "review-why" }, `${t("rv_why")}: ${why(r.reasons)}`) : null,
      el("div", { class: "actions" },
        r.status !== "published" ? el("button", { type: "button", class: "primary", "data-testid": "review-publish", onclick: () => guard(moderate(r.id, "published")) }, t("publish")) : null,
        r.status !== "hidden" ? el("button", { type: "button", class: "danger", "data-testid": "review-hide", onclick: () => guard(moderate(r.id, "hidden")) }, t("hide")) : null)))
      : [el("li", { class: "muted" }, t(status === "held" ? "rv_none_held" : "rv_none"))]),
      more ? el("li", { "data-key": "more" }, el("button", { type: "button", "data-testid": "reviews-more", onclick: () => guard(load(true)) }, t("more"))) : null]);
  }

  async function moderate(id, to) {
    const r = await fetch(`/v1/reviews/${id}/moderate`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ status: to }) });
    say(r.ok ? t(`rv_done_${to}`) : reason((await r.json()).error), r.ok ? "ok" : "error");
    await load(); // its caller's guard says why, if this fails
  }

  guard(load());
}
