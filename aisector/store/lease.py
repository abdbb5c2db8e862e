"""The collector lease: which process collects for a store, so two never double the upstream calls.

A lease is a row ``(name, holder, expires_ms)`` in ``aisector_leases``. Taking or renewing it is
one write transaction (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory lock; see
``aisector.store.engine``), so the check "free, expired or mine" and the write that claims it cannot
interleave with another taker. A holder renews it while it works (after every chunk and every
round) and releases it when it stops; a holder that dies without releasing loses it when it
expires, and the next taker carries on. Times are the takers' clocks: hosts sharing a
PostgreSQL store must keep them in step (NTP) to well within the lease's lifetime.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from aisector.store import schema
from aisector.store.frames import epoch_ms, from_epoch_ms
from aisector.store.upsert import UPSERTS

COLLECTOR = "collector"  # the one lease there is today: who fetches upstream data for the store


@dataclass(frozen=True)
class Lease:
    """The lease as it stands after a take: who holds it and until when."""

    name: str
    holder: str
    expires: pd.Timestamp

    def held_by(self, holder: str) -> bool:
        return self.holder == holder

    def line(self) -> str:
        """Who holds it, in the user's words."""
        return (
            f"{self.holder} holds the {self.name} lease until {self.expires:%Y-%m-%d %H:%M:%S} UTC"
        )


def take(
    connection: sa.Connection,
    name: str,
    holder: str,
    now: pd.Timestamp,
    ttl: pd.Timedelta,
    replace: str | None = None,
) -> Lease:
    """Claim or renew ``name`` for ``holder`` until ``now + ttl`` if it is free, expired, already
    ``holder``'s or ``replace``'s (a holder known to be gone); inside the caller's write
    transaction. Returns the lease as it stands."""
    table = schema.leases
    found = connection.execute(
        sa.select(table.c.holder, table.c.expires_ms).where(table.c.name == name)
    ).one_or_none()
    now_ms = epoch_ms(now)
    mine = found is None or found.holder in (holder, replace)
    if not mine and found.expires_ms > now_ms:
        return Lease(name, found.holder, from_epoch_ms(found.expires_ms))
    expires_ms = now_ms + int(ttl / pd.Timedelta(milliseconds=1))
    statement = UPSERTS[connection.dialect.name](table).values(
        name=name, holder=holder, expires_ms=expires_ms
    )
    new = statement.excluded
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.name],
            set_={"holder": new.holder, "expires_ms": new.expires_ms},
        )
    )
    return Lease(name, holder, from_epoch_ms(expires_ms))


def release(connection: sa.Connection, name: str, holder: str) -> None:
    """Give ``name`` up if ``holder`` has it (someone who took it over keeps it)."""
    table = schema.leases
    connection.execute(table.delete().where(table.c.name == name, table.c.holder == holder))
