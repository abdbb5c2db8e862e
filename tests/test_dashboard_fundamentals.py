"""The Fundamentals page through Streamlit's AppTest, on the built-in offline market and its
simulated protocol activity."""

from __future__ import annotations

import pytest

from aisector.core.sectors import load_sectors
from tests.test_dashboard_pages import figure_of, markdown_text, numbers, plotly_charts, start
from tests.test_report import offline_activity_store, offline_prices_at

PAGE = "screens/fundamentals.py"


def fundamentals_page(monkeypatch: pytest.MonkeyPatch, *args: str):
    at = start(monkeypatch, "--source", "offline", *args)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_protocol_shows_usage_beside_its_token(monkeypatch):
    at = fundamentals_page(monkeypatch)
    figures = {figure_of(c).layout.title.text: figure_of(c) for c in plotly_charts(at)}
    for protocol in load_sectors(None).protocols:
        title = next(t for t in figures if t.startswith(f"{protocol.label}: usage beside"))
        names = {trace.name for trace in figures[title].data}
        assert {"Fees", "Revenue", "Market cap"} <= names
        assert any(name.endswith(" price") for name in names)
        assert len(figures[title].layout.annotations) == 4  # the shipped events, numbered
    virtuals = figures["Virtuals Protocol: usage beside VIRTUAL"]
    fees = next(t for t in virtuals.data if t.name == "Fees")
    assert max(numbers(fees.y)) == 1_594_093  # the peak, on 2 January
    axes = {trace.yaxis for trace in virtuals.data}
    assert axes == {"y", "y2", "y3", "y4"}  # fees and revenue, volume, price, cap: one x axis
    assert "Market cap to annualised revenue" in figures


def test_the_usage_sentences_and_tables_tell_the_offline_story(monkeypatch):
    at = fundamentals_page(monkeypatch)
    text = markdown_text(at)
    assert "VIRTUAL +11.95% while Virtuals Protocol revenue is -99.84% from its 2 Jan peak" in text
    captions = "\n".join(c.value for c in at.caption)
    assert "offline – simulated activity · daily UTC days through 2025-01-21 · " in captions
    assert "ARC Rig · Volume change: — needs daily volume" in captions
    protocols = at.table[0].value
    virtuals = protocols.iloc[0].tolist()
    assert virtuals[:2] == ["Virtuals Protocol", "AI agents"]
    assert ":green[+156.00%]" in virtuals and "17.5×" in virtuals
    assert [b.label for b in at.get("download_button")] == ["Fundamentals CSV"]


def test_over_7d_price_and_usage_agree(monkeypatch):
    at = fundamentals_page(monkeypatch)
    at.segmented_control(key="window").set_value("7d").run()
    assert not at.exception
    captions = "\n".join(c.value for c in at.caption)
    assert "No token's price disagrees with its protocol's usage over the last 7d." in captions


def test_a_sectors_file_without_protocols_says_so(monkeypatch, tmp_path):
    sectors = tmp_path / "sectors.toml"
    sectors.write_text('[sectors.a]\nlabel = "A"\ncoins = ["bitcoin"]\n', encoding="utf-8")
    at = fundamentals_page(monkeypatch, "--sectors", str(sectors))
    assert "No protocol activity to show" in at.info[0].value
    assert r"has no \[protocols.\<id\>\] tables" in at.info[0].value  # Markdown-escaped
    assert not plotly_charts(at)


def test_prices_that_end_before_any_day_of_activity_say_why_the_page_is_empty(
    monkeypatch, tmp_path
):
    store = offline_activity_store(tmp_path)
    market = offline_prices_at(tmp_path, 0, through="2024-12-01T12:00Z")
    at = fundamentals_page(monkeypatch, "--source", f"csv:{market}", "--store", store)
    captions = "\n".join(c.value for c in at.caption)
    assert "history store (offline – simulated activity) · daily UTC days through — · " in captions
    text = markdown_text(at) + captions
    assert "no day of protocol activity was over by the prices' as-of time" in text
    assert not plotly_charts(at)
