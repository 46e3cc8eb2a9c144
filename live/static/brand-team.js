// The brand page's moderator team, loaded once the page has drawn: who moderates every show of
// the brand, added or removed here. A change reaches the brand's live and scheduled shows at once
// (their open connections turn staff, or stop being it); the hosts there cannot remove them.
// Its words are its own (the shared dictionary is the shopper's page's, held to its budget).
import { el, refill } from "./live.js";
import { lang, locale, reason, t } from "./i18n.js";

const WORDS = {
  en: { title: "Moderator team", intro: "They moderate every show of the brand with their own sign-in. Changes reach live and scheduled shows at once.",
    since: "since", reached: (n) => `${n} open show${n === 1 ? "" : "s"} updated` },
  id: { title: "Tim moderator", intro: "Mereka memoderasi semua siaran brand dengan akun mereka sendiri. Perubahan langsung berlaku di siaran yang sedang tayang dan terjadwal.",
    since: "sejak", reached: (n) => `${n} siaran terbuka diperbarui` },
};

/** The panel, as a section for the page's side column; ``get`` fetches with the brand's token, ``say`` is the page's toast, ``guard(call)`` toasts its failure. */
export function teamPanel({ brand, get, auth, say, guard }) {
  const w = WORDS[lang] ?? WORDS.en;
  const list = el("ul", { class: "people", "data-testid": "brand-team" });
  const form = el("form", { class: "row2", onsubmit: async (ev) => {
    ev.preventDefault();
    const field = ev.currentTarget.elements.user;
    if (await guard(change(field.value.trim(), "PUT"))) field.value = "";
  } }, el("input", { type: "text", name: "user", required: true, maxlength: 128, "aria-label": t("user_id"), placeholder: t("user_id"), "data-testid": "team-user" }),
  el("button", { type: "submit", "data-testid": "team-add" }, t("appoint")));

  async function load() {
    const { moderators } = await get(`/v1/brands/${encodeURIComponent(brand)}/moderators`);
    refill(list, () => moderators.length ? moderators.map((m) => el("li", { "data-key": m.user_id },
      el("span", {}, m.user_id, " ", el("small", { class: "muted" }, `${w.since} ${new Date(m.appointed_at).toLocaleDateString(locale, { dateStyle: "medium" })}`)),
      el("button", { type: "button", "data-testid": "team-remove", "aria-label": `${t("dismiss")}: ${m.user_id}`, onclick: () => guard(change(m.user_id, "DELETE")) }, t("dismiss"))))
      : [el("li", { class: "muted" }, t("nobody"))]);
  }

  async function change(user, method) {
    if (!user) return false;
    const r = await fetch(`/v1/brands/${encodeURIComponent(brand)}/moderators/${encodeURIComponent(user)}`, { method, headers: auth });
    const body = await r.json();
    say(r.ok ? `${t(method === "PUT" ? "appoint" : "dismiss")} ✓ ${user} · ${w.reached(body.rooms.length)}` : reason(body.error), r.ok ? "ok" : "error");
    await guard(load());
    return r.ok;
  }

  guard(load());
  return el("section", { class: "panelbox", "aria-label": w.title, "data-testid": "team-box" }, el("h2", {}, w.title), el("p", { class: "muted" }, w.intro), form, list);
}
