"""Rewards that span a brand's sessions: the badges a member earns across them.

The server counts (in SQL) the brand's sessions where a member earned points; the
rule that turns that count into badges is the domain's, and lives here.
"""

REGULAR_SESSIONS = 3  # sessions of a brand with points in each, for the "regular" badge


def brand_badges(sessions_with_points: int) -> tuple[str, ...]:
    """Badges for a member who earned points in ``sessions_with_points`` of a brand's sessions."""
    return ("regular",) if sessions_with_points >= REGULAR_SESSIONS else ()
