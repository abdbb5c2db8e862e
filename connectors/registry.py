"""Every source by name, in one dict; ``--source`` specs resolve here and nowhere else."""

from __future__ import annotations

from collections.abc import Callable

from aisector.errors import ConfigError
from connectors.base import MarketSource
from connectors.coingecko import CoinGecko
from connectors.csv_file import CsvFile
from connectors.offline import OfflineMarket
from store.source import StoreSource

# name -> factory taking the text after "name:" in the spec ("" when there is none)
SOURCES: dict[str, Callable[[str], MarketSource]] = {
    "offline": lambda _argument: OfflineMarket(),
    "csv": CsvFile,
    "coingecko": lambda _argument: CoinGecko.from_settings(),  # keys and URL from the environment
    "store": lambda _argument: StoreSource(),  # the store of --store / AISECTOR_STORE
}
NEEDS_ARGUMENT = {"csv": "csv:PATH"}


def open_source(spec: str) -> MarketSource:
    """The source a ``--source`` spec names, e.g. ``offline`` or ``csv:prices.csv``."""
    name, _, argument = spec.partition(":")
    factory = SOURCES.get(name.strip().lower())
    if factory is None:
        known = ", ".join(sorted({*SOURCES, "auto"}))
        raise ConfigError(f"unknown source {spec!r}; known sources: {known}")
    if name in NEEDS_ARGUMENT and not argument:
        raise ConfigError(f"source {name!r} needs a path: --source {NEEDS_ARGUMENT[name]}")
    return factory(argument)
