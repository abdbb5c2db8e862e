"""The API key never leaks, and the dashboard server keeps its cross-site protections on.

Distinctive fake keys go through a full run against a CoinGecko-shaped server on 127.0.0.1
(``tests.fault_server``): ``collect``, ``export`` of every table, ``report`` (HTML, Markdown, CSV
tables, provenance; ``--no-png``, as the PNGs are pixels of the figures the HTML holds as data),
the ``auto`` source timing out, failures (401, 403, 500, 502, a hang past the timeout), and the
dashboard served by ``aisector dashboard`` and read in headless Chromium (page HTML after every
page has drawn, every websocket frame, the CSV it downloads). Every artefact is scanned for the
keys: files written (the store included), stdout and stderr, Python logging at DEBUG, exception
texts and tracebacks, the Streamlit server's log, and the requests the upstream saw, which must
carry a key only in the ``x-cg-*-api-key`` header.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
import tomllib
import traceback
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from aisector.apps.cli import main, streamlit_config, streamlit_flags
from aisector.core.errors import SourceError
from connectors.coingecko import CoinGecko
from connectors.http import RetryPolicy
from tests.cli_runs import CliRun, run_cli
from tests.fault_server import KEY_HEADERS, FaultServer, Request, error, hang
from tests.headless import CHART, free_port, wait_until_healthy
from tests.test_live_cli import ROWS

KEY = "CG-leak-canary-7f3a9"  # COINGECKO_DEMO_API_KEY in the environment
PRO_KEY = "CG-leak-canary-pro-4b2e"  # COINGECKO_PRO_API_KEY in the environment
SECRETS_KEY = "CG-leak-canary-toml-81c6"  # COINGECKO_PRO_API_KEY in .streamlit/secrets.toml
CANARY = "leak-canary"  # in every key: a fragment of one is a leak too
CONSOLE = "import sys; from aisector.apps.cli import main; sys.exit(main())"
PAGES = ("Rotation", "Relative rotation", "Sector breakdown", "Tokens", "Flows", "Methodology")
RENDER_TIMEOUT_MS = 60_000
FAST = "100000"  # COINGECKO_CALLS_PER_MINUTE: the call budget never makes a test wait


def assert_no_key(text: str | bytes, where: str) -> None:
    """No key, nor a piece of one, in ``text``."""
    found = CANARY.encode() in text if isinstance(text, bytes) else CANARY in text
    assert not found, f"an API key leaked into {where}"


def assert_key_only_in_its_header(requests: Sequence[Request], header: str) -> None:
    """Every request carried the expected key in ``header`` and nowhere else."""
    assert requests
    for request in requests:
        assert request.authorized, request.path
        assert [h for h in KEY_HEADERS if h in request.headers] == [header]
        assert_no_key(request.path, f"the URL {request.path}")
        assert_no_key(repr(request.query), f"the query of {request.path}")
        assert_no_key(repr(request.headers), f"another header of {request.path}")


class Records(logging.Handler):
    """Every log record of every logger, formatted as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def all_logging() -> Iterator[Records]:
    """The root logger at DEBUG with a recording handler, as a verbose deployment would run."""
    root, records = logging.getLogger(), Records()
    level = root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(records)
        root.setLevel(level)


def upstream_env(patch: pytest.MonkeyPatch, url: str, folder: Path) -> None:
    """Live sources at the local upstream, no key set, the data folder under ``folder``."""
    patch.setenv("COINGECKO_API_URL", url)
    patch.setenv("COINGECKO_CALLS_PER_MINUTE", FAST)
    patch.setenv("GECKOTERMINAL_API_URL", "http://127.0.0.1:9/api/v2/")
    patch.setenv("XDG_DATA_HOME", str(folder / "xdg"))
    for name in ("COINGECKO_DEMO_API_KEY", "COINGECKO_PRO_API_KEY", "AISECTOR_STORE"):
        patch.delenv(name, raising=False)


# --- a full command-line run with the key in the environment ----------------------------------


@dataclass
class FullRun:
    folder: Path
    runs: list[CliRun]
    log: list[str]
    requests: list[Request]

    def run(self, *argv: str) -> CliRun:
        return next(r for r in self.runs if r.argv[: len(argv)] == list(argv))


@pytest.fixture(scope="module")
def full_run(tmp_path_factory: pytest.TempPathFactory) -> FullRun:
    """collect, export every table (live, from the store, ``auto`` with a hanging upstream) and
    report, all with the Demo key set."""
    folder = tmp_path_factory.mktemp("full-run")
    store = f"sqlite:///{folder / 'store.sqlite'}"
    out = folder / "out"
    with (
        FaultServer(list(ROWS.values()), api_key=KEY) as server,
        pytest.MonkeyPatch.context() as patch,
        all_logging() as records,
    ):
        upstream_env(patch, server.url, folder)
        patch.setenv("COINGECKO_DEMO_API_KEY", KEY)
        runs = [run_cli(["collect", "--source", "coingecko", "--backfill", "2", "--store", store])]
        for table in ("tokens", "sectors", "index", "rotation"):
            runs.append(
                run_cli(["export", table, "--source", "coingecko", "--out", f"{out}/{table}.csv"])
            )
        runs.append(
            run_cli(
                ["export", "tokens", "--source", "store", "--store", store, "--out", f"{out}/s.csv"]
            )
        )
        server.script("ping", hang(3))  # longer than the 2 s probe: auto moves on to the store
        runs.append(
            run_cli(
                ["export", "sectors", "--source", "auto", "--store", store, "--out", f"{out}/a.csv"]
            )
        )
        report = ["report", "--out", str(folder / "report"), "--source", "coingecko", "--no-png"]
        runs.append(run_cli(report))  # PNGs are pixels of the same figures report.html holds
        requests = list(server.log)
    return FullRun(folder, runs, records.lines, requests)


def test_the_full_run_works_against_the_local_upstream(full_run: FullRun) -> None:
    for run in full_run.runs:
        assert run.code == 0, (run.argv, run.err)
    assert full_run.run("collect").out.startswith("collected ")
    tokens = (full_run.folder / "out" / "tokens.csv").read_text(encoding="utf-8")
    assert f"pippin,PIPPIN,ai-agents,{ROWS['pippin']['current_price']:g}," in tokens
    fallback = full_run.run("export", "sectors", "--source", "auto").err
    assert "coingecko unavailable: " in fallback and "did not answer in time" in fallback
    report = next((full_run.folder / "report").iterdir())
    written = {p.relative_to(report).as_posix() for p in report.rglob("*") if p.is_file()}
    assert {"report.html", "summary.md", "provenance.json", "tables/tokens_24h.csv"} <= written
    assert {r.path.rsplit("/", 1)[-1] for r in full_run.requests} >= {"markets", "list", "range"}


def test_no_file_output_or_log_line_of_the_full_run_holds_the_key(full_run: FullRun) -> None:
    files = [p for p in full_run.folder.rglob("*") if p.is_file()]
    assert any(p.name.startswith("store.sqlite") for p in files)  # the store is scanned too
    for path in files:
        assert_no_key(path.read_bytes(), str(path.relative_to(full_run.folder)))
    for run in full_run.runs:
        assert_no_key(run.out + run.err, f"the output of {' '.join(run.argv[:2])}")
    assert len(full_run.log) > 50  # urllib3 and the connectors logged at DEBUG
    for line in full_run.log:
        assert_no_key(line, "the log")


def test_the_key_travels_only_in_the_demo_header(full_run: FullRun) -> None:
    assert_key_only_in_its_header(full_run.requests, "x-cg-demo-api-key")


def test_a_pro_key_travels_only_in_the_pro_header(tmp_path, monkeypatch) -> None:
    with FaultServer(list(ROWS.values()), api_key=PRO_KEY) as server:
        upstream_env(monkeypatch, server.url, tmp_path)
        monkeypatch.setenv("COINGECKO_PRO_API_KEY", PRO_KEY)
        out = tmp_path / "tokens.csv"
        run = run_cli(["export", "tokens", "--source", "coingecko", "--out", str(out)])
    assert run.code == 0, run.err
    assert_key_only_in_its_header(server.log, "x-cg-pro-api-key")
    assert_no_key(run.out + run.err + out.read_text() + out.with_suffix(".json").read_text(), "out")


ECHO = f"Invalid API key {KEY} (pro: {PRO_KEY})"  # upstream quoting the key back


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (
            error(401, f'{{"status": {{"error_code": 10002, "error_message": "{ECHO}"}}}}'),
            "HTTP 401",
        ),
        (error(403, f'{{"error": "{ECHO}"}}'), "HTTP 403"),
        (error(500, ECHO, retry_after="0"), "HTTP 500"),
    ],
)
def test_a_failing_upstream_quoting_the_key_is_masked(
    reply, words, tmp_path, monkeypatch, capsys, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    with FaultServer(list(ROWS.values()), api_key=PRO_KEY) as server:  # Pro wins over Demo
        upstream_env(monkeypatch, server.url, tmp_path)
        monkeypatch.setenv("COINGECKO_DEMO_API_KEY", KEY)
        monkeypatch.setenv("COINGECKO_PRO_API_KEY", PRO_KEY)
        server.script("markets", *[reply] * 4)
        code = main(["export", "tokens", "--source", "coingecko", "--out", str(tmp_path / "t.csv")])
    streams = capsys.readouterr()
    assert code == 1
    assert len(streams.err.splitlines()) == 1 and words in streams.err
    assert "*** (pro: ***)" in streams.err  # masked where upstream quoted them
    for text, where in ((streams.out + streams.err, "the output"), (caplog.text, "the log")):
        assert_no_key(text, where)
    assert_key_only_in_its_header(server.log, "x-cg-pro-api-key")


@pytest.mark.parametrize("reply", [hang(2), error(401, ECHO), error(502, ECHO, retry_after="0")])
def test_exceptions_and_their_tracebacks_hold_no_key(reply, tmp_path, monkeypatch, caplog) -> None:
    """What a developer or an error tracker would see: message, repr, traceback and its chain."""
    caplog.set_level(logging.DEBUG)
    with FaultServer(list(ROWS.values()), api_key=KEY) as server:
        upstream_env(monkeypatch, server.url, tmp_path)
        environ = {"COINGECKO_API_URL": server.url, "COINGECKO_DEMO_API_KEY": KEY}
        gecko = CoinGecko.from_settings(environ, sleep=lambda _s: None, retry=RetryPolicy(2, 0.0))
        gecko.http.timeout = gecko.client.request_timeout = 0.3
        server.script("markets", reply, reply)
        with pytest.raises(SourceError) as caught:
            gecko.market_history(["bitcoin"])
    error_ = caught.value
    chain = [error_, error_.__context__, error_.__cause__]
    texts = [str(e) for e in chain] + [repr(e) for e in chain]
    texts += ["".join(traceback.format_exception(error_)), str(caught.getrepr(chain=True))]
    for text in texts:
        assert_no_key(text, "an exception")
    assert_no_key(caplog.text, "the log")
    assert type(error_).__name__ in ("SourceUnavailable", "Unauthorized")


# --- the dashboard, with a key in the environment and another in .streamlit/secrets.toml -------


@contextlib.contextmanager
def dashboard_server(
    options: Sequence[str], cwd: Path, env: dict[str, str], log: Path
) -> Iterator[str]:
    """``aisector dashboard OPTIONS`` through the console entry; yields its URL. It runs in a
    process group of its own: the command starts Streamlit as a child, which must stop too."""
    port = free_port()
    command = [sys.executable, "-c", CONSOLE, "dashboard", "--port", str(port), *options]
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://localhost:{port}"
        wait_until_healthy(url, server, log)
        yield url
    finally:
        _stop_group(server)


def _stop_group(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL what is left after 15 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        server.poll()
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait()


@dataclass
class Dashboard:
    url: str
    log: Path
    server: FaultServer
    error_page: str = ""
    pages: dict[str, str] = field(default_factory=dict)
    frames: list[str | bytes] = field(default_factory=list)
    download: str = ""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory, browser) -> Iterator[Dashboard]:
    """``aisector dashboard --source coingecko`` started from a folder whose
    ``.streamlit/secrets.toml`` holds the Pro key, with the Demo key in the environment; every
    page read in Chromium: first while upstream refuses the key (401), then healthy."""
    folder = tmp_path_factory.mktemp("dashboard")
    (folder / "work" / ".streamlit").mkdir(parents=True)
    secrets = folder / "work" / ".streamlit" / "secrets.toml"
    secrets.write_text(f'COINGECKO_PRO_API_KEY = "{SECRETS_KEY}"\n', encoding="utf-8")
    with FaultServer(list(ROWS.values()), api_key=SECRETS_KEY) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COINGECKO_", "AISECTOR_"))}
        env |= {
            "HOME": str(folder),
            "XDG_DATA_HOME": str(folder / "xdg"),
            "COINGECKO_API_URL": server.url,
            "COINGECKO_CALLS_PER_MINUTE": FAST,
            "COINGECKO_DEMO_API_KEY": KEY,
            "GECKOTERMINAL_API_URL": "http://127.0.0.1:9/api/v2/",
        }
        echo = f"Invalid API key {SECRETS_KEY} / {KEY}"
        server.script("markets", error(401, f'{{"status": {{"error_message": "{echo}"}}}}'))
        log = folder / "streamlit.log"
        with dashboard_server(["--source", "coingecko"], folder / "work", env, log) as url:
            seen = Dashboard(url, log, server)
            _read_every_page(browser, seen)
            yield seen


def _read_every_page(browser, seen: Dashboard) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    try:
        tab = context.new_page()
        tab.on(
            "websocket", lambda ws: ws.on("framereceived", lambda frame: seen.frames.append(frame))
        )
        tab.goto(seen.url)
        tab.get_by_text("Cannot load data").wait_for(timeout=RENDER_TIMEOUT_MS)
        seen.error_page = tab.content()
        tab.reload()  # upstream answers now; a failure is never cached
        tab.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
        for name in PAGES:
            if name != PAGES[0]:
                tab.get_by_role("link", name=name, exact=True).click()
            heading = name if name != PAGES[0] else "Sector rotation"
            tab.get_by_role("heading", name=heading, exact=True).wait_for(timeout=RENDER_TIMEOUT_MS)
            tab.get_by_text("CoinGecko (live)").first.wait_for(timeout=RENDER_TIMEOUT_MS)
            if name == "Tokens":
                tab.wait_for_selector(CHART, timeout=RENDER_TIMEOUT_MS)
                with tab.expect_download(timeout=RENDER_TIMEOUT_MS) as event:
                    tab.get_by_role("button", name="Tokens CSV").click()
                seen.download = Path(event.value.path()).read_text(encoding="utf-8")
            seen.pages[name] = tab.content()
    finally:
        context.close()


@pytest.mark.browser
def test_the_dashboard_uses_the_secrets_file_key_in_its_header_only(dashboard: Dashboard) -> None:
    assert dashboard.server.count("markets") >= 2  # the refused call, then the served one
    assert_key_only_in_its_header(dashboard.server.log, "x-cg-pro-api-key")


@pytest.mark.browser
def test_the_dashboard_error_shows_the_reason_without_the_key(dashboard: Dashboard) -> None:
    assert "HTTP 401" in dashboard.error_page
    assert "Invalid API key *** / ***" in dashboard.error_page
    assert_no_key(dashboard.error_page, "the error page")


@pytest.mark.browser
def test_no_page_frame_download_or_server_log_holds_a_key(dashboard: Dashboard) -> None:
    assert set(dashboard.pages) == set(PAGES)
    for name, html in dashboard.pages.items():
        assert "live market data" in html
        assert_no_key(html, f"the {name} page")
    assert len(dashboard.frames) > 20
    for frame in dashboard.frames:
        assert_no_key(frame, "a websocket frame")
    assert "coin_id" in dashboard.download
    assert_no_key(dashboard.download, "the downloaded CSV")
    for path in ("/", "/_stcore/health", "/_stcore/host-config"):
        with urllib.request.urlopen(dashboard.url + path, timeout=10) as response:
            assert_no_key(response.read(), path)
    assert_no_key(dashboard.log.read_text(encoding="utf-8"), "the Streamlit server log")


# --- Streamlit's cross-site protections ---------------------------------------------------------


def test_the_config_file_keeps_xsrf_protection_and_cors_on() -> None:
    config = tomllib.loads(streamlit_config())
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["enableCORS"] is True
    flags = streamlit_flags(streamlit_config())  # how `aisector dashboard` passes them
    assert {"--server.enableXsrfProtection=true", "--server.enableCORS=true"} <= set(flags)


@pytest.mark.browser
def test_the_running_server_refuses_cross_site_requests(dashboard: Dashboard) -> None:
    """Started from a folder without the project's config: the flags carry the settings."""
    evil = "http://evil.example"
    health = urllib.request.Request(dashboard.url + "/_stcore/health", headers={"Origin": evil})
    with urllib.request.urlopen(health, timeout=10) as response:
        allowed = response.headers.get("Access-Control-Allow-Origin")
        cookies = response.headers.get_all("Set-Cookie") or []
    assert allowed not in ("*", evil)  # enableCORS=false would answer "*"
    assert any(c.startswith("_streamlit_xsrf=") for c in cookies)  # only set with XSRF on
    upload = urllib.request.Request(
        dashboard.url + "/_stcore/upload_file/session/file", data=b"x", method="PUT"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(upload, timeout=10)
    refused.value.close()
    assert refused.value.code == 403  # no XSRF token
