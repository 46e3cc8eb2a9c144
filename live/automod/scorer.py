"""Scoring one message: every check the policy enables, cheapest first, into a ``Verdict``.

Pure apart from ``Repeats`` (the room's recent texts, which this updates) and the
toxicity model (read once). The outcome is the strictest any check gave (block over
hold over allow); the reasons are every check that fired. The model runs only where it
could still change the outcome.
"""

from dataclasses import dataclass

from live.automod import links, spam, toxicity
from live.automod.normalize import fragments
from live.automod.policy import Action, Policy
from live.automod.reasons import Reason
from live.automod.words import WordList, shipped
from rooms.verdicts import ALLOW, Outcome, Verdict

_RANK = {Outcome.ALLOW: 0, Outcome.HOLD: 1, Outcome.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class Author:
    user_id: str
    staff: bool = False  # host, moderator (by token or appointed), brand: never scored
    new: bool = False  # first seen in the brand less than ``new_user_seconds`` ago


@dataclass(frozen=True, slots=True)
class Scored:
    verdict: Verdict
    text: str  # what is posted: the text, or with links stripped


class Rules:
    """A policy compiled: its word lists built once, reused for every message."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        entries: dict[str, Outcome] = {}
        for lang in policy.languages:
            entries |= shipped(f"words_{lang}")
        entries |= dict.fromkeys(policy.held_words, Outcome.HOLD)
        entries |= dict.fromkeys(policy.blocked_words, Outcome.BLOCK)
        scams = shipped("scam")
        # One list, one pass over a message: the word lists' entries win where both have one.
        self.words = WordList(scams | entries, frozenset(policy.allowed_words), kinds=dict.fromkeys(scams.keys() - entries.keys(), "scam"))
        self.domains = frozenset(policy.allowed_domains)


class _Tally:
    def __init__(self) -> None:
        self.outcome = Outcome.ALLOW
        self.reasons: list[str] = []

    def add(self, reason: Reason, action: Action | Outcome) -> None:
        outcome = Outcome.HOLD if action in (Action.HOLD, Outcome.HOLD) else Outcome.BLOCK if action in (Action.BLOCK, Outcome.BLOCK) else Outcome.ALLOW
        if reason.value not in self.reasons:
            self.reasons.append(reason.value)
        if _RANK[outcome] > _RANK[self.outcome]:
            self.outcome = outcome


def score(rules: Rules, text: str, author: Author, repeats: spam.Repeats, now_ms: int, *, claim: bool = False) -> Scored:
    """The verdict on ``text`` from ``author`` under ``rules``; records it in ``repeats``.

    ``claim``: the line claims or bids ("keep 2", rooms.comments): many viewers typing the
    same words is the point of comment-to-claim, so it is never a flood."""
    p = rules.policy
    if author.staff or not p.enabled:
        return Scored(ALLOW, text)
    act, tally = p.actions, _Tally()
    frags = fragments(text)
    key = " ".join(frags)  # normalize(text)
    mine, others = repeats.seen(now_ms, author.user_id, key)
    if act.spam_repeat != "off" and mine >= p.repeat_max:
        tally.add(Reason.SPAM_REPEAT, Action(act.spam_repeat))
    if act.spam_flood != "off" and not claim and others + 1 >= p.flood_users and len(key) >= p.flood_min_chars:
        tally.add(Reason.SPAM_FLOOD, Action(act.spam_flood))
    stripped = _links(rules, text, author, tally)
    if stripped is not text:
        text, frags = stripped, fragments(stripped)
    _shape(p, text, tally)
    for hit in rules.words.find(text, frags) if act.word_list != "off" or act.scam != "off" else ():
        if hit.kind == "scam" and act.scam != "off":
            tally.add(Reason.SCAM, Action(act.scam))
        elif hit.kind == "word" and act.word_list != "off":
            tally.add(Reason.WORD_LIST, hit.outcome if act.word_list == "listed" else Action(act.word_list))
    if act.scam != "off" and spam.has_handle(text):
        tally.add(Reason.SCAM, Action(act.scam))
    probability = 0.0
    if act.toxicity != "off" and _RANK[Outcome(act.toxicity)] > _RANK[tally.outcome]:
        probability = toxicity.model().score(key)
        if probability >= p.toxicity_threshold:
            tally.add(Reason.TOXICITY, Action(act.toxicity))
    return Scored(Verdict(outcome=tally.outcome, reasons=tuple(tally.reasons), score=round(probability, 4)), text)


def _links(rules: Rules, text: str, author: Author, tally: _Tally) -> str:
    """Links not on the allow-list: held, blocked or stripped as the policy says."""
    act = rules.policy.actions
    if act.link == "off" and act.new_user_link == "off":
        return text
    found = [link for link in links.find(text) if not links.allowed(link.host, rules.domains)]
    if not found:
        return text
    if author.new and act.new_user_link != "off":
        tally.add(Reason.NEW_USER_LINK, Action(act.new_user_link))
    if act.link == "strip":
        tally.add(Reason.LINK, Action.STRIP)  # allowed, the author told what was removed
        return links.strip(text, found)
    if act.link != "off":
        tally.add(Reason.LINK, Action(act.link))
    return text


def _shape(p: Policy, text: str, tally: _Tally) -> None:
    """Shouting, floods of emoji or mentions, phone numbers."""
    act = p.actions
    if act.caps != "off" and spam.caps_ratio(text, p.caps_min_letters) >= p.caps_ratio:
        tally.add(Reason.CAPS, Action(act.caps))
    if act.emoji_flood != "off" and spam.emoji_count(text) > p.emoji_max:
        tally.add(Reason.EMOJI_FLOOD, Action(act.emoji_flood))
    if act.mention_flood != "off" and spam.mention_count(text) > p.mention_max:
        tally.add(Reason.MENTION_FLOOD, Action(act.mention_flood))
    if act.phone != "off" and spam.has_phone(text):
        tally.add(Reason.PHONE, Action(act.phone))
