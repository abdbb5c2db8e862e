"""``aisector sectors suggest`` and ``sectors categories``: CoinGecko's categories as the start of a
sectors file.

CoinGecko files coins under categories (``ai-agents``, ``meme-token``). ``suggest`` prints a
``[sectors.<id>]`` table of a category's largest coins by market cap, to paste into a sectors file
and edit; ``categories`` lists the ids to choose from. Names come from upstream, so they are made
plain text (no control characters, one line) before they reach a comment or the terminal.
"""

from __future__ import annotations

import difflib
import json
import re

import pandas as pd

from aisector.core.errors import ConfigError, SourceError
from aisector.core.schema import COIN_ID, MARKET_CAP, SYMBOL
from aisector.present.formatting import MISSING, usd_compact
from connectors.coingecko import CATEGORY, IDS_PER_CALL, NAME, CoinGecko

DEFAULT_TOP = 10
MAX_TOP = IDS_PER_CALL  # one /coins/markets page
CLOSE_MATCHES = 5
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")  # a TOML key that needs no quotes


def suggest_sector(gecko: CoinGecko, category: str, top: int = DEFAULT_TOP) -> str:
    """The sectors-file table of ``category``'s ``top`` coins by market cap; an unknown category
    is a ``ConfigError`` naming the closest ids."""
    known = gecko.categories()
    found = known.loc[known[CATEGORY] == category, NAME]
    if found.empty:
        raise ConfigError(unknown_category(category, known))
    members = largest(gecko.category_members(category, top), top)
    if members.empty:
        raise SourceError(f"CoinGecko lists no coins in the category {category!r}")
    return sector_snippet(category, plain(str(found.iloc[0])) or category, members)


def largest(members: pd.DataFrame, top: int) -> pd.DataFrame:
    """The ``top`` coins by market cap, each once; a cap of 0 (CoinGecko's "unknown") counts as
    missing and sorts last, with the other missing ones."""
    caps = members[MARKET_CAP].where(members[MARKET_CAP] > 0)
    ranked = members.assign(**{MARKET_CAP: caps}).drop_duplicates(COIN_ID)
    ranked = ranked.sort_values(MARKET_CAP, ascending=False, na_position="last", kind="stable")
    return ranked.head(top)


def sector_snippet(key: str, label: str, members: pd.DataFrame) -> str:
    """A ``[sectors.<key>]`` table with ``label`` and ``members``' ids in order, each with its
    symbol, name and market cap in a trailing comment."""
    width = max(len(_toml_string(coin)) for coin in members[COIN_ID]) + 1
    lines = [
        f"# CoinGecko category {_toml_string(key)}: its {len(members)} largest coins by market cap.",
        "# Paste into your sectors file (--sectors PATH); rename the table if the file has one so named.",
        f"[sectors.{key if _BARE_KEY.match(key) else _toml_string(key)}]",
        f"label = {_toml_string(label)}",
        "coins = [",
    ]
    for row in members.itertuples(index=False):
        coin = f"{_toml_string(getattr(row, COIN_ID))},"
        symbol, name = _shown(getattr(row, SYMBOL)).upper(), _shown(getattr(row, NAME))
        about = f"{symbol} · {name} · market cap {usd_compact(getattr(row, MARKET_CAP))}"
        lines.append(f"  {coin:<{width}}  # {about}")
    return "\n".join([*lines, "]"]) + "\n"


def unknown_category(category: str, known: pd.DataFrame) -> str:
    """One line: the category is unknown, and the ids closest to it by id or by name."""
    ids = _plain_column(known[CATEGORY])
    names = dict(zip(ids.str.lower(), ids, strict=True))
    names.update(zip(_plain_column(known[NAME]).str.lower(), ids, strict=True))
    close = difflib.get_close_matches(category.lower(), names, n=CLOSE_MATCHES * 2, cutoff=0.6)
    ids = list(dict.fromkeys(names[c] for c in close))[:CLOSE_MATCHES]
    hint = f"close matches: {', '.join(ids)}" if ids else "no close match"
    return (
        f"CoinGecko has no category {category!r}; {hint} "
        "(all ids: aisector sectors categories --match TEXT)"
    )


def category_lines(gecko: CoinGecko, match: str | None = None) -> list[str]:
    """CoinGecko's categories whose id or name holds ``match`` (any case), largest first: id,
    name and market cap, one line each."""
    known = gecko.categories()
    names, ids = _plain_column(known[NAME]), _plain_column(known[CATEGORY])
    if match:
        text = match.lower()
        keep = ids.str.lower().str.contains(text, regex=False) | names.str.lower().str.contains(
            text, regex=False
        )
        known, names, ids = known[keep], names[keep], ids[keep]
    order = known[MARKET_CAP].sort_values(ascending=False, na_position="last", kind="stable").index
    width = max((len(i) for i in ids), default=0)
    return [
        f"{ids[i]:<{width}}  {names[i]} ({usd_compact(known.at[i, MARKET_CAP])})" for i in order
    ]


def plain(text: str) -> str:
    """Upstream text on one line: control characters (newlines, terminal escapes) become spaces,
    runs of spaces one."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def _plain_column(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").map(plain)


def _shown(value: object) -> str:
    """Upstream text as a comment shows it; missing is a dash."""
    return MISSING if pd.isna(value) else plain(str(value)) or MISSING


def _toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, apart from ``\\/``, which JSON never writes."""
    return json.dumps(text, ensure_ascii=False)
