"""A person's data in SQL: finding it (the export), rewriting it (erasure), and retention.

Erasure is written by the persister, in the transaction that persists a room's
``privacy.erase`` entry (``erase_in_room``, called from ``write_batch``): every row of
the room up to that entry that names the person is rewritten with ``scrub`` — id to
the alias, names to ``erased``, their own text to ``[removed]`` — so the log still
re-folds to what the transcript holds (``live audit``) and no count moves. Orders keep
their amounts; only the buyer's id changes. docs/privacy.md says what is kept and why.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from live import tenants
from live.store.base import StoreBase
from live.store.tables import entries, events, follows, orders, review_helpful, reviews, room_members, room_samples, room_viewers, rooms, webhook_outbox
from rooms.commands import PrivacyErase
from rooms.erasure import ERASED_NAME, REMOVED

_PEOPLE_TABLES = (room_members, room_viewers)  # keyed by (room_id, user_id)


def mentions(column: Any, user: str) -> sa.ColumnElement[bool]:
    """A JSON column whose text holds the user's id as a JSON string: a cheap SQL filter
    (the same on SQLite and PostgreSQL), confirmed in Python by ``names``."""
    needle = orjson.dumps(user).decode().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.cast(column, sa.Text).like(f"%{needle}%", escape="\\")


def names(value: Any, user: str) -> bool:
    """Whether a JSON value names the user: an id field, or a user reference (what ``scrub`` rewrites)."""
    if isinstance(value, list):
        return any(names(v, user) for v in value)
    if isinstance(value, dict):
        ref = value.get("id") == user and "name" in value
        team = value.get("moderators")  # a brand room's team in its room.create
        return ref or (isinstance(team, list) and user in team) or any((k in ("user_id", "by") and v == user) or names(v, user) for k, v in value.items())
    return False


async def _scrub_bodies(conn: AsyncConnection, room_id: str, who: PrivacyErase, upto: int) -> int:
    """Rewrite the room's entry, event and webhook bodies up to a seq that name the person."""
    changed = 0
    for table, key, col in ((events, ("seq", "idx"), "body"), (entries, ("seq",), "body"), (webhook_outbox, ("id",), "payload")):
        named = mentions(table.c[col], who.user_id)
        if who.author:
            named = named | mentions(table.c[col], who.author)
        where = (table.c.room_id == room_id, table.c.seq <= upto, named)
        for row in (await conn.execute(sa.select(*(table.c[k] for k in key), table.c[col]).where(*where))).all():
            body = scrub(row[-1], who, REMOVED)
            if body != row[-1]:
                changed += 1
                await conn.execute(table.update().where(table.c.room_id == room_id, *(table.c[k] == getattr(row, k) for k in key)).values({col: body}))
    return changed


async def erase_in_room(conn: AsyncConnection, room_id: str, who: PrivacyErase, upto: int) -> int:
    """Part of the persister's batch: the person becomes ``alias`` in every row of the room
    up to the erase entry at ``upto``, and copies of their reviews lose their words; how
    many rows changed. Idempotent (a retried batch, or the erase entry re-persisted, finds
    nothing more to change)."""
    user, alias = who.user_id, who.alias
    host = (await conn.execute(sa.select(rooms.c.host_id).where(rooms.c.id == room_id))).scalar()
    if host == user:  # the fold refuses to erase a room's host from it: so does SQL
        return 0
    changed = await _scrub_bodies(conn, room_id, who, upto)
    result = await conn.execute(orders.update().where(orders.c.room_id == room_id, orders.c.user_id == user).values(user_id=alias))
    changed += result.rowcount
    # Their reviews of this room's orders stay (verified, counted in the averages); their words go.
    mine = (reviews.c.room_id == room_id, reviews.c.user_id == user)
    result = await conn.execute(reviews.update().where(*mine).values(user_id=alias, name=ERASED_NAME, text=REMOVED, photo_url=None))
    changed += result.rowcount
    for table in _PEOPLE_TABLES:
        mine = (table.c.room_id == room_id, table.c.user_id == user)
        taken = (await conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.room_id == room_id, table.c.user_id == alias))).scalar_one()
        values = {"user_id": alias} | ({"name": ERASED_NAME} if table is room_members else {})
        # The persister may already have written the alias's row (points after the erasure).
        result = await conn.execute(table.delete().where(*mine) if taken else table.update().where(*mine).values(values))
        changed += result.rowcount
    return changed


def _elsewhere(user_id: str, brand_id: str | None) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """The person's rows outside any room's log — reviews, helpful marks, follows — within a
    brand (its products, itself as followed) or everywhere (brand None)."""
    mine_reviews = reviews.c.user_id == user_id
    helpful = review_helpful.c.user_id == user_id
    followed = follows.c.user_id == user_id
    if brand_id is not None:
        mine_reviews &= reviews.c.owner == brand_id
        helpful &= review_helpful.c.review_id.in_(sa.select(reviews.c.id).where(reviews.c.owner == brand_id))
        followed &= (follows.c.kind == "brand") & (follows.c.target == brand_id)
    return mine_reviews, helpful, followed


class PrivacyStore(StoreBase):
    async def person_elsewhere(self, user_id: str, brand_id: str | None) -> dict[str, list[dict[str, Any]]]:
        """For the export: their reviews, the reviews they found helpful, whom they follow."""
        mine_reviews, helpful, followed = _elsewhere(user_id, brand_id)
        keep = [c for c in reviews.c if c.name not in ("user_id", "reasons")]
        return {
            "reviews": await self._all(sa.select(*keep).where(mine_reviews).order_by(reviews.c.created_at, reviews.c.id)),
            "found_helpful": await self._all(sa.select(review_helpful.c.review_id, review_helpful.c.created_at).where(helpful).order_by(review_helpful.c.created_at)),
            "follows": await self._all(sa.select(follows.c.kind, follows.c.target, follows.c.created_at).where(followed).order_by(follows.c.created_at)),
        }

    async def erase_elsewhere(self, user_id: str, brand_id: str | None, alias: str) -> int:
        """Helpful marks and follows move to the alias (helpful counts and follower counts stay;
        nothing is sent to an alias); reviews are rewritten with their rooms (``erase_in_room``)."""
        _, helpful, followed = _elsewhere(user_id, brand_id)
        async with self.engine.begin() as conn:
            changed = (await conn.execute(review_helpful.update().where(helpful).values(user_id=alias))).rowcount
            return changed + (await conn.execute(follows.update().where(followed).values(user_id=alias))).rowcount

    async def person_rooms(self, user_id: str, brand_id: str | None, authors: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """The rooms (of one brand, or all) whose persisted rows name the person, oldest first;
        with ``authors`` (owner -> the person's pseudonym as that owner's reviews show it),
        also the owner's rooms that show a copy of one of their reviews."""
        found: set[str] = set()
        copies: dict[str, set[str]] = {}  # room -> owners whose review copies it holds
        async with self.engine.connect() as conn:
            for table in (entries, events):  # the LIKE may also match, say, a product with that id
                rows = await conn.execute(sa.select(table.c.room_id, table.c.body).where(mentions(table.c.body, user_id)))
                found |= {row.room_id for row in rows if row.room_id not in found and names(row.body, user_id)}
                for owner, author in (authors or {}).items():
                    rows = await conn.execute(sa.select(table.c.room_id, table.c.body).where(mentions(table.c.body, author)))
                    for row in rows:
                        if authored(row.body, author):
                            copies.setdefault(row.room_id, set()).add(owner)
            for table in (orders, room_members, room_viewers):
                found |= set((await conn.execute(sa.select(table.c.room_id).where(table.c.user_id == user_id).distinct())).scalars())
        if not found and not copies:
            return []
        query = rooms.select().where(rooms.c.id.in_(sorted(found | set(copies)))).order_by(rooms.c.created_at, rooms.c.id)
        if brand_id is not None:
            query = query.where(rooms.c.brand_id == brand_id)
        return [r for r in await self._all(query) if r["id"] in found or tenants.of_room(r["brand_id"], r["host_id"]) in copies[r["id"]]]

    async def review_owners(self, user_id: str, brand_id: str | None) -> list[str]:
        """The brands (or brandless hosts) whose products the person reviewed."""
        query = sa.select(reviews.c.owner).where(reviews.c.user_id == user_id).distinct().order_by(reviews.c.owner)
        if brand_id is not None:
            query = query.where(reviews.c.owner == brand_id)
        async with self.engine.connect() as conn:
            return [str(owner) for owner in (await conn.execute(query)).scalars()]

    async def person_rows(self, room_id: str, user_id: str) -> dict[str, list[dict[str, Any]]]:
        """The person's own rows of a room: orders, points and badges, when they first joined."""
        out = {}
        for name, table in (("orders", orders), ("members", room_members), ("viewers", room_viewers)):
            out[name] = await self._all(table.select().where(table.c.room_id == room_id, table.c.user_id == user_id))
        return out

    async def erase_unlogged(self, room_id: str, who: PrivacyErase) -> int:
        """Erase the person from a room whose log retention purged (orders and the rooms row
        remain): the same rewrite, in its own transaction, with no entry to persist."""
        async with self.engine.begin() as conn:
            return await erase_in_room(conn, room_id, who, 2**62)

    async def purge(self, brand_id: str | None, ended_before: int, *, others_than: Sequence[str] = ()) -> list[str]:
        """Drop the log, transcript, stats and delivered checkout messages of the brand's
        sessions that ended before a time (brand None: every brand but ``others_than``, and
        brandless rooms). Orders and the rooms row stay: they are the merchant's ledger."""
        whose = rooms.c.brand_id == brand_id if brand_id is not None else sa.or_(rooms.c.brand_id.is_(None), rooms.c.brand_id.not_in(list(others_than)))
        query = sa.select(rooms.c.id).where(whose, rooms.c.status == "ended", rooms.c.ended_at < ended_before)
        async with self.engine.begin() as conn:
            room_ids = [r.id for r in (await conn.execute(query)).all()]
            if room_ids:
                for table in (events, entries, room_samples, room_viewers, room_members):
                    await conn.execute(table.delete().where(table.c.room_id.in_(room_ids)))
                await conn.execute(webhook_outbox.delete().where(webhook_outbox.c.room_id.in_(room_ids), webhook_outbox.c.delivered_at.is_not(None)))
        return room_ids


def scrub(value: Any, who: PrivacyErase, erased: str) -> Any:
    """A JSON value with the person's id replaced by the alias, their names and their own
    text erased, and copies of their reviews (the spotlight, product summaries) without
    their name, words or photo: ``rooms.erasure``'s apply, on stored JSON."""
    if isinstance(value, list):
        return [scrub(v, who, erased) for v in value]
    if not isinstance(value, dict):
        return value
    user, alias = who.user_id, who.alias
    is_ref = value.get("id") == user and "name" in value  # a UserRef
    is_actor = value.get("user_id") == user and "name" in value  # an Actor
    out: dict[str, Any] = {}
    for k, v in value.items():
        if (k in ("user_id", "by", "outbid") and v == user) or (is_ref and k == "id"):
            out[k] = alias
        elif k == "moderators" and isinstance(v, list):  # a brand room's team in its room.create
            out[k] = [alias if u == user else scrub(u, who, erased) for u in v]
        elif (is_ref or is_actor) and k == "name":
            out[k] = ERASED_NAME
        elif k == "author" and who.author and v == who.author:
            out[k] = who.author_alias  # the erase entry's own (as its user_id becomes the alias)
        else:
            out[k] = scrub(v, who, erased)
    author = value.get("user")
    if isinstance(author, dict) and author.get("id") == user and "text" in value:
        out["text"] = erased  # a message or question they wrote
    actor, command = value.get("actor"), out.get("command")
    if isinstance(actor, dict) and actor.get("user_id") == user and isinstance(command, dict) and "text" in command:
        out["command"] = {**command, "text": erased}  # the log entry of it
    if who.author and _review_by(value, who.author):
        out |= {"author": {"id": who.author_alias, "name": ERASED_NAME}, "text": erased} | ({"photo_url": None} if "photo_url" in out else {})
    return out


def _review_by(value: dict[str, Any], author: str) -> bool:
    return isinstance(a := value.get("author"), dict) and a.get("id") == author and "stars" in value


def authored(value: Any, author: str) -> bool:
    """Whether a JSON value is, or holds, a copy of a review by ``author`` (a pseudonym)."""
    if isinstance(value, list):
        return any(authored(v, author) for v in value)
    return isinstance(value, dict) and (_review_by(value, author) or any(authored(v, author) for v in value.values()))
