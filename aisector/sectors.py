"""The sectors file: which coins make up which sector, and the benchmark.

Sectors are data a user edits (TOML, see ``defaults/sectors.toml``); this module turns the file
into a ``SectorBook`` and a tidy membership frame for the pandas layer.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from aisector.errors import ConfigError
from analytics.schema import COIN_ID, SECTOR

# Used in order for sectors whose file entry gives no colour (colour-blind-safe, Okabe-Ito based).
DEFAULT_PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442")


@dataclass(frozen=True)
class Sector:
    """A named basket of coins."""

    key: str
    label: str
    coins: tuple[str, ...]
    color: str


@dataclass(frozen=True)
class SectorBook:
    """All configured sectors and the benchmark coins, as read from one file."""

    sectors: tuple[Sector, ...]
    benchmark: tuple[str, ...]
    origin: str

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


def default_sectors_path() -> Path:
    return Path(str(resources.files("aisector") / "defaults" / "sectors.toml"))


def load_sectors(path: str | Path | None = None) -> SectorBook:
    """Read a sectors file (the shipped default when ``path`` is None)."""
    path = Path(path) if path is not None else default_sectors_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read sectors file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"sectors file {path} is not UTF-8 text") from None
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
    return SectorBook(sectors, _coin_list(benchmark.get("coins"), "benchmark", origin), origin)


def _sector(key: str, entry: object, fallback_color: str, origin: str) -> Sector:
    if not isinstance(entry, dict):
        raise ConfigError(f"{origin}: sectors.{key} must be a table with a coins list")
    unknown = set(entry) - {"label", "coins", "color"}
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
    return Sector(
        key, label.strip(), _coin_list(entry.get("coins"), f"sectors.{key}", origin), color
    )


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
