"""Arbitrary text and bytes never crash the readers of user files.

The CSV reader (``--source csv:PATH``) and the sectors file parser get random bytes, random text
and random documents of the right shape. Each either returns something valid, checked field by
field, or raises the project's own error (``aisector.core.errors``), which the CLI turns into one line;
never any other exception. Example counts stay modest: the module takes seconds on two cores.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aisector.core.errors import AisectorError, ConfigError
from aisector.core.schema import MARKET_COLUMNS, validate_market_frame
from aisector.core.sectors import SectorBook, load_sectors, parse_sectors
from connectors.csv_file import CsvFile

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COINS = ["bitcoin", "pepe", "ai16z"]

# --- the CSV reader -----------------------------------------------------------------------------

CELLS = st.one_of(
    st.sampled_from(
        [
            "2025-01-21T00:00Z",
            "2025-01-21",
            "2025-01-21T01:00:00+05:00",
            "1600-01-01",
            "2262-05-01",
            "NaT",
            "now",
            *COINS,
            "BTC",
            "1",
            "0.5",
            "-1",
            "0",
            "nan",
            "inf",
            "-inf",
            "1e400",
            " 2 ",
            "1,5",
            "0x10",
            "",
            "=1+1",
        ]
    ),
    st.text(max_size=8),
)


# Values a column would hold in a good file (and some it should survive), per column.
LIKELY = {
    "timestamp": st.sampled_from(
        ["2025-01-21T00:00Z", "2025-01-21T01:00Z", "2025-01-21T02:00:00+00:00", "2025-01-22"]
    ),
    "coin_id": st.sampled_from([*COINS, " pepe "]),
    "symbol": st.text(max_size=5),
    "price": st.sampled_from(["1", "0.00002", "2e3", "0", ""]),
    "market_cap": st.sampled_from(["1e9", "0", "", "12", "-3"]),
    "volume": st.sampled_from(["5e6", "0", "", "7"]),
    "source": st.sampled_from(["", "csv", "mine"]),
}


@st.composite
def csv_documents(draw: st.DrawFn) -> bytes:
    """A CSV with the market columns in any order, or a random header (columns missing, twice,
    extra), and rows of mostly likely values with some unlikely ones, sometimes a cell short."""
    if draw(st.booleans()):
        columns = draw(
            st.permutations([c for c in MARKET_COLUMNS if c != "source" or draw(st.booleans())])
        )
        width = st.just(len(columns))
    else:
        columns = draw(
            st.lists(st.sampled_from([*MARKET_COLUMNS, "extra", ""]), min_size=1, max_size=9)
        )
        width = st.integers(max(0, len(columns) - 1), len(columns) + 1)
    clean = draw(st.booleans())  # only likely values: most such files read
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        cells = [
            draw(LIKELY.get(c, CELLS) if clean else st.one_of(LIKELY.get(c, CELLS), CELLS))
            for c in columns
        ]
        rows.append([*cells, draw(CELLS)][: draw(width)])
    text = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    writer = csv.writer(text, lineterminator=draw(st.sampled_from(["\n", "\r\n"])), quoting=quoting)
    writer.writerow(columns)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8", "surrogatepass")


CSV_INPUTS = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    csv_documents(),
)


def assert_valid_market_frame(frame: pd.DataFrame) -> None:
    """What the pandas layer relies on, checked directly."""
    assert list(frame.columns) == list(MARKET_COLUMNS)
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["timestamp"].notna().all()
    assert set(frame["coin_id"].astype(str)) <= set(COINS)
    prices = frame["price"].to_numpy(dtype=float)
    assert np.isfinite(prices).all() and (prices > 0).all()
    for column in ("market_cap", "volume"):
        values = frame[column].to_numpy(dtype=float)
        assert (np.isnan(values) | (np.isfinite(values) & (values > 0))).all()
    assert not frame.duplicated(["timestamp", "coin_id"]).any()
    assert frame["timestamp"].is_monotonic_increasing
    revalidated = validate_market_frame(frame)  # nothing left to fix
    pd.testing.assert_frame_equal(revalidated, frame, check_categorical=False)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(content=CSV_INPUTS)
def test_the_csv_reader_returns_a_valid_frame_or_our_error(scratch: Path, content: bytes) -> None:
    path = scratch / "market.csv"
    path.write_bytes(content)
    try:
        frame = CsvFile(path).market_history(COINS)
    except AisectorError as error:
        assert str(error).strip()
        return
    assert_valid_market_frame(frame)


def test_the_csv_reader_accepts_a_well_formed_file(scratch: Path) -> None:
    """The property above is not vacuous: a good file reads."""
    path = scratch / "good.csv"
    path.write_text(
        "timestamp,coin_id,symbol,price,market_cap,volume\n"
        "2025-01-21T00:00Z,pepe,PEPE,0.00002,8000000000,0\n"
        "2025-01-21T00:00Z,bitcoin,BTC,100000,2e12,5e10\n",
        encoding="utf-8",
    )
    frame = CsvFile(path).market_history(COINS)
    assert_valid_market_frame(frame)
    assert frame["coin_id"].astype(str).tolist() == ["bitcoin", "pepe"]
    assert np.isnan(frame["volume"].iloc[1])  # 0 means unknown upstream


# --- the sectors file parser --------------------------------------------------------------------

IDS = st.sampled_from(["bitcoin", "pepe", "ai16z", "elizaos", "two words"] * 4 + ["Up", " x", ""])
SCALARS = st.one_of(
    IDS,
    st.text(max_size=6),
    st.sampled_from(["#fff", "#12345g", "#7c3aed", "solana:" + "A" * 24, "2025-11-06", "now"]),
    st.integers(-2, 2),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.times(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["id", "since", "coins", "x"]), inner, max_size=3),
    ),
    max_leaves=6,
)
TABLE_KEYS = st.sampled_from(["label", "coins", "color", "aliases", "dex", "x"])


def toml_value(value: object) -> str:
    """``value`` written as TOML (JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if value != value
            else "inf"
            if value == float("inf")
            else "-inf"
            if value == float("-inf")
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(
                f"{json.dumps(k, ensure_ascii=False)} = {toml_value(v)}" for k, v in value.items()
            )
            + "}"
        )
    return json.dumps(value, ensure_ascii=False)


@st.composite
def sectors_documents(draw: st.DrawFn) -> str:
    """Sector tables, maybe a benchmark and coin tables; keys mostly hold a value of the right
    type (so that many documents parse), sometimes one of any type."""
    good = st.fixed_dictionaries(
        {"coins": st.lists(IDS, min_size=1, max_size=3, unique=True)},
        optional={"label": st.text(max_size=6), "color": st.sampled_from(["#fff", "#0ea5e9"])},
    )
    any_table = st.dictionaries(TABLE_KEYS, VALUES, max_size=4)
    names = st.sampled_from(["ai", "meme", "=x", "two words"] * 4 + ["", "a;b", " "])
    lines = []
    for name in draw(st.lists(names, min_size=1, max_size=3, unique=True)):
        lines.append(f"[sectors.{json.dumps(name, ensure_ascii=False)}]")
        table = draw(st.one_of(good, good, good, any_table))
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    if draw(st.booleans()):
        coins = draw(st.one_of(st.lists(IDS, max_size=2, unique=True), VALUES))
        lines += ["[benchmark]", f"coins = {toml_value(coins)}"]
    alias = st.fixed_dictionaries(
        {"id": IDS, "since": st.one_of(st.dates(), st.datetimes(), SCALARS)}
    )
    good_coin = st.one_of(
        st.fixed_dictionaries({"aliases": st.lists(alias, max_size=2)}),
        st.fixed_dictionaries({"dex": st.sampled_from(["solana:" + "A" * 24, "solana:x"])}),
    )
    for coin in draw(
        st.lists(st.sampled_from(["bitcoin", "ai16z", "ghost"]), max_size=2, unique=True)
    ):
        lines.append(f"[coins.{json.dumps(coin, ensure_ascii=False)}]")
        table = draw(st.one_of(good_coin, good_coin, any_table))
        lines += [f"{key} = {toml_value(value)}" for key, value in table.items()]
    return "\n".join(lines)


def assert_valid_book(book: SectorBook) -> None:
    """Every promise a parsed sectors file makes to the rest of the tool."""
    assert book.sectors and book.benchmark
    for sector in book.sectors:
        assert sector.key.strip() and ";" not in sector.key
        assert isinstance(sector.label, str) and sector.label == sector.label.strip() != ""
        assert sector.color.startswith("#") and len(sector.color) in (4, 7)
        assert sector.coins and len(set(sector.coins)) == len(sector.coins)
    for coin in [*book.coins(), *(a.id for aliases in book.aliases().values() for a in aliases)]:
        assert isinstance(coin, str) and coin and coin == coin.strip().lower()
    assert set(book.coin_info) <= set(book.coins())
    for aliases in book.aliases().values():
        assert all(
            isinstance(a.since, pd.Timestamp) and a.since.tzinfo is not None for a in aliases
        )
        assert [a.since for a in aliases] == sorted(a.since for a in aliases)
    assert len(book.members()) == sum(len(s.coins) for s in book.sectors)
    assert len(book.id_breaks()) == sum(len(a) for a in book.aliases().values())


@FUZZ
@given(text=st.one_of(sectors_documents(), st.text(max_size=200)))
def test_the_sectors_parser_returns_a_valid_book_or_a_config_error(text: str) -> None:
    try:
        book = parse_sectors(text)
    except ConfigError as error:
        assert str(error).strip()
        return
    assert_valid_book(book)


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=200))
def test_a_sectors_file_of_any_bytes_reads_or_is_a_config_error(
    scratch: Path, content: bytes
) -> None:
    path = scratch / "sectors.toml"
    path.write_bytes(content)
    with contextlib.suppress(ConfigError):
        assert_valid_book(load_sectors(path))


def test_the_sectors_property_is_not_vacuous() -> None:
    book = parse_sectors(
        '[sectors.ai]\ncoins = ["ai16z"]\n[coins.ai16z]\naliases = [{ id = "elizaos", since = '
        '"2025-11-06T00:00Z" }]\n'
    )
    assert_valid_book(book)
    assert book.aliases()["ai16z"][0].since == pd.Timestamp("2025-11-06", tz="UTC")
