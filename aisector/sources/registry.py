"""Every source by name, in one dict; ``--source`` specs resolve here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aisector.core.errors import ConfigError
from connectors.base import MarketSource
from connectors.csv_file import CsvFile
from connectors.offline import OfflineMarket

Secrets = Mapping[str, Any] | None


def _coingecko(_argument: str, secrets: Secrets, _store: str | None) -> MarketSource:
    """Keys and URL from the environment, else from ``secrets`` (Streamlit's)."""
    from connectors.coingecko import CoinGecko  # imported on use: pycoingecko is slow to load

    return CoinGecko.from_settings(secrets=secrets)


def _store(_argument: str, _secrets: Secrets, store: str | None) -> MarketSource:
    """The store at ``store`` (default: ``AISECTOR_STORE``, else the user's store)."""
    from aisector.store.source import (
        StoreSource,  # imported on use: SQLAlchemy costs ~0.5 s at start-up
    )

    return StoreSource(store)


# name -> factory taking the text after "name:" in the spec ("" when there is none), secrets and
# the history store's URL (None: the one in force)
SOURCES: dict[str, Callable[[str, Secrets, str | None], MarketSource]] = {
    "offline": lambda _argument, _secrets, _store: OfflineMarket(),
    "csv": lambda path, _secrets, _store: CsvFile(path),
    "coingecko": _coingecko,
    "store": _store,
}
NEEDS_ARGUMENT = {"csv": "csv:PATH"}


def open_source(spec: str, secrets: Secrets = None, store: str | None = None) -> MarketSource:
    """The source a ``--source`` spec names, e.g. ``offline`` or ``csv:prices.csv``; ``store`` is
    the history store ``--source store`` reads (None: the one in force)."""
    name, _, argument = spec.partition(":")
    factory = SOURCES.get(name.strip().lower())
    if factory is None:
        known = ", ".join(sorted({*SOURCES, "auto"}))
        raise ConfigError(f"unknown source {spec!r}; known sources: {known}")
    if name in NEEDS_ARGUMENT and not argument:
        raise ConfigError(f"source {name!r} needs a path: --source {NEEDS_ARGUMENT[name]}")
    return factory(argument, secrets, store)
