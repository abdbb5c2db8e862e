"""The rules file (every mistake named by place) and the checks on the pure tables: a missing
figure never fires a rule."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisector.analytics.sector_stats import COUNTED, MARKET_CAP_CHANGE, MEMBERS
from aisector.analytics.tables import CHANGE, LABEL
from aisector.apps.alert_checks import (
    SHARE_END,
    SHARE_START,
    crosses,
    leader,
    quadrant_entries,
    sector_moves,
    share_shifts,
    token_moves,
)
from aisector.apps.alert_rules import Rule, load_rules, parse_rules
from aisector.apps.cli import main
from aisector.core.errors import ConfigError
from aisector.core.schema import COIN_ID, PRICE, SECTOR, SYMBOL
from aisector.core.sectors import load_sectors
from aisector.core.settings import redact

BOOK = load_sectors()
END = pd.Timestamp("2025-01-22T00:00Z")


def rule(kind: str, **fields: object) -> Rule:
    return Rule("r", kind, "24h", pd.Timedelta(hours=24), **fields)


def test_the_shipped_rules_load_with_every_kind():
    rules = load_rules(None, BOOK).rules
    assert {r.kind for r in rules} == {
        "sector_move", "share_shift", "leader_change", "quadrant", "token_move"
    }  # fmt: skip
    move = next(r for r in rules if r.name == "sector-move-24h")
    assert (move.threshold, move.method, move.daily_close) == (0.10, "cap-weighted", True)
    assert move.end(pd.Timestamp("2025-01-21T23:00Z")) == pd.Timestamp("2025-01-21T00:00Z")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.a]\nkind = 'sector_mov'", "rules.a.kind must be one of sector_move, "),
        ("[rules.a]\nkind = 'sector_move'", "rules.a.threshold is missing"),
        ("[rules.a]\nkind = 'sector_move'\nthreshold = -1", "rules.a.threshold must be a positive"),
        ("[rules.a]\nkind = 'sector_move'\nthreshold = true", "rules.a.threshold must be a positive"),
        ("[rules.a]\nkind = 'token_move'\nthreshold = 0.3\npoints = 2", "rules.a.points is not a key"),
        ("[rules.a]\nkind = 'share_shift'\npoints = 5\nwindow = '3w'", "rules.a.window must be a span"),
        ("[rules.a]\nkind = 'leader_change'\ncooldown = 24", "rules.a.cooldown must be a span"),
        ("[rules.a]\nkind = 'leader_change'\nmethod = 'median'", "rules.a.method must be one of"),
        ("[rules.a]\nkind = 'quadrant'\nquadrant = 'top'", "rules.a.quadrant must be one of"),
        ("[rules.a]\nkind = 'quadrant'\nbasis = 'cap'", "rules.a.basis must be one of price"),
        ("[rules.a]\nkind = 'quadrant'\ndaily_close = 'yes'", "rules.a.daily_close must be true"),
        ("[rules.a]\nkind = 'quadrant'\nsectors = ['defi']", "rules.a.sectors names 'defi'"),
        ("[rules.a]\nkind = 'quadrant'\nsectors = 'meme'", "rules.a.sectors must be a list"),
        ("[rules]\na = 1", "rules.a must be a table with a kind"),
        ("[rule.a]\nkind = 'quadrant'", "unknown table or key 'rule'"),
        ("[rules.a\nkind = 1", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_one_line_naming_the_file_rule_and_key(text, message):
    with pytest.raises(ConfigError) as error:
        parse_rules(text, BOOK, origin="mine.toml")
    assert str(error.value).startswith("mine.toml: ") and message in str(error.value)
    assert "\n" not in str(error.value)


def test_the_alert_command_refuses_a_bad_rules_file_with_exit_2(tmp_path, capsys):
    rules = tmp_path / "rules.toml"
    rules.write_text("[rules.ai]\nkind = 'sector_move'\nthreshold = -1\n", encoding="utf-8")
    assert main(["alert", "--source", "offline", "--rules", str(rules)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"aisector: error: {rules}: rules.ai.threshold must be a positive number like 0.10 "
        "(±10%), not -1\n"
    )


def test_an_unknown_notification_scheme_is_refused_without_echoing_the_url(capsys):
    url = "nosuchservice://tok3nSecretValue99@host/x"
    assert main(["alert", "--source", "offline", "--notify", url]) == 2
    err = capsys.readouterr().err
    assert "notification URL #1 (scheme 'nosuchservice') is not one apprise knows" in err
    assert "tok3nSecretValue99" not in err


def test_a_move_exactly_at_the_threshold_crosses_it_and_nan_never_does():
    assert crosses(-0.1 + 1e-12, 0.10) and crosses(0.1047, 0.10) and not crosses(0.0999, 0.10)
    assert not crosses(math.nan, 0.10) and not crosses(math.inf, 0.10)


# --- property: a missing value never fires a rule --------------------------------------------

figures = st.one_of(
    st.floats(-2, 2, allow_nan=False),
    st.just(math.nan),
    st.sampled_from([math.inf, -math.inf]),
)


def sectors_frame(values: list[float]) -> pd.DataFrame:
    keys = [f"s{i}" for i in range(len(values))]
    return pd.DataFrame(
        {
            SECTOR: keys,
            LABEL: [k.upper() for k in keys],
            "return_cap_weighted": values,
            MARKET_CAP_CHANGE: values,
            COUNTED: 3,
            MEMBERS: 3,
        }
    )


def fired_sectors(findings) -> set[str]:
    return {f.subject.split(" ")[0] for f in findings}


@settings(max_examples=200, deadline=None)
@given(st.lists(figures, min_size=1, max_size=6), st.floats(0.01, 1.5), st.data())
def test_a_missing_sector_figure_never_fires_and_is_named(values, threshold, data):
    table = sectors_frame(values)
    found, notes = sector_moves(rule("sector_move", threshold=threshold), table, END)
    finite = {k for k, v in zip(table[SECTOR], values, strict=True) if np.isfinite(v)}
    assert fired_sectors(found) <= finite
    assert len(notes) == len(values) - len(finite)
    assert all(f"{k.upper()} cap-weighted 24h move is missing" in " ".join(notes)
               for k in set(table[SECTOR]) - finite)  # fmt: skip
    # Blanking any figure can only take findings away, never add one.
    gone = data.draw(st.integers(0, len(values) - 1))
    blanked = sectors_frame([math.nan if i == gone else v for i, v in enumerate(values)])
    fewer, _ = sector_moves(rule("sector_move", threshold=threshold), blanked, END)
    assert fired_sectors(fewer) == fired_sectors(found) - {f"s{gone}"}
    leads, lead_notes = leader(rule("leader_change"), table, END)
    assert bool(leads) == (finite == set(table[SECTOR]))
    assert bool(lead_notes) != bool(leads)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(figures, figures), min_size=1, max_size=6),
    st.floats(0.1, 50),
)
def test_a_missing_volume_share_never_fires(pairs, points):
    keys = [f"s{i}" for i in range(len(pairs))]
    shares = pd.DataFrame(
        {
            SECTOR: keys,
            LABEL: keys,
            SHARE_START: [a for a, _ in pairs],
            SHARE_END: [b for _, b in pairs],
        }
    )
    found, notes = share_shifts(rule("share_shift", points=points), shares, END)
    finite = {k for k, (a, b) in zip(keys, pairs, strict=True) if np.isfinite(a) and np.isfinite(b)}
    assert {f.subject for f in found} <= finite
    assert len(notes) == len(keys) - len(finite)
    for f in found:
        a, b = pairs[keys.index(f.subject)]
        assert abs(b - a) * 100 >= points * (1 - 1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(figures, min_size=1, max_size=8), st.floats(0.01, 1.5))
def test_a_token_without_a_move_never_fires(changes, threshold):
    coins = [f"c{i}" for i in range(len(changes))]
    tokens = pd.DataFrame(
        {COIN_ID: coins, SYMBOL: [c.upper() for c in coins], PRICE: 1.0, CHANGE: changes}
    )
    members = pd.DataFrame({SECTOR: "s0", COIN_ID: coins})
    found, notes = token_moves(rule("token_move", threshold=threshold), tokens, members,
                               {"s0": "S0"}, END)  # fmt: skip
    finite = {c for c, v in zip(coins, changes, strict=True) if np.isfinite(v)}
    assert {f.subject.split(" ")[0] for f in found} <= finite
    missing = set(coins) - finite
    assert bool(notes) == bool(missing)
    assert all(c.upper() in " ".join(notes) for c in missing)


def test_every_notify_url_in_the_environment_and_its_tokens_are_masked(monkeypatch):
    monkeypatch.setenv(
        "AISECTOR_NOTIFY",
        "slack://T0AAAAAAA/B0BBBBBBB/XXXXsecretXXXX json://bob:pa55word99@10.0.0.1/hook?key=k3yk3yk3y",
    )
    line = (
        "posted to json://bob:pa55word99@10.0.0.1/hook?key=k3yk3yk3y; token XXXXsecretXXXX, "
        "T0AAAAAAA, k3yk3yk3y, pa55word99 via hook at 10.0.0.1"
    )
    assert redact(line) == "posted to ***; token ***, ***, ***, *** via hook at 10.0.0.1"


def test_a_sector_entering_the_quadrant_fires_and_one_without_rs_is_named():
    t0, t1 = pd.Timestamp("2025-01-21T23:00Z"), END
    rows = [  # (timestamp, sector, rs_ratio, rs_momentum)
        (t0, "a", 101.0, 99.0), (t1, "a", 101.5, 100.4),  # Weakening -> Leading
        (t0, "b", 101.0, 101.0), (t1, "b", 102.0, 100.5),  # Leading -> Leading
        (t0, "c", 99.0, 101.0), (t1, "c", math.nan, math.nan),  # no RS at the last sample
    ]  # fmt: skip
    rotation = pd.DataFrame(rows, columns=["timestamp", SECTOR, "rs_ratio", "rs_momentum"])
    rotation = rotation.assign(relative_strength=1.0, rs_basis="price")
    labels = {"a": "A", "b": "B", "c": "C"}
    found, notes = quadrant_entries(rule("quadrant"), rotation, labels, END)
    assert [f.subject for f in found] == ["a"]
    assert found[0].text.startswith("A entered the Leading quadrant at 22 Jan 00:00 UTC (from "
                                     "Weakening; RS-ratio 101.5, RS-momentum 100.4")  # fmt: skip
    assert notes == [
        "C RS-ratio/momentum (price) is missing at the last two samples (too little history "
        "before the window)"
    ]
    lagging, _ = quadrant_entries(rule("quadrant", quadrant="Lagging"), rotation, labels, END)
    assert lagging == []
