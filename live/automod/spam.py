"""Spam signals that need no word list: shouting, floods, phone numbers, repetition.

``Repeats`` is the one with memory: the texts a room saw lately, by whom, so the same
text posted again by one user, or by many users at once (a coordinated campaign), is
caught. It lives at the edge (one per room per node; see ``live.automod.edge``), never
in the fold: the verdict it leads to is what the log records.
"""

import re
from collections import Counter, deque
from dataclasses import dataclass, field

_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u3297\u3299\u203c\u2049]")
_MENTION = re.compile(r"(?<![\w@])@\w{2,}")
# Indonesian mobiles (08…, +62 8…, 62 8…) and any +country number; digits may be grouped.
_PHONE = re.compile(r"(?<![\w+])(?:\+?62[\s.-]?|0)8\d{1,3}(?:[\s.-]?\d){6,9}(?!\d)|(?<![\w+])\+\d{1,3}(?:[\s.-]?\d){7,12}(?!\d)")

_DIGITS_SPACED = re.compile(r"(?<=\d)[\s.-](?=\d)")
_HANDLE = re.compile(r"\b(?:ig|insta|instagram|tiktok|telegram|tele|line|fb|facebook|twitter)\s*(?::\s*@?|@)\s*[a-z0-9._]{3,}", re.I)


_ASCII = bytes(range(128))
_NOT_LETTER = bytes(b for b in _ASCII if not chr(b).isalpha())  # deleted by translate: what is left is counted
_NOT_UPPER = bytes(b for b in _ASCII if not chr(b).isupper())
_NOT_DIGIT = bytes(b for b in _ASCII if not chr(b).isdigit())
PHONE_MIN_DIGITS = 8  # the shortest number _PHONE matches: "+" and 8 digits (a mobile has 9 or more)


def caps_ratio(text: str, min_letters: int) -> float:
    """Share of capitals among the letters, or 0 when there are fewer than ``min_letters``."""
    if text.isascii():  # most chat: counted in C (bytes.translate), ~10x faster than per character
        data = text.encode()
        letters, upper = len(data.translate(None, _NOT_LETTER)), len(data.translate(None, _NOT_UPPER))
    else:
        letters, upper = sum(map(str.isalpha, text)), sum(map(str.isupper, text))
    return upper / letters if letters >= min_letters else 0.0


def emoji_count(text: str) -> int:
    return 0 if text.isascii() else len(_EMOJI.findall(text))


def mention_count(text: str) -> int:
    return text.count("@") and len(_MENTION.findall(text))


def has_phone(text: str) -> bool:
    """A phone number, also with its digits spaced out ("0 8 1 2 …")."""
    if text.isascii() and len(text.encode().translate(None, _NOT_DIGIT)) < PHONE_MIN_DIGITS:
        return False  # most chat: too few digits for any number the patterns match
    if _PHONE.search(text) is not None:
        return True
    return _DIGITS_SPACED.search(text) is not None and _PHONE.search(_DIGITS_SPACED.sub("", text)) is not None


def has_handle(text: str) -> bool:
    """An account elsewhere: "ig: jualmurah", "instagram @x", "telegram: y" (taking buyers off the platform)."""
    return _HANDLE.search(text) is not None


@dataclass
class Repeats:
    """Recent texts of one room: ``(ms, user, key)`` within ``window_ms``, and their counts."""

    window_ms: int = 60_000
    max_kept: int = 5_000
    _recent: deque[tuple[int, str, str]] = field(default_factory=deque)
    _by_user: Counter[tuple[str, str]] = field(default_factory=Counter)
    _users: dict[str, Counter[str]] = field(default_factory=dict)

    def seen(self, now_ms: int, user: str, key: str) -> tuple[int, int]:
        """Record one post; return (this user's earlier posts of ``key``, other users who posted it)."""
        self._expire(now_ms)
        mine = self._by_user[(user, key)]
        users = self._users.get(key)
        others = len(users) - (1 if mine else 0) if users else 0
        self._recent.append((now_ms, user, key))
        self._by_user[(user, key)] += 1
        self._users.setdefault(key, Counter())[user] += 1
        return mine, others

    def _expire(self, now_ms: int) -> None:
        recent = self._recent
        while recent and (recent[0][0] < now_ms - self.window_ms or len(recent) >= self.max_kept):
            _, user, key = recent.popleft()
            if (n := self._by_user[(user, key)]) > 1:
                self._by_user[(user, key)] = n - 1
            else:
                del self._by_user[(user, key)]
            users = self._users[key]
            if users[user] > 1:
                users[user] -= 1
            else:
                del users[user]
                if not users:
                    del self._users[key]
