"""Automatic moderation's quality, measured on a labelled set of 431 messages
(``tests/data/moderation_labelled.jsonl``: English and Bahasa Indonesia, clean shopping
chat, abuse and spam with the usual tricks), under the default policy.

Each message is scored alone, as an established viewer's (repetition and new-user links
are tested in tests/test_automod_rules.py). A message is predicted *abusive* when held
or blocked for a word list or the toxicity model, *spam* when held or blocked for
anything else, *clean* when allowed. The floors are what this build reaches, a little
below, so a regression fails; docs/moderation.md has the numbers and the misses.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from live.automod.policy import DEFAULT
from live.automod.scorer import Author, Rules, score
from live.automod.spam import Repeats
from rooms.verdicts import Outcome

DATA = Path(__file__).parent / "data" / "moderation_labelled.jsonl"
CLASSES = ("clean", "abusive", "spam")
ABUSE = {"word_list", "toxicity"}
# (precision, recall) floors per class: on the whole set, and on the challenge block alone
# (60 messages written after the lists, to try tricks the lists were not written for).
FLOORS = {"clean": (0.95, 0.95), "abusive": (0.95, 0.95), "spam": (0.95, 0.95)}
CHALLENGE_FLOORS = {"clean": (0.8, 0.8), "abusive": (0.85, 0.85), "spam": (0.85, 0.85)}


def _rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _predict(rules: Rules, text: str, n: int) -> str:
    verdict = score(rules, text, Author(f"user{n}"), Repeats(), 0).verdict
    if verdict.outcome is Outcome.ALLOW:
        return "clean"
    return "abusive" if ABUSE & set(verdict.reasons) else "spam"


def _precision_recall(rows: list[dict[str, str]]) -> dict[str, tuple[float, float]]:
    rules = Rules(DEFAULT)
    confusion = Counter((row["label"], _predict(rules, row["text"], n)) for n, row in enumerate(rows))
    out = {}
    for c in CLASSES:
        tp = confusion[(c, c)]
        predicted = sum(confusion[(o, c)] for o in CLASSES)
        actual = sum(confusion[(c, o)] for o in CLASSES)
        out[c] = (tp / predicted if predicted else 0.0, tp / actual)
    return out


def test_the_labelled_set_is_a_few_hundred_messages_in_both_languages() -> None:
    rows = _rows()
    counts = Counter((r["label"], r["lang"]) for r in rows)
    assert len(rows) >= 400 and len({r["text"] for r in rows}) == len(rows)
    assert all(counts[(c, lang)] >= 30 for c in CLASSES for lang in ("en", "id")), counts


@pytest.mark.parametrize(("subset", "floors"), [("all", FLOORS), ("challenge", CHALLENGE_FLOORS)])
def test_precision_and_recall_per_class_reach_their_floor(subset: str, floors: dict[str, tuple[float, float]]) -> None:
    rows = [r for r in _rows() if subset == "all" or r.get("set") == subset]
    measured = _precision_recall(rows)
    for c, (precision, recall) in measured.items():
        assert precision >= floors[c][0] and recall >= floors[c][1], f"{subset} {c}: precision {precision:.3f}, recall {recall:.3f} (floors {floors[c]})"
