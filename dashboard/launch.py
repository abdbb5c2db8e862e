"""The options ``aisector dashboard`` passes after ``--``: source, sectors and events files,
``--no-collect`` and ``--store``. The store URL is resolved once here (``--store``, else
``AISECTOR_STORE``, else the user's store), then passed down explicitly. A store URL that holds a
password comes in the environment instead: a command line is shown to every user of the host."""

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
    """Read ``--source``, ``--sectors``, ``--events``, ``--no-collect`` and ``--store`` from the
    script arguments (others are ignored)."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--source", default=AUTO)
    parser.add_argument("--sectors")
    parser.add_argument("--events")
    parser.add_argument("--no-collect", action="store_true")
    parser.add_argument("--store")
    try:
        known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    except argparse.ArgumentError as error:
        raise ConfigError(f"dashboard options: {error}") from None
    return Launch(
        known.source, known.sectors, known.events, not known.no_collect, store_url(known.store)
    )
