"""Reviews as shoppers see them: views with pseudonymous authors, product summaries, and the
moderation a review's text passes before anyone sees it.

Moderation is the chat's: automatic moderation scores the text (``score``), and a held
review waits for the brand (``POST …/reviews/{id}/moderate``). The scorer of the
``automod`` work is not on this branch yet: ``score`` is the seam where it plugs in
(``Verdict`` of ``rooms.verdicts`` is already the shared shape); until then only the
rules every review passes apply (length, stars, an https photo).
"""

from live.privacy import pseudonym
from live.store import Store
from rooms.shop_commands import ReviewAuthor, ReviewSummary, ReviewView
from rooms.types import Millis
from rooms.verdicts import ALLOW, Outcome, Verdict

SHOWN = 3  # newest and most helpful reviews in a pinned product's summary, each
STATUS = {Outcome.ALLOW: "published", Outcome.HOLD: "held", Outcome.BLOCK: "hidden"}


def score(text: str) -> Verdict:
    """Automatic moderation of a review's text: the seam for the chat's scorer (``automod``)."""
    return ALLOW


def view(secret: str, row: dict[str, object]) -> ReviewView:
    return ReviewView(
        id=int(str(row["id"])),
        product_id=str(row["product_id"]),
        stars=int(str(row["stars"])),
        text=str(row["text"]),
        photo_url=str(row["photo_url"]) if row["photo_url"] else None,
        author=ReviewAuthor(id=pseudonym(secret, str(row["owner"]), str(row["user_id"])), name=str(row["name"])),
        created_at=Millis(int(str(row["created_at"]))),
        helpful=int(str(row["helpful"])),
    )


async def summary(store: Store, secret: str, owner: str, product_id: str) -> ReviewSummary:
    """The product's published reviews: average, count, stars, the newest and the most helpful."""
    stars = await store.review_stars(owner, product_id)
    count = sum(stars)
    average = round(sum((i + 1) * n for i, n in enumerate(stars)) / count, 2) if count else 0.0
    newest = [view(secret, r) for r in await store.list_reviews(owner, product_id, sort="newest", limit=SHOWN, offset=0)]
    helpful = [view(secret, r) for r in await store.list_reviews(owner, product_id, sort="helpful", limit=SHOWN, offset=0)]
    return ReviewSummary(average=average, count=count, stars=stars, newest=newest, most_helpful=helpful)
