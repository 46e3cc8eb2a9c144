"""Links in a message: URLs, bare domains, and domains spelled out to dodge a filter.

Found: ``https://…``, ``www.…``, ``fake-deals.example``, ``wa.me/62…``, and the spelled-out
``fake-deals dot com``, ``fake-deals (dot) com``, ``fake-deals [.] com``,
``fake-deals titik com``. Bare domains are recognised by their top-level domain
(``TLDS``: the common ones and those spam favours), so ``ok.so`` or ``size L.XL``
are not links. An allowed domain passes, with its subdomains.
"""

import re
from dataclasses import dataclass

TLDS = "com|net|org|info|biz|io|co|id|me|ly|gl|gg|xyz|shop|store|online|site|top|club|link|app|live|website|space|fun|icu|vip|win|bid|click|page|buzz|tk|ml|ga|cf|gq|ru|cn|sg|uk|example"
# Spelled out ("polka dot co-ord" is fashion, not a link), only the commonest: fewer false alarms.
SPELLED_TLDS = "com|net|org|id|xyz|shop|store|online|site|info|biz|io|me|ly|example"
LOOSE_TLDS = "com|net|org|xyz"  # after a comma or a spaced dot: only these ("ok, me too" is not a link)
_DOT_WORD = r"(?:\s*(?:\(\s*(?:dot|titik|\.)\s*\)|\[\s*(?:dot|titik|\.)\s*\]|\{\s*(?:dot|\.)\s*\})\s*|\s+(?:dot|titik)\s+)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PATTERNS = (
    re.compile(r"\b(?:https?|ftp|hxxps?)://[^\s<>\"']+", re.I),
    re.compile(rf"\bw\s*w\s*w\s*[.,]\s*{_LABEL}\s*[.,]\s*(?:{SPELLED_TLDS})\b", re.I),  # "w w w . fake . com"
    re.compile(rf"\b{_LABEL}(?:\s*,\s*|\s+\.\s*|\.\s+)(?:{LOOSE_TLDS})\b", re.I),  # "fake,com", "fake . com"
    re.compile(r"\bwww\d?\.[^\s<>\"']+", re.I),
    re.compile(rf"\b(?:{_LABEL}\.)+(?:{TLDS})\b(?::\d+)?(?:/[^\s<>\"']*)?", re.I),
    re.compile(rf"\b{_LABEL}(?:{_DOT_WORD}{_LABEL})*{_DOT_WORD}(?:{SPELLED_TLDS})\b(?:/[^\s<>\"']*)?", re.I),
)
_HOST = re.compile(r"^(?:[a-z]+://)?(?:[^@/\s]*@)?([^/:?#\s]+)", re.I)
_SPELLED_DOT = re.compile(rf"{_DOT_WORD}|\s*,\s*|\s+\.\s*|\.\s+", re.I)
# A quick test before the patterns: nothing that could be a link has none of these.
_MAYBE = re.compile(rf"[./:]|\bdot\b|\btitik\b|,\s*(?:{LOOSE_TLDS})\b", re.I)


@dataclass(frozen=True, slots=True)
class Link:
    start: int
    end: int
    host: str  # lower case, dots restored: "fake-deals.com"


def find(text: str) -> list[Link]:
    """Every link in ``text``, left to right, not overlapping."""
    if _MAYBE.search(text) is None:
        return []
    spans: list[tuple[int, int]] = []
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e in spans):
                spans.append((m.start(), m.end()))
    out = []
    for start, end in sorted(spans):
        raw = "".join(_SPELLED_DOT.sub(".", text[start:end]).split())
        found = _HOST.match(raw)
        host = found.group(1).lower().strip(".") if found else raw.lower()
        out.append(Link(start, end, host))
    return out


def allowed(host: str, domains: frozenset[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or a subdomain of one."""
    parts = host.split(".")
    return any(".".join(parts[i:]) in domains for i in range(len(parts)))


def strip(text: str, links: list[Link], placeholder: str = "[link removed]") -> str:
    """``text`` with each of ``links`` replaced by ``placeholder``."""
    out, at = [], 0
    for link in links:
        out += [text[at : link.start], placeholder]
        at = link.end
    out.append(text[at:])
    return "".join(out)
