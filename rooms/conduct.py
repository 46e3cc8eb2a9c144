"""Community rules: the brand's (the server sends them to each of its open rooms) or a
room's own, shown in the welcome; a room may ask viewers to accept them before posting.

Acceptance is recorded in the log (``rules.accept``), so a re-fold agrees; the server
remembers it per brand and says so on the actor (``Actor.rules_accepted``), so a viewer
accepts once per brand. The check itself is in ``chat.check_post``.
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
    rules = None if cmd.rules is None else c.Rules(text=cmd.rules.text.strip(), require_acceptance=cmd.rules.require_acceptance)
    if cmd.scope == "brand":
        s.brand_rules = rules
    else:
        s.room_rules = rules
    return [m.RulesChanged(rules=s.rules)], {}


def apply_accept(s: RoomState, entry: c.Entry, cmd: c.RulesAccept) -> Applied:
    s.rules_accepted.add(UserId(entry.actor.user_id))
    return [], {"accepted": True}
