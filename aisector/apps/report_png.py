"""PNG copies of the report's charts, drawn by kaleido in a headless Chrome found on the machine.

Kaleido 1.x ships no browser: it drives one through choreographer. ``BROWSER_PATH`` names it (the
variable kaleido itself reads); unset, the first of ``BROWSERS`` on the ``PATH`` is used (Debian's
``chromium`` first). A missing or failing browser never stops a report: the caller gets the
reason, writes everything else and records ``skipped (reason)``.
"""

from __future__ import annotations

import asyncio
import html
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go

from aisector.present import theme

BROWSER_ENV = "BROWSER_PATH"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PNG_WIDTH = 1200
PNG_SCALE = 2
RENDER_TIMEOUT_S = 30  # per chart, inside kaleido
TOTAL_TIMEOUT_S = 90  # browser start-up and every chart; a cron job must not hang on a browser
PNG_MARGIN = {"l": 24, "r": 36, "t": 95, "b": 20}  # the screen version sits in a padded page
SUBTITLE_FONT = {"size": 12, "color": theme.MUTED}


class PngSkipped(Exception):
    """No PNGs this time; the message says why in a few words, for the warning and provenance."""


def browser_path() -> str | None:
    """The browser kaleido should drive: ``BROWSER_PATH``, else the first of ``BROWSERS`` found."""
    found = (shutil.which(name) for name in BROWSERS)
    return os.environ.get(BROWSER_ENV) or next((p for p in found if p), None)


def write_pngs(figures: Mapping[str, go.Figure], folder: Path, caption: str) -> None:
    """Write ``folder/<name>.png`` for every figure, or raise ``PngSkipped`` with the reason.

    ``caption`` (source and as-of time) is printed on each image: a PNG travels alone.
    """
    path = browser_path()
    if path is None:
        raise PngSkipped(f"no Chrome or Chromium found; install chromium or set {BROWSER_ENV}")
    if not Path(path).is_file():
        raise PngSkipped(f"no browser at {path}; set {BROWSER_ENV} to Chrome or Chromium")
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [_job(figure, folder / f"{name}.png", caption) for name, figure in figures.items()]
    try:
        asyncio.run(asyncio.wait_for(_render(jobs, path), TOTAL_TIMEOUT_S))
    except TimeoutError:
        limits = f"{RENDER_TIMEOUT_S} s a chart, {TOTAL_TIMEOUT_S} s in all"
        raise PngSkipped(f"chart rendering timed out ({limits})") from None
    except Exception as error:  # kaleido and choreographer raise many kinds; all mean "no PNGs"
        raise PngSkipped(f"kaleido failed: {_first_line(error)}") from None


async def _render(jobs: list[dict], path: str) -> None:
    """One browser for all charts; the first failed chart fails the lot."""
    import kaleido  # imported here: it pulls in choreographer, which only the PNG step needs

    # MathJax would come from a CDN; the charts have no formulas.
    async with kaleido.Kaleido(path=path, timeout=RENDER_TIMEOUT_S, mathjax=False) as browser:
        await browser.write_fig_from_object(jobs, cancel_on_error=True)


def _job(figure: go.Figure, path: Path, caption: str) -> dict:
    """A kaleido job: the chart on white with a margin and its caption, at print size."""
    subtitle = {"text": html.escape(caption), "font": SUBTITLE_FONT}  # plotly reads a bit of HTML
    image = go.Figure(figure).update_layout(
        paper_bgcolor=theme.LIGHT.background_color,
        plot_bgcolor=theme.LIGHT.background_color,
        margin=PNG_MARGIN,
        title_subtitle=subtitle,
        title_pad={"l": PNG_MARGIN["l"]},
    )
    height = image.layout.height or 450
    opts = {"format": "png", "width": PNG_WIDTH, "height": height, "scale": PNG_SCALE}
    return {"fig": image, "path": path, "opts": opts}


def _first_line(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
