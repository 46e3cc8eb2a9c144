"""Community rules: the brand's (the server sends them to each of its open rooms) or a
room's own, shown in the welcome; a room may ask viewers to accept them before posting.

Acceptance is recorded in the log (``rules.accept``), so a re-fold agrees; the server
remembers it per brand and version of the text and says so on the actor
(``Actor.rules_accepted``), so a viewer accepts once per brand — and again when the
words change: new rules clear the room's acceptances (``apply_set``), and the server
stops vouching for its members' earlier ones. The check itself is in ``chat.check_post``.
"""

from rooms import commands as c
from rooms import modevents as m
from rooms.errors import Code, Rejection
from rooms.rules import Applied
from rooms.state import RoomState
from rooms.types import UserId

MAX_RULES_TEXT = 4000


def check_set(s: RoomState, entry: c.Entry, cmd: c.RulesSet) -> Rejection | None:
    if cmd.rules is not None and not 1 <= len(cmd.rules.text.strip()) <= MAX_RULES_TEXT:
        return Rejection(Code.INVALID, f"rules are 1..{MAX_RULES_TEXT} characters")
    return None


def apply_set(s: RoomState, entry: c.Entry, cmd: c.RulesSet) -> Applied:
    before = s.rules
    rules = None if cmd.rules is None else c.Rules(text=cmd.rules.text.strip(), require_acceptance=cmd.rules.require_acceptance)
    if cmd.scope == "brand":
        s.brand_rules = rules
    else:
        s.room_rules = rules
    if new_words(before, s.rules):
        s.rules_accepted.clear()  # what was accepted is not what is asked now
    return [m.RulesChanged(rules=s.rules)], {}


def new_words(before: c.Rules | None, after: c.Rules | None) -> bool:
    """Whether the rules in force now say something else than before (acceptance starts over)."""
    return (before.text if before else None) != (after.text if after else None)


def apply_accept(s: RoomState, entry: c.Entry, cmd: c.RulesAccept) -> Applied:
    s.rules_accepted.add(UserId(entry.actor.user_id))
    return [], {"accepted": True}
