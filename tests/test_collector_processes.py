"""Collectors as real processes: killed mid-backfill and at random points, racing each other,
read by dashboards while they write."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from aisector.apps.backfill import backfill_plan
from aisector.store import Fetched, open_store
from aisector.store.location import database_url
from tests.store_backends import BACKENDS, backend_url
from tests.store_workers import (
    CHUNK,
    KEY,
    WINDOW,
    aftermath,
    chunk_row_counts,
    collect_seconds,
    is_complete,
    kill_at,
    planned_chunks,
    snapshot_rows,
    stored,
    story,
)

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from aisector.apps.cli import main; sys.exit(main())"
# Where in a collect's run (0: its start, 1: its end) the random kills land; seeded, so a failure
# reruns the same kills. The benchmark (benchmarks/crash_runs.py) does fifty per database.
KILL_POINTS = sorted(n / 1000 for n in random.Random(6).sample(range(1000), 6))


@pytest.fixture(scope="module")
def full() -> pd.DataFrame:
    return story()


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def collect_time(backend, tmp_path_factory) -> float:
    """How long an uninterrupted collect takes here and now: the span the random kills cover."""
    folder = tmp_path_factory.mktemp(f"calibrate-{backend}")
    collect_seconds(backend_url(backend, folder), folder / "warm-up")  # and the fork server
    return collect_seconds(backend_url(backend, folder / "again"), folder / "trace")


def start(role: str, url: str, *options: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.store_workers", role, url, *options]
    environ = {**os.environ, "AISECTOR_STORE": url}  # what a dashboard without --store reads
    return subprocess.Popen(
        command, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen) -> object:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.splitlines()[-1])


def row_count(url: str) -> int:
    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT count(*) FROM aisector_market").scalar_one()
    except sa.exc.DBAPIError:
        return 0  # not created yet
    finally:
        engine.dispose()


def wait_for_rows(url: str, at_least: int, worker: subprocess.Popen) -> pd.DataFrame:
    """Poll the store until it holds ``at_least`` rows; the rows seen then."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and row_count(url) < at_least:
        assert worker.poll() is None, "the collector finished before it could be killed"
        time.sleep(0.02)
    return stored(url)[0]


def kill(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGKILL)
    worker.communicate()


def assert_whole_writes(url: str) -> pd.DataFrame:
    """The store holds whole writes only (snapshot, chunks with their fetched marks); its rows."""
    left = aftermath(url, "", committed=0)
    assert (left.partial, left.wrong_rows) == (0, 0)
    return stored(url)[0]


def assert_kept(before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Every row committed before the kill is still there, with the same values."""
    merged = before.merge(after, on=KEY, how="left", suffixes=("", "_after"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["price"] == merged["price_after"]).all()


def test_a_collector_killed_mid_backfill_loses_nothing_and_a_rerun_completes(url, full):
    counts = chunk_row_counts()  # after the snapshot, then after each of the 13 chunks
    for chunks_done in (1, 5, 9):  # kill three times, each later in the backfill
        worker = start("collect", url, "--pause", "0.05")
        before = wait_for_rows(url, counts[1 + chunks_done], worker)
        kill(worker)
        after = assert_whole_writes(url)
        assert_kept(before, after)
        assert len(after) < len(full)
    missing = backfill_plan(stored(url)[1], WINDOW, CHUNK, pd.Timedelta(hours=1))
    done = finish(start("collect", url))
    assert done["rows_added"] == len(full) - len(after)
    assert done["requests"] == 1 + len(missing)  # the snapshot, then only what was missing
    assert len(missing) <= len(planned_chunks()) - 9
    assert is_complete(url)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_collector_killed_at_a_random_point_leaves_whole_writes(
    backend, collect_time, point, tmp_path
):
    url = backend_url(backend, tmp_path)
    left = kill_at(url, point * collect_time, tmp_path / "trace")
    assert (left.rows_lost, left.partial, left.wrong_rows) == (0, 0, 0), left
    collect_seconds(url, tmp_path / "rerun")
    assert is_complete(url)


def test_the_crash_check_catches_a_half_written_chunk(tmp_path):
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    first, second = planned_chunks()[:2]
    full = story()
    chunk_rows = full[full["timestamp"].between(second.start, second.end)]
    with open_store(url) as store:
        store.write(snapshot_rows())
        whole = full[full["timestamp"].between(first.start, first.end)]
        store.write(whole, None, Fetched(first.coins, first.start, first.end))
        store.write(chunk_rows.iloc[: len(chunk_rows) // 2])  # half the rows, no fetched mark
    left = aftermath(url, "", committed=3)  # as if the trace said the second chunk committed
    assert left.partial == 1
    assert left.rows_lost == len(chunk_rows) - len(stored(url)[0].merge(chunk_rows, on=KEY))
    assert left.wrong_rows > 0  # the half chunk's rows belong to no whole write


def test_a_collect_killed_inside_its_transaction_leaves_all_or_nothing(tmp_path):
    path = tmp_path / "history.sqlite"
    wal = Path(f"{path}-wal")
    command = [sys.executable, "-c", CLI, "collect", "--source", "offline", "--store", str(path)]
    worker = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    while worker.poll() is None and not (wal.exists() and wal.stat().st_size > 256 * 1024):
        time.sleep(0.005)  # the one 36k-row transaction is being written
    kill(worker)
    url = f"sqlite:///{path}"
    assert row_count(url) in (0, 36_387)
    assert subprocess.run(command, cwd=ROOT, check=True, capture_output=True).returncode == 0
    assert row_count(url) == 36_387


def test_dashboards_reading_while_a_collector_writes_see_whole_chunks_and_never_fail(url, full):
    readers = [start("read", url, "--seconds", "60", "--via", "dashboard") for _ in range(3)]
    readers.append(start("read", url, "--seconds", "60"))  # and one through the store itself
    for reader in readers:
        assert reader.stdout.readline() == "reading\n", reader.communicate()[1]
    writer = start("collect", url, "--pause", "0.1")
    assert finish(writer)["rows_added"] == len(full)
    seen = [finish(reader) for reader in readers]  # each exits 0: no error, nothing locked
    allowed = set(chunk_row_counts())
    for counts in seen:
        assert counts == sorted(counts)  # committed rows never disappear
        assert set(counts) <= allowed  # and never show up half a chunk at a time
        assert counts[-1] == len(full)
    assert all(any(0 < count < len(full) for count in counts) for counts in seen)


def test_two_collectors_started_at_once_store_every_row_once(url, full):
    workers = [start("collect", url, "--pause", "0.02") for _ in range(2)]
    results = [finish(worker) for worker in workers]
    assert sum(result["rows_added"] for result in results) == len(full)
    rows, covered = stored(url)
    pd.testing.assert_frame_equal(rows, full)
    assert all(len(intervals) == 1 for intervals in covered.values())
