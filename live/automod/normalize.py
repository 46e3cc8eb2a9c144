"""Text as the word lists see it: case, diacritics, look-alikes, leetspeak, long runs.

People dodge filters with ``B0D0H``, ``bôdóh``, ``boooodoh`` or ``b.o.d.o.h``. The
normalizer undoes the first three per *fragment* (a run of letters, digits and the
leet symbols ``@ $ ! |``); spacing tricks are undone by the matcher
(``live.automod.words``), which joins neighbouring fragments. Two rules keep ordinary
shopping chat from turning into words:

- a fragment with no letter and a digit is a number (``45``, ``150.000``), never
  leetspeak: sizes and prices are far commoner than ``455`` meaning a word;
- a run of three or more of one letter becomes two (``fuuuck`` -> ``fuuck``), so a
  listed word's own double letters still count (``ass`` is not ``as``).

``1`` reads as ``i`` and, in a second reading, as ``l`` (``k1ll``); ``normalize``
gives the first, ``fragments(..., alt=True)`` the second. A ``*`` inside a word is kept:
it masks a letter (``b*ngs*t``), and the matcher reads it as any one letter.
"""

import functools
import re
import unicodedata

# Cyrillic and Greek letters that look Latin: the commonest homoglyph trick.
_LOOKALIKES = str.maketrans("аеорсхуікмтнвαεορτυνκιѕј", "aeopcxyikmtnbaeoptuvkisj")
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o", "5": "s", "$": "s", "7": "t", "8": "b", "9": "g", "|": "l"})
_LEET_ALT = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "l", "!": "i", "0": "o", "5": "s", "$": "s", "7": "t", "8": "b", "9": "g", "|": "l"})
_ONE_IN_WORD = re.compile(r"[^\W\d_]1|1[^\W\d_]")
_FRAGMENT = re.compile(r"(?:[^\W_]|[@$!|*])+")
_LONG_RUN = re.compile(r"(\D)\1{2,}")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")
_EDGE_PUNCT = "!|*"  # "wow!", "|x|" and "*wink*": punctuation at a fragment's ends, not letters


def fold(text: str) -> str:
    """Case-fold, strip diacritics, map look-alike letters (width variants included)."""
    if text.isascii():
        return text.lower()
    # Decomposed before case-folding (math letters have no case of their own) and after it
    # (folding can add a combining mark: "İ" -> "i̇").
    return _strip_marks(_strip_marks(text).casefold()).translate(_LOOKALIKES)


def _strip_marks(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def leet(fragment: str, *, alt: bool = False) -> str:
    """A fragment's digits and symbols read as letters (for a number beside letters: "b 4 n g")."""
    return fragment.translate(_LEET_ALT if alt else _LEET)


def _fragment(raw: str, table: dict[int, str]) -> str:
    raw = raw.strip(_EDGE_PUNCT)
    if not raw:
        return ""
    if _LETTER.search(raw) is None and _DIGIT.search(raw) is not None:
        return raw  # a number
    return _LONG_RUN.sub(r"\1\1", raw.translate(table))


def fragments(text: str, *, alt: bool = False) -> list[str]:
    """The normalized fragments of ``text``, in order (``alt``: ``1`` read as ``l``)."""
    table = _LEET_ALT if alt else _LEET
    out = []
    for raw in _FRAGMENT.findall(_LONG_RUN.sub(r"\1\1", fold(text))):
        if raw.isalpha():
            out.append(raw)  # the common case: letters only, runs already shortened
        elif frag := _fragment(raw, table):
            out.append(frag)
    return out


def has_letter(fragment: str) -> bool:
    """A number (``455``, ``4$``) has none: read as letters only beside letters."""
    return _LETTER.search(fragment) is not None


def has_ambiguous(text: str) -> bool:
    """Whether a second reading (``1`` as ``l``) could differ from the first: a ``1`` touching a letter."""
    return "1" in text and _ONE_IN_WORD.search(text) is not None


def normalize(text: str) -> str:
    """The canonical form: normalized fragments joined by single spaces (idempotent)."""
    return " ".join(fragments(text))


@functools.lru_cache(maxsize=1 << 16)
def squeeze(word: str) -> str:
    """A word's skeleton: every run of one letter as one (``bodooh`` -> ``bodoh``)."""
    return _RUNS.sub(r"\1", word)


def runs(word: str) -> tuple[int, ...]:
    """The length of each run of one letter, in order (``ass`` -> ``(1, 2)``)."""
    return tuple(len(m.group(0)) for m in _RUN.finditer(word))


_RUNS = re.compile(r"(.)\1+")
_RUN = re.compile(r"(.)\1*")
