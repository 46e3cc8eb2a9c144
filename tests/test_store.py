"""The store's contract, run against SQLite (a temp file) and a real PostgreSQL.

One suite, one factory fixture: whatever a node relies on from SQL (idempotent batches,
seq order, order status that never goes back, the brand badge rule, erasure) must hold
on both dialects. Each test uses its own room and brand ids, so they share a database.
"""

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from live.store import Batch, Store, tables
from live.store.tables import entries, events, orders, room_members, rooms
from rooms import commands as c
from rooms.rewards import REGULAR_SESSIONS
from rooms.types import UserId


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Store]:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        tmp: Path = tmp_path_factory.mktemp("store")
        url = f"sqlite+aiosqlite:///{tmp}/store.db"
    s = Store(url)
    await s.migrate()
    yield s
    await s.close()


def _id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _room(room_id: str, *, brand_id: str | None = None, persisted_seq: int = 0, status: str = "live") -> dict[str, Any]:
    return {
        "id": room_id,
        "title": "Spring drop",
        "host_id": "host-1",
        "brand_id": brand_id,
        "status": status,
        "starts_at": None,
        "created_at": 1_000,
        "went_live_at": 1_500,
        "ended_at": None,
        "message_count": persisted_seq,
        "persisted_seq": persisted_seq,
    }


def _entry(room_id: str, seq: int, user: str = "u-1", text: str = "hi") -> dict[str, Any]:
    body = {"seq": seq, "ts": 2_000 + seq, "actor": {"user_id": user, "name": "Ann", "role": "viewer"}, "command": {"type": "chat.send", "text": text}}
    return {"room_id": room_id, "seq": seq, "ts": 2_000 + seq, "body": body}


def _chat(room_id: str, seq: int, user: str = "u-1", text: str = "hi") -> dict[str, Any]:
    body = {"type": "chat.message", "seq": seq, "message": {"id": seq, "user": {"id": user, "name": "Ann"}, "text": text}}
    return {"room_id": room_id, "seq": seq, "idx": 0, "ts": 2_000 + seq, "type": "chat.message", "body": body}


def _order(room_id: str, reservation_id: int, seq: int, user: str = "u-1") -> dict[str, Any]:
    return {
        "room_id": room_id,
        "reservation_id": reservation_id,
        "offer_id": 1,
        "product_id": "p-1",
        "user_id": user,
        "units": 1,
        "price": 1_999,
        "currency": "EUR",
        "affiliate_id": None,
        "idempotency_key": f"k-{reservation_id}",
        "status": "reserved",
        "reserved_at": 2_000 + seq,
        "expires_at": 900_000,
        "updated_seq": seq,
        "updated_at": 2_000 + seq,
    }


def _change(room_id: str, reservation_id: int, status: str, seq: int) -> dict[str, Any]:
    return {"room_id": room_id, "reservation_id": reservation_id, "status": status, "seq": seq, "ts": 2_000 + seq}


def _member(room_id: str, user: str, points: int) -> dict[str, Any]:
    return {"room_id": room_id, "user_id": user, "name": "Ann", "points": points, "badges": []}


async def _rows(store: Store, room_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row the room has in the tables a batch writes, in key order."""
    out = {}
    async with store.engine.connect() as conn:
        for table in (entries, events, orders, room_members):
            query = table.select().where(table.c.room_id == room_id).order_by(*table.primary_key.columns)
            out[table.name] = [dict(r) for r in (await conn.execute(query)).mappings()]
        out["rooms"] = [dict(r) for r in (await conn.execute(rooms.select().where(rooms.c.id == room_id))).mappings()]
    return out


async def test_a_batch_written_twice_changes_nothing(store: Store) -> None:
    room = _id("r")
    batch = Batch(
        rooms=[_room(room, persisted_seq=4)],
        entries=[_entry(room, seq) for seq in (1, 2, 3, 4)],
        events=[_chat(room, 1), _chat(room, 2)],
        deletions=[(room, 2)],
        new_orders=[_order(room, 1, 3)],
        order_changes=[_change(room, 1, "paid", 4)],
        members=[_member(room, "u-1", 10)],
    )
    await store.write_batch(batch)
    first = await _rows(store, room)
    await store.write_batch(batch)
    assert await _rows(store, room) == first
    assert len(first["entries"]) == 4 and len(first["events"]) == 2
    assert first["rooms"][0]["persisted_seq"] == 4
    assert first["orders"][0]["status"] == "paid"


async def test_a_room_row_never_moves_persisted_seq_back(store: Store) -> None:
    room = _id("r")
    await store.write_batch(Batch(rooms=[_room(room, persisted_seq=9)]))
    await store.write_batch(Batch(rooms=[_room(room, persisted_seq=5, status="ended")]))
    row = await store.get_room(room)
    assert row is not None
    assert (row["persisted_seq"], row["status"]) == (9, "ended")


async def test_load_entries_in_seq_order_and_transcript_hides_deleted_text(store: Store) -> None:
    room = _id("r")
    await store.write_batch(Batch(rooms=[_room(room)], entries=[_entry(room, 3), _entry(room, 1)], events=[_chat(room, 3, text="three"), _chat(room, 1, text="one")]))
    await store.write_batch(Batch(entries=[_entry(room, 2)], events=[_chat(room, 2, text="two")], deletions=[(room, 1)]))
    assert [e["seq"] for e in await store.load_entries(room)] == [1, 2, 3]
    transcript = await store.transcript(room, after=0, limit=10, types=())
    assert [(m["seq"], m["message"]["text"]) for m in transcript] == [(1, None), (2, "two"), (3, "three")]
    assert transcript[0]["message"]["deleted"] is True
    assert [m["seq"] for m in await store.transcript(room, after=1, limit=1, types=())] == [2]


async def test_orders_inserted_and_changes_applied_in_seq_order(store: Store) -> None:
    room = _id("r")
    await store.write_batch(Batch(rooms=[_room(room)], new_orders=[_order(room, 1, 2), _order(room, 2, 3)]))
    assert [(o["reservation_id"], o["status"]) for o in await store.list_orders(room)] == [(1, "reserved"), (2, "reserved")]
    await store.write_batch(Batch(order_changes=[_change(room, 1, "paid", 6), _change(room, 2, "expired", 7)]))
    await store.write_batch(Batch(order_changes=[_change(room, 1, "cancelled", 5)]))  # older than the paid one
    listed = await store.list_orders(room)
    assert [(o["reservation_id"], o["status"], o["updated_seq"]) for o in listed] == [(1, "paid", 6), (2, "expired", 7)]


async def test_outbox_messages_are_written_once_and_pending_until_delivered(store: Store) -> None:
    room = _id("r")
    message = {"id": f"msg_{room}_2_0", "room_id": room, "type": "order.reserved", "seq": 2, "payload": {"type": "order.reserved"}, "created_at": 5, "next_at": 0}
    for _ in range(2):  # a retried batch
        await store.write_batch(Batch(rooms=[_room(room)], webhooks=[message]))
    pending = [m for m in await store.webhooks_pending(limit=1_000) if m["room_id"] == room]
    assert [(m["id"], m["payload"]) for m in pending] == [(message["id"], {"type": "order.reserved"})]
    await store.webhook_attempt(message["id"], delivered_at=None, next_at=50, status=503, error="HTTP 503")
    await store.webhook_attempt(message["id"], delivered_at=60, next_at=50, status=200, error=None)
    assert not [m for m in await store.webhooks_pending(limit=1_000) if m["room_id"] == room]
    (logged,) = await store.webhook_log(room, 10)
    assert (logged["attempts"], logged["delivered_at"], logged["last_status"], logged["last_error"]) == (2, 60, 200, None)


async def test_an_old_epoch_never_writes_over_a_new_one(store: Store) -> None:
    room = _id("r")
    assert await store.write_batch(Batch(rooms=[_room(room) | {"epoch": "e1"}], entries=[_entry(room, 1)])) == set()
    await store.set_epoch(room, "e2")  # the log was lost and reseeded
    refused = await store.write_batch(Batch(rooms=[_room(room, persisted_seq=2) | {"epoch": "e1"}], entries=[_entry(room, 2, text="late")]))
    assert refused == {room}
    assert [e["seq"] for e in await store.load_entries(room)] == [1]
    assert await store.write_batch(Batch(rooms=[_room(room, persisted_seq=2) | {"epoch": "e2"}], entries=[_entry(room, 2, text="new")])) == set()
    assert [e["command"]["text"] for e in await store.load_entries(room)] == ["hi", "new"]


async def test_brand_badge_regular_after_sessions_with_points(store: Store) -> None:
    brand, user = _id("b"), _id("u")
    sessions = [_id("r") for _ in range(REGULAR_SESSIONS)]
    zero = _id("r")  # a session without points does not count towards the badge
    await store.write_batch(Batch(rooms=[_room(r, brand_id=brand) for r in [*sessions, zero]], members=[_member(zero, user, 0)]))
    for n, room in enumerate(sessions, start=1):
        assert await store.brand_badges(brand, user) == ()
        await store.write_batch(Batch(members=[_member(room, user, 5 * n)]))
    assert await store.brand_badges(brand, user) == ("regular",)
    assert await store.brand_badges(_id("b"), user) == ()
    (top,) = await store.brand_leaderboard(brand, 10)
    assert (top["user_id"], top["points"], top["badges"]) == (user, 30, ["regular"])


async def test_an_erase_entry_rewrites_the_rooms_rows_before_it_in_its_batch(store: Store) -> None:
    brand, user, other = _id("b"), _id("u"), _id("u")
    room = _id("r")
    erase = {"seq": 3, "ts": 2_003, "actor": {"user_id": "system", "name": "system", "role": "system"}, "command": {"type": "privacy.erase", "user_id": user, "alias": "anon-1"}}
    later = _entry(room, 4, user, "after the erasure")
    await store.write_batch(
        Batch(
            rooms=[_room(room, brand_id=brand)],
            entries=[_entry(room, 1, user, "my secret"), _entry(room, 2, other, "hello")],
            events=[_chat(room, 1, user, "my secret"), _chat(room, 2, other, "hello")],
            new_orders=[_order(room, 1, 1, user)],
            members=[_member(room, user, 5)],
            webhooks=[
                {
                    "id": f"msg_{room}_1_0",
                    "room_id": room,
                    "type": "order.reserved",
                    "seq": 1,
                    "payload": {"type": "order.reserved", "data": {"user_id": user, "price": 1_999}},
                    "created_at": 5,
                    "next_at": 0,
                }
            ],
        )
    )
    await store.write_batch(Batch(entries=[{"room_id": room, "seq": 3, "ts": 2_003, "body": erase}, later], erasures=[(room, c.PrivacyErase(user_id=UserId(user), alias=UserId("anon-1")), 3)]))
    (message,) = [m for m in await store.webhooks_pending(limit=1_000) if m["room_id"] == room]
    assert message["payload"]["data"] == {"user_id": "anon-1", "price": 1_999}, "the checkout's copy too, amounts kept"
    rows = await _rows(store, room)
    dumped = json.dumps([r for k, v in rows.items() for r in v if k != "entries" or r["seq"] < 4], default=str)
    assert user not in dumped and "my secret" not in dumped
    assert "hello" in dumped and other in dumped  # nobody else's rows change
    assert rows["entries"][0]["body"]["command"]["text"] == "[removed]"
    assert rows["entries"][2]["body"]["command"] == {"type": "privacy.erase", "user_id": "anon-1", "alias": "anon-1"}
    assert rows["entries"][3]["body"]["command"]["text"] == "after the erasure", "what came after is new data"
    assert rows["events"][0]["body"]["message"]["user"] == {"id": "anon-1", "name": "erased"}
    assert (rows["orders"][0]["user_id"], rows["orders"][0]["price"]) == ("anon-1", 1_999)
    assert (rows["room_members"][0]["user_id"], rows["room_members"][0]["name"]) == ("anon-1", "erased")
    assert [r["id"] for r in await store.person_rooms(user, None)] == [room]  # the entry after it still names them
    assert await store.person_rooms(other, _id("b")) == []  # another brand's rooms only


async def test_purge_drops_ended_sessions_of_the_brand(store: Store) -> None:
    brand = _id("b")
    ended, live = _id("r"), _id("r")
    ended_row = _room(ended, brand_id=brand, status="ended") | {"ended_at": 5_000}
    await store.write_batch(Batch(rooms=[ended_row, _room(live, brand_id=brand)], entries=[_entry(ended, 1), _entry(live, 1)]))
    assert await store.purge(brand, ended_before=6_000) == [ended]
    assert await store.load_entries(ended) == []
    assert len(await store.load_entries(live)) == 1
    other, named, kept = _id("r"), _id("r"), _id("b")  # the platform default ("*") takes every brand not named
    await store.write_batch(
        Batch(
            rooms=[_room(other, brand_id=_id("b"), status="ended") | {"ended_at": 5_000}, _room(named, brand_id=kept, status="ended") | {"ended_at": 5_000}],
            entries=[_entry(other, 1), _entry(named, 1)],
        )
    )
    purged = await store.purge(None, ended_before=6_000, others_than=[kept])
    assert other in purged and named not in purged
    assert await store.load_entries(other) == [] and len(await store.load_entries(named)) == 1
    async with store.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(rooms).where(rooms.c.brand_id == brand))).scalar_one() == 2


async def test_a_brands_automod_policy_round_trips_and_first_seen_spans_its_rooms(store: Store) -> None:
    brand, other = _id("brand"), _id("brand")
    assert await store.automod_policy(brand) is None
    await store.put_automod_policy(brand, {"blocked_words": ["kw"], "actions": {"link": "strip"}})
    await store.put_automod_policy(brand, {"allowed_domains": ["acme.example"]})  # replaced, not merged
    assert await store.automod_policy(brand) == {"allowed_domains": ["acme.example"]}
    assert await store.automod_policy(other) is None

    early, late, elsewhere = _id("room"), _id("room"), _id("room")
    await store.write_batch(Batch(rooms=[_room(early, brand_id=brand), _room(late, brand_id=brand), _room(elsewhere, brand_id=other)]))
    await store.add_samples(
        [], [{"room_id": late, "user_id": "ana", "first_seen": 5_000}, {"room_id": early, "user_id": "ana", "first_seen": 3_000}, {"room_id": elsewhere, "user_id": "ana", "first_seen": 1_000}]
    )
    assert await store.first_seen("ana", brand, late) == 3_000, "the earliest in any of the brand's rooms, not another brand's"
    assert await store.first_seen("ana", None, late) == 5_000, "a brandless room: that room only"
    assert await store.first_seen("ben", brand, late) is None


def test_the_schema_head_the_store_knows_is_alembics() -> None:
    """A node skips Alembic when the database is at ``SCHEMA_HEAD``: a new migration must move it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "live:migrations")
    assert ScriptDirectory.from_config(cfg).get_heads() == [tables.SCHEMA_HEAD]


async def test_a_fresh_database_is_migrated_and_then_ready(tmp_path: Path) -> None:
    s = Store(f"sqlite+aiosqlite:///{tmp_path}/fresh.db")
    try:
        assert not await s.ready()
        await s.migrate()
        assert await s.ready()
        await s.migrate()  # at the head: nothing to do
        assert await s.ready()
    finally:
        await s.close()


def test_a_brandless_hosts_catalog_and_reviews_move_to_their_person_key(tmp_path: Path) -> None:
    """Migration 0012: "hana" hosts brandless rooms only, so her catalog becomes "@hana"; "both"
    is also a brand with rooms, and "acme" a brand alone: theirs stay where they are."""
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine(f"sqlite:///{tmp_path}/old.db")
    cfg = Config()
    cfg.set_main_option("script_location", "live:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011")
        for room, host, brand in (("r1", "hana", None), ("r2", "both", None), ("r3", "x", "both"), ("r4", "y", "acme")):
            conn.execute(sa.text("INSERT INTO rooms (id, title, host_id, brand_id, status, created_at) VALUES (:r, 't', :h, :b, 'ended', 1)"), {"r": room, "h": host, "b": brand})
        for owner in ("hana", "both", "acme"):
            conn.execute(sa.text("INSERT INTO products (owner, id, sku, title, price, currency) VALUES (:o, 'tee', 'T', 'Tee', 1, 'IDR')"), {"o": owner})
        conn.execute(
            sa.text("INSERT INTO reviews (owner, product_id, room_id, reservation_id, user_id, name, stars, text, status, reasons, created_at) VALUES ('hana', 'tee', 'r1', 1, 'ana', 'Ana', 5, 'ok', 'published', '[]', 1)")
        )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        assert sorted(conn.execute(sa.text("SELECT owner FROM products")).scalars()) == ["@hana", "acme", "both"]
        assert list(conn.execute(sa.text("SELECT owner FROM reviews")).scalars()) == ["@hana"]
    engine.dispose()
