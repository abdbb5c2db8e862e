"""The sectors file: which coins make up which sector, the benchmark, and the protocols.

Sectors are data a user edits (TOML, see ``defaults/sectors.toml``); this module turns the file
into a ``SectorBook`` and tidy membership frames for the pandas layer. ``[protocols.<id>]`` tables
name the protocols whose daily activity (fees, revenue, volume) is read beside their tokens.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from aisector.core.config_files import read_config_text, shipped
from aisector.core.errors import ConfigError
from aisector.core.schema import COIN_ID, FEES, PROTOCOL, REVENUE, SECTOR, TIMESTAMP, VOLUME

# A DEX token as the sectors file writes it: "<GeckoTerminal network id>:<token address>".
_DEX_PATTERN = re.compile(r"^([a-z0-9][a-z0-9_-]*):([A-Za-z0-9]{20,})$")
_ALIAS_EXAMPLE = '{ id = "elizaos", since = 2025-11-06 }'
_SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # DefiLlama slugs: "virtuals-protocol"
_DUNE_METRICS = (FEES, REVENUE, VOLUME)
_DUNE_EXAMPLE = '{ query = 4123456, date = "day", revenue = "revenue_usd" }'

BENCHMARK_ROLE = "benchmark"
ROLES = (BENCHMARK_ROLE,)

# Used in order for sectors whose file entry gives no colour (colour-blind-safe, Okabe-Ito based).
DEFAULT_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")


@dataclass(frozen=True)
class Sector:
    """A named basket of coins."""

    key: str
    label: str
    coins: tuple[str, ...]
    color: str
    role: str | None = None  # BENCHMARK_ROLE: a benchmark group, outside the rotation universe


@dataclass(frozen=True)
class Alias:
    """From ``since`` on, upstream lists the coin under ``id`` (a token migration or a new page)."""

    id: str
    since: pd.Timestamp


@dataclass(frozen=True)
class DexToken:
    """Where a coin trades on chain, for GeckoTerminal: network id and token address."""

    network: str
    address: str


@dataclass(frozen=True)
class CoinInfo:
    """Optional per-coin facts from a ``[coins.<id>]`` table of the sectors file."""

    aliases: tuple[Alias, ...] = ()  # later ids of the coin, oldest switch first
    dex: DexToken | None = None


@dataclass(frozen=True)
class DuneQuery:
    """Where a protocol's activity sits in the latest results of a saved Dune query."""

    query: int  # the saved query's id
    date: str  # the result column holding the UTC day
    columns: Mapping[str, str]  # metric (fees, revenue, volume) -> result column, those it has


@dataclass(frozen=True)
class TrackedProtocol:
    """A protocol whose daily fees, revenue and volume are read beside its token(s)."""

    key: str
    label: str
    sector: str
    coins: tuple[str, ...]  # the protocol's token(s): their market cap is the protocol's
    defillama: str | None = None  # DefiLlama slug, e.g. "virtuals-protocol"
    dune: DuneQuery | None = None


@dataclass(frozen=True)
class SectorBook:
    """All configured sectors, the benchmark coins and the tracked protocols, from one file."""

    sectors: tuple[Sector, ...]
    benchmark: tuple[str, ...]
    origin: str
    coin_info: Mapping[str, CoinInfo] = field(default_factory=dict)
    protocols: tuple[TrackedProtocol, ...] = ()

    def members(self) -> pd.DataFrame:
        """One row per (sector, coin_id) membership, in file order."""
        rows = [(s.key, coin) for s in self.sectors for coin in s.coins]
        return pd.DataFrame(rows, columns=[SECTOR, COIN_ID])

    def coins(self) -> tuple[str, ...]:
        """Every coin id the file names (sectors and benchmark), once each, in file order."""
        names = [c for s in self.sectors for c in s.coins] + list(self.benchmark)
        return tuple(dict.fromkeys(names))

    def labels(self) -> dict[str, str]:
        return {s.key: s.label for s in self.sectors}

    def colors(self) -> dict[str, str]:
        return {s.key: s.color for s in self.sectors}

    def benchmark_groups(self) -> tuple[str, ...]:
        """Keys of the sectors marked ``role = "benchmark"`` (e.g. Majors), in file order."""
        return tuple(s.key for s in self.sectors if s.role == BENCHMARK_ROLE)

    def aliases(self) -> dict[str, tuple[Alias, ...]]:
        """coin id -> the later ids upstream lists it under, for coins that changed id."""
        return {coin: info.aliases for coin, info in self.coin_info.items() if info.aliases}

    def dex_tokens(self) -> dict[str, DexToken]:
        """coin id -> its on-chain token, for coins the sectors file gives a ``dex`` for."""
        return {coin: info.dex for coin, info in self.coin_info.items() if info.dex is not None}

    def protocol_members(self) -> pd.DataFrame:
        """One row per (protocol, sector, coin_id): each protocol's sector and token(s)."""
        rows = [(p.key, p.sector, coin) for p in self.protocols for coin in p.coins]
        return pd.DataFrame(rows, columns=[PROTOCOL, SECTOR, COIN_ID])

    def protocol_labels(self) -> dict[str, str]:
        return {p.key: p.label for p in self.protocols}

    def id_breaks(self) -> pd.DataFrame:
        """One row per id switch (coin_id, timestamp, from_id, to_id), for charts to mark."""
        rows = [
            (coin, alias.since, previous, alias.id)
            for coin, aliases in self.aliases().items()
            for previous, alias in zip((coin, *(a.id for a in aliases)), aliases, strict=False)
        ]
        return pd.DataFrame(rows, columns=[COIN_ID, TIMESTAMP, "from_id", "to_id"])


def default_sectors_path() -> Path:
    return shipped("sectors.toml")


def load_sectors(path: str | Path | None = None) -> SectorBook:
    """Read a sectors file (the shipped default when ``path`` is None)."""
    path = Path(path) if path is not None else default_sectors_path()
    text = read_config_text(path, "sectors")
    return parse_sectors(text, origin=str(path))


def parse_sectors(text: str, origin: str = "<sectors>") -> SectorBook:
    """Parse sectors-file TOML; every mistake becomes a ``ConfigError`` that names the place."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{origin}: not valid TOML ({error})") from None
    table = document.get("sectors")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"{origin}: needs at least one [sectors.<name>] table")
    sectors = tuple(
        _sector(key, entry, DEFAULT_PALETTE[i % len(DEFAULT_PALETTE)], origin)
        for i, (key, entry) in enumerate(table.items())
    )
    benchmark = document.get("benchmark", {"coins": ["bitcoin"]})
    if not isinstance(benchmark, dict):
        raise ConfigError(f"{origin}: [benchmark] must be a table with a coins list")
    benchmark_coins = _coin_list(benchmark.get("coins"), "benchmark", origin)
    named = {c for s in sectors for c in s.coins} | set(benchmark_coins)
    infos = _coin_infos(document, named, origin)
    protocols = _protocols(document, {s.key for s in sectors}, named, origin)
    return SectorBook(sectors, benchmark_coins, origin, infos, protocols)


def _sector(key: str, entry: object, fallback_color: str, origin: str) -> Sector:
    if not key.strip() or ";" in key:  # tables join a coin's sectors with ";"
        raise ConfigError(f"{origin}: sector name {key!r} must be text without ';'")
    if not isinstance(entry, dict):
        raise ConfigError(f"{origin}: sectors.{key} must be a table with a coins list")
    unknown = set(entry) - {"label", "coins", "color", "role"}
    if unknown:
        raise ConfigError(
            f"{origin}: sectors.{key} has unknown key(s) {', '.join(sorted(unknown))}"
        )
    label = entry.get("label", key)
    color = entry.get("color", fallback_color)
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{origin}: sectors.{key}.label must be text")
    if not isinstance(color, str) or not color.startswith("#") or len(color) not in (4, 7):
        raise ConfigError(f"{origin}: sectors.{key}.color must look like #rrggbb")
    role = entry.get("role")
    if role is not None and role not in ROLES:
        raise ConfigError(
            f'{origin}: sectors.{key}.role must be "{BENCHMARK_ROLE}" (or left out), not {role!r}'
        )
    coins = _coin_list(entry.get("coins"), f"sectors.{key}", origin)
    return Sector(key, label.strip(), coins, color, role)


def _coin_list(coins: object, where: str, origin: str) -> tuple[str, ...]:
    if not isinstance(coins, list) or not coins:
        raise ConfigError(f"{origin}: {where}.coins must be a non-empty list of CoinGecko ids")
    bad = [c for c in coins if not isinstance(c, str) or not c.strip() or c != c.strip().lower()]
    if bad:
        raise ConfigError(
            f"{origin}: {where}.coins has {bad[0]!r}; ids are lower-case text "
            "like 'virtual-protocol'"
        )
    duplicates = sorted({c for c in coins if coins.count(c) > 1})
    if duplicates:
        raise ConfigError(f"{origin}: {where}.coins lists {', '.join(duplicates)} twice")
    return tuple(coins)


def _coin_infos(document: dict, named: set[str], origin: str) -> dict[str, CoinInfo]:
    """The optional ``[coins.<id>]`` tables: aliases over time and a DEX token per coin."""
    table = document.get("coins", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: coins must be tables like [coins.ai16z]")
    infos = {coin: _coin_info(coin, entry, origin) for coin, entry in table.items()}
    stray = sorted(set(infos) - named)
    if stray:
        raise ConfigError(f"{origin}: coins.{stray[0]} is in no sector and not the benchmark")
    alias_ids = [a.id for info in infos.values() for a in info.aliases]
    clash = sorted((set(alias_ids) & named) | {i for i in alias_ids if alias_ids.count(i) > 1})
    if clash:
        raise ConfigError(f"{origin}: alias {clash[0]!r} already names another coin or alias")
    return infos


def _coin_info(coin: str, entry: object, origin: str) -> CoinInfo:
    where = f"{origin}: coins.{coin}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table with aliases and/or dex")
    unknown = set(entry) - {"aliases", "dex"}
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(sorted(unknown))}")
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list):
        raise ConfigError(f"{where}.aliases must be a list like [{_ALIAS_EXAMPLE}]")
    parsed = tuple(sorted((_alias(coin, a, where) for a in aliases), key=lambda a: a.since))
    dex = entry.get("dex")
    return CoinInfo(parsed, None if dex is None else _dex_token(dex, where))


def _alias(coin: str, entry: object, where: str) -> Alias:
    if not isinstance(entry, dict) or set(entry) != {"id", "since"}:
        raise ConfigError(
            f"{where}.aliases entries need an id and the date of the switch: {_ALIAS_EXAMPLE}"
        )
    alias_id = entry["id"]
    if not isinstance(alias_id, str) or alias_id != alias_id.strip().lower() or not alias_id:
        raise ConfigError(f"{where}.aliases has id {alias_id!r}; ids are lower-case text")
    if alias_id == coin:
        raise ConfigError(f"{where}.aliases lists the coin's own id {coin!r}")
    return Alias(alias_id, _switch_date(entry["since"], f"{where}.aliases ({alias_id})"))


def _switch_date(value: object, where: str) -> pd.Timestamp:
    """A TOML date or datetime (or ISO text) as a UTC timestamp; local times are taken as UTC."""
    if not isinstance(value, dt.date | str):
        raise ConfigError(f"{where}: since must be a date like 2025-11-06")
    try:  # ISO text only: pandas would also take "now", "today" and "" (NaT)
        stamp = pd.Timestamp(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)
    except ValueError:
        raise ConfigError(f"{where}: since {value!r} is not a date like 2025-11-06") from None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _dex_token(value: object, where: str) -> DexToken:
    match = _DEX_PATTERN.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f'{where}.dex must look like "solana:<token address>", not {value!r}')
    return DexToken(match.group(1), match.group(2))


def _protocols(
    document: dict, sectors: set[str], named: set[str], origin: str
) -> tuple[TrackedProtocol, ...]:
    """The optional ``[protocols.<id>]`` tables, each checked against the sectors and coins."""
    table = document.get("protocols", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{origin}: protocols must be tables like [protocols.virtuals-protocol]")
    return tuple(_protocol(key, entry, sectors, named, origin) for key, entry in table.items())


def _protocol(
    key: str, entry: object, sectors: set[str], named: set[str], origin: str
) -> TrackedProtocol:
    where = f"{origin}: protocols.{key}"
    if not key.strip() or ";" in key:
        raise ConfigError(f"{where}: a protocol id must be text without ';'")
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table with a label, a sector and coins")
    unknown = set(entry) - {"label", "sector", "coins", "defillama", "dune"}
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(sorted(unknown))}")
    label = entry.get("label", key)
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{where}.label must be text")
    sector = entry.get("sector")
    if sector not in sectors:
        raise ConfigError(
            f"{where}.sector is {sector!r}, not one of the file's sectors "
            f"({', '.join(sorted(sectors))})"
        )
    coins = _coin_list(entry.get("coins"), f"protocols.{key}", origin)
    stray = [c for c in coins if c not in named]
    if stray:
        raise ConfigError(f"{where}.coins has {stray[0]!r}, which is in no sector of the file")
    slug = entry.get("defillama")
    if slug is not None and not (isinstance(slug, str) and _SLUG_PATTERN.match(slug)):
        raise ConfigError(f'{where}.defillama must be a DefiLlama slug like "virtuals-protocol"')
    dune = entry.get("dune")
    return TrackedProtocol(
        key, label.strip(), sector, coins, slug, None if dune is None else _dune(dune, where)
    )


def _dune(entry: object, where: str) -> DuneQuery:
    """A ``dune = { query, date, <metric> = "<column>", ... }`` inline table."""
    where = f"{where}.dune"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table like {_DUNE_EXAMPLE}")
    unknown = set(entry) - {"query", "date", *_DUNE_METRICS}
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(sorted(unknown))}")
    query = entry.get("query")
    if isinstance(query, bool) or not isinstance(query, int) or query <= 0:
        raise ConfigError(f"{where}.query must be the saved query's number, e.g. 4123456")
    columns = {m: entry[m] for m in _DUNE_METRICS if m in entry}
    if not columns:
        raise ConfigError(
            f"{where} names no result column for {', '.join(_DUNE_METRICS)}: {_DUNE_EXAMPLE}"
        )
    for name in ("date", *columns):
        column = entry.get(name)
        if not isinstance(column, str) or not column.strip():
            raise ConfigError(f"{where}.{name} must name a column of the query's results")
    return DuneQuery(query, entry["date"].strip(), {m: c.strip() for m, c in columns.items()})
