"""The alert rules file: when to tell the trader that money moved, as data.

A default file ships with the package (``defaults/alerts.toml``); ``--rules PATH`` replaces it.
Each ``[rules.<name>]`` table has a ``kind`` and that kind's keys; every mistake is a one-line
``ConfigError`` naming the file, the rule and the key.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from aisector.analytics.index import CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED
from aisector.analytics.rotation import BASES, IMPROVING, LAGGING, LEADING, PRICE_BASIS, WEAKENING
from aisector.analytics.sector_stats import MARKET_CAP_CHANGE, return_column
from aisector.core.config_files import read_config_text, shipped
from aisector.core.errors import ConfigError
from aisector.core.periods import window_length
from aisector.core.sectors import SectorBook

SECTOR_MOVE = "sector_move"
SHARE_SHIFT = "share_shift"
LEADER_CHANGE = "leader_change"
QUADRANT = "quadrant"
TOKEN_MOVE = "token_move"
KINDS = (SECTOR_MOVE, SHARE_SHIFT, LEADER_CHANGE, QUADRANT, TOKEN_MOVE)

# The sectors-table column behind each ``method`` a rule may name.
METHODS = {
    "cap-weighted": return_column(CAP_WEIGHTED),
    "equal-weighted": return_column(EQUAL_WEIGHTED),
    "volume-weighted": return_column(VOLUME_WEIGHTED),
    "market-cap": MARKET_CAP_CHANGE,
}
QUADRANTS = {q.lower(): q for q in (LEADING, WEAKENING, LAGGING, IMPROVING)}

_COMMON = {"kind", "window", "sectors", "cooldown", "daily_close"}
_KEYS = {
    SECTOR_MOVE: _COMMON | {"method", "threshold"},
    SHARE_SHIFT: _COMMON | {"points"},
    LEADER_CHANGE: _COMMON | {"method"},
    QUADRANT: _COMMON | {"quadrant", "basis"},
    TOKEN_MOVE: _COMMON | {"threshold"},
}
_NEEDED = {SECTOR_MOVE: {"threshold"}, SHARE_SHIFT: {"points"}, TOKEN_MOVE: {"threshold"}}
DEFAULT_WINDOW = "24h"
DEFAULT_COOLDOWN = "24h"


@dataclass(frozen=True)
class Rule:
    """One rule: what to watch, how far it must go, over which sectors, and how often to tell."""

    name: str
    kind: str
    window: str
    cooldown: pd.Timedelta
    sectors: tuple[str, ...] = ()  # empty: every sector of the sectors file
    daily_close: bool = False  # judge the window ending at the last 00:00 UTC, not at the check
    method: str = "cap-weighted"  # sector_move, leader_change: which sector figure
    threshold: float = math.nan  # sector_move, token_move: a fraction (0.10 is ±10%)
    points: float = math.nan  # share_shift: percentage points of volume share
    quadrant: str = LEADING  # quadrant: which one entering fires
    basis: str = PRICE_BASIS  # quadrant: RS on price or on volume share

    @property
    def column(self) -> str:
        """The sectors-table column a sector_move or leader_change rule reads."""
        return METHODS[self.method]

    def end(self, as_of: pd.Timestamp) -> pd.Timestamp:
        """Where this rule's window ends for a check at ``as_of``."""
        return as_of.floor("D") if self.daily_close else as_of


@dataclass(frozen=True)
class RuleSet:
    """The rules of one file, in file order."""

    rules: tuple[Rule, ...]
    origin: str


def default_rules_path() -> Path:
    return shipped("alerts.toml")


def load_rules(path: str | Path | None, book: SectorBook) -> RuleSet:
    """Read a rules file (the shipped default when ``path`` is None), checked against ``book``."""
    path = Path(path) if path is not None else default_rules_path()
    return parse_rules(read_config_text(path, "rules"), book, origin=str(path))


def parse_rules(text: str, book: SectorBook, origin: str = "<rules>") -> RuleSet:
    """Parse rules-file TOML; every mistake becomes a ``ConfigError`` that names the place."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: not valid TOML ({error})") from None
    stray = sorted(set(document) - {"rules"})
    if stray:
        raise ConfigError(
            f"{origin}: unknown table or key {stray[0]!r}; rules go in [rules.<name>]"
        )
    table = document.get("rules", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: rules must be tables like [rules.ai-move]")
    known = {s.key for s in book.sectors}
    return RuleSet(
        tuple(
            _rule(name, entry, f"{origin}: rules.{name}", known) for name, entry in table.items()
        ),
        origin,
    )


def _rule(name: str, entry: object, where: str, known: set[str]) -> Rule:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table with a kind")
    kind = entry.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}.kind must be one of {', '.join(KINDS)}, not {kind!r}")
    unknown = sorted(set(entry) - _KEYS[kind])
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]} is not a key of a {kind} rule")
    missing = sorted(_NEEDED.get(kind, set()) - set(entry))
    if missing:
        raise ConfigError(f"{where}.{missing[0]} is missing (a {kind} rule needs it)")
    fields = {
        "window": _span(entry, "window", DEFAULT_WINDOW, where),
        "cooldown": window_length(_span(entry, "cooldown", DEFAULT_COOLDOWN, where)),
        "sectors": _sectors(entry.get("sectors", []), f"{where}.sectors", known),
        "daily_close": _flag(entry, "daily_close", where),
        **_kind_fields(kind, entry, where),
    }
    return Rule(name, kind, **fields)


def _kind_fields(kind: str, entry: dict, where: str) -> dict[str, object]:
    """The keys only some kinds have, checked."""
    fields: dict[str, object] = {}
    if "method" in entry:
        fields["method"] = _choice(entry["method"], METHODS, f"{where}.method")
    if "threshold" in entry:
        fields["threshold"] = _positive(entry["threshold"], f"{where}.threshold", "0.10 (±10%)")
    if "points" in entry:
        fields["points"] = _positive(entry["points"], f"{where}.points", "5 (percentage points)")
    if "quadrant" in entry:
        fields["quadrant"] = QUADRANTS[_choice(entry["quadrant"], QUADRANTS, f"{where}.quadrant")]
    if "basis" in entry:
        fields["basis"] = _choice(entry["basis"], BASES, f"{where}.basis")
    return fields


def _span(entry: dict, key: str, default: str, where: str) -> str:
    value = entry.get(key, default)
    try:
        window_length(value if isinstance(value, str) else "")
    except ConfigError:
        raise ConfigError(f"{where}.{key} must be a span like 24h or 7d, not {value!r}") from None
    return value.strip()


def _flag(entry: dict, key: str, where: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key} must be true or false, not {value!r}")
    return value


def _choice(value: object, allowed: object, where: str) -> str:
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise ConfigError(f"{where} must be one of {', '.join(allowed)}, not {value!r}")
    return value.strip().lower()


def _positive(value: object, where: str, example: str) -> float:
    number = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else -1
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{where} must be a positive number like {example}, not {value!r}")
    return number


def _sectors(value: object, where: str, known: set[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{where} must be a list of sector names from the sectors file")
    unknown = [s for s in value if s not in known]
    if unknown:
        raise ConfigError(
            f"{where} names {unknown[0]!r}, which the sectors file does not have "
            f"(it has {', '.join(sorted(known))})"
        )
    return tuple(dict.fromkeys(value))
