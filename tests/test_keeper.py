"""One collector per store: the plan's order, the collector lease on both databases, rounds that
stop and resume, and the long-running ``aisector collect --every`` under SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aisector.apps.backfill import backfill_plan
from aisector.apps.cli import main
from aisector.apps.keeper import Keeper, covered_coins, holder_name, take_lease
from aisector.core.sectors import parse_sectors
from aisector.store import open_existing, open_store
from aisector.store.lease import COLLECTOR
from tests.alert_receiver import receiver
from tests.test_collector import DAY, HOUR, FakeLive, at, hourly_market

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from aisector.apps.cli import main; sys.exit(main())"
TTL = pd.Timedelta(minutes=1)
BOOK = parse_sectors('[sectors.ab]\nlabel = "AB"\ncoins = ["a", "b"]\n')


# --- the plan: newest chunk of every coin first, small writes when asked ---------------------


@settings(max_examples=80, deadline=None)
@given(
    covered_until=st.lists(st.integers(0, 90), min_size=1, max_size=6),
    size=st.integers(1, 40),
    max_coins=st.one_of(st.none(), st.integers(1, 3)),
)
def test_every_coins_newest_chunk_comes_before_any_older_chunk(covered_until, size, max_coins):
    covered = {f"c{i}": [(at(0), at(h))] if h else [] for i, h in enumerate(covered_until)}
    plan = backfill_plan(covered, (at(0), at(96)), size * HOUR, HOUR, max_coins)
    seen: set[str] = set()
    first_older = None
    for position, chunk in enumerate(plan):
        assert max_coins is None or len(chunk.coins) <= max_coins
        older = [c for c in chunk.coins if c in seen]
        if older and first_older is None:
            first_older = position
        if first_older is not None:
            assert not set(chunk.coins) - seen, "a coin's newest chunk after an older one"
        seen |= set(chunk.coins)
    for coin, intervals in covered.items():  # together the chunks fill every coin's gaps
        mine = sorted((c.start, c.end) for c in plan if coin in c.coins)
        start = intervals[0][1] if intervals else at(0)
        assert (mine[0][0], mine[-1][1]) == (start, at(96)) if start < at(95) else not mine


# --- the lease --------------------------------------------------------------------------------


def test_one_holder_at_a_time_until_the_lease_expires_or_is_released(url):
    now = pd.Timestamp("2026-01-01T00:00Z")
    with open_store(url) as store:
        assert store.take_lease(COLLECTOR, "one", now, TTL).held_by("one")
        taken = store.take_lease(COLLECTOR, "two", now + TTL / 2, TTL)
        assert taken.holder == "one" and taken.expires == now + TTL
        assert store.take_lease(COLLECTOR, "one", now + TTL / 2, TTL).held_by("one")  # renewed
        assert not store.take_lease(COLLECTOR, "two", now + TTL, TTL).held_by("two")
        assert store.take_lease(COLLECTOR, "two", now + 2 * TTL, TTL).held_by("two")  # expired
        store.release_lease(COLLECTOR, "one")  # not one's any more: nothing changes
        assert not store.take_lease(COLLECTOR, "one", now + 2 * TTL, TTL).held_by("one")
        store.release_lease(COLLECTOR, "two")
        assert store.take_lease(COLLECTOR, "one", now + 2 * TTL, TTL).held_by("one")


def test_racing_takers_get_one_holder(url):
    now = pd.Timestamp("2026-01-01T00:00Z")
    winners: list[str] = []
    start = threading.Barrier(6)

    def taker(name: str) -> None:
        with open_store(url) as store:
            start.wait()
            if store.take_lease(COLLECTOR, name, now, TTL).held_by(name):
                winners.append(name)

    threads = [threading.Thread(target=taker, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_a_lease_left_by_a_dead_process_of_this_host_is_taken_over(sqlite_url):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    gone = holder_name("collect").rsplit(":", 1)[0] + f":{dead}"
    now = pd.Timestamp.now(tz="UTC")
    with open_store(sqlite_url) as store:
        store.take_lease(COLLECTOR, gone, now, TTL)
        assert take_lease(store, "me", now, TTL).held_by("me")
        store.take_lease(COLLECTOR, "elsewhere:1", now + 2 * TTL, TTL)
        assert not take_lease(store, "me", now + 2 * TTL, TTL).held_by("me")  # not ours to judge


def test_a_version_1_store_gains_the_lease_table_and_keeps_its_rows(sqlite_url, monkeypatch):
    from aisector.store import schema

    with monkeypatch.context() as patched:
        patched.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        with open_store(sqlite_url) as old:
            old.write(hourly_market(hours=3))
            assert old.schema_version == 1
    with open_existing(sqlite_url) as upgraded:
        assert upgraded.schema_version == len(schema.MIGRATIONS)  # v2 (leases) and later
        assert len(upgraded.read()) == 6
        assert upgraded.take_lease(COLLECTOR, "x", at(0), TTL).held_by("x")


# --- rounds: only the holder collects; a stop mid-backfill resumes --------------------------


def keeper(store, source, holder: str, now: pd.Timestamp) -> Keeper:
    return Keeper(store, source, BOOK, holder, 6 * DAY, clock=lambda: now)


def test_two_keepers_on_one_store_collect_once(url):
    market = hourly_market()
    now = market["timestamp"].max()
    first, second = FakeLive(market), FakeLive(market)
    with open_store(url) as store:
        done = keeper(store, first, "first", now).round()
        skipped = keeper(store, second, "second", now).round()
    assert done.done is not None and done.done.rows_added > 0
    assert skipped.done is None and skipped.lease.holder == "first"
    assert second.requests_made == 0 and "only reading" in skipped.line()
    # the snapshot, then three two-day chunks per coin (a, b and the benchmark, bitcoin)
    assert first.requests_made == 1 + 3 * len(BOOK.coins())


def test_a_keeper_stopped_mid_backfill_resumes_without_asking_twice(url):
    market = hourly_market()
    now = market["timestamp"].max()
    stop = threading.Event()
    source = FakeLive(market)
    original = source.market_history

    def history_then_stop(coins, start=None, end=None):
        if len(source.asked) == 2:
            stop.set()  # a SIGTERM or a server stop while the third chunk is asked
        return original(coins, start, end)

    source.market_history = history_then_stop
    with open_store(url) as store:
        lines: list[str] = []
        keeper(store, source, "dashboard", now).run(stop, lines.append)
        assert covered_coins(store, "fakelive", BOOK, 6 * DAY, now) == 0
        assert store.take_lease(COLLECTOR, "other", now, TTL).held_by("other")  # released
        store.release_lease(COLLECTOR, "other")
        asked_before = list(source.asked)
        resumed = FakeLive(market)
        keeper(store, resumed, "dashboard", now).round()
        assert covered_coins(store, "fakelive", BOOK, 6 * DAY, now) == len(BOOK.coins())
    assert len(asked_before) == 3  # the chunk in flight when the stop came is written, no more
    assert not set(resumed.asked) & set(asked_before)  # committed chunks are not asked again
    assert len(resumed.asked) == 3 * len(BOOK.coins()) - 3
    assert lines == []  # stopped inside its first round


def test_collect_leaves_a_store_whose_lease_another_holds(sqlite_url, capsys):
    with open_store(sqlite_url) as store:
        store.take_lease(COLLECTOR, "dashboard host:1", pd.Timestamp.now(tz="UTC"), TTL)
    code = main(["collect", "--source", "offline", "--backfill", "1", "--store", sqlite_url])
    streams = capsys.readouterr()
    assert code == 0
    lines = streams.out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dashboard host:1 holds the collector lease")
    assert lines[0].endswith("nothing collected")
    with open_existing(sqlite_url) as store:
        assert store.read().empty


def collect_every(store: str, *options: str) -> subprocess.Popen:
    """``aisector collect --source offline --backfill 2 --every 1s`` as a process of its own."""
    command = [sys.executable, "-c", CLI, "collect", "--source", "offline", "--backfill", "2"]
    command += ["--every", "1s", "--store", store, *options]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_collect_every_runs_rounds_until_sigterm_then_gives_the_lease_up(sqlite_url):
    worker = collect_every(sqlite_url)
    rounds = [worker.stdout.readline() for _ in range(3)]
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert all(" UTC collected " in line for line in rounds), rounds
    assert "rows added" in rounds[0] and "0 rows added" in rounds[2]  # then only what is new
    assert out.strip().splitlines()[-1] == "collector stopped"
    with open_store(sqlite_url) as store:  # given up: anyone may take it at once
        assert store.take_lease(COLLECTOR, "next", pd.Timestamp.now(tz="UTC"), TTL).held_by("next")


@pytest.mark.parametrize("every", ["0m", "5", "m", "1.5m", "1d"])
def test_collect_every_refuses_a_bad_interval_in_one_line(every, capsys):
    with pytest.raises(SystemExit) as exit_code:
        main(["collect", "--every", every])
    assert exit_code.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not an interval like 5m" in err[0]


def test_a_keeper_whose_lease_is_taken_over_stops_its_round_and_then_only_reads(sqlite_url):
    market = hourly_market()
    now = market["timestamp"].max()
    source = FakeLive(market)
    original = source.market_history
    stop = threading.Event()
    lines: list[str] = []

    def history_then_lose_the_lease(coins, start=None, end=None):
        if len(source.asked) == 1:  # e.g. this holder stalled past its expiry
            store.take_lease(COLLECTOR, "thief", now, TTL, replace="dashboard")
        return original(coins, start, end)

    def report(line: str) -> None:
        lines.append(line)
        if len(lines) == 2:
            stop.set()

    source.market_history = history_then_lose_the_lease
    with open_store(sqlite_url) as store:
        keeper = Keeper(
            store, source, BOOK, "dashboard", 6 * DAY, pd.Timedelta(0), clock=lambda: now
        )
        keeper.run(stop, report)
        assert store.take_lease(COLLECTOR, "other", now, TTL).holder == "thief"  # left alone
    assert "thief holds the collector lease" in lines[0] and "this round stops" in lines[0]
    assert lines[1].endswith("; only reading")
    assert len(source.asked) == 2  # the chunk in flight was written; no chunk after it


def test_collect_every_checks_the_alert_rules_after_each_round_and_sends_once(sqlite_url):
    with receiver() as hook:
        worker = collect_every(sqlite_url, "--notify", hook.url())
        lines = [worker.stdout.readline() for _ in range(8)]
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    said = "".join(lines) + out
    assert "AI agents +10.47%" in said  # the offline market's newest 24h, judged after round 1
    sent = hook.messages()
    assert any("AI agents +10.47%" in message for message in sent)
    assert len(sent) == len(set(sent))  # later rounds send nothing again
    assert hook.url() not in said + err
