"""The wheel as a user gets it: ``pip install .``, then ``aisector dashboard`` from any folder.

The wheel is built from a copy of this checkout and installed into a fresh venv, which borrows
the test venv's third-party packages through a ``.pth`` line (their own ``.pth`` files, among them
the editable install's import hook, are not run), so ``aisector``, ``connectors`` and ``dashboard``
come from the wheel alone. The installed dashboard is then started from a folder of decoy
``analytics.py``, ``dashboard.py``, ``aisector.py`` and ``connectors.py`` that raise on import, and
Chromium checks that the charts draw in the project's theme, that an unexpected error shows no
traceback, and that no usage statistics leave the browser.
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import signal
import site
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.headless import CHART, ROOT, free_port, wait_until_healthy

PACKAGES = ("aisector", "connectors", "dashboard")
BUILD_LEFTOVERS = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", "artifacts", "out", ".*_cache"
)
DECOYS = ("analytics", "dashboard", "aisector", "connectors")
PIP_TIMEOUT_S = 300  # the build fetches setuptools into its isolated environment on a new machine
RENDER_TIMEOUT_MS = 60_000
STATS_HOST = "data.streamlit.io"  # the page asks it for its metrics set-up when stats are on


def run(command: list[str | Path], **options) -> str:
    """Run a set-up command; a failure shows its output."""
    done = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
        check=False,
        **options,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel ``pip`` builds from a copy of the checkout (the build writes into its source)."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=BUILD_LEFTOVERS)
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", folder, source])
    (built,) = folder.glob("aisector-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; its dependencies are the test venv's, appended after it."""
    home = tmp_path_factory.mktemp("venv") / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", home])
    python = home / "bin" / "python"
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", wheel])
    (own_site,) = home.glob("lib/python*/site-packages")
    (own_site / "borrowed-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return home


def test_the_wheel_installs_three_import_names_with_every_data_file(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (top_level,) = (name for name in names if name.endswith(".dist-info/top_level.txt"))
        assert archive.read(top_level).decode().split() == sorted(PACKAGES)
    installed = {name for name in names if ".dist-info/" not in name}
    assert {name.split("/")[0] for name in installed} == set(PACKAGES)  # no benchmarks/, tests/
    checkout = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert installed == checkout  # every module and data file: settings, defaults, templates
    assert "dashboard/streamlit_config.toml" in installed


def test_the_checkouts_streamlit_folder_links_to_the_shipped_settings() -> None:
    """One source of truth: ``streamlit run dashboard/app.py`` in a checkout reads the same file."""
    linked = ROOT / ".streamlit" / "config.toml"
    assert linked.is_symlink()
    assert linked.resolve() == (ROOT / "dashboard" / "streamlit_config.toml").resolve()


def test_the_dashboards_own_modules_shadow_no_library() -> None:
    """Streamlit puts the app script's folder, ``dashboard/``, first on the server's ``sys.path``:
    a ``dashboard/types.py`` would replace the standard library's ``types`` for everything."""
    ours = {module.name for module in pkgutil.iter_modules([str(ROOT / "dashboard")])}
    assert ours, "no modules found in dashboard/"
    elsewhere = {
        module.name
        for module in pkgutil.iter_modules()
        if Path(getattr(module.module_finder, "path", "")).resolve() != ROOT / "dashboard"
    }
    clashes = ours & (set(sys.stdlib_module_names) | set(sys.builtin_module_names) | elsewhere)
    assert not clashes, f"dashboard/ modules named like a library: {sorted(clashes)}"


@dataclass(frozen=True)
class Served:
    url: str
    flags: dict[str, str]  # the --name=value options the installed CLI started Streamlit with
    events: Path  # the events file the dashboard was started with
    log: Path
    venv: Path


@pytest.fixture(scope="module")
def decoys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working folder whose ``analytics.py``, ``dashboard.py``, ... raise when imported."""
    folder = tmp_path_factory.mktemp("decoys")
    for name in DECOYS:
        (folder / f"{name}.py").write_text(
            f"raise ImportError('the decoy {name}.py in the working folder was imported')\n"
        )
    return folder


@pytest.fixture(scope="module")
def served(venv: Path, decoys: Path) -> Iterator[Served]:
    """``aisector dashboard`` of the fresh venv, started from the folder of decoys."""
    events = decoys / "events.toml"
    shutil.copy(ROOT / "aisector" / "defaults" / "events.toml", events)
    home = decoys / "home"  # no ~/.streamlit of the machine's user can set anything
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.pop("DISPLAY", None)
    env.update(HOME=str(home), VIRTUAL_ENV=str(venv))
    port = free_port()
    command = [venv / "bin" / "aisector", "dashboard", "--source", "offline", "--no-collect"]
    command += ["--port", str(port), "--events", events.name]
    log = decoys / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            command, cwd=decoys, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    try:
        url = f"http://localhost:{port}"
        wait_until_healthy(url, server, log)
        # The CLI became the server (exec): its command line holds the flags it passed.
        arguments = Path(f"/proc/{server.pid}/cmdline").read_bytes().decode().split("\0")
        flags = dict(a[2:].split("=", 1) for a in arguments if a.startswith("--") and "=" in a)
        yield Served(url, flags, events, log, venv)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_the_packages_import_from_the_wheel_not_the_checkout(venv: Path, decoys: Path) -> None:
    names = ", ".join(PACKAGES)
    code = f"import {names}; print(*(m.__file__ for m in ({names})), sep='\\n')"
    files = run([venv / "bin" / "python", "-P", "-c", code], cwd=decoys).split()
    assert len(files) == len(PACKAGES)
    assert all(Path(file).is_relative_to(venv) for file in files), files


def rgb(hex_colour: str) -> str:
    """``#0b1220`` as the browser's computed style writes it."""
    return "rgb({}, {}, {})".format(*(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)))


@pytest.mark.browser
def test_the_installed_dashboard_draws_themed_charts_and_hides_error_details(
    served: Served, browser
) -> None:
    """From a folder of decoys: charts in the dark theme, then an error without a traceback.

    The error is a real one: the events file passes the CLI's check at start and is broken
    afterwards, so the Rotation page, which reads it, fails with an exception it does not expect.
    """
    context = browser.new_context(color_scheme="dark", viewport={"width": 1440, "height": 900})
    tab = context.new_page()
    outside: list[str] = []
    tab.on("request", lambda r: None if r.url.startswith(served.url) else outside.append(r.url))
    tab.set_default_timeout(RENDER_TIMEOUT_MS)
    try:
        tab.goto(f"{served.url}/breakdown")  # a page without events
        tab.wait_for_selector(CHART)
        colours = tab.evaluate(
            "() => ({app: getComputedStyle(document.querySelector('.stApp')).backgroundColor,"
            " sidebar: getComputedStyle(document.querySelector('[data-testid=stSidebar]'))"
            ".backgroundColor})"
        )
        assert colours == {
            "app": rgb(served.flags["theme.dark.backgroundColor"]),
            "sidebar": rgb(served.flags["theme.dark.secondaryBackgroundColor"]),
        }

        served.events.write_text("[[events]\ndate = 2025-01-17\n", encoding="utf-8")
        tab.goto(served.url)  # the Rotation page reads the events file
        error = tab.locator('[data-testid="stException"]')
        error.wait_for()
        message = error.inner_text()
        shown = tab.locator("body").inner_text() + tab.content()
    finally:
        context.close()
    assert "error" in message.lower()
    for detail in ("Traceback", 'File "', ".py", str(served.venv), str(served.events), "TOML"):
        assert detail not in shown, f"the page shows {detail!r}"
    server_log = served.log.read_text()
    assert "Traceback" in server_log and "not valid TOML" in server_log  # details go to the log
    assert not [url for url in outside if STATS_HOST in url]
    assert served.flags["browser.gatherUsageStats"] == "false"
