"""``auto``: the first of several sources that serves, with a note for each one that could not.

Market data and protocol activity fall back the same way (live, then the history store, then,
where it fits, the built-in simulation); the notes travel with the data to badges and exports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from aisector.core.errors import SourceError

Served = TypeVar("Served")


def first_that_serves(
    candidates: Sequence[str], load: Callable[[str, tuple[str, ...]], Served], what: str
) -> Served:
    """What ``load(candidate, notes)`` returns for the first candidate that does not raise
    ``SourceError``; ``notes`` are one line per candidate tried before it. ``SourceError``
    naming every reason when none serves ``what`` (e.g. "data")."""
    notes: list[str] = []
    for candidate in candidates:
        try:
            return load(candidate, tuple(notes))
        except SourceError as error:
            notes.append(f"{candidate} unavailable: {error}")
    raise SourceError(f"no source could serve {what}: " + "; ".join(notes))
