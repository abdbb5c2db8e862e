"""Which alert rules hold at a check, judged on the pure layer's tables, never on chart data.

Missing is missing: a figure a rule needs that the tables leave empty (no price at the window
start, no volume, no RS yet) never fires the rule; it becomes a note saying which figure and why.
Whether a finding is *sent* (once per rule and subject per cooldown) is the history store's call.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aisector.analytics.membership import sectors_of_coins
from aisector.analytics.panel import MarketPanel
from aisector.analytics.rotation import QUADRANT as QUADRANT_COLUMN
from aisector.analytics.rotation import RS_MOMENTUM, RS_RATIO, rotation_tail
from aisector.analytics.sector_stats import COUNTED, MARKET_CAP_CHANGE, MEMBERS
from aisector.analytics.shares import VOLUME_SHARE, sector_shares
from aisector.analytics.tables import CHANGE, LABEL, rotation_table, sectors_table, tokens_table
from aisector.analytics.windows import Window, resolve_window
from aisector.apps.alert_rules import (
    LEADER_CHANGE,
    QUADRANT,
    SECTOR_MOVE,
    SHARE_SHIFT,
    TOKEN_MOVE,
    Rule,
)
from aisector.core.schema import COIN_ID, PRICE, SECTOR, SYMBOL, TIMESTAMP
from aisector.core.sectors import SectorBook
from aisector.present.missing import missing_reason

# A figure equal to its threshold at the shown precision crosses it: a market cap down exactly
# 10% is "±10% or more" although float arithmetic may give 0.0999999999.
_FLOAT_SLACK = 1e-9
SHARE_START, SHARE_END = "share_start", "share_end"


@dataclass(frozen=True)
class Finding:
    """A rule that holds at a check: for which subject, with the numbers in plain words."""

    rule: str
    kind: str
    subject: str  # the cooldown counts per (rule, subject): "ai-agents down", "meme", ...
    text: str
    window_end: pd.Timestamp
    changed_only: bool = False  # leader_change: send only when the subject differs from last time


@dataclass(frozen=True)
class Evaluation:
    """Every rule's findings at one check, and the figures that were missing (silent rules)."""

    findings: tuple[Finding, ...]
    notes: tuple[str, ...]


def crosses(value: float, threshold: float) -> bool:
    """``|value| >= threshold``; never for a missing (NaN) value."""
    return bool(np.isfinite(value)) and abs(value) >= threshold * (1 - _FLOAT_SLACK)


def rotation_universe(book: SectorBook) -> tuple[str, ...]:
    """The sectors whose volume shares rotate: all of them but benchmark groups (a file without
    roles rotates among every sector)."""
    groups = set(book.benchmark_groups())
    return tuple(s.key for s in book.sectors if s.key not in groups)


def evaluate(
    rules: Sequence[Rule], panel: MarketPanel, book: SectorBook, as_of: pd.Timestamp
) -> Evaluation:
    """Judge every rule at ``as_of`` (each on its own window) over ``panel``."""
    tables = _Tables(panel, book)
    findings: list[Finding] = []
    notes: list[str] = []
    for rule in rules:
        found, missing = _CHECKS[rule.kind](rule, tables, rule.end(as_of))
        findings += found
        notes += [f"rule {rule.name}: {note}; not judged" for note in missing]
    return Evaluation(tuple(findings), tuple(notes))


Result = tuple[list[Finding], list[str]]


def sector_moves(rule: Rule, sectors: pd.DataFrame, end: pd.Timestamp) -> Result:
    """Sectors whose figure (``rule.method``) over the window is ±``rule.threshold`` or more."""
    findings, notes = [], []
    for _, row in _covered(sectors, rule).iterrows():
        value = row[rule.column]
        if not np.isfinite(value):
            notes.append(
                f"{row[LABEL]} {rule.method} {rule.window} move is missing "
                f"({missing_reason(row, rule.column) or 'not a number'})"
            )
        elif crosses(value, rule.threshold):
            direction = "up" if value > 0 else "down"
            text = (
                f"{row[LABEL]} {value:+.2%} over {_span(rule, end)} ({rule.method}; "
                f"market cap {_percent(row[MARKET_CAP_CHANGE])}, "
                f"{row[COUNTED]}/{row[MEMBERS]} members priced; threshold ±{rule.threshold:.0%})"
            )
            findings.append(Finding(rule.name, rule.kind, f"{row[SECTOR]} {direction}", text, end))
    return findings, notes


def share_shifts(rule: Rule, shares: pd.DataFrame, end: pd.Timestamp) -> Result:
    """Sectors whose volume share moved ``rule.points`` percentage points or more; ``shares``
    has one row per sector with its label and its share at the window start and end."""
    findings, notes = [], []
    for _, row in _covered(shares, rule).iterrows():
        start, last = row[SHARE_START], row[SHARE_END]
        if not (np.isfinite(start) and np.isfinite(last)):
            notes.append(
                f"{row[LABEL]} volume share over {rule.window} is missing "
                "(no member has a 24h volume at one end of the window)"
            )
            continue
        points = (last - start) * 100
        if crosses(points, rule.points):
            text = (
                f"{row[LABEL]} volume share {points:+.1f} points over {_span(rule, end)} "
                f"({start:.1%} → {last:.1%} of the rotation universe's 24h volume; "
                f"threshold ±{rule.points:g} points)"
            )
            findings.append(Finding(rule.name, rule.kind, str(row[SECTOR]), text, end))
    return findings, notes


def leader(rule: Rule, sectors: pd.DataFrame, end: pd.Timestamp) -> Result:
    """The top sector by ``rule.method``; none when any covered sector's figure is missing (the
    missing one might lead)."""
    covered = _covered(sectors, rule)
    values = covered[rule.column].astype(float)
    if covered.empty:
        return [], []
    missing = covered[~np.isfinite(values)]
    if not missing.empty:
        names = ", ".join(missing[LABEL])
        return [], [f"{rule.method} {rule.window} figure of {names} is missing, so no leader"]
    ranked = covered.assign(value=values).sort_values("value", ascending=False, kind="stable")
    top = ranked.iloc[0]
    runner = (
        f", ahead of {ranked.iloc[1][LABEL]} ({ranked.iloc[1]['value']:+.2%})"
        if len(ranked) > 1
        else ""
    )
    text = f"{top[LABEL]} took the lead over {_span(rule, end)}: {top['value']:+.2%} ({rule.method}){runner}"
    return [Finding(rule.name, rule.kind, str(top[SECTOR]), text, end, changed_only=True)], []


def quadrant_entries(
    rule: Rule, rotation: pd.DataFrame, labels: dict[str, str], end: pd.Timestamp
) -> Result:
    """Sectors whose newest RS sample is in ``rule.quadrant`` and whose sample before was not."""
    findings, notes = [], []
    samples = rotation.dropna(subset=[RS_RATIO, RS_MOMENTUM])[TIMESTAMP].unique()
    last_two = pd.DatetimeIndex(samples).sort_values()[-2:]
    tail = rotation_tail(rotation[rotation[TIMESTAMP].isin(last_two)], 2)
    for sector in _covered_keys(rule, labels):
        points = tail[tail[SECTOR] == sector]
        if len(last_two) < 2 or len(points) < 2:
            notes.append(
                f"{labels[sector]} RS-ratio/momentum ({rule.basis}) is missing at the "
                "last two samples (too little history before the window)"
            )
            continue
        before, now = points.iloc[0], points.iloc[1]
        if now[QUADRANT_COLUMN] == rule.quadrant and before[QUADRANT_COLUMN] != rule.quadrant:
            text = (
                f"{labels[sector]} entered the {rule.quadrant} quadrant at {now[TIMESTAMP]:%d %b %H:%M} "
                f"UTC (from {before[QUADRANT_COLUMN]}; RS-ratio {now[RS_RATIO]:.1f}, RS-momentum "
                f"{now[RS_MOMENTUM]:.1f}, {rule.basis} basis, {rule.window})"
            )
            findings.append(Finding(rule.name, rule.kind, sector, text, end))
    return findings, notes


def token_moves(
    rule: Rule,
    tokens: pd.DataFrame,
    members: pd.DataFrame,
    labels: dict[str, str],
    end: pd.Timestamp,
) -> Result:
    """Members of the covered sectors whose price moved ±``rule.threshold`` or more."""
    covered = members[members[SECTOR].isin(_covered_keys(rule, labels))]
    named = sectors_of_coins(covered.assign(**{SECTOR: covered[SECTOR].map(labels)}))
    rows = tokens[tokens[COIN_ID].isin(named.index)]
    findings = []
    for _, row in rows[rows[CHANGE].map(lambda v: crosses(v, rule.threshold))].iterrows():
        direction = "up" if row[CHANGE] > 0 else "down"
        text = (
            f"{row[SYMBOL]} ({named[row[COIN_ID]].replace(';', ', ')}) {row[CHANGE]:+.2%} over "
            f"{_span(rule, end)}, price ${row[PRICE]:,.6g}; threshold ±{rule.threshold:.0%}"
        )
        findings.append(Finding(rule.name, rule.kind, f"{row[COIN_ID]} {direction}", text, end))
    missing = rows[~np.isfinite(rows[CHANGE].astype(float))]
    notes = (
        [
            f"{rule.window} move of {', '.join(missing[SYMBOL])} is missing (no price at both "
            "ends of the window)"
        ]
        if not missing.empty
        else []
    )
    return findings, notes


class _Tables:
    """The pure layer's tables a check needs, each computed once per (window, end)."""

    def __init__(self, panel: MarketPanel, book: SectorBook) -> None:
        self.panel, self.book = panel, book
        self.members = book.members()
        self.labels = book.labels()
        self._made: dict[tuple, object] = {}

    def _once(self, key: tuple, make: Callable[[], object]) -> object:
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def window(self, end: pd.Timestamp, window: str) -> Window:
        return self._once(("window", end, window), lambda: resolve_window(self.panel, end, window))

    def sectors(self, end: pd.Timestamp, window: str) -> pd.DataFrame:
        resolved = self.window(end, window)
        return self._once(
            ("sectors", end, window),
            lambda: sectors_table(resolved, self.members, None, self.labels),
        )

    def tokens(self, end: pd.Timestamp, window: str) -> pd.DataFrame:
        resolved = self.window(end, window)
        return self._once(("tokens", end, window), lambda: tokens_table(resolved, self.members))

    def rotation(self, end: pd.Timestamp, window: str, basis: str) -> pd.DataFrame:
        resolved = self.window(end, window)
        return self._once(
            ("rotation", end, window, basis),
            lambda: rotation_table(resolved, self.members, self.book.benchmark, basis),
        )

    def shares(self, end: pd.Timestamp, window: str) -> pd.DataFrame:
        """Each rotation-universe sector's volume share at the window start and end."""
        resolved = self.window(end, window)
        return self._once(("shares", end, window), lambda: self._shares(resolved))

    def _shares(self, resolved: Window) -> pd.DataFrame:
        keys = rotation_universe(self.book)  # benchmark groups have no share to shift
        universe = self.members[self.members[SECTOR].isin(keys)]
        shares = sector_shares(resolved, universe).pivot(
            index=SECTOR, columns=TIMESTAMP, values=VOLUME_SHARE
        )
        table = pd.DataFrame(
            {
                SHARE_START: shares[resolved.stamps[0]].reindex(list(keys)),
                SHARE_END: shares[resolved.stamps[-1]].reindex(list(keys)),
            }
        )
        table = table.rename_axis(SECTOR).reset_index()
        return table.assign(**{LABEL: table[SECTOR].map(self.labels)})


def _covered(table: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    return table[table[SECTOR].isin(rule.sectors)] if rule.sectors else table


def _covered_keys(rule: Rule, labels: dict[str, str]) -> tuple[str, ...]:
    return rule.sectors or tuple(labels)


def _span(rule: Rule, end: pd.Timestamp) -> str:
    return f"the {rule.window} to {end:%d %b %H:%M} UTC"


def _percent(value: float) -> str:
    return f"{value:+.2%}" if math.isfinite(value) else "—"


_CHECKS = {
    SECTOR_MOVE: lambda rule, t, end: sector_moves(rule, t.sectors(end, rule.window), end),
    SHARE_SHIFT: lambda rule, t, end: share_shifts(rule, t.shares(end, rule.window), end),
    LEADER_CHANGE: lambda rule, t, end: leader(rule, t.sectors(end, rule.window), end),
    QUADRANT: lambda rule, t, end: quadrant_entries(
        rule, t.rotation(end, rule.window, rule.basis), t.labels, end
    ),
    TOKEN_MOVE: lambda rule, t, end: token_moves(
        rule, t.tokens(end, rule.window), t.members, t.labels, end
    ),
}
