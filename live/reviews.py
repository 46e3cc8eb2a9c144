"""Reviews as shoppers see them: views with pseudonymous authors, product summaries, and the
moderation a review's text passes before anyone sees it.

Moderation is the chat's: automatic moderation (``live.automod``) scores the text under
the brand's policy — word lists, links, scam patterns, the toxicity model — and a review
it would hold waits for the brand (``GET /v1/brands/{brand}/reviews``, then
``POST …/reviews/{id}/moderate``); one it would block is kept hidden. Repeats (chat's
spam check) do not apply: a review is one per paid order.
"""

import time

from live.automod import edge as automod
from live.automod.scorer import Author
from live.automod.scorer import score as scored
from live.automod.spam import Repeats
from live.privacy import pseudonym
from live.store import Store
from rooms.shop_commands import ReviewAuthor, ReviewSummary, ReviewView
from rooms.types import Millis
from rooms.verdicts import Outcome, Verdict

SHOWN = 3  # newest and most helpful reviews in a pinned product's summary, each
STATUS = {Outcome.ALLOW: "published", Outcome.HOLD: "held", Outcome.BLOCK: "hidden"}


async def score(store: Store, brand_id: str, user_id: str, text: str) -> Verdict:
    """Automatic moderation of a review's text, under the brand's policy, as a chat message's."""
    rules = await automod.for_store(store).rules(brand_id)
    return scored(rules, text, Author(user_id), Repeats(), int(time.time() * 1000)).verdict


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
