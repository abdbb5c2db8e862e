"""How the browser tests and benchmarks start Debian's Chromium headless on this kind of machine."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import pytest

from aisector.apps.cli import streamlit_config, streamlit_flags

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60

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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen, log: Path | None = None) -> None:
    """Poll Streamlit's health endpoint until it answers; a server that exits or stays silent
    raises, with its log when there is one (tests and benchmarks alike)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server for {url} exited with {server.returncode}{_log_text(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(
        f"server for {url} did not answer within {START_TIMEOUT_S} s{_log_text(log)}"
    )


def _log_text(log: Path | None) -> str:
    return f":\n{log.read_text()}" if log else ""


@contextmanager
def running_dashboard(log_dir: Path) -> Iterator[str]:
    """A running dashboard server on the offline market, as ``aisector dashboard`` starts it."""
    port = free_port()
    log = log_dir / "streamlit.log"
    command = [
        sys.executable,
        "-m",
        "dashboard.serve",
        "run",
        "dashboard/app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        *streamlit_flags(streamlit_config()),
        "--",
        "--source",
        "offline",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
    try:
        url = f"http://localhost:{port}"
        wait_until_healthy(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium through Playwright; skip/fail (see ``missing``) without either."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed; pip install -e '.[dev]'")
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def save_full_page(tab: Page, path: Path, settle_ms: int = 1000) -> None:
    """Screenshot the whole app at the tab's width: Streamlit scrolls inside its main block, so
    grow the viewport to the content's height first."""
    width = tab.viewport_size["width"]
    height = tab.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain] *')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)"
    )
    tab.set_viewport_size({"width": width, "height": min(int(height) + 40, 8000)})
    tab.wait_for_timeout(settle_ms)  # plotly re-lays out on resize
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(path), full_page=True)
