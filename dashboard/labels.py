"""The words the dashboard uses for the pandas layer's names (methods, columns)."""

from __future__ import annotations

from analytics.index import CAP_WEIGHTED, CAPPED_CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED

METHOD_LABELS = {
    CAP_WEIGHTED: "Cap-weighted",
    CAPPED_CAP_WEIGHTED: "Capped cap-weighted",
    EQUAL_WEIGHTED: "Equal-weighted",
    VOLUME_WEIGHTED: "Volume-weighted",
}


def method_label(method: str) -> str:
    """The name of an index method as traders say it."""
    return METHOD_LABELS.get(method, method)


def sector_names(keys: str, labels: dict[str, str]) -> str:
    """A tokens-table ``sectors`` cell ('ai-agents;meme') as labels ('AI agents, Meme')."""
    return ", ".join(labels.get(key, key) for key in keys.split(";") if key)
