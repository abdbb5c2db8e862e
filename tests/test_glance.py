"""Issue 12: shares of the rotation universe, the 30-day share heatmap, the 24h/7d/30d sector
table, numbered event marks and the contributions waterfall."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aisector.analytics.index import CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED
from aisector.analytics.sector_stats import MARKET_CAP_CHANGE, return_column
from aisector.analytics.shares import (
    DAY_START,
    ROTATION_UNIVERSE,
    SHARE_CHANGE,
    SHARES_OF,
    ShareUniverse,
    sector_shares,
    share_steps,
)
from aisector.analytics.tables import CONTRIBUTION, VOLUME_SHARE_CHANGE, by_window, sectors_table
from aisector.analytics.views import build_views, share_universe
from aisector.analytics.windows import resolve_window
from aisector.apps.cli import main
from aisector.core.errors import ConfigError
from aisector.core.events import Event
from aisector.core.periods import WINDOWS
from aisector.core.sectors import load_sectors, parse_sectors
from aisector.present import charts
from aisector.sources.market_data import load_market
from tests.conftest import hours, members, panel_of
from tests.test_dashboard_pages import figure_of, plotly_charts, start

SECTORS = """
[sectors.agents]
coins = ["a"]
[sectors.meme]
coins = ["m"]
[sectors.majors]
role = "benchmark"
coins = ["b"]
"""


# --- the sectors file ---------------------------------------------------------------------


def test_role_benchmark_marks_a_benchmark_group_and_majors_ships_as_one() -> None:
    book = parse_sectors(SECTORS)
    assert book.benchmark_groups() == ("majors",)
    assert load_sectors().benchmark_groups() == ("majors",)
    assert share_universe(book, "rotation") == ShareUniverse("rotation", ("majors",))
    assert share_universe(book, "all").excluded == ()


@pytest.mark.parametrize("role", ['"index"', "1", '["benchmark"]'])
def test_a_wrong_role_is_a_one_line_error_naming_the_sector(role: str) -> None:
    text = SECTORS.replace('role = "benchmark"', f"role = {role}")
    with pytest.raises(ConfigError, match=r"^mine\.toml: sectors\.majors\.role must be") as error:
        parse_sectors(text, origin="mine.toml")
    assert "\n" not in str(error.value)


# --- shares of the rotation universe: golden numbers ----------------------------------------

# Volumes at the end: agents 30, meme 10, majors 60 -> of all: .3/.1/.6; of rotation: .75/.25/—
ROWS = [
    (0, "a", 1.0, 10.0, 20.0),
    (0, "m", 1.0, 10.0, 20.0),
    (0, "b", 1.0, 100.0, 60.0),
    (1, "a", 1.0, 10.0, 30.0),
    (1, "m", 1.0, 30.0, 10.0),
    (1, "b", 1.0, 60.0, 60.0),
]
GROUPS = members({"agents": ["a"], "meme": ["m"], "majors": ["b"]})
ROTATION = ShareUniverse(ROTATION_UNIVERSE, ("majors",))


def test_rotation_universe_shares_leave_the_benchmark_out_of_the_denominator() -> None:
    window = resolve_window(panel_of(ROWS), hours(1), "1h")
    table = sectors_table(window, GROUPS, universe=ROTATION).set_index("sector")
    assert table["volume_share"].loc[["agents", "meme"]].tolist() == pytest.approx([0.75, 0.25])
    assert np.isnan(table.loc["majors", "volume_share"])  # outside the universe: no share, not 0
    assert set(table[SHARES_OF]) == {"rotation"}
    every = sectors_table(window, GROUPS).set_index("sector")
    assert every["volume_share"].tolist() == pytest.approx([0.3, 0.1, 0.6])
    assert set(every[SHARES_OF]) == {"all"}


def test_rotation_universe_shares_over_time_golden() -> None:
    shares = sector_shares(resolve_window(panel_of(ROWS), hours(1), "1h"), GROUPS, ROTATION)
    end = shares[shares["timestamp"] == hours(1)].set_index("sector")
    start = shares[shares["timestamp"] == hours(0)].set_index("sector")
    assert start["volume_share"].loc[["agents", "meme"]].tolist() == pytest.approx([0.5, 0.5])
    assert end["market_cap_share"].loc[["agents", "meme"]].tolist() == pytest.approx([0.25, 0.75])
    assert shares.loc[shares["sector"] == "majors", "volume_share"].isna().all()


@pytest.fixture(scope="module")
def offline():
    book = load_sectors()
    return book, load_market("offline", book)


def test_offline_rotation_shares_are_the_all_sectors_volumes_renormalised(offline) -> None:
    book, data = offline
    every = build_views(data, book, "24h").sectors.set_index("sector")
    rotation = build_views(data, book, "24h", shares_of="rotation").sectors.set_index("sector")
    inside = ["ai-agents", "ai-infrastructure", "meme"]
    expected = every.loc[inside, "volume"] / every.loc[inside, "volume"].sum()
    assert rotation.loc[inside, "volume_share"].tolist() == pytest.approx(expected.tolist())
    assert rotation.loc["ai-agents", "volume_share"] == pytest.approx(0.0727877791628923)
    assert every.loc["ai-agents", "volume_share"] == pytest.approx(
        every.loc["ai-agents", "volume"] / every["volume"].sum()
    )


# --- exports ----------------------------------------------------------------------------------


def export(tmp_path: Path, what: str, *options: str) -> pd.DataFrame:
    out = tmp_path / f"{what}{len(options)}{'-'.join(options)}.csv"
    assert main(["export", what, "--source", "offline", "--out", str(out), *options]) == 0
    return pd.read_csv(out)


def test_export_keeps_the_design_contract_and_says_which_universe(tmp_path: Path) -> None:
    every = export(tmp_path, "sectors")
    assert every["volume_share"].sum() == pytest.approx(1.0)  # of all tracked sectors
    assert set(every["shares_of"]) == {"all"}
    rotation = export(tmp_path, "sectors", "--shares-of", "rotation").set_index("sector")
    assert set(rotation["shares_of"]) == {"rotation"}
    assert np.isnan(rotation.loc["majors", "volume_share"])  # empty cell, not 0
    assert rotation["volume_share"].sum() == pytest.approx(1.0)
    provenance = json.loads(
        next(p for p in tmp_path.glob("*rotation*.json")).read_text(encoding="utf-8")
    )
    assert provenance["shares_of"] == "rotation"
    shares = export(tmp_path, "rotation", "--shares-of", "rotation")
    assert set(shares["shares_of"]) == {"rotation"}
    assert shares.loc[shares["sector"] == "majors", "volume_share"].isna().all()


def test_report_takes_shares_of_and_records_it(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    arguments = ["report", "--source", "offline", "--out", str(out), "--no-png"]
    assert main([*arguments, "--shares-of", "rotation", "--window", "24h"]) == 0
    folder = next(out.iterdir())
    assert json.loads((folder / "provenance.json").read_text())["shares_of"] == "rotation"
    sectors = pd.read_csv(next(folder.glob("tables/sectors*24h*.csv")))
    assert set(sectors["shares_of"]) == {"rotation"}


def test_a_wrong_shares_of_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "x.csv"
    with pytest.raises(SystemExit):
        main(["export", "sectors", "--source", "offline", "--shares-of", "some", "--out", str(out)])
    assert "--shares-of" in capsys.readouterr().err


# --- the 24h/7d/30d table against the single-window exports ----------------------------------


@pytest.mark.parametrize("shares_of", ["all", "rotation"])
def test_multi_window_table_matches_the_single_window_exports(tmp_path, offline, shares_of):
    book, data = offline
    table = build_views(data, book, "24h", shares_of=shares_of).windows.set_index("sector")
    for window in WINDOWS:
        options = ("--window", window, "--shares-of", shares_of)
        single = export(tmp_path, "sectors", *options).set_index("sector")
        for column in (MARKET_CAP_CHANGE, *(return_column(m) for m in METHODS)):
            np.testing.assert_allclose(
                table[by_window(column, window)], single.loc[table.index, column], rtol=1e-12
            )
        rotation = export(tmp_path, "rotation", *options)
        stamps = rotation["timestamp"]
        first = rotation[stamps == stamps.min()].set_index("sector")["volume_share"]
        last = rotation[stamps == stamps.max()].set_index("sector")["volume_share"]
        np.testing.assert_allclose(
            table[by_window(VOLUME_SHARE_CHANGE, window)], (last - first).loc[table.index]
        )


METHODS = (CAP_WEIGHTED, EQUAL_WEIGHTED, VOLUME_WEIGHTED)


def test_multi_window_golden_numbers_of_the_offline_story(offline) -> None:
    book, data = offline
    table = build_views(data, book, "24h", shares_of="rotation").windows.set_index("sector")
    agents, meme = table.loc["ai-agents"], table.loc["meme"]
    assert agents["market_cap_change_24h"] == pytest.approx(0.1047)
    assert agents["volume_share_change_24h"] == pytest.approx(0.050802, abs=1e-6)
    assert meme["volume_share_change_7d"] == pytest.approx(0.189076, abs=1e-6)
    assert np.isnan(table.loc["majors", "volume_share_change_30d"])


# --- the 30-day heatmap ------------------------------------------------------------------------


def test_share_steps_are_day_to_day_differences_of_the_rotation_shares(offline) -> None:
    book, data = offline
    window = resolve_window(data.panel, data.as_of, "30d")
    universe = share_universe(book, "rotation")
    steps = share_steps(window, book.members(), universe)
    assert len(steps) == 30 * 4
    shares = sector_shares(window, book.members(), universe)
    daily = shares[shares["timestamp"].dt.hour == 0].pivot(
        index="timestamp", columns="sector", values="volume_share"
    )
    expected = daily.diff().iloc[1:].stack(future_stack=True)
    got = steps.set_index(["timestamp", "sector"])[SHARE_CHANGE]
    np.testing.assert_allclose(got.loc[expected.index], expected)


def test_the_heatmap_tells_the_january_drain_and_return(offline) -> None:
    book, data = offline
    steps = build_views(data, book, "24h", shares_of="rotation").share_steps
    change = steps.pivot(index=DAY_START, columns="sector", values=SHARE_CHANGE) * 100
    change.index = change.index.strftime("%m-%d")
    drain, back = ["01-16", "01-17", "01-18"], ["01-20", "01-21"]
    assert (change.loc[drain, "ai-agents"] < 0).all() and (change.loc[drain, "meme"] > 0).all()
    assert (change.loc[back, "ai-agents"] > 0).all() and (change.loc[back, "meme"] < 0).all()
    assert change["meme"].idxmax() == "01-17"  # the strongest day of the 30 (+13 points)
    figure = charts.share_steps_heatmap(steps, book.labels())
    assert list(figure.data[0].y) == ["AI agents", "AI infrastructure", "Meme"]  # no Majors
    assert figure.data[0].text[2][-5] == "+13"


# --- event marks ------------------------------------------------------------------------------


def test_close_events_get_rows_of_their_own_and_far_ones_share_the_top() -> None:
    day = pd.Timedelta(days=1)
    t = pd.Timestamp("2025-01-17T00:00Z")
    rows = charts.event_rows([t, t + 2 * day, t + 3 * day, t + 4 * day], 30 * day)
    assert rows == [0, 1, 0, 2]  # the shipped January events at 30d: gap 2.5 days
    assert charts.event_rows([t] * 6, 30 * day) == [0, 1, 2, 3, 4, 5]  # never shared
    assert charts.event_rows([t, t + 2 * day, t + 3 * day], 7 * day) == [0, 0, 0]


def test_event_marks_are_numbered_the_same_on_every_chart(offline) -> None:
    book, data = offline
    events = [
        Event(pd.Timestamp(d, tz="UTC"), label)
        for d, label in (("2025-01-17", "A"), ("2025-01-19", "B"), ("2025-01-21T12:00", "C"))
    ]
    views = build_views(data, book, "24h")
    figure = charts.index_chart(views.index, CAP_WEIGHTED, book.labels(), book.colors(), events)
    assert [(n.text, n.hovertext) for n in figure.layout.annotations] == [("<b>3</b>", "C")]
    assert charts.event_key(events, views.index["timestamp"]) == "Events: 3 C (21 Jan 12:00 UTC)"


# --- contributions waterfall ---------------------------------------------------------------


def test_contributions_waterfall_sums_to_the_sector_return(offline) -> None:
    book, data = offline
    views = build_views(data, book, "24h")
    agents = views.contributions[views.contributions["sector"] == "ai-agents"]
    figure = charts.contributions_chart(agents, "AI agents", "24h")
    bars = figure.data[0]
    assert bars.type == "waterfall"
    assert list(bars.measure) == ["relative"] * len(agents) + ["total"]
    assert sum(bars.y[:-1]) == pytest.approx(bars.y[-1])
    cap_return = views.sectors.set_index("sector").loc["ai-agents", return_column(CAP_WEIGHTED)]
    assert bars.y[-1] == pytest.approx(cap_return, abs=1e-9)  # supplies constant offline
    assert agents[CONTRIBUTION].notna().all()


# --- the dashboard ---------------------------------------------------------------------------


def test_rotation_page_defaults_to_the_rotation_universe_and_the_switch_counts_majors(
    monkeypatch,
) -> None:
    at = start(monkeypatch, "--source", "offline")
    assert not at.exception
    assert at.toggle(key="shares_include_benchmark").value is False
    assert at.toggle(key="shares_include_benchmark").label == "Count Majors in shares"
    heatmap, _, volume = (figure_of(c) for c in plotly_charts(at))
    assert volume.layout.title.text == "24h volume share by sector"
    assert "Majors" not in {t.name for t in volume.data}
    assert "Majors" not in list(heatmap.data[0].y)
    grid = at.dataframe[0].value
    assert list(grid.columns[:4]) == ["Sector", "Mkt cap 24h", "Index 24h", "Vol. share 24h"]
    assert grid.set_index("Sector").loc["AI agents", "Vol. share 24h"] == pytest.approx(
        0.0508, abs=1e-4
    )
    assert np.isnan(grid.set_index("Sector").loc["Majors", "Vol. share 30d"])

    at.toggle(key="shares_include_benchmark").set_value(True).run()
    assert not at.exception
    heatmap, _, volume = (figure_of(c) for c in plotly_charts(at))
    assert "Majors" in {t.name for t in volume.data}
    assert "Majors" in list(heatmap.data[0].y)
    assert "without Majors" not in at.caption[0].value


def test_the_share_switch_redraws_the_market_cap_share_of_the_rotation_universe(
    monkeypatch,
) -> None:
    at = start(monkeypatch, "--source", "offline")
    at.segmented_control(key="share_measure").set_value("market_cap_share").run()
    assert not at.exception
    shares = figure_of(plotly_charts(at)[2])
    assert shares.layout.title.text == "Market-cap share by sector"
    assert [t.name for t in shares.data] == ["AI agents", "AI infrastructure", "Meme"]
    assert shares.layout.yaxis.title.text == "Share of the sectors shown, without Majors"


def test_the_sector_windows_table_follows_the_index_method(monkeypatch) -> None:
    at = start(monkeypatch, "--source", "offline")
    at.radio(key="method").set_value(EQUAL_WEIGHTED).run()
    grid = at.dataframe[0].value.set_index("Sector")
    views = build_views(load_market("offline", load_sectors()), load_sectors(), "24h")
    expected = views.windows.set_index("label")[by_window(return_column(EQUAL_WEIGHTED), "7d")]
    assert grid["Index 7d"].tolist() == pytest.approx(expected.loc[grid.index].tolist())


def test_breakdown_page_draws_the_contributions_waterfall(monkeypatch) -> None:
    at = start(monkeypatch, "--source", "offline")
    at.switch_page("screens/breakdown.py").run()
    assert not at.exception
    (chart,) = plotly_charts(at)
    figure = figure_of(chart)
    assert figure.data[0].type == "waterfall"
    assert figure.data[0].x[-1] == "Sector"
    at.selectbox(key="breakdown_sector").set_value("meme").run()
    figure = figure_of(plotly_charts(at)[0])
    assert "TRUMP" in list(figure.data[0].x)
