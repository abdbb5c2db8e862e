"""The snapshot report: folder layout, the story in words, idempotent and atomic writes, escaping,
PNGs with and without a browser, and the page itself rendered in headless Chromium.

The offline report (with PNGs) is written once per module; the other tests use the tiny CSV
market with ``--no-png`` so they stay fast.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from aisector.analytics.views import build_views
from aisector.apps import report
from aisector.apps.cli import main
from aisector.core.errors import ExportError
from aisector.core.sectors import load_sectors
from aisector.present import summary
from aisector.sources.market_data import load_market
from tests.headless import CHART, CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
MINI = ["--source", f"csv:{DATA / 'mini_market.csv'}", "--sectors", str(DATA / "mini_sectors.toml")]
FOLDER = "2025-01-22T0000Z"
TABLES = [f"tables/{t}_{w}.csv" for w in ("24h", "7d") for t in report.TABLES]
CHARTS = [f"charts/{c}_{w}.png" for w in ("24h", "7d") for c in ("index", "volume_share", "movers")]
SCREENSHOT = ROOT / "artifacts" / "report.png"
RENDER_TIMEOUT_MS = 30_000


def run_report(out: Path, *options: str) -> int:
    return main(["report", "--out", str(out), *options])


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def offline_report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The offline market's report with PNG charts, written once through the CLI."""
    out = tmp_path_factory.mktemp("reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(out / "xdg"))
        assert run_report(out, "--source", "offline") == 0
    yield out / FOLDER


def test_offline_report_folder_holds_every_file(offline_report):
    files = {p.relative_to(offline_report).as_posix() for p in offline_report.rglob("*")}
    assert {"report.html", "summary.md", "provenance.json", *TABLES} <= files
    assert not any(name.startswith(".tmp-") for name in os.listdir(offline_report.parent))


def test_summary_tells_the_offline_story_with_numbers(offline_report):
    text = (offline_report / "summary.md").read_text(encoding="utf-8")
    assert "offline – simulated market" in text
    assert "AI agents led (+10.47% market cap, 12/12 members)" in text
    assert "Meme lagged (-6.94% market cap, 10/10 members)" in text
    assert "Volume share moved out of Meme (21.2% → 17.4%, -3.7 pp)" in text
    assert "PIPPIN +104.82%, ARC +44.63%, AI16Z +30.17%, VIRTUAL +11.95%" in text
    assert "Top losers: TRUMP -33.88%" in text
    assert "## Last 7d" in text


def test_report_page_carries_badge_summary_charts_and_tables(offline_report):
    page = (offline_report / "report.html").read_text(encoding="utf-8")
    assert "offline – simulated market" in page
    assert "simulated prices – not real market data" in page
    assert "AI agents led the last 24h (+10.47%)" in page
    assert "as of <strong>2025-01-22 00:00 UTC</strong>" in page
    assert page.count('<div id="chart-') == 7  # 3 per window and the cap-to-revenue chart
    assert re.search(r"<(script|link|img)[^>]*(src|href)=", page) is None  # opens offline
    assert ">$5.98B<" in page and ">+104.82%<" in page


def test_summary_says_where_usage_and_price_disagree(offline_report):
    """The report's reading of January: the agent tokens bounced while usage sat far below its
    peak; over 7 days both fell, so they agree and nothing is said."""
    text = (offline_report / "summary.md").read_text(encoding="utf-8")
    last_24h, last_7d = text.split("## Last 7d")
    assert (
        "- VIRTUAL +11.95% while Virtuals Protocol revenue is -99.84% from its 2 Jan peak "
        "(daily revenue on 21 Jan)." in last_24h
    )
    assert "AI16Z +30.17% while ai16z launchpad revenue is -94.97% from its 1 Jan peak" in last_24h
    assert "ARC +44.63% while ARC Rig revenue is -70.00% from its 14 Jan peak" in last_24h
    assert "RENDER" not in text  # 41.6% below its peak: not far enough
    assert " while " not in last_7d


def test_report_page_has_the_fundamentals_section(offline_report):
    page = (offline_report / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section class="fundamentals">') :]
    section = section[: section.index("</section>")]
    assert "offline – simulated activity · daily UTC days through 2025-01-21" in section
    rows = re.findall(r"<tr>(<td.*?)</tr>", section)
    assert len(rows) == 8  # four protocols, over 24h and over 7d
    virtuals_24h = re.findall(r">([^<>]+)</td>", rows[0])
    assert virtuals_24h == [
        "Virtuals Protocol", "AI agents", "+156.00%", "+60.00%", "+60.00%", "17.5×", "50.7%"
    ]  # fmt: skip
    assert 'title="needs daily volume on every day of the window' in rows[2]  # ARC: no volume
    assert 'id="chart-cap_to_revenue"' in section


def test_provenance_records_source_methods_versions_and_files(offline_report):
    provenance = json.loads((offline_report / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["source"] == "offline"
    assert provenance["source_label"] == "offline – simulated market"
    assert provenance["data"] == "offline"
    assert provenance["as_of"] == "2025-01-22T00:00:00Z"
    assert provenance["windows"] == ["24h", "7d"]
    assert set(provenance["versions"]) >= {"aisector", "pandas", "plotly", "streamlit"}
    assert "market_cap_change" in provenance["methods"]
    assert provenance["sectors_file"].endswith("sectors.toml")
    assert set(provenance["files"]) == {
        p.relative_to(offline_report).as_posix() for p in offline_report.rglob("*") if p.is_file()
    }
    assert {"generated_at", "warnings", "png"} <= set(provenance)


def test_csv_tables_are_labelled_with_their_source(offline_report):
    tokens = pd.read_csv(offline_report / "tables" / "tokens_24h.csv")
    assert set(tokens["data_source"]) == {"offline – simulated market"}
    movers = pd.read_csv(offline_report / "tables" / "movers_24h.csv")
    assert movers.loc[0, "symbol"] == "PIPPIN"
    assert movers.loc[0, "change"] == pytest.approx(1.0482)


def test_png_charts_are_written_when_a_browser_is_present(offline_report):
    chromium_path()
    provenance = json.loads((offline_report / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["png"] == "written"
    for name in CHARTS:
        image = (offline_report / name).read_bytes()
        assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 10_000, name


def test_without_a_browser_the_rest_is_written_with_one_warning(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    assert run_report(tmp_path, *MINI, "--window", "24h") == 0
    err = capsys.readouterr().err.splitlines()
    png_warnings = [line for line in err if "PNG" in line]
    assert png_warnings == [
        f"aisector: warning: PNG charts skipped (no browser at {tmp_path / 'no-such-chromium'}; "
        "set BROWSER_PATH to Chrome or Chromium)"
    ]
    folder = tmp_path / FOLDER
    assert (folder / "report.html").is_file() and (folder / "summary.md").is_file()
    assert not (folder / "charts").exists()
    provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["png"].startswith("skipped (no browser at")


def test_second_run_for_the_same_as_of_changes_nothing(tmp_path, capsys):
    assert run_report(tmp_path, *MINI, "--no-png") == 0
    before = snapshot(tmp_path)
    capsys.readouterr()
    assert run_report(tmp_path, *MINI, "--no-png") == 0
    out = capsys.readouterr().out
    assert (
        out == f"{tmp_path / FOLDER} already exists (as of 2025-01-22 00:00 UTC); left unchanged\n"
    )
    assert snapshot(tmp_path) == before
    assert os.listdir(tmp_path) == [FOLDER]


def test_the_report_folder_keeps_the_umask_permissions(tmp_path):
    assert run_report(tmp_path, *MINI, "--no-png", "--window", "24h") == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / FOLDER).stat().st_mode & 0o777 == 0o777 & ~umask


def test_a_failure_mid_write_leaves_no_folder(tmp_path, capsys, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "report_page", disk_full)
    assert run_report(tmp_path, *MINI, "--no-png") == 1
    assert capsys.readouterr().err == (
        f"aisector: error: cannot write the report in {tmp_path}: No space left on device\n"
    )
    assert os.listdir(tmp_path) == []


def test_an_unexpected_error_mid_write_leaves_no_folder(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr(report.summary, "markdown", broken)
    book = load_sectors(DATA / "mini_sectors.toml")
    data = load_market(f"csv:{DATA / 'mini_market.csv'}", book)
    with pytest.raises(RuntimeError):
        report.write_report(data, book, tmp_path, ("24h",), png=False)
    assert os.listdir(tmp_path) == []


def test_a_run_that_loses_the_race_keeps_the_winners_folder(tmp_path, monkeypatch):
    book = load_sectors(DATA / "mini_sectors.toml")
    data = load_market(f"csv:{DATA / 'mini_market.csv'}", book)
    write_contents = report._write_contents

    def other_run_finishes_first(folder: Path, *args) -> str:
        (tmp_path / FOLDER).mkdir()
        (tmp_path / FOLDER / "report.html").write_text("the winner's")
        return write_contents(folder, *args)

    monkeypatch.setattr(report, "_write_contents", other_run_finishes_first)
    done = report.write_report(data, book, tmp_path, ("24h",), png=False)
    assert not done.created
    assert os.listdir(tmp_path) == [FOLDER]
    assert (tmp_path / FOLDER / "report.html").read_text() == "the winner's"


def test_an_unwritable_out_folder_fails_with_one_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert run_report(blocker / "reports", *MINI, "--no-png") == 1
    assert capsys.readouterr().err.startswith("aisector: error: cannot write a report in ")


def test_hostile_names_are_text_everywhere(tmp_path):
    market = tmp_path / "market.csv"
    rows = ["timestamp,coin_id,symbol,price,market_cap,volume"]
    for stamp, factor in (
        ("2025-01-21T00:00Z", 1.0),
        ("2025-01-21T12:00Z", 1.1),
        ("2025-01-22T00:00Z", 1.3),
    ):
        rows += [
            f"{stamp},evil,<script>alert(1)</script>,{factor},{100 * factor},5",
            f'{stamp},sheet,"=HYPERLINK(""http://x"",""y"")",{2 / factor},{200 / factor},7',
        ]
    market.write_text("\n".join(rows) + "\n", encoding="utf-8")
    sectors = tmp_path / "sectors.toml"
    sectors.write_text(
        '[sectors.bad]\nlabel = "<img src=x onerror=alert(2)>"\ncoins = ["evil", "sheet"]\n'
    )
    out = tmp_path / "out"
    assert run_report(out, "--source", f"csv:{market}", "--sectors", str(sectors), "--no-png") == 0
    folder = out / FOLDER
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<img" not in page.lower()
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;" in page
    assert page.lower().count("<script") == 1 + 6  # plotly.js, then one per chart
    text = (folder / "summary.md").read_text(encoding="utf-8")
    assert "<SCRIPT>" not in text and "\\<SCRIPT\\>ALERT(1)\\</SCRIPT\\>" in text
    tokens = (folder / "tables" / "tokens_24h.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in tokens


def test_summary_without_prices_says_so():
    book = load_sectors(DATA / "mini_sectors.toml")
    data = load_market(f"csv:{DATA / 'mini_market.csv'}", book)
    views = build_views(data, book, "24h", as_of=pd.Timestamp("2025-01-21T06:00Z"))
    assert summary.window_sentences(views)[0] == (
        "No sector has a cap-weighted return over the last 24h: no member has a price at both "
        "ends of the window."
    )


def test_markdown_escape_keeps_numbers_readable():
    assert summary.escape_markdown("[x](y) <b> *PEPE* +1.5% (12/12)") == (
        "\\[x\\](y) \\<b\\> \\*PEPE\\* +1.5% (12/12)"
    )


def test_bad_window_fails_before_anything_is_written(tmp_path, capsys):
    assert run_report(tmp_path / "out", *MINI, "--window", "24h", "5x") == 2
    assert "window '5x'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_write_report_wraps_os_errors_as_export_errors(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    book = load_sectors(DATA / "mini_sectors.toml")
    data = load_market(f"csv:{DATA / 'mini_market.csv'}", book)
    with pytest.raises(ExportError):
        report.write_report(data, book, blocker, ("24h",), png=False)


@pytest.mark.browser
def test_report_renders_its_charts_in_headless_chromium(offline_report):
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto((offline_report / "report.html").as_uri())
            page.wait_for_function(
                f"() => document.querySelectorAll('{CHART}').length >= 6",
                timeout=RENDER_TIMEOUT_MS,
            )
            assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 8
            assert page.locator(".js-plotly-plot .barlayer .trace").count() >= 2
            assert "offline – simulated market" in page.locator(".badge").text_content()
            assert errors == []
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()


def test_provenance_says_where_the_protocol_activity_came_from(offline_report):
    provenance = json.loads((offline_report / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["fundamentals"] == {
        "source": "offline",
        "source_label": "offline – simulated activity",
        "sources": {"offline": "offline – simulated activity"},
        "live": False,
        "last_day": "2025-01-21",
        "warnings": [],
    }


def test_each_whole_day_window_has_its_protocols_table(offline_report):
    for window in ("24h", "7d"):
        table = pd.read_csv(offline_report / "tables" / f"protocols_{window}.csv")
        assert table["protocol"].tolist() == [p.key for p in load_sectors(None).protocols]
        assert set(table["data_source"]) == {
            "offline – simulated activity; prices offline – simulated market"
        }
    virtuals = pd.read_csv(offline_report / "tables" / "protocols_24h.csv").iloc[0]
    assert virtuals["revenue_change"] == pytest.approx(2532.36 / 989.20 - 1)
    assert virtuals["cap_to_revenue"] == pytest.approx(17.490059, rel=1e-6)


def offline_prices_at(tmp_path: Path, days: int, through: str | None = None) -> Path:
    """The offline market as a CSV file, ``days`` later (cut to ``through``, when given)."""
    frame = load_market("offline", load_sectors(None)).frame
    frame = frame.assign(timestamp=frame["timestamp"] + pd.Timedelta(days=days))
    if through is not None:
        frame = frame[frame["timestamp"] <= pd.Timestamp(through)]
    path = tmp_path / "market.csv"
    frame.drop(columns="source").to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return path


def offline_activity_store(tmp_path: Path) -> str:
    """A history store that a collect from the offline sources filled."""
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["collect", "--source", "offline", "--backfill", "1", "--store", store]) == 0
    return store


def test_beside_other_prices_the_report_never_reads_the_simulated_activity(tmp_path, capsys):
    market = offline_prices_at(tmp_path, 700)
    store = f"sqlite:///{tmp_path / 'none.sqlite'}"
    assert run_report(tmp_path, "--source", f"csv:{market}", "--store", store, "--no-png") == 0
    err = capsys.readouterr().err
    assert "warning: fundamentals left out: no source could serve protocol activity: " in err
    assert "offline unavailable" not in err
    folder = tmp_path / "2026-12-23T0000Z"
    assert " while " not in (folder / "summary.md").read_text(encoding="utf-8")
    provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["fundamentals"] is None


def test_activity_that_ended_long_before_the_prices_is_dated_and_not_compared(tmp_path, capsys):
    store = offline_activity_store(tmp_path)
    market = offline_prices_at(tmp_path, 700)
    assert run_report(tmp_path, "--source", f"csv:{market}", "--store", store, "--no-png") == 0
    folder = tmp_path / "2026-12-23T0000Z"
    assert " while " not in (folder / "summary.md").read_text(encoding="utf-8")
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "daily UTC days through 2025-01-21" in page
    note = "protocol activity&#39;s newest day is 2025-01-21, 700 days before the prices&#39;"
    assert note in page
    provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["fundamentals"]["last_day"] == "2025-01-21"
    assert provenance["fundamentals"]["source"] == "store"


def test_prices_that_end_before_any_day_of_activity_still_make_a_report(tmp_path, capsys):
    store = offline_activity_store(tmp_path)
    market = offline_prices_at(tmp_path, 0, through="2024-12-01T12:00Z")
    options = ("--source", f"csv:{market}", "--store", store, "--window", "24h", "--no-png")
    assert run_report(tmp_path, *options) == 0, capsys.readouterr().err
    folder = tmp_path / "2024-12-01T1200Z"
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "daily UTC days through —" in page
    assert "no day of protocol activity was over by the prices&#39; as-of time" in page
    provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["fundamentals"]["last_day"] is None
