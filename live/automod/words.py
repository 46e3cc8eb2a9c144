"""Word lists: which words a message may not contain, matched on whole normalized words.

A listed entry (a word or a short phrase) matches

- a whole fragment (never a substring: ``Scunthorpe``, ``class`` and ``assam`` are not
  ``cunt`` or ``ass``), also with a common suffix (``-s``, ``-ing``, ``-nya``, ``-lah``…);
- neighbouring fragments that join to exactly the entry: ``b o d o h``, ``b.o.d.o.h``,
  ``bo-doh`` and the phrase ``kill your self`` all join to a listed entry;

- a word with letters masked by ``*`` (``b*ngs*t``);

with each run of a letter at least as long as in the entry (``fuuuck`` is ``fuck``,
``as`` is not ``ass``). A brand's allowed word is never matched, alone or joined. The
shipped lists are package data (``data/words_en.txt``, ``words_id.txt``, ``scam.txt``).
"""

from dataclasses import dataclass
from importlib import resources

from live.automod.normalize import fragments, has_ambiguous, has_letter, leet, normalize, runs, squeeze
from rooms.verdicts import Outcome

SUFFIXES = ("nya", "lah", "kah", "ers", "ing", "mu", "ku", "es", "ed", "er", "in", "s")
MIN_STEM = 3
MIN_SHOWN = 2  # letters a masked word must show
MAX_JOIN = 40  # fragments joined at most (a spaced-out word or a phrase; the prefixes stop it sooner)


@dataclass(frozen=True, slots=True)
class Hit:
    word: str  # the listed entry, normalized
    outcome: Outcome
    kind: str = "word"  # which list: "word", or "scam" (one pass over a message finds both)


def shipped(name: str) -> dict[str, Outcome]:
    """A shipped list (``words_en``, ``words_id``, ``scam``): entry -> hold or block.

    One entry a line, ``word`` (block), ``word hold`` or ``word block``;
    ``#`` starts a comment. A phrase's words are separated by single spaces.
    """
    text = resources.files("live.automod").joinpath("data", f"{name}.txt").read_text(encoding="utf-8")
    out: dict[str, Outcome] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        word, _, action = line.rpartition(" ") if line.endswith((" hold", " block")) else (line, "", "block")
        out[word.strip()] = Outcome(action)
    return out


def _key(entry: str) -> str:
    return "".join(fragments(entry))


class WordList:
    """Compiled entries, looked up by skeleton (a dict hit), then checked run by run."""

    def __init__(self, entries: dict[str, Outcome], allowed: frozenset[str] = frozenset(), kinds: dict[str, str] | None = None) -> None:
        self._by_skeleton: dict[str, list[tuple[tuple[int, ...], Hit]]] = {}
        self._by_length: dict[int, list[tuple[str, Hit]]] = {}  # for masked words ("b*ngs*t")
        self._allowed = frozenset(squeeze(_key(a)) for a in allowed if _key(a))
        kinds = kinds or {}
        keyed = [(key, Hit(normalize(entry), outcome, kinds.get(entry, "word"))) for entry, outcome in entries.items() if (key := _key(entry)) and squeeze(key) not in self._allowed]
        # Each entry, then each with each suffix ("bodohnya", "fuckers"): a lookup is one dict hit,
        # and a word listed itself ("retarded") is found as itself before as a suffixed one.
        forms = [(key, hit) for key, hit in keyed] + [(key + sfx, hit) for key, hit in keyed for sfx in SUFFIXES if len(key) >= MIN_STEM]
        for form, hit in forms:
            if squeeze(form) not in self._allowed:
                self._by_skeleton.setdefault(squeeze(form), []).append((runs(form), hit))
        for key, hit in keyed:
            self._by_length.setdefault(len(key), []).append((key, hit))
        # Every start of a skeleton, a whole one too ("as" + "s" is "ass"): a join goes on only while it could still match.
        self._prefixes = frozenset(k[:n] for k in self._by_skeleton for n in range(1, len(k) + 1))

    def __len__(self) -> int:
        return len(self._by_skeleton)

    def find(self, text: str, frags: list[str] | None = None) -> list[Hit]:
        """Every listed entry in ``text`` (both readings of ``1``), in order, no repeats.

        ``frags``: ``text``'s fragments, where the caller has them already."""
        hits = self.find_in(fragments(text) if frags is None else frags)
        if has_ambiguous(text):
            hits += [h for h in self.find_in(fragments(text, alt=True), alt=True) if h not in hits]
        return hits

    def find_in(self, frags: list[str], *, alt: bool = False) -> list[Hit]:
        hits: list[Hit] = []
        lettered = [f.isalpha() or has_letter(f) for f in frags]
        # A number alone is a number; beside letters it is part of a spaced-out word ("b 4 n g s 4 t").
        frags = [f if word else leet(f, alt=alt) for f, word in zip(frags, lettered, strict=True)]
        skeletons = [squeeze(f) for f in frags]
        for i in range(len(frags)):
            joined, skeleton, letters = "", "", False
            for j in range(i, min(len(frags), i + MAX_JOIN)):
                joined += frags[j]
                part = skeletons[j]
                skeleton += part[1:] if skeleton and part[0] == skeleton[-1] else part
                letters = letters or lettered[j]
                # Numbers side by side ("38 39 40") are not a spaced-out word.
                if letters and (hit := self._match(joined, skeleton)) is not None and hit not in hits:
                    hits.append(hit)
                if skeleton not in self._prefixes:
                    break
        return hits

    def _match(self, joined: str, skeleton: str) -> Hit | None:
        if "*" in joined:
            return self._masked(joined)
        candidates = self._by_skeleton.get(skeleton)
        if not candidates or skeleton in self._allowed:
            return None
        have = runs(joined)
        for need, hit in candidates:
            if all(h >= n for h, n in zip(have, need, strict=True)):
                return hit
        return None

    def _masked(self, joined: str) -> Hit | None:
        """A word with letters masked by ``*``: each ``*`` any one letter, two letters at least shown."""
        if len(joined) - joined.count("*") < MIN_SHOWN:
            return None
        for key, hit in self._by_length.get(len(joined), ()):
            if all(a == "*" or a == b for a, b in zip(joined, key, strict=True)) and squeeze(key) not in self._allowed:
                return hit
        return None
