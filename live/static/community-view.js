// Polls, questions and giveaways as sheets (the viewer) or panels (the host console), and
// the guest's "sign in to take part" sheet.
import { el, refill } from "./live.js";
import { reason, t } from "./i18n.js";

/** A sheet over the lower part of the viewer's screen (docked beside the video on a desktop). */
export const sheet = (name, title, ...body) => el("section", { class: "sheet", "data-sheet": name, "data-testid": `sheet-${name}`, "aria-label": title, tabindex: -1 },
  el("header", {}, el("h2", {}, title), el("button", { type: "button", class: "close", "aria-label": t("close"), "data-close": "" }, "✕")), ...body);

export function communityParts(view) {
  const pollBox = el("div", { class: "polls", "data-testid": "polls" });
  const qaList = el("ol", { class: "qa-list", "data-testid": "questions" });
  const giveawayBox = el("div", { class: "giveaways", "data-testid": "giveaways" });
  const entered = new Set();

  const act = async (type, fields, ok = "") => {
    if (view.needsSignIn()) return null;
    const reply = await view.client.ask(type, fields);
    view.say(reply.ok ? ok : reason(reply.error), reply.ok ? "ok" : "error");
    return reply;
  };

  function renderPolls() {
    const polls = [...view.polls.values()].reverse();
    refill(pollBox, () => polls.length ? polls.map((p) => {
      const total = Math.max(1, p.tallies.reduce((a, b) => a + b, 0));
      return el("fieldset", { class: `poll ${p.closed ? "closed" : ""}`, "data-poll": p.id },
        el("legend", {}, `${p.closed ? t("closed_poll") + ": " : ""}${p.question}`),
        ...p.options.map((label, i) => el("button", { type: "button", class: `poll-option ${p.winners?.includes(i) ? "winner" : ""}`, "data-testid": "poll-option", disabled: p.closed || view.replay || view.host,
          onclick: () => act("poll.vote", { poll_id: p.id, options: [i] }, `${t("vote")} ✓`) },
          el("span", { class: "fill", style: `width:${Math.round((100 * p.tallies[i]) / total)}%` }),
          el("span", { class: "label" }, label), el("span", { class: "count", "data-testid": "poll-count" }, String(p.tallies[i])))),
        el("p", { class: "muted" }, `${p.voters} ${t("votes")}`),
        view.host && !view.replay && !p.closed ? el("button", { type: "button", onclick: () => act("poll.close", { poll_id: p.id }, `${t("close_poll")} ✓`) }, t("close_poll")) : null);
    }) : [el("p", { class: "empty" }, t("no_poll"))]);
  }

  function renderQuestions() {
    const qs = [...view.questions.values()].sort((a, b) => Number(a.answered) - Number(b.answered) || b.votes - a.votes || a.id - b.id);
    refill(qaList, () => qs.length ? qs.map((q) => el("li", { class: `${q.highlighted ? "highlighted" : ""} ${q.answered ? "answered" : ""}`, "data-testid": "question", "data-question": q.id },
      el("button", { type: "button", class: "upvote", "aria-label": `${t("upvote")} (${q.votes})`, disabled: view.replay || view.host || q.user.id === view.me?.id,
        onclick: () => act("question.upvote", { question_id: q.id }) }, "▲ ", el("span", { "data-testid": "question-votes" }, String(q.votes))),
      el("span", { class: "qtext" }, el("strong", { class: "name" }, q.user.name), " ", el("span", { class: "text" }, q.text), q.answered ? el("em", { class: "tag" }, ` ✓ ${t("answered")}`) : null),
      view.host && !view.replay && !q.answered ? el("span", { class: "mod" },
        el("button", { type: "button", onclick: () => act("question.answer", { question_id: q.id }, `${t("answer")} ✓`) }, t("answer")),
        q.highlighted ? null : el("button", { type: "button", onclick: () => act("question.highlight", { question_id: q.id }, `${t("highlight")} ✓`) }, t("highlight"))) : null))
      : [el("li", { class: "empty" }, t(view.replay ? "no_questions_asked" : "no_questions"))]);
  }

  function renderGiveaways() {
    const all = [...view.giveaways.values()].reverse();
    refill(giveawayBox, () => all.length ? all.map((g) => el("article", { class: "giveaway", "data-giveaway": g.id },
      el("h3", {}, `🎁 ${g.title}`),
      g.drawn ? el("p", { "data-testid": "giveaway-winners" }, `${t("winners")}: `, ...g.drawn.map((w) => el("strong", {}, w.name, " ")))
        : el("p", {}, el("span", { "data-testid": "giveaway-entrants" }, `${g.entrants ?? 0} ${t("entrants")}`), " ",
          view.replay || view.host ? null : entered.has(g.id) ? el("strong", { class: "ok" }, t("entered"))
            : el("button", { type: "button", class: "primary", "data-testid": "giveaway-enter", onclick: async () => {
              const reply = await act("giveaway.enter", { giveaway_id: g.id }, t("entered"));
              if (reply?.ok || reply?.error?.code === "conflict") { entered.add(g.id); renderGiveaways(); }
            } }, view.guest ? `🔒 ${t("enter")}` : t("enter"))),
      view.host && !view.replay && !g.drawn ? el("button", { type: "button", "data-testid": "giveaway-draw", onclick: () => act("giveaway.draw", { giveaway_id: g.id }, `${t("draw")} ✓`) }, t("draw")) : null))
      : [el("p", { class: "empty" }, t("no_giveaway"))]);
  }

  function askForm() {
    if (view.replay || view.host) return null;
    const input = el("input", { type: "text", maxlength: 300, placeholder: t("ask_placeholder"), "aria-label": t("ask_placeholder"), "data-testid": "ask-input" });
    return el("form", { class: "ask", onsubmit: async (ev) => {
      ev.preventDefault();
      const reply = await act("question.ask", { text: input.value }, `${t("ask")} ✓`);
      if (reply?.ok) input.value = "";
    } }, input, el("button", { type: "submit" }, t("ask")));
  }

  view.renderCommunity = () => {
    renderPolls(); renderQuestions(); renderGiveaways();
    view.onCommunity?.();
  };
  return {
    poll: sheet("poll", t("poll"), pollBox),
    qa: sheet("qa", t("questions"), qaList, askForm()),
    giveaway: sheet("giveaway", t("giveaway"), giveawayBox),
    rules: sheet("rules", t("rules"), (view.parts.rulesText = el("p", { class: "rules-text", "data-testid": "rules-text" })),
      view.replay || view.host ? null : el("button", { type: "button", class: "primary", "data-testid": "accept-rules", onclick: async () => {
        await view.acceptRules();
        if (view.rulesAccepted && view.pendingRulesText) { const text = view.pendingRulesText; view.pendingRulesText = null; view.post(text); }
      } }, t("accept_rules"))),
    guest: sheet("guest", t("guest_title"), el("p", {}, t("guest_body")), el("p", { class: "guest-actions" }, view.signInLink("button primary"))),
  };
}
