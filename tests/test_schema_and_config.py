"""The tidy-frame validator and the sectors-file parser: bad input gets one clear message."""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisector.core.errors import BadPayload, ConfigError
from aisector.core.schema import MARKET_COLUMNS, empty_market_frame, validate_market_frame
from aisector.core.sectors import load_sectors, parse_sectors


def raw(**overrides) -> pd.DataFrame:
    row = {
        "timestamp": "2025-01-22T00:00:00Z",
        "coin_id": "pippin",
        "symbol": "pippin",
        "price": "0.3386",
        "market_cap": "338600000",
        "volume": "0",
        "source": "csv",
    }
    return pd.DataFrame([{**row, **overrides}])


def test_valid_frame_is_typed_and_normalised():
    frame = validate_market_frame(raw())
    assert list(frame.columns) == list(MARKET_COLUMNS)
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame.loc[0, "symbol"] == "PIPPIN"
    assert frame.loc[0, "price"] == pytest.approx(0.3386)
    assert np.isnan(frame.loc[0, "volume"])  # upstream's 0 means unknown


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price": "abc"}, "price holds 'abc'"),
        ({"price": "-1"}, "negative price for pippin"),
        ({"timestamp": "yesterday"}, "not a date"),
        ({"coin_id": " "}, "without a coin_id"),
        ({"market_cap": "inf"}, "infinite"),
    ],
)
def test_bad_values_are_named(overrides, message):
    with pytest.raises(BadPayload, match=message):
        validate_market_frame(raw(**overrides))


def test_missing_column_is_named():
    with pytest.raises(BadPayload, match=r"lacks column.*volume"):
        validate_market_frame(raw().drop(columns="volume"))


def test_duplicate_rows_are_rejected_with_the_first_one_named():
    with pytest.raises(BadPayload, match=r"1 duplicate .* first pippin"):
        validate_market_frame(pd.concat([raw(), raw()]))


def test_rows_without_price_are_dropped_and_empty_frame_is_valid():
    assert validate_market_frame(raw(price="")).empty
    assert list(empty_market_frame().columns) == list(MARKET_COLUMNS)


def test_shipped_sectors_file_has_the_four_groups_and_bitcoin_benchmark():
    book = load_sectors()
    assert [s.key for s in book.sectors] == ["ai-agents", "ai-infrastructure", "meme", "majors"]
    assert book.benchmark == ("bitcoin",)
    assert {"virtual-protocol", "ai16z", "ai-rig-complex", "pippin"} <= set(book.sectors[0].coins)
    assert len(book.coins()) >= 30
    assert len(set(book.colors().values())) == 4


def test_coin_in_two_sectors_is_allowed():
    book = parse_sectors('[sectors.a]\ncoins=["x","y"]\n[sectors.b]\ncoins=["y"]\n')
    assert book.members().values.tolist() == [["a", "x"], ["a", "y"], ["b", "y"]]
    assert book.labels() == {"a": "a", "b": "b"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[sectors", "not valid TOML"),
        ("[other]\nx=1", r"at least one \[sectors.<name>\]"),
        ("[sectors.a]\nlabel='A'", "sectors.a.coins must be a non-empty list"),
        ("[sectors.a]\ncoins=['BTC']", "ids are lower-case"),
        ("[sectors.a]\ncoins=['x','x']", "lists x twice"),
        ("[sectors.a]\ncoins=['x']\ncolour='red'", "unknown key"),
        ("[sectors.a]\ncoins=['x']\ncolor='red'", "#rrggbb"),
        ("[sectors.a]\ncoins=['x']\n[benchmark]\ncoins=[]", "benchmark.coins"),
    ],
)
def test_broken_sectors_files_say_what_is_wrong(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_sectors(text, origin="mine.toml")


def test_missing_sectors_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read sectors file"):
        load_sectors(tmp_path / "nope.toml")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_sectors_parser_never_fails_with_anything_but_config_error(text):
    with contextlib.suppress(ConfigError):
        parse_sectors(text)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=8), st.text(max_size=8), st.one_of(st.text(max_size=6), st.floats())
        ),
        min_size=1,
        max_size=5,
    )
)
def test_validator_never_fails_with_anything_but_bad_payload(cells):
    frame = pd.DataFrame(
        [
            {"timestamp": t, "coin_id": c, "symbol": c, "price": p, "market_cap": p, "volume": p}
            for t, c, p in cells
        ]
    )
    with contextlib.suppress(BadPayload):
        validate_market_frame(frame)
