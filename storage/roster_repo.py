"""SQL of the roster: units, people, oversight, and every roster line with its effective day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from scoring.clock import SHANGHAI
from scoring.roster import BEGINNING, Placement
from scoring.types import Rank, Role
from storage.directory import CadreRow
from storage.models import Cadre, Oversight, RosterChange, Unit
from storage.sql import table_of


class RosterRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def units(self) -> list[Unit]:
        return list((await self.s.execute(select(Unit).order_by(col(Unit.id)))).scalars().all())

    async def cadres(self) -> list[CadreRow]:
        """Plain rows, not ORM objects: a province's roster is 100,000 people, and every
        replica reads all of them again each minute (bot/caches.py)."""
        return list((await self.s.execute(select(*table_of(Cadre).c))).all())

    async def first_import(self) -> date | None:
        """The effective day of the district's first roster import (None before any): the day
        it was imported, as its lines hold "since always" (BEGINNING), or the day it was dated."""
        imported = (await self.s.execute(
            select(func.min(col(RosterChange.recorded_at))).where(col(RosterChange.effective) == BEGINNING)
        )).scalar()
        if imported is not None:
            return imported.astimezone(SHANGHAI).date()
        return (await self.s.execute(select(func.min(col(RosterChange.effective))))).scalar()

    async def oversight(self) -> list[Oversight]:
        return list((await self.s.execute(select(Oversight))).scalars().all())

    async def oversees_names(self) -> dict[str, list[str]]:
        """Each superior leader's overseen units, by name, in the order the units were created."""
        rows = await self.s.execute(
            select(col(Oversight.userid), col(Unit.name)).join(Unit, col(Unit.id) == col(Oversight.unit_id)).order_by(col(Unit.id))
        )
        out: dict[str, list[str]] = {}
        for userid, name in rows:
            out.setdefault(userid, []).append(name)
        return out

    async def changes(self, userid: str) -> list[RosterChange]:
        """One person's roster lines, oldest first."""
        result = await self.s.execute(
            select(RosterChange).where(col(RosterChange.userid) == userid).order_by(col(RosterChange.effective))
        )
        return list(result.scalars().all())

    async def placements(self, userids: list[str] | None = None) -> dict[str, list[Placement]]:
        """Everyone's (or `userids'`) roster lines as the rules read them: one query."""
        columns = (col(RosterChange.userid), col(RosterChange.effective), col(RosterChange.unit_id),
                   col(RosterChange.role), col(RosterChange.rank), col(RosterChange.active))
        stmt = select(*columns).order_by(col(RosterChange.userid), col(RosterChange.effective))
        if userids is not None:
            stmt = stmt.where(col(RosterChange.userid).in_(userids))
        out: dict[str, list[Placement]] = {}
        for row in await self.s.execute(stmt):
            out.setdefault(row.userid, []).append(Placement(
                row.effective, str(row.unit_id), Role(row.role), Rank(row.rank) if row.rank else None, row.active,
            ))
        return out
