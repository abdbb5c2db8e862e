"""How the browser tests and benchmarks start Debian's Chromium headless on this kind of machine."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

# Without the background-networking flags Chromium keeps dialling hosts a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CHART = ".js-plotly-plot .main-svg"  # a plotly chart that has drawn


def missing(reason: str) -> NoReturn:
    """Fail under CI (the browser tests must run there), skip elsewhere; either way say why."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def chromium_path() -> str:
    """Debian's chromium (or ``$CHROMIUM``), or skip/fail with how to install it."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        missing(
            f"Chromium not found at {path}; install it (apt-get install chromium) or set CHROMIUM"
        )
    return path
