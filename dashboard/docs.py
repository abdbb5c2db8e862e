"""Help text shipped with the dashboard as Markdown files beside this module."""

from __future__ import annotations

from pathlib import Path

from aisector.core.sectors import SectorBook
from aisector.present.labels import markdown_text

HERE = Path(__file__).parent


def methodology_text() -> str:
    """The Methodology page's Markdown (formulas as DESIGN.md states them)."""
    return (HERE / "methodology.md").read_text(encoding="utf-8")


def sectors_markdown(book: SectorBook) -> str:
    """The sectors file as a list: each sector's label, size and coin ids."""
    lines = [
        f"- **{markdown_text(s.label)}** ({len(s.coins)}): {markdown_text(', '.join(s.coins))}"
        for s in book.sectors
    ]
    lines.append(f"- **Benchmark**: {markdown_text(', '.join(book.benchmark))}")
    return "\n".join(lines)
