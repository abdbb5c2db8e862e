"""The options ``aisector dashboard`` passes after ``--``: source, sectors file and events file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from aisector.errors import ConfigError
from aisector.market_data import AUTO


@dataclass(frozen=True)
class Launch:
    """How the dashboard was started."""

    source: str = AUTO
    sectors: str | None = None
    events: str | None = None


def launch_options(argv: Sequence[str] | None = None) -> Launch:
    """Read ``--source``, ``--sectors`` and ``--events`` from the script arguments; others are
    ignored."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False, exit_on_error=False)
    parser.add_argument("--source", default=AUTO)
    parser.add_argument("--sectors")
    parser.add_argument("--events")
    try:
        known, _ = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    except argparse.ArgumentError as error:
        raise ConfigError(f"dashboard options: {error}") from None
    return Launch(known.source, known.sectors, known.events)
