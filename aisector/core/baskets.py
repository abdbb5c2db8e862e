"""Custom baskets: a temporary sector the user picks coin by coin, shown as if the sectors file
held it, and written back as a sectors-file snippet they can paste to keep it."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace

from aisector.core.errors import ConfigError
from aisector.core.sectors import DEFAULT_PALETTE, Sector, SectorBook

DEFAULT_BASKET_NAME = "My basket"
FALLBACK_KEY = "basket"
# Tried in order; the first one no sector of the file uses is the basket's (then the palette's).
BASKET_COLORS = ("#db2777", "#16a34a", "#dc2626", "#4f46e5", *DEFAULT_PALETTE)


@dataclass(frozen=True)
class Basket:
    """A name and the coin ids picked for it (hashable: it is part of the dashboard's cache key)."""

    name: str
    coins: tuple[str, ...]

    @property
    def label(self) -> str:
        """The name as charts show it (the default when left blank)."""
        return self.name.strip() or DEFAULT_BASKET_NAME

    @property
    def key(self) -> str:
        """The basket's sector key, as the sectors file would hold it."""
        return basket_key(self.label)


def basket_key(name: str) -> str:
    """The sectors-file key for a basket name: lower-case words joined by '-' ('my-basket')."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or FALLBACK_KEY


def basket_sector(book: SectorBook, basket: Basket) -> Sector:
    """The basket as a sector of ``book``: a key and colour of its own, coins in picked order.

    A name whose key or label a file sector already has is a ``ConfigError``: two sectors under
    one name would be told apart by nobody, and the snippet would clash in the file.
    """
    key, label = basket.key, basket.label
    for sector in book.sectors:
        if key == sector.key or label.casefold() == sector.label.casefold():
            raise ConfigError(
                f"the sectors file already has a sector {sector.key!r} ({sector.label}); "
                "give the basket another name"
            )
    used = {color.lower() for color in book.colors().values()}
    color = next((c for c in BASKET_COLORS if c not in used), BASKET_COLORS[0])
    return Sector(key, label, tuple(dict.fromkeys(basket.coins)), color)


def with_basket(book: SectorBook, basket: Basket | None) -> SectorBook:
    """``book`` with the basket as its last sector; unchanged when no coin is picked."""
    if basket is None or not basket.coins:
        return book
    return replace(book, sectors=(*book.sectors, basket_sector(book, basket)))


def sector_snippet(sector: Sector) -> str:
    """A ``[sectors.<key>]`` table that ``parse_sectors`` reads back as ``sector``."""
    coins = ", ".join(_toml_string(coin) for coin in sector.coins)
    return (
        "# Paste into your sectors file and pass it with --sectors PATH.\n"
        f"[sectors.{sector.key}]\n"
        f"label = {_toml_string(sector.label)}\n"
        f"color = {_toml_string(sector.color)}\n"
        f"coins = [{coins}]\n"
    )


def coin_choices(book: SectorBook, symbols: Mapping[str, str]) -> dict[str, str]:
    """coin id -> how the picker shows it: its symbol (the id when the data has none, both when
    two coins share a symbol), in alphabetical order."""
    shown = {coin: symbols.get(coin, coin) for coin in book.coins()}
    count = Counter(shown.values())
    names = {c: s if count[s] == 1 else f"{s} ({c})" for c, s in shown.items()}
    return dict(sorted(names.items(), key=lambda item: (item[1].casefold(), item[0])))


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, bar DEL, which TOML also wants escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")
