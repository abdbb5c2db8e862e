"""``--source store``: the history store read back as a market source (and ``auto``'s fallback).

It serves one collected source, the one with the newest data, so simulated and live rows never
mix in one frame. A missing or empty store is a ``SourceError``, so ``auto`` moves on at once; a
store that exists but cannot be read is a ``StoreError``, which stops with its one-line reason.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from aisector.core.errors import SourceError
from aisector.store.history import HistoryStore, open_existing
from aisector.store.location import describe

FILL_HINT = "fill it with `aisector collect`"


class StoreSource:
    """Market history from the store at ``url`` (default: ``--store`` / ``AISECTOR_STORE``)."""

    name = "store"

    def __init__(self, url: str | None = None) -> None:
        self._url = url
        self.label = "history store"
        self.live = False

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        """Validated rows of the store's freshest source for ``coins`` within [start, end]."""
        store = open_existing(self._url)
        if store is None:
            raise SourceError(f"no history store at {describe(self._url)} yet; {FILL_HINT}")
        with store:
            return self._read(store, coins, start, end)

    def _read(
        self,
        store: HistoryStore,
        coins: Sequence[str],
        start: pd.Timestamp | None,
        end: pd.Timestamp | None,
    ) -> pd.DataFrame:
        origins = store.origins()
        if not origins:
            raise SourceError(f"the history store {store.url} holds no rows yet; {FILL_HINT}")
        served = origins[0]
        self.label, self.live = f"history store ({served.label})", served.live
        frame = store.read(coins, start, end, served.name)
        if frame.empty:
            raise SourceError(
                f"the history store {store.url} has no {served.name} rows for these coins and dates"
            )
        return frame
