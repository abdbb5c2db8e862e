"""The dashboard's pure helpers: number formats, data age, file names, launch options, charts."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import pytest

from aisector.analytics.shares import VOLUME_SHARE
from aisector.analytics.tables import TOKENS_COLUMNS
from aisector.core.errors import ConfigError, SourceUnavailable
from aisector.core.sectors import load_sectors
from aisector.present import charts
from aisector.present.formatting import age_text, percent, signed_percent, usd_compact, usd_price
from aisector.sources.market_data import load_market
from connectors.http import client_settings
from dashboard import cache
from dashboard.badge import badge_text
from dashboard.cards import accent_css, safe_color
from dashboard.downloads import csv_contents, csv_file_name
from dashboard.grids import colored_percent, movers_table, sector_table
from dashboard.launch import Launch, launch_options
from dashboard.selection import Selection, selected_views


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.1195, "+11.95%"), (-0.0694, "-6.94%"), (0.0, "+0.00%"), (math.nan, "—"), (None, "—")],
)
def test_signed_percent(fraction: float | None, text: str) -> None:
    assert signed_percent(fraction) == text


def test_percent_has_no_sign() -> None:
    assert percent(0.80043) == "80.0%"


@pytest.mark.parametrize(
    ("value", "text"),
    [(2.087e12, "$2.09T"), (5.98e9, "$5.98B"), (463.4e6, "$463.40M"), (950.0, "$950.00")],
)
def test_usd_compact(value: float, text: str) -> None:
    assert usd_compact(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(105420.9556, "$105,420.96"), (0.342319, "$0.3423"), (0.0000221234, "$0.00002212")],
)
def test_usd_price_keeps_four_significant_digits_below_a_dollar(value: float, text: str) -> None:
    assert usd_price(value) == text


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (pd.Timedelta(seconds=20), "just now"),
        (pd.Timedelta(minutes=12), "12 min old"),
        (pd.Timedelta(hours=30), "30 h old"),
        (pd.Timedelta(days=9), "9 days old"),
        (pd.Timedelta(days=100), "3 months old"),
        (pd.Timedelta(days=400), "1 year old"),
        (pd.Timedelta(days=800), "2 years old"),
        (pd.Timedelta(hours=-3), "just now"),
    ],
)
def test_age_text(age: pd.Timedelta, text: str) -> None:
    assert age_text(age) == text


def test_csv_file_name_names_table_window_and_source() -> None:
    assert csv_file_name("tokens", "24h", "offline") == "aisector_tokens_24h_offline.csv"
    assert (
        csv_file_name("index", "7d", "CSV:/tmp/x y.csv") == "aisector_index_7d_csv-tmp-x-y-csv.csv"
    )


def test_launch_options_read_source_and_sectors_and_ignore_the_rest(monkeypatch) -> None:
    monkeypatch.setenv("AISECTOR_STORE", "sqlite:////tmp/x.sqlite")
    assert launch_options([]) == Launch(store="sqlite:////tmp/x.sqlite")
    options = launch_options(["-q", "--source", "csv:a.csv", "--sectors", "s.toml", "--no-collect"])
    assert options == Launch("csv:a.csv", "s.toml", collect=False, store="sqlite:////tmp/x.sqlite")


def test_launch_options_without_a_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        launch_options(["--source"])


@pytest.fixture(scope="module")
def offline_views():
    book = load_sectors()
    data = load_market("offline", book)
    selection = Selection(tuple(s.key for s in book.sectors), "24h")
    return book, selected_views(data, book, selection, data.as_of)


def test_every_chart_is_a_figure_with_one_colour_per_sector(offline_views) -> None:
    book, views = offline_views
    labels, colors = book.labels(), book.colors()
    figures = [
        charts.index_chart(views.index, "cap_weighted", labels, colors),
        charts.share_chart(views.rotation, VOLUME_SHARE, "Volume share", labels, colors),
    ]
    shared = {k for k in labels if k not in book.benchmark_groups()}  # the rotation universe
    for figure, keys in zip(figures, (set(labels), shared), strict=True):
        assert isinstance(figure, go.Figure)
        by_name = {trace.name: trace.line.color for trace in figure.data}
        assert by_name == {labels[k]: colors[k] for k in labels if k in keys}
        assert figure.layout.xaxis.title.text == "Time (UTC)"
        assert figure.layout.yaxis.title.text


def test_movers_chart_uses_sector_colours_and_percent_axis(offline_views) -> None:
    book, views = offline_views
    figure = charts.movers_chart(views.movers, "24h", book.labels(), book.colors())
    assert {t.marker.color for t in figure.data} <= set(book.colors().values())
    assert figure.layout.xaxis.tickformat == ".0%"
    assert sum(len(t.y) for t in figure.data) == len(views.movers)


def test_picked_sectors_share_volume_between_themselves(offline_views) -> None:
    book, _ = offline_views
    data = load_market("offline", book)
    views = selected_views(data, book, Selection(("ai-agents", "meme"), "24h"), data.as_of)
    assert list(views.sectors["sector"]) == ["ai-agents", "meme"]
    assert views.sectors["volume_share"].sum() == pytest.approx(1.0)
    assert set(views.tokens["sectors"]) <= {"ai-agents", "meme"}
    assert list(views.tokens.columns[: len(TOKENS_COLUMNS)]) == list(TOKENS_COLUMNS)


def test_download_contents_are_the_tokens_csv_labelled_with_the_source(offline_views) -> None:
    book, views = offline_views
    data = load_market("offline", book)
    header, first = csv_contents(views.tokens, data)().splitlines()[:2]
    assert header.split(",")[: len(TOKENS_COLUMNS)] == list(TOKENS_COLUMNS)
    assert first.endswith("offline – simulated market")


def test_small_tables_are_text_with_coloured_moves(offline_views) -> None:
    book, views = offline_views
    movers = movers_table(views.movers, "24h", book.labels())
    assert list(movers.columns) == ["Token", "Sectors", "24h change", "Price", "Market cap"]
    assert movers.iloc[0].tolist() == [
        "PIPPIN",
        "AI agents",
        ":green[+104.82%]",
        "$0.2969",
        "$296.88M",
    ]
    sectors = sector_table(views.sectors)
    assert sectors.loc[0, "Sector"] == "AI agents"
    assert sectors.loc[0, "Market-cap change"] == ":green[+10.47%]"
    assert colored_percent(-0.0694) == ":red[-6.94%]"
    assert colored_percent(math.nan) == "—"


def test_badge_says_simulated_and_how_old(offline_views) -> None:
    book, _ = offline_views
    data = load_market("offline", book)
    text = badge_text(data, pd.Timestamp("2026-03-01T00:00Z"))
    assert ":orange-badge[:material/science: offline – simulated market]" in text
    assert "as of **2025-01-22 00:00 UTC** · :orange[1 year old]" in text
    assert "simulated prices – not real market data" in text


def test_card_accents_use_the_sector_colours_and_refuse_anything_but_hex() -> None:
    css = accent_css(["#7c3aed", "#0ea5e9"])
    assert ".st-key-sector_card_0 { border-top: 4px solid #7c3aed !important; }" in css
    assert ".st-key-sector_card_1 { border-top: 4px solid #0ea5e9 !important; }" in css
    assert safe_color("#a;}b{c") == safe_color(None) == "#94a3b8"


def test_failed_refresh_keeps_the_last_good_data_with_its_age_and_reason(monkeypatch):

    book = load_sectors()
    good = replace(load_market("offline", book), live=True)  # as CoinGecko's would be
    answers = iter([good, SourceUnavailable("CoinGecko cannot be reached: timed out")])

    def fake_load(*_args):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(cache, "load_market_view", fake_load)
    cache._fresh_market_data.clear()
    cache._last_good().clear()
    assert cache.market_data("coingecko", book) is good
    cache._fresh_market_data.clear()  # the cache lifetime ends; the refresh fails
    kept = cache.market_data("coingecko", book)
    assert kept.frame is good.frame
    assert kept.warnings[-1].startswith(
        "refresh failed, showing the last good data (as of 2025-01-22 00:00 UTC)"
    )
    assert kept.warnings[-1].endswith("CoinGecko cannot be reached: timed out")
    assert kept.stale and not good.stale
    badge = badge_text(kept, pd.Timestamp("2025-01-22 01:00", tz="UTC"))
    assert ":orange-badge[:material/sensors_off:" in badge
    assert "live refresh failed – last good data" in badge
    assert "live market data" not in badge


def test_viewers_wait_less_for_a_broken_upstream_than_the_collector(monkeypatch):
    monkeypatch.setattr(cache, "streamlit_secrets", lambda: None)
    timeout, policy = client_settings({}, cache.viewer_settings())
    assert (policy.attempts, timeout[1]) == (2, 8.0)
    assert client_settings({}, None)[1].attempts == 4  # the CLI keeps the patient default
    monkeypatch.setattr(cache, "streamlit_secrets", lambda: {"AISECTOR_HTTP_ATTEMPTS": "5"})
    assert client_settings({}, cache.viewer_settings())[1].attempts == 5  # secrets.toml wins
    env = {"AISECTOR_HTTP_ATTEMPTS": "3"}
    assert client_settings(env, cache.viewer_settings())[1].attempts == 3  # and the environment


def test_failed_first_load_is_an_error_not_stale_data(monkeypatch):

    def failing(*_args):
        raise SourceUnavailable("down")

    monkeypatch.setattr(cache, "load_market_view", failing)
    cache._fresh_market_data.clear()
    cache._last_good().clear()
    with pytest.raises(SourceUnavailable):
        cache.market_data("coingecko", load_sectors())
