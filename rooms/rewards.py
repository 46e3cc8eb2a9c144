"""Rewards: points and badges, in a room and across a brand's sessions.

Points reward taking part and are capped per kind and room, so farming one action
stops paying: see ``POINTS``. Badges earned in a room: ``first_purchase`` (a first paid
order here) and ``top_supporter`` (``TOP_SUPPORTER_POINTS`` in one room). Badges that
span a brand's sessions (``regular``) are counted by the server in SQL and ride on
``Actor.badges``; the rule that turns that count into badges (``brand_badges``) is the
domain's and lives here too. ``user_ref`` is how a user appears in events, badges
included. The rules that award points (chat, votes, questions, purchases) call in here.
"""

from rooms import commands as c
from rooms import events as e
from rooms.state import RoomState
from rooms.types import UserId

REGULAR_SESSIONS = 3  # sessions of a brand with points in each, for the "regular" badge
# kind -> (points per action, most points of that kind per user per room)
POINTS = {"chat": (1, 20), "vote": (2, 20), "question": (3, 15), "upvoted": (1, 20), "purchase": (10, 50)}
TOP_SUPPORTER_POINTS = 25


def brand_badges(sessions_with_points: int) -> tuple[str, ...]:
    """Badges for a member who earned points in ``sessions_with_points`` of a brand's sessions."""
    return ("regular",) if sessions_with_points >= REGULAR_SESSIONS else ()


def user_ref(s: RoomState, a: c.Actor) -> e.UserRef:
    """The user as events show them: brand badges from the server, room badges from the fold."""
    badges = tuple(dict.fromkeys([*a.badges, *s.badges.get(a.user_id, [])]))
    return e.UserRef(id=a.user_id, name=a.name, role=a.role, tier=a.tier, badges=badges)


def award(s: RoomState, user: UserId, name: str, kind: str) -> list[e.Event]:
    """Give ``user`` the points of one ``kind`` of action, up to that kind's cap."""
    per, cap = POINTS[kind]
    key = f"{user}|{kind}"
    got = min(per, cap - s.earned.get(key, 0))
    if got <= 0:
        return []
    s.earned[key] = s.earned.get(key, 0) + got
    s.points[user] = s.points.get(user, 0) + got
    s.names[user] = name
    if s.points[user] >= TOP_SUPPORTER_POINTS:
        give_badge(s, user, "top_supporter")
    return [e.PointsAwarded(user_id=user, points=s.points[user], badges=tuple(s.badges.get(user, [])))]


def give_badge(s: RoomState, user: UserId, badge: str) -> None:
    have = s.badges.setdefault(user, [])
    if badge not in have:
        have.append(badge)
