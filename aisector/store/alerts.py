"""The alerts ledger: which (rule, subject) fired when, so an alert goes out once per cooldown.

``claim`` runs inside one write transaction (the store's write lock, see ``aisector.store.engine``): it
reads what fired within the cooldown and inserts the new rows before any other process can look,
so two collectors, a dashboard and a cron run never send the same alert twice. The cooldown is
counted in market time (the data's as-of), so a replay of past hours fires as the hours did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from aisector.store import schema
from aisector.store.frames import epoch_ms

PENDING = "pending"  # claimed, delivery not finished yet
SENT = "sent"
FAILED = "failed"  # every attempt failed; not retried by later checks (the moment has passed)
UNSENT = "not sent"  # no notification target was configured: printed only
RECENT_COLUMNS = (
    "id",
    "as_of",
    "rule",
    "kind",
    "subject",
    "message",
    "status",
    "attempts",
    "detail",
)


@dataclass(frozen=True)
class Claim:
    """A finding that asks to be sent: fires unless its (rule, subject) fired within cooldown."""

    rule: str
    kind: str
    subject: str
    message: str
    as_of: pd.Timestamp
    cooldown: pd.Timedelta
    changed_only: bool = False  # fire only when ``subject`` differs from the rule's last mark


@dataclass(frozen=True)
class Claimed:
    """A claim that won: its row id, to record the delivery against."""

    id: int
    claim: Claim


def claim(
    connection: sa.Connection, claims: Sequence[Claim], source: str, status: str, now: pd.Timestamp
) -> list[Claimed]:
    """Insert a row for each claim allowed to fire; call inside a write transaction."""
    won = []
    for wanted in claims:
        if wanted.changed_only and not _moved_mark(connection, wanted):
            continue
        if _fired_within(connection, wanted):
            continue
        row = {
            "rule": wanted.rule,
            "subject": wanted.subject,
            "as_of_ms": epoch_ms(wanted.as_of),
            "created_ms": epoch_ms(now),
            "kind": wanted.kind,
            "source": source,
            "message": wanted.message,
            "status": status,
            "attempts": 0,
        }
        new_id = connection.execute(schema.alerts.insert().values(**row)).inserted_primary_key[0]
        won.append(Claimed(int(new_id), wanted))
    return won


def record(
    connection: sa.Connection, alert_id: int, status: str, attempts: int, detail: str | None
) -> None:
    """How the delivery of alert ``alert_id`` went (``detail`` is already redacted)."""
    table = schema.alerts
    connection.execute(
        table.update()
        .where(table.c.id == alert_id)
        .values(status=status, attempts=attempts, detail=detail)
    )


def recent(connection: sa.Connection, limit: int) -> pd.DataFrame:
    """The newest ``limit`` alerts (by market time, then by insertion), newest first."""
    table = schema.alerts
    query = (
        sa.select(
            table.c.id,
            table.c.as_of_ms,
            table.c.rule,
            table.c.kind,
            table.c.subject,
            table.c.message,
            table.c.status,
            table.c.attempts,
            table.c.detail,
        )
        .order_by(table.c.as_of_ms.desc(), table.c.id.desc())
        .limit(limit)
    )
    rows = connection.execute(query).all()
    frame = pd.DataFrame(rows, columns=["id", "as_of_ms", *RECENT_COLUMNS[2:]])
    stamps = pd.to_datetime(frame.pop("as_of_ms").astype("int64"), unit="ms", utc=True)
    frame.insert(1, "as_of", stamps)  # datetime64 even when empty, so it compares with times
    return frame[list(RECENT_COLUMNS)]


def _fired_within(connection: sa.Connection, wanted: Claim) -> bool:
    """Whether (rule, subject) fired less than the cooldown before or after ``as_of``."""
    table = schema.alerts
    at, span = epoch_ms(wanted.as_of), int(wanted.cooldown / pd.Timedelta(milliseconds=1))
    query = sa.select(table.c.id).where(
        table.c.rule == wanted.rule,
        table.c.subject == wanted.subject,
        table.c.as_of_ms > at - span,
        table.c.as_of_ms < at + span,
    )
    return connection.execute(query.limit(1)).first() is not None


def _moved_mark(connection: sa.Connection, wanted: Claim) -> bool:
    """Move the rule's mark to ``subject`` if this check is newer; True when it changed from a
    subject an earlier check saw (the first check only sets the mark)."""
    table = schema.alert_marks
    at = epoch_ms(wanted.as_of)
    mark = connection.execute(
        sa.select(table.c.subject, table.c.as_of_ms).where(table.c.rule == wanted.rule)
    ).first()
    if mark is None:
        connection.execute(
            table.insert().values(rule=wanted.rule, subject=wanted.subject, as_of_ms=at)
        )
        return False
    if at <= mark.as_of_ms:  # an older or the same check: judged already
        return False
    connection.execute(
        table.update()
        .where(table.c.rule == wanted.rule)
        .values(subject=wanted.subject, as_of_ms=at)
    )
    return mark.subject != wanted.subject
