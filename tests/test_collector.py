"""The collector in-process: backfill planning, snapshots, resuming, the CLI and its summary."""

from __future__ import annotations

import io
import itertools
import json
import os

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aisector.apps.backfill import Chunk, backfill_plan, chunks, gaps
from aisector.apps.cli import main
from aisector.apps.collector import collect, collect_spec
from aisector.apps.progress import Progress
from aisector.core.errors import ConfigError, SourceUnavailable
from aisector.core.schema import validate_market_frame
from aisector.store import Fetched, Origin, open_store
from connectors.base import CollectableSource, clip_to_range
from connectors.offline import OfflineMarket

T0 = pd.Timestamp("2025-01-01T00:00Z")
HOUR = pd.Timedelta(hours=1)
DAY = pd.Timedelta(days=1)


def at(hour: int) -> pd.Timestamp:
    return T0 + hour * HOUR


class FakeLive(CollectableSource):
    """A live source over a fixed hourly market: counts requests, keeps the ranges asked."""

    name = "fakelive"
    label = "fake live market"
    live = True
    history_chunk = 2 * DAY
    history_step = HOUR
    history_not_found: frozenset[str] = frozenset()

    def __init__(self, market: pd.DataFrame, fail_on_call: int | None = None) -> None:
        self.market = market
        self.requests_made = 0
        self.asked: list[tuple[pd.Timestamp, pd.Timestamp, tuple[str, ...]]] = []
        self.fail_on_call = fail_on_call

    def snapshot(self, coins):
        self.requests_made += 1
        newest = self.market[self.market["timestamp"] == self.market["timestamp"].max()]
        stamp = newest["timestamp"] + pd.Timedelta(minutes=7)
        return clip_to_range(newest.assign(timestamp=stamp), coins, None, None)

    def market_history(self, coins, start=None, end=None):
        self.requests_made += 1
        self.asked.append((start, end, tuple(coins)))
        if self.fail_on_call == len(self.asked):
            raise SourceUnavailable("upstream timed out")
        return clip_to_range(self.market, coins, start, end)


def hourly_market(coins=("a", "b"), hours=24 * 7) -> pd.DataFrame:
    rows = [
        (at(h), coin, coin.upper(), 1.0 + h, 1e6, 1e4, "fakelive")
        for h in range(hours)
        for coin in coins
    ]
    columns = ["timestamp", "coin_id", "symbol", "price", "market_cap", "volume", "source"]
    return validate_market_frame(pd.DataFrame(rows, columns=columns))


# --- planning: pure functions of coverage ----------------------------------------------------


def test_gaps_are_what_coverage_leaves_out_of_the_window():
    covered = [(at(10), at(20)), (at(30), at(40))]
    assert gaps((at(0), at(50)), covered, HOUR) == [
        (at(0), at(10)),
        (at(20), at(30)),
        (at(40), at(50)),
    ]
    assert gaps((at(12), at(18)), covered, HOUR) == []
    assert gaps((at(0), at(20)), [(at(0), at(19) + 30 * pd.Timedelta(minutes=1))], HOUR) == []


def test_the_plan_shares_chunks_between_coins_and_fetches_newest_first():
    covered = {"a": [], "b": [], "c": [(at(0), at(96))]}
    plan = backfill_plan(covered, (at(0), at(96)), 2 * DAY, HOUR)
    assert plan == [
        Chunk(at(48), at(96), ("a", "b")),
        Chunk(at(0), at(48), ("a", "b")),
    ]


@given(
    start=st.integers(0, 1000),
    length=st.integers(1, 5000),
    size=st.integers(1, 400),
)
def test_chunks_tile_the_interval_within_the_size(start, length, size):
    pieces = chunks((at(start), at(start + length)), size * HOUR)
    assert pieces[0][0] == at(start)
    assert pieces[-1][1] == at(start + length)
    assert all(high - low <= size * HOUR for low, high in pieces)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(pieces))


@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(0, 60)), max_size=6),
    st.integers(0, 200),
    st.integers(1, 200),
)
def test_gaps_and_coverage_together_hold_the_whole_window(spans, first, length):
    covered = sorted((at(low), at(low + width)) for low, width in spans)
    window = (at(first), at(first + length))
    found = gaps(window, covered, pd.Timedelta(0))
    for hour in range(first, first + length + 1):
        stamp = at(hour)
        inside = any(low <= stamp <= high for low, high in covered + found)
        assert inside, stamp
    for low, high in found:
        assert window[0] <= low < high <= window[1]
        assert not any(a < low and high < b for a, b in covered)


# --- collecting ------------------------------------------------------------------------------


def test_a_collect_stores_the_snapshot_and_the_history_in_chunks(sqlite_url):
    market = hourly_market()
    source = FakeLive(market)
    now = market["timestamp"].max() + 8 * pd.Timedelta(minutes=1)
    with open_store(sqlite_url) as store:
        done = collect(store, source, ["a", "b", "ghost"], 7 * DAY, now)
        stored = store.read(["a", "b"])
    assert all(end - start <= 2 * DAY for start, end, _ in source.asked)
    assert len(source.asked) == 4  # 7 days in 2-day chunks, a and b asked together
    assert (done.coins, done.rows_added, done.requests) == (2, len(market) + 2, 5)
    assert done.missing == ("ghost",)
    assert len(stored) == len(market) + 2
    assert done.line() == (
        f"collected 2 coins from fake live market: {len(market) + 2:,} rows added, 5 requests"
    )


def test_a_second_collect_fetches_only_what_is_new(sqlite_url):
    market = hourly_market()
    now = market["timestamp"].max()
    with open_store(sqlite_url) as store:
        collect(store, FakeLive(market), ["a", "b"], 7 * DAY, now - 3 * HOUR)
        again = FakeLive(market)
        done = collect(
            store, again, ["a", "b"], 7 * DAY, now - 3 * HOUR + 20 * pd.Timedelta(minutes=1)
        )
        assert (done.requests, len(again.asked)) == (1, 0)  # the snapshot only: gap < 1 h
        later = FakeLive(market)
        done = collect(store, later, ["a", "b"], 7 * DAY, now)
    assert [(start, end) for start, end, _ in later.asked] == [(now - 3 * HOUR, now)]
    assert done.rows_added == 2 * 3  # three new hours of two coins; the same snapshot again


def test_an_interrupted_backfill_keeps_its_chunks_and_resumes(url):
    market = hourly_market()
    now = market["timestamp"].max()
    failing = FakeLive(market, fail_on_call=3)
    with open_store(url) as store:
        with pytest.raises(SourceUnavailable):
            collect(store, failing, ["a", "b"], 7 * DAY, now)
        kept = store.read(["a", "b"])
        assert len(kept) == 2 + 2 * (4 * 24 + 1)  # snapshot, then the two newest 2-day chunks
        resumed = FakeLive(market)
        done = collect(store, resumed, ["a", "b"], 7 * DAY, now)
        assert len(resumed.asked) == 2
        assert len(store.read(["a", "b"])) == len(market) + 2
    assert done.rows_added == len(market) - (len(kept) - 2)


def test_a_chunk_another_collector_finished_meanwhile_is_skipped(sqlite_url):
    market = hourly_market()
    now = market["timestamp"].max()

    class Raced(FakeLive):
        def market_history(self, coins, start=None, end=None):
            frame = super().market_history(coins, start, end)
            if len(self.asked) == 1:  # another run fills everything older meanwhile
                older = Fetched(("a", "b"), now - 7 * DAY, start)
                store.write(
                    clip_to_range(market, coins, None, start), Origin("fakelive", "x"), older
                )
            return frame

    source = Raced(market)
    with open_store(sqlite_url) as store:
        done = collect(store, source, ["a", "b"], 7 * DAY, now)
        assert len(store.read()) == len(market) + 2
    assert len(source.asked) == 1
    assert done.rows_added == 2 + 2 * 48  # the snapshot, and its chunk less the shared hour


def test_a_source_without_a_clock_backfills_back_from_its_newest_row(sqlite_url):
    with open_store(sqlite_url) as store:
        done = collect(
            store, OfflineMarket(), ["pippin"], 2 * DAY, pd.Timestamp("2030-01-01T00:00Z")
        )
        stored = store.read(["pippin"])
    assert done.rows_added == len(stored) == 49
    assert stored["timestamp"].max() == pd.Timestamp("2025-01-22T00:00Z")


def test_backfill_zero_takes_only_the_snapshot(sqlite_url):
    market = hourly_market()
    source = FakeLive(market)
    with open_store(sqlite_url) as store:
        done = collect(store, source, ["a", "b"], pd.Timedelta(0), market["timestamp"].max())
    assert (done.rows_added, source.asked) == (2, [])


@pytest.mark.parametrize(
    ("spec", "chosen"), [("auto", "coingecko"), ("offline", "offline"), ("csv:x.csv", "csv:x.csv")]
)
def test_collect_reads_the_preferred_source_never_the_store(spec, chosen):
    assert collect_spec(spec) == chosen


def test_collecting_from_the_store_itself_is_refused():
    with pytest.raises(ConfigError, match="into itself"):
        collect_spec("store")


def test_the_progress_bar_draws_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown, hidden = Terminal(), io.StringIO()
    for stream in (shown, hidden):
        bar = Progress("collect", stream)
        bar.start(4)
        bar.advance(1500)
        bar.finish()
    assert "\rcollect [######..................] 1/4 chunks, 1,500 rows" in shown.getvalue()
    assert hidden.getvalue() == ""


# --- the command line ------------------------------------------------------------------------


def test_cli_collect_prints_one_summary_line_each_for_prices_and_activity_and_fills_the_store(
    url, capsys, monkeypatch, tmp_path
):
    monkeypatch.delenv("AISECTOR_STORE", raising=False)
    assert main(["collect", "--source", "offline", "--store", url]) == 0
    out = capsys.readouterr().out
    assert out == (
        "collected 31 coins from offline – simulated market: 36,387 rows added, 0 requests\n"
        "collected activity of 4 protocols from offline – simulated activity: 490 rows added\n"
    )
    assert main(["collect", "--source", "offline", "--store", url]) == 0
    again = capsys.readouterr().out
    assert ": 0 rows added, 0 requests" in again
    assert "simulated activity: 0 rows added" in again
    out_file = tmp_path / "tokens.csv"
    assert main(["export", "tokens", "--store", url, "--out", str(out_file)]) == 0
    provenance = json.loads(out_file.with_suffix(".json").read_text())
    assert provenance["source"] == "store"
    assert provenance["source_label"] == "history store (offline – simulated market)"
    tokens = pd.read_csv(out_file).set_index("coin_id")
    assert tokens.loc["pippin", "change"] == pytest.approx(1.0482, abs=5e-9)


def test_cli_store_option_leaves_the_environment_alone(sqlite_url, monkeypatch, tmp_path):
    monkeypatch.delenv("AISECTOR_STORE", raising=False)
    before = dict(os.environ)
    assert main(["collect", "--source", "offline", "--backfill", "1", "--store", sqlite_url]) == 0
    out_file = tmp_path / "tokens.csv"
    export = ["export", "tokens", "--source", "store", "--store", sqlite_url]
    assert main([*export, "--out", str(out_file)]) == 0
    assert dict(os.environ) == before
    assert json.loads(out_file.with_suffix(".json").read_text())["source"] == "store"


def test_cli_collect_creates_the_default_store_in_the_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("AISECTOR_STORE", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["collect", "--source", "offline", "--backfill", "1"]) == 0
    assert "775 rows added" in capsys.readouterr().out  # 31 coins x 25 hours
    assert (tmp_path / "data" / "aisector" / "history.sqlite").is_file()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--source", "store"], "cannot collect from the store into itself"),
        (["--store", "mysql://db/x"], "scheme 'mysql' is not supported"),
    ],
)
def test_cli_collect_refuses_bad_options_in_one_line(options, message, capsys, sqlite_url):
    assert main(["collect", "--store", sqlite_url, *options]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert err.count("\n") == 0


def test_cli_backfill_takes_whole_days(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["collect", "--backfill", "soon"])
    assert exit_.value.code == 2
    assert "'soon' is not a whole number of days" in capsys.readouterr().err
