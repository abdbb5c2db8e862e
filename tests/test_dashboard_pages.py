"""Every dashboard page through Streamlit's AppTest, on the built-in offline market."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from aisector.analytics.views import build_views
from aisector.core.baskets import BASKET_COLORS, Basket, basket_key, with_basket
from aisector.core.sectors import default_sectors_path, load_sectors, parse_sectors
from aisector.present.formatting import signed_percent
from aisector.sources.market_data import load_market

APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"
PAGES = (
    "screens/rotation.py",
    "screens/rotation_graph.py",
    "screens/breakdown.py",
    "screens/tokens.py",
    "screens/flows.py",
    "screens/methodology.py",
)
OFFLINE_LABEL = "offline – simulated market"
TIMEOUT = 60


def start(monkeypatch: pytest.MonkeyPatch, *args: str) -> AppTest:
    """Run the app as ``streamlit run dashboard/app.py -- ARGS`` would."""
    monkeypatch.setattr(sys, "argv", [str(APP), *args])
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()


def markdown_text(at: AppTest) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def plotly_charts(at: AppTest) -> list:
    return list(at.get("plotly_chart"))


def figure_of(chart) -> go.Figure:
    """The figure a plotly_chart element carries."""
    return pio.from_json(chart.proto.spec)


def numbers(values) -> list[float]:
    """A trace's numbers, whether plotly sent them as a list or as a base64 typed array."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return start(monkeypatch, "--source", "offline")


def test_rotation_page_shows_badge_cards_and_charts(offline: AppTest) -> None:
    assert not offline.exception
    assert not offline.error
    assert OFFLINE_LABEL in markdown_text(offline)
    assert "2025-01-22 00:00 UTC" in markdown_text(offline)
    assert len(offline.metric) == 4  # one card per sector of the default sectors file
    # the 30-day share-change heatmap, index, volume share, market-cap share
    assert [c.key for c in plotly_charts(offline)] == [
        "share_steps",
        "index_chart",
        "shares",  # volume or market-cap share, switched in a fragment
    ]
    assert {b.key for b in offline.get("download_button")} == {
        "download_sectors",
        "download_sectors-by-window",
        "download_index",
        "download_rotation",
    }


def test_ai_agents_card_shows_the_offline_story_in_percent(offline: AppTest) -> None:
    card = offline.metric[0]
    assert card.label == "Cap-weighted index · 24h"
    assert card.value == "+10.47%"  # the AI-agent sector's market cap is +10.47% over 24 h


def test_rotation_page_says_what_moved_where_in_words(offline: AppTest) -> None:
    text = markdown_text(offline)
    assert "AI agents led the last 24h (+10.47%)" in text
    assert "PIPPIN +104.82%" in text


def test_changing_the_window_reruns_and_changes_the_numbers(offline: AppTest) -> None:
    before = [m.value for m in offline.metric]
    offline.segmented_control(key="window").set_value("7d").run()
    assert not offline.exception
    after = [m.value for m in offline.metric]
    assert after != before
    assert all(m.label.endswith("· 7d") for m in offline.metric)


@pytest.mark.parametrize("method", ["equal_weighted", "volume_weighted", "capped_cap_weighted"])
def test_every_index_method_renders(offline: AppTest, method: str) -> None:
    offline.radio(key="method").set_value(method).run()
    assert not offline.exception
    assert len(plotly_charts(offline)) == 3
    if method == "capped_cap_weighted":
        assert offline.slider(key="max_weight").value == 25
        assert offline.metric[0].label.startswith("Capped cap-weighted")


def test_fewer_sectors_mean_fewer_cards(offline: AppTest) -> None:
    offline.multiselect(key="sectors").set_value(["ai-agents", "meme"]).run()
    assert not offline.exception
    assert len(offline.metric) == 2


def test_no_sector_picked_shows_a_hint(offline: AppTest) -> None:
    offline.multiselect(key="sectors").set_value([]).run()
    assert not offline.exception
    assert any("at least one sector" in i.value for i in offline.info)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_the_badge(offline: AppTest, page: str) -> None:
    offline.switch_page(page).run()
    assert not offline.exception
    assert not offline.error
    assert OFFLINE_LABEL in markdown_text(offline)


def test_tokens_page_has_movers_and_the_token_table_with_downloads(offline: AppTest) -> None:
    offline.switch_page("screens/tokens.py").run()
    assert len(plotly_charts(offline)) == 3  # movers, market map, sector correlation
    assert len(offline.table) == 1  # top movers
    assert len(offline.dataframe) == 1  # every token
    assert [b.key for b in offline.get("download_button")] == [
        "download_movers",
        "download_tokens",
        "download_correlation",
    ]


def test_tokens_page_maps_caps_and_moves_and_correlates_sectors(offline: AppTest) -> None:
    offline.switch_page("screens/tokens.py").run()
    assert not offline.exception
    _, treemap, heatmap = (figure_of(c) for c in plotly_charts(offline))
    tiles = treemap.data[0]
    assert tiles.type == "treemap"
    assert tiles.marker.cmid == 0
    assert any("PIPPIN" in text and "+104.82%" in text for text in tiles.hovertext)
    assert any("Turnover" in text for text in tiles.hovertext)
    cells = heatmap.data[0]
    assert cells.type == "heatmap"
    assert cells.texttemplate == "%{z:.2f}"
    assert len(cells.x) == 4  # one row and column per sector


def test_flows_page_shows_cap_change_shares_and_the_estimated_sankey(offline: AppTest) -> None:
    offline.switch_page("screens/flows.py").run()
    assert not offline.exception
    assert not offline.error
    bars, shares, sankey = (figure_of(c) for c in plotly_charts(offline))
    assert bars.data[0].type == "bar"
    # one stacked market-cap share per sector of the rotation universe (Majors left out)
    assert [t.name for t in shares.data] == ["AI agents", "AI infrastructure", "Meme"]
    assert sankey.data[0].type == "sankey"
    assert "estimate" in sankey.layout.title.text
    assert "pro rata" in "\n".join(c.value for c in offline.caption)
    assert [b.key for b in offline.get("download_button")] == [
        "download_cap_changes",
        "download_flows",
    ]


def test_flows_page_renders_for_every_window(offline: AppTest) -> None:
    offline.switch_page("screens/flows.py").run()
    for window in ("7d", "30d"):
        offline.segmented_control(key="window").set_value(window).run()
        assert not offline.exception
        assert len(plotly_charts(offline)) == 3


def test_methodology_page_states_the_formulas(offline: AppTest) -> None:
    offline.switch_page("screens/methodology.py").run()
    text = markdown_text(offline)
    assert "price(t) / price(t - w) - 1" in text
    assert "I(t) = I(t-1) * (1 + sum_i weight_i(t-1) * r_i(t))" in text
    assert "counts in each" in text


def test_window_survives_a_page_change(offline: AppTest) -> None:
    offline.segmented_control(key="window").set_value("30d").run()
    offline.switch_page("screens/tokens.py").run()
    offline.switch_page("screens/rotation.py").run()
    assert offline.segmented_control(key="window").value == "30d"
    assert offline.metric[0].label.endswith("· 30d")


def test_broken_sectors_file_is_an_error_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "sectors.toml"
    broken.write_text("[sectors.ai\nlabel = 'oops'\n", encoding="utf-8")
    at = start(monkeypatch, "--source", "offline", "--sectors", str(broken))
    assert not at.exception
    assert len(at.error) == 1
    assert "not valid TOML" in at.error[0].value
    assert not plotly_charts(at)


def test_unknown_source_is_an_error_message(monkeypatch: pytest.MonkeyPatch) -> None:
    at = start(monkeypatch, "--source", "nowhere")
    assert not at.exception
    assert "unknown source" in at.error[0].value


def test_coins_without_data_are_a_visible_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sectors = tmp_path / "sectors.toml"
    sectors.write_text(
        '[sectors.ai-agents]\nlabel = "AI agents"\ncoins = ["virtual-protocol", "no-such-coin"]\n',
        encoding="utf-8",
    )
    at = start(monkeypatch, "--source", "offline", "--sectors", str(sectors))
    assert not at.exception
    assert any("no-such-coin" in w.value for w in at.warning)
    assert len(at.metric) == 1


def test_relative_rotation_page_draws_the_graph_with_a_tail_and_a_download(
    offline: AppTest,
) -> None:
    offline.switch_page("screens/rotation_graph.py").run()
    assert not offline.exception
    assert not offline.error
    charts = plotly_charts(offline)
    assert len(charts) == 1
    figure = figure_of(charts[0])
    assert len(figure.data) == 4  # one tail per sector
    assert all(len(numbers(trace.x)) == 8 for trace in figure.data)  # the default tail
    quadrants = {note.text for note in figure.layout.annotations}
    assert quadrants == {"<b>Leading</b>", "<b>Weakening</b>", "<b>Lagging</b>", "<b>Improving</b>"}
    assert [b.key for b in offline.get("download_button")] == ["download_strength"]


def test_relative_rotation_tail_and_benchmark_can_change(offline: AppTest) -> None:
    offline.switch_page("screens/rotation_graph.py").run()
    before = numbers(figure_of(plotly_charts(offline)[0]).data[0].x)
    offline.slider(key="rrg_tail").set_value(3).run()
    offline.segmented_control(key="rrg_benchmark").set_value("market").run()
    assert not offline.exception
    after = numbers(figure_of(plotly_charts(offline)[0]).data[0].x)
    assert len(after) == 3
    assert after != before[-3:]


def test_index_and_share_charts_mark_the_shipped_events_in_range(offline: AppTest) -> None:
    offline.segmented_control(key="window").set_value("7d").run()
    figures = [figure_of(chart) for chart in plotly_charts(offline)]
    for figure in figures:  # numbered marks, the label on hover and in the key below
        labels = [note.hovertext for note in figure.layout.annotations]
        assert "MELANIA launch" in labels
        assert "Stargate announced" in labels
    key = [c.value for c in offline.caption if "MELANIA" in c.value]
    assert key and all("2 MELANIA launch (19 Jan)" in k for k in key)


def test_sector_breakdown_reconciles_members_with_the_methods(offline: AppTest) -> None:
    offline.switch_page("screens/breakdown.py").run()
    assert not offline.exception
    assert not offline.error
    assert [m.label for m in offline.metric] == [
        "Market-cap change · 24h",
        "Cap-weighted · 24h",
        "Equal-weighted · 24h",
        "Volume-weighted · 24h",
    ]
    assert offline.metric[1].value == "+10.47%"
    assert len(offline.dataframe) == 1
    assert offline.dataframe[0].value["symbol"].iloc[0] == "VIRTUAL"
    offline.selectbox(key="breakdown_sector").set_value("meme").run()
    assert not offline.exception
    assert "PIPPIN" not in offline.dataframe[0].value["symbol"].tolist()
    assert [b.key for b in offline.get("download_button")] == ["download_contributions"]


# --- relative rotation on volume share ------------------------------------------------------


def test_switching_the_rotation_basis_to_volume_share_changes_the_graph(offline: AppTest) -> None:
    offline.switch_page("screens/rotation_graph.py").run()
    price = figure_of(plotly_charts(offline)[0])
    assert not offline.segmented_control(key="rrg_benchmark").proto.disabled
    offline.segmented_control(key="rrg_basis").set_value("volume-share").run()
    assert not offline.exception
    volume = figure_of(plotly_charts(offline)[0])
    assert "volume share" in volume.layout.title.text
    assert "volume share" in volume.layout.xaxis.title.text
    assert "volume share" not in price.layout.title.text
    assert [t.name for t in volume.data] == [t.name for t in price.data]
    assert numbers(volume.data[0].x) != numbers(price.data[0].x)
    assert offline.segmented_control(key="rrg_benchmark").proto.disabled  # price basis only
    assert "share of the shown sectors' 24h volume" in "\n".join(c.value for c in offline.caption)
    assert [b.key for b in offline.get("download_button")] == ["download_strength"]


# --- custom baskets -------------------------------------------------------------------------


def pick_basket(at: AppTest, coins: list[str], name: str | None = None) -> AppTest:
    at.multiselect(key="basket_coins").set_value(coins)
    if name is not None:
        at.text_input(key="basket_name").set_value(name)
    return at.run()


def basket_return(coins: tuple[str, ...], name: str = "My basket") -> str:
    """The basket's cap-weighted 24h return as its card shows it, computed without the app."""
    book = load_sectors()
    views = build_views(load_market("offline", book), with_basket(book, Basket(name, coins)), "24h")
    row = views.sectors.set_index("sector").loc[basket_key(name)]
    return signed_percent(row["return_cap_weighted"])


def test_picking_coins_adds_a_basket_sector_to_the_rotation_page(offline: AppTest) -> None:
    pick_basket(offline, ["pippin", "ai-rig-complex"])
    assert not offline.exception
    assert not offline.warning
    assert len(offline.metric) == 5
    assert offline.metric[4].value == basket_return(("pippin", "ai-rig-complex"))
    assert "My basket" in markdown_text(offline)
    assert "share of the sectors shown, without Majors" in offline.caption[0].value
    sector_table = offline.table[0].value
    assert "My basket" in sector_table.to_string()
    _, _, volume = (figure_of(c) for c in plotly_charts(offline))
    colors = {trace.name: trace.line.color for trace in volume.data}
    assert colors["My basket"] == BASKET_COLORS[0]
    assert len(set(colors.values())) == 4  # a colour of its own (Majors is out of the shares)
    assert "Majors" not in colors
    pick_basket(offline, ["bittensor"])  # new coins: the views are recomputed, not reused
    assert offline.metric[4].value == basket_return(("bittensor",))


def test_the_basket_shows_on_every_page(offline: AppTest) -> None:
    pick_basket(offline, ["pippin", "ai-rig-complex"], "Agent picks")
    offline.switch_page("screens/rotation_graph.py").run()
    assert "Agent picks" in [t.name for t in figure_of(plotly_charts(offline)[0]).data]
    offline.switch_page("screens/breakdown.py").run()
    assert "Agent picks" in offline.selectbox(key="breakdown_sector").options
    offline.selectbox(key="breakdown_sector").set_value("agent-picks").run()
    assert offline.dataframe[0].value["symbol"].tolist() == ["PIPPIN", "ARC"]
    offline.switch_page("screens/tokens.py").run()
    assert "Agent picks" in offline.dataframe[0].value.to_string()
    offline.switch_page("screens/flows.py").run()
    assert "Agent picks" in [t.name for t in figure_of(plotly_charts(offline)[1]).data]
    offline.switch_page("screens/methodology.py").run()
    assert "**Agent picks** (2): pippin, ai-rig-complex" in markdown_text(offline)
    assert not offline.exception


def test_a_basket_alone_is_enough_to_show_the_pages(offline: AppTest) -> None:
    offline.multiselect(key="sectors").set_value([])
    pick_basket(offline, ["pippin"])
    assert not offline.exception
    assert len(offline.metric) == 1


def test_a_basket_named_like_a_file_sector_is_refused_with_a_warning(offline: AppTest) -> None:
    pick_basket(offline, ["pippin"], "Meme")
    assert not offline.exception
    assert "give the basket another name" in offline.warning[0].value
    assert len(offline.metric) == 4
    assert "download_basket" not in {b.key for b in offline.get("download_button")}


def test_the_basket_downloads_as_a_sectors_file_snippet(monkeypatch: pytest.MonkeyPatch) -> None:
    offered: dict[str, tuple[bytes, str | None]] = {}
    load = MemoryMediaFileStorage.load_and_get_id

    def recording(self, data, mimetype, kind, filename=None):
        file_id = load(self, data, mimetype, kind, filename)
        offered[file_id] = (data, filename)
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    at = pick_basket(
        start(monkeypatch, "--source", "offline"), ["pippin", "ai16z"], "Agents I trade"
    )
    button = next(b for b in at.get("download_button") if b.key == "download_basket")
    content, file_name = offered[button.proto.url.rsplit("/", 1)[-1].split(".")[0]]
    assert file_name == "agents-i-trade.toml"
    snippet = content.decode("utf-8")
    pasted = default_sectors_path().read_text(encoding="utf-8") + "\n" + snippet
    book = parse_sectors(pasted)
    assert book.sectors[:-1] == load_sectors().sectors
    basket = book.sectors[-1]
    assert (basket.key, basket.label, basket.coins) == (
        "agents-i-trade",
        "Agents I trade",
        ("pippin", "ai16z"),
    )
