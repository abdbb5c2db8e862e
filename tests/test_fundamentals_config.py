"""The fundamentals frame's validator and the sectors file's ``[protocols.<id>]`` tables: bad input
gets one line that names the place."""

from __future__ import annotations

import contextlib

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisector.core.errors import BadPayload, ConfigError
from aisector.core.schema import (
    FUNDAMENTALS_COLUMNS,
    empty_fundamentals_frame,
    validate_fundamentals_frame,
)
from aisector.core.sectors import DuneQuery, load_sectors, parse_sectors


def activity(*rows: tuple) -> pd.DataFrame:
    """Raw rows as a connector might hand them over: (date, protocol, metric, value)."""
    return pd.DataFrame(rows, columns=["date", "protocol", "metric", "value"])


def test_valid_activity_is_typed_sorted_and_labelled():
    frame = validate_fundamentals_frame(
        activity(
            ("2025-01-02", "virtuals-protocol", "revenue", "1594093"),
            ("2025-01-01T00:00:00Z", "virtuals-protocol", "fees", 1_000_000.5),
            ("2025-01-02", "virtuals-protocol", "fees", 1594093),
        ),
        source="offline",
    )
    assert list(frame.columns) == list(FUNDAMENTALS_COLUMNS)
    assert str(frame["date"].dtype) == "datetime64[ns, UTC]"
    assert frame["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-01",
        "2025-01-02",
        "2025-01-02",
    ]
    assert frame["metric"].tolist() == ["fees", "fees", "revenue"]
    assert frame["value"].tolist() == [1_000_000.5, 1594093.0, 1594093.0]
    assert set(frame["data_source"]) == {"offline"}


def test_a_missing_value_is_a_missing_row_and_zero_stays_zero():
    frame = validate_fundamentals_frame(
        activity(
            ("2025-01-01", "p", "fees", None),
            ("2025-01-02", "p", "fees", ""),
            ("2025-01-03", "p", "fees", 0),
            ("2025-01-04", "p", "revenue", -12.5),  # revenue may be negative
        ),
        source="x",
    )
    assert frame[["metric", "value"]].values.tolist() == [["fees", 0.0], ["revenue", -12.5]]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("2025-01-02T01:00Z", "p", "fees", 1), "not a whole UTC day: 1 row.*p fees on 2025-01-02"),
        (("2025-01-02", "p", "tvl", 1), "metric other than fees, revenue, volume.*p tvl"),
        (("2025-01-02", "p", "volume", -1), "negative fees or volume.*p volume"),
        (("2025-01-02", " ", "fees", 1), "without a protocol"),
        (("yesterday", "p", "fees", 1), "not a date"),
        (("2025-01-02", "p", "fees", "lots"), "value holds 'lots'"),
        (("2025-01-02", "p", "fees", float("inf")), "infinite"),
    ],
)
def test_bad_activity_rows_are_named(row, message):
    with pytest.raises(BadPayload, match=message):
        validate_fundamentals_frame(activity(row), source="x")


def test_duplicate_days_and_missing_columns_are_rejected():
    with pytest.raises(BadPayload, match=r"duplicate \(date, protocol, metric\) rows: 1 row"):
        validate_fundamentals_frame(
            activity(("2025-01-02", "p", "fees", 1), ("2025-01-02", "p", "fees", 2)), source="x"
        )
    with pytest.raises(BadPayload, match=r"lacks column.*metric"):
        validate_fundamentals_frame(activity().drop(columns="metric"))


def test_empty_activity_is_valid():
    frame = empty_fundamentals_frame()
    assert frame.empty and list(frame.columns) == list(FUNDAMENTALS_COLUMNS)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(max_size=12),
            st.text(max_size=6),
            st.sampled_from(("fees", "revenue", "volume", "x", "")),
            st.one_of(st.text(max_size=6), st.floats()),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_activity_validator_never_fails_with_anything_but_bad_payload(rows):
    with contextlib.suppress(BadPayload):
        validate_fundamentals_frame(activity(*rows), source="x")


# --- [protocols.<id>] in the sectors file --------------------------------------------------------

SECTORS = """
[sectors.agents]
coins = ["virtual-protocol", "ai16z"]
[sectors.majors]
coins = ["bitcoin"]
"""


def test_shipped_protocols_name_known_sectors_and_coins():
    book = load_sectors()
    assert [p.key for p in book.protocols] == [
        "virtuals-protocol",
        "ai16z-launchpad",
        "arc-rig",
        "render-network",
    ]
    virtuals = book.protocols[0]
    assert (virtuals.label, virtuals.sector, virtuals.coins, virtuals.defillama) == (
        "Virtuals Protocol",
        "ai-agents",
        ("virtual-protocol",),
        "virtuals-protocol",
    )
    assert book.protocol_members().values.tolist() == [
        ["virtuals-protocol", "ai-agents", "virtual-protocol"],
        ["ai16z-launchpad", "ai-agents", "ai16z"],
        ["arc-rig", "ai-agents", "ai-rig-complex"],
        ["render-network", "ai-infrastructure", "render-token"],
    ]


def test_a_protocol_with_a_dune_query_reads_its_columns():
    book = parse_sectors(
        SECTORS
        + """
[protocols.virtuals]
label = "Virtuals"
sector = "agents"
coins = ["virtual-protocol"]
dune = { query = 4123456, date = "day", volume = "volume_usd", revenue = "revenue_usd" }
"""
    )
    (protocol,) = book.protocols
    assert protocol.defillama is None
    assert protocol.dune == DuneQuery(
        4123456, "day", {"volume": "volume_usd", "revenue": "revenue_usd"}
    )
    assert book.protocol_labels() == {"virtuals": "Virtuals"}


def test_a_file_without_protocols_has_none():
    assert parse_sectors(SECTORS).protocols == ()
    assert parse_sectors(SECTORS).protocol_members().empty


PROTOCOL = '\n[protocols.v]\nsector = "agents"\ncoins = ["virtual-protocol"]\n'


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'sector = "memes"',
            r"protocols\.v\.sector is 'memes', not one of the file's sectors \(agents, majors\)",
        ),
        ('coins = ["pepe"]', r"protocols\.v\.coins has 'pepe', which is in no sector"),
        ("coins = []", r"protocols\.v\.coins must be a non-empty list"),
        ('defillama = "Virtuals Protocol"', r"protocols\.v\.defillama must be a DefiLlama slug"),
        ('dune = { query = "x", date = "day", fees = "f" }', r"protocols\.v\.dune\.query must be"),
        ('dune = { query = 1, date = "day" }', r"protocols\.v\.dune names no result column"),
        ('dune = { query = 1, fees = "f" }', r"protocols\.v\.dune\.date must name a column"),
        ('dune = { query = 1, date = "day", fees = "" }', r"protocols\.v\.dune\.fees must name"),
        (
            'dune = { query = 1, date = "d", tvl = "t" }',
            r"protocols\.v\.dune has unknown key\(s\) tvl",
        ),
        ("dune = 4123456", r"protocols\.v\.dune must be a table"),
        ('website = "x"', r"protocols\.v has unknown key\(s\) website"),
    ],
)
def test_broken_protocol_entries_say_where(extra, message):
    lines = PROTOCOL.splitlines()
    # a replacement line replaces the key it sets; any other line is added
    key = extra.split("=")[0].strip()
    kept = [line for line in lines if not line.startswith(f"{key} =")]
    text = SECTORS + "\n".join([*kept, extra]) + "\n"
    with pytest.raises(ConfigError, match="mine.toml: " + message):
        parse_sectors(text, origin="mine.toml")


def test_protocols_must_be_tables():
    with pytest.raises(ConfigError, match=r"mine.toml: protocols must be tables"):
        parse_sectors("protocols = 3\n" + SECTORS, origin="mine.toml")
