"""The options ``aisector dashboard`` passes after ``--``: source, sectors and events files, and
``--no-collect``. The store URL is not among them: it may hold a password, which a command line
shows to every user of the host (``ps``); it comes from ``AISECTOR_STORE`` (which ``--store``
sets) and is resolved once here, then passed down explicitly."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from aisector.core.errors import ConfigError
from aisector.sources.market_data import AUTO
from aisector.store.location import store_url


@dataclass(frozen=True)
class Launch:
    """How the dashboard was started."""

    source: str = AUTO
    sectors: str | None = None
    events: str | None = None
    collect: bool = True  # on live data, keep the store filled (``--no-collect``: only read)
    store: str | None = None  # the history store's URL


def launch_options(argv: Sequence[str] | None = None) -> Launch:
    """Read ``--source``, ``--sectors``, ``--events`` and ``--no-collect`` from the script
    arguments (others are ignored), and the store URL from the environment."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--source", default=AUTO)
    parser.add_argument("--sectors")
    parser.add_argument("--events")
    parser.add_argument("--no-collect", action="store_true")
    try:
        known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    except argparse.ArgumentError as error:
        raise ConfigError(f"dashboard options: {error}") from None
    return Launch(known.source, known.sectors, known.events, not known.no_collect, store_url())
