"""Collectors as real processes: killed mid-backfill, racing each other, read while they write."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from aisector.backfill import backfill_plan
from store import open_existing
from store.location import database_url
from tests.store_backends import BACKENDS, backend_url
from tests.store_workers import CHUNK, WINDOW, chunk_row_counts, story, story_coins

ROOT = Path(__file__).resolve().parent.parent
CLI = "import sys; from aisector.cli import main; sys.exit(main())"
KEY = ["coin_id", "timestamp"]


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path) -> str:
    return backend_url(request.param, tmp_path)


@pytest.fixture(scope="module")
def full() -> pd.DataFrame:
    return story()


def start(role: str, url: str, *options: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "tests.store_workers", role, url, *options]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen) -> object:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


def stored(url: str) -> tuple[pd.DataFrame, dict]:
    store = open_existing(url)
    if store is None:
        return story().iloc[:0], {coin: [] for coin in story_coins()}
    with store:
        return store.read(source="offline"), store.coverage("offline", story_coins())


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


def assert_whole_chunks(url: str, full: pd.DataFrame) -> pd.DataFrame:
    """The store holds exactly the story's rows inside its fetched ranges: no half chunk."""
    rows, covered = stored(url)
    inside = pd.Series(False, index=full.index)
    for coin, intervals in covered.items():
        mine = full["coin_id"] == coin
        for low, high in intervals:
            inside |= mine & full["timestamp"].between(low, high)
    expected = full[inside].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, expected, check_categorical=False)
    return rows


def assert_kept(before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Every row committed before the kill is still there, with the same values."""
    merged = before.merge(after, on=KEY, how="left", suffixes=("", "_after"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["price"] == merged["price_after"]).all()


def test_a_collector_killed_mid_backfill_loses_nothing_and_a_rerun_completes(url, full):
    counts = chunk_row_counts()
    for chunks_done in (1, 5, 9):  # kill three times, each later in the 13-chunk backfill
        worker = start("collect", url, "--pause", "0.05")
        before = wait_for_rows(url, counts[chunks_done], worker)
        kill(worker)
        after = assert_whole_chunks(url, full)
        assert_kept(before, after)
        assert len(after) < len(full)
    missing = backfill_plan(stored(url)[1], WINDOW, CHUNK, pd.Timedelta(hours=1))
    done = finish(start("collect", url))
    assert done["rows_added"] == len(full) - len(after)
    assert done["requests"] == len(missing) <= len(counts) - 1 - 9  # only what was missing
    rows, covered = stored(url)
    pd.testing.assert_frame_equal(rows, full)
    assert all(len(intervals) == 1 for intervals in covered.values())


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


def test_readers_see_only_whole_chunks_while_a_collector_writes(url, full):
    readers = [start("read", url, "--seconds", "60") for _ in range(2)]
    writer = start("collect", url, "--pause", "0.1")
    assert finish(writer)["rows_added"] == len(full)
    seen = [finish(reader) for reader in readers]
    allowed = set(chunk_row_counts())
    for counts in seen:
        assert counts == sorted(counts)  # committed rows never disappear
        assert set(counts) <= allowed  # and never show up half a chunk at a time
        assert counts[-1] == len(full)
    assert any(0 < count < len(full) for counts in seen for count in counts)


def test_two_collectors_started_at_once_store_every_row_once(url, full):
    workers = [start("collect", url, "--pause", "0.02") for _ in range(2)]
    results = [finish(worker) for worker in workers]
    assert sum(result["rows_added"] for result in results) == len(full)
    rows, covered = stored(url)
    pd.testing.assert_frame_equal(rows, full)
    assert all(len(intervals) == 1 for intervals in covered.values())
