"""Sources built from other sources, for what the sectors file says about single coins.

- ``AliasedSource``: a coin that changed id upstream (AI16Z -> ``elizaos``) is fetched under all
  its ids and served under its sectors-file id, from the switch to the id current at its newest
  row on. Older rows belong to another token (other supply, other price scale) and are left out
  rather than spliced on; ``SectorBook.id_breaks()`` tells charts where to mark the switch.
  ``AliasedLiveSource`` is the same around a ``CollectableSource`` and is one itself.
- ``DexFallback``: CoinGecko first; coins it has nothing for and that carry a ``dex`` token come
  from GeckoTerminal, filed under the same snapshot time so the pandas layer aligns them. It is a
  ``CollectableSource``: its requests and its "not found" coins are those of both sources.
- ``for_sectors``: wraps any source as the sectors file requires; a collector takes only the DEX
  fallback (``with_dex_fallback``) and stores rows under upstream's ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from aisector.core.schema import COIN_ID, TIMESTAMP, validate_market_frame
from aisector.core.sectors import Alias, SectorBook
from connectors.base import CollectableSource, MarketSource, WrappedSource
from connectors.payload import history_range, missing_from

if TYPE_CHECKING:  # the live clients load only when a live source is used
    from connectors.coingecko import CoinGecko
    from connectors.geckoterminal import GeckoTerminal


class AliasedSource(WrappedSource):
    """Another source that knows some coins under later ids; rows come back under our ids."""

    def __init__(self, inner: MarketSource, aliases: Mapping[str, tuple[Alias, ...]]) -> None:
        super().__init__(inner)
        self.aliases = dict(aliases)

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """The inner source's rows for ``coins`` and their later ids, under the coins' own ids."""
        return self._aliased(self.inner.market_history)(coins, start, end)

    def _aliased(self, fetch: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
        """``fetch`` asked for every id of the coins, answering under the coins' own ids."""

        def fetch_aliased(coins: Sequence[str], *args: Any) -> pd.DataFrame:
            frame = fetch(self._every_id(coins), *args)
            return validate_market_frame(under_own_ids(frame, self.aliases))

        return fetch_aliased

    def _every_id(self, coins: Sequence[str]) -> list[str]:
        """``coins`` and their later ids."""
        later = [alias.id for coin in coins for alias in self.aliases.get(coin, ())]
        return list(dict.fromkeys([*coins, *later]))


class AliasedLiveSource(AliasedSource, CollectableSource):
    """An ``AliasedSource`` around a ``CollectableSource``: quotes and "not found" coins come
    back under our ids too; limits and request counts are the inner source's."""

    inner: CollectableSource

    def __init__(self, inner: CollectableSource, aliases: Mapping[str, tuple[Alias, ...]]) -> None:
        super().__init__(inner, aliases)
        self.history_chunk = inner.history_chunk
        self.history_step = inner.history_step
        self._own = {alias.id: coin for coin, later in aliases.items() for alias in later}

    @property
    def requests_made(self) -> int:
        return self.inner.requests_made

    def leave_calls(self, calls: float) -> None:
        self.inner.leave_calls(calls)

    @property
    def history_not_found(self) -> Set[str]:
        """The inner source's "not found" coins, under our ids."""
        return frozenset(self._own.get(coin, coin) for coin in self.inner.history_not_found)

    def snapshot(self, coins: Sequence[str]) -> pd.DataFrame | None:
        """The inner source's current quotes for ``coins`` and their later ids, under our ids
        (None when it has no quotes)."""
        quotes = self.inner.snapshot(self._every_id(coins))
        if quotes is None:
            return None
        return validate_market_frame(under_own_ids(quotes, self.aliases))


def aliased(source: MarketSource, aliases: Mapping[str, tuple[Alias, ...]]) -> MarketSource:
    """``source`` serving the coins that changed id under their sectors-file ids; a collectable
    source stays collectable."""
    if isinstance(source, CollectableSource):
        return AliasedLiveSource(source, aliases)
    return AliasedSource(source, aliases)


def under_own_ids(frame: pd.DataFrame, aliases: Mapping[str, tuple[Alias, ...]]) -> pd.DataFrame:
    """Rows of aliased coins renamed to the coin's own id, keeping only the rows of the id current
    at the coin's newest row, from that id's switch date on (no splicing across a switch)."""
    ids = frame[COIN_ID].astype(object).to_numpy(copy=True)
    keep = np.ones(len(frame), dtype=bool)
    stamps = pd.DatetimeIndex(frame[TIMESTAMP])
    for coin, later in aliases.items():  # a loop over configured switches, not over rows
        names = np.array([coin, *(a.id for a in later)], dtype=object)
        starts = pd.DatetimeIndex([a.since for a in later])
        mine = np.isin(ids, names)
        era = starts.searchsorted(stamps, side="right")  # 0: the first id, k: the k-th alias
        own = mine & (ids == names[era])  # the row's id was the coin's id at that time
        if own.any():
            current = int(era[own].max())
            since = starts[current - 1] if current else stamps.min()
            keep &= ~mine | (own & (stamps >= since))
        else:
            keep &= ~mine
        ids[mine] = coin
    return frame.assign(**{COIN_ID: ids})[keep]


class DexFallback(CollectableSource):
    """CoinGecko, with GeckoTerminal for coins CoinGecko has no rows for and a DEX token."""

    live = True

    def __init__(self, primary: CoinGecko, dex: GeckoTerminal) -> None:
        self.primary = primary
        self.dex = dex
        self.name = primary.name
        self.label = "CoinGecko + GeckoTerminal (live)"
        self.history_chunk = primary.history_chunk
        self.history_step = primary.history_step

    @property
    def requests_made(self) -> int:
        """Upstream requests of both sources so far."""
        return self.primary.requests_made + self.dex.requests_made

    def leave_calls(self, calls: float) -> None:
        """Viewers ask CoinGecko; GeckoTerminal's budget is the collector's alone."""
        self.primary.leave_calls(calls)

    @property
    def history_not_found(self) -> Set[str]:
        """Coins whose history was not found: by GeckoTerminal for the coins it serves (a DEX
        token CoinGecko does not list is not lost), by CoinGecko for the others."""
        on_dex = set(self.dex.tokens)
        return frozenset(self.primary.history_not_found - on_dex) | self.dex.history_not_found

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """CoinGecko's rows, plus GeckoTerminal's for the coins it lacks (same snapshot time)."""
        span = history_range(start, end, self.primary.http.clock())
        if span is None:
            return self.latest(coins)
        found = self.primary.history(coins, *span)
        return self._filled(found, coins, lambda lacking, _as_of: self.dex.history(lacking, *span))

    def snapshot(self, coins: Sequence[str], as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """Current quotes from CoinGecko, then from GeckoTerminal for the coins it lacks."""
        return self._filled(self.primary.snapshot(coins, as_of), coins, self.dex.snapshot)

    def latest(self, coins: Sequence[str], as_of: pd.Timestamp | None = None) -> pd.DataFrame:
        """The latest view from CoinGecko, then from GeckoTerminal for the coins it lacks."""
        return self._filled(self.primary.latest(coins, as_of), coins, self.dex.latest)

    def _filled(
        self,
        found: pd.DataFrame,
        coins: Sequence[str],
        fetch: Callable[[list[str], pd.Timestamp | None], pd.DataFrame],
    ) -> pd.DataFrame:
        """``found`` plus ``fetch(lacking, as_of)`` for the DEX coins it lacks, at its time."""
        lacking = [c for c in missing_from(coins, found[COIN_ID]) if c in self.dex.tokens]
        if not lacking:
            return found
        extra = fetch(lacking, None if found.empty else found[TIMESTAMP].max())
        if extra.empty:
            return found
        return validate_market_frame(pd.concat([found, extra], ignore_index=True))


def for_sectors(
    source: MarketSource,
    book: SectorBook,
    environ: Mapping[str, str] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> MarketSource:
    """``source`` wrapped for the sectors file: DEX fallback for CoinGecko, then coin aliases."""
    source = with_dex_fallback(source, book, environ, secrets)
    aliases = book.aliases()
    return aliased(source, aliases) if aliases else source


def with_dex_fallback(
    source: MarketSource,
    book: SectorBook,
    environ: Mapping[str, str] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> MarketSource:
    """CoinGecko with GeckoTerminal behind it when the sectors file names DEX tokens; any other
    source as it is. What a collector stores from: rows under upstream's ids, not renamed."""
    dex_tokens = book.dex_tokens()
    if source.name != "coingecko" or not dex_tokens:
        return source
    from connectors.geckoterminal import GeckoTerminal

    dex = GeckoTerminal.from_settings(
        dex_tokens, environ, secrets, clock=source.http.clock, sleep=source.http.sleep
    )
    return DexFallback(source, dex)
