"""A brand's community: its rules and who accepted them, its moderators for all its
rooms, and the brand-level moderation actions (appointments, dismissals, rules).

Rooms' own moderation actions are in their logs (``entries``); these are what happens
to the brand as a whole, which no room's log holds.
"""

from typing import Any

import sqlalchemy as sa

from live.store.base import StoreBase
from live.store.tables import brand_actions, brand_moderators, brand_rules, rules_acceptances


class CommunityStore(StoreBase):
    async def get_rules(self, brand_id: str) -> dict[str, Any] | None:
        return await self._first(sa.select(brand_rules.c.text, brand_rules.c.require_acceptance, brand_rules.c.updated_at).where(brand_rules.c.brand_id == brand_id))

    async def set_rules(self, brand_id: str, text: str | None, require_acceptance: bool, *, by: str, by_role: str, now: int) -> None:
        """Replace the brand's rules (None: remove them), and log the change."""
        async with self.engine.begin() as conn:
            await conn.execute(brand_rules.delete().where(brand_rules.c.brand_id == brand_id))
            if text is not None:
                await conn.execute(brand_rules.insert().values(brand_id=brand_id, text=text, require_acceptance=require_acceptance, updated_at=now, updated_by=by))
            await conn.execute(brand_actions.insert().values(brand_id=brand_id, ts=now, action="rules.set" if text is not None else "rules.clear", user_id=None, by=by, by_role=by_role))

    async def accepted_rules(self, brand_id: str, user_id: str, version: str) -> bool:
        """Whether the user accepted these words of the brand's (or its room's) rules."""
        t = rules_acceptances.c
        query = sa.select(sa.func.count()).select_from(rules_acceptances).where(t.brand_id == brand_id, t.user_id == user_id, t.rules_version == version)
        return bool(await self._scalar(query))

    async def accept_rules(self, brand_id: str, user_id: str, now: int, version: str) -> None:
        """The user accepted this version of the rules (the latest acceptance per brand is kept)."""
        stmt = self._insert_ignore(rules_acceptances).values(brand_id=brand_id, user_id=user_id, accepted_at=now, rules_version=version)
        stmt = stmt.on_conflict_do_update(index_elements=["brand_id", "user_id"], set_={"accepted_at": stmt.excluded.accepted_at, "rules_version": stmt.excluded.rules_version})
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def is_brand_moderator(self, brand_id: str, user_id: str) -> bool:
        query = sa.select(sa.func.count()).select_from(brand_moderators).where(brand_moderators.c.brand_id == brand_id, brand_moderators.c.user_id == user_id)
        return bool(await self._scalar(query))

    async def brand_moderators(self, brand_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(brand_moderators.c.user_id, brand_moderators.c.appointed_by, brand_moderators.c.appointed_at)
            .where(brand_moderators.c.brand_id == brand_id)
            .order_by(brand_moderators.c.appointed_at, brand_moderators.c.user_id)
        )
        return await self._all(query)

    async def set_brand_moderator(self, brand_id: str, user_id: str, appoint: bool, *, by: str, by_role: str, now: int) -> bool:
        """Appoint or dismiss; False if that changed nothing (already so)."""
        async with self.engine.begin() as conn:
            stmt: sa.Executable
            if appoint:
                stmt = self._insert_ignore(brand_moderators).values(brand_id=brand_id, user_id=user_id, appointed_by=by, appointed_at=now).on_conflict_do_nothing()
            else:
                stmt = brand_moderators.delete().where(brand_moderators.c.brand_id == brand_id, brand_moderators.c.user_id == user_id)
            changed = bool(getattr(await conn.execute(stmt), "rowcount", 0))
            if changed:
                action = "brand.appoint" if appoint else "brand.dismiss"
                await conn.execute(brand_actions.insert().values(brand_id=brand_id, ts=now, action=action, user_id=user_id, by=by, by_role=by_role))
        return changed

    async def brand_actions(self, brand_id: str) -> list[dict[str, Any]]:
        query = (
            sa.select(brand_actions.c.ts, brand_actions.c.action, brand_actions.c.user_id, brand_actions.c.by, brand_actions.c.by_role)
            .where(brand_actions.c.brand_id == brand_id)
            .order_by(brand_actions.c.id)
        )
        return await self._all(query)

    # --- a person's own data (live.people: the export and the erasure) ----------------------

    async def person_community(self, user_id: str, brand_id: str | None) -> dict[str, dict[str, Any]]:
        """Per brand: when the person accepted its rules, since when they moderate its rooms,
        and the brand-level actions that name them (taken by them or about them)."""
        out: dict[str, dict[str, Any]] = {}

        def of(brand: str) -> dict[str, Any]:
            return out.setdefault(brand, {"rules_accepted_at": None, "moderator_since": None, "actions": []})

        scoped = (lambda t: t.c.brand_id == brand_id) if brand_id is not None else (lambda t: sa.true())
        for row in await self._all(sa.select(rules_acceptances).where(rules_acceptances.c.user_id == user_id, scoped(rules_acceptances))):
            of(row["brand_id"])["rules_accepted_at"] = row["accepted_at"]
        for row in await self._all(sa.select(brand_moderators).where(brand_moderators.c.user_id == user_id, scoped(brand_moderators))):
            of(row["brand_id"])["moderator_since"] = row["appointed_at"]
        mine = sa.or_(brand_actions.c.user_id == user_id, brand_actions.c.by == user_id)
        for row in await self._all(sa.select(brand_actions).where(mine, scoped(brand_actions)).order_by(brand_actions.c.id)):
            of(row["brand_id"])["actions"].append({"ts": row["ts"], "action": row["action"], "about_you": row["user_id"] == user_id, "by_you": row["by"] == user_id})
        return out

    async def erase_community(self, brand_id: str, user_id: str, alias: str) -> int:
        """The person leaves the brand's community tables: their acceptance and appointment go
        (they describe a person, not an event), the brand's action log keeps its rows under the alias."""
        async with self.engine.begin() as conn:
            changed = 0
            for table in (rules_acceptances, brand_moderators):
                changed += (await conn.execute(table.delete().where(table.c.brand_id == brand_id, table.c.user_id == user_id))).rowcount
            for col in ("user_id", "by"):
                where = (brand_actions.c.brand_id == brand_id, brand_actions.c[col] == user_id)
                changed += (await conn.execute(brand_actions.update().where(*where).values({col: alias}))).rowcount
        return changed
