"""The alerts ledger on SQLite and PostgreSQL: once per (rule, subject) per cooldown, marks for
"changed since the last check", and several processes checking at once sending each alert once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from aisector.store import open_existing, open_store, schema
from aisector.store.alerts import SENT, UNSENT, Claim
from tests.alert_receiver import receiver

ROOT = Path(__file__).resolve().parent.parent
T = pd.Timestamp("2025-01-22T00:00Z")
NOW = pd.Timestamp("2026-01-01T00:00Z")
DAY = pd.Timedelta(hours=24)


def claim(at: pd.Timestamp, subject: str = "ai-agents up", **fields: object) -> Claim:
    return Claim("move", "sector_move", subject, f"{subject} at {at}", at, DAY, **fields)


def won(store, *claims: Claim) -> list[str]:
    return [c.claim.message for c in store.claim_alerts(list(claims), "offline", UNSENT, NOW)]


def test_a_rule_fires_once_per_subject_per_cooldown_in_market_time(url):
    hour = pd.Timedelta(hours=1)
    with open_store(url) as store:
        assert store.schema_version == len(schema.MIGRATIONS)
        assert won(store, claim(T)) == [f"ai-agents up at {T}"]
        assert won(store, claim(T), claim(T + 23 * hour), claim(T - 23 * hour)) == []
        assert won(store, claim(T, "ai-agents down"), claim(T + DAY)) == [
            f"ai-agents down at {T}",
            f"ai-agents up at {T + DAY}",
        ]
    with open_existing(url) as reopened:  # a restart remembers
        assert won(reopened, claim(T + 2 * hour)) == []
        recent = reopened.recent_alerts()
    assert list(recent["subject"]) == ["ai-agents up", "ai-agents down", "ai-agents up"]
    assert list(recent["as_of"]) == [T + DAY, T, T]


def test_a_changed_only_rule_fires_when_the_subject_differs_from_the_last_check(url):
    lead = {"changed_only": True}
    with open_store(url) as store:
        assert won(store, claim(T, "meme", **lead)) == []  # the first check only marks
        assert won(store, claim(T + DAY, "meme", **lead)) == []
        assert won(store, claim(T - DAY, "ai-agents", **lead)) == []  # older than the mark
        assert won(store, claim(T + 2 * DAY, "ai-agents", **lead)) == [
            f"ai-agents at {T + 2 * DAY}"
        ]
        assert won(store, claim(T + 2 * DAY, "ai-agents", **lead)) == []


def test_a_delivery_is_recorded_on_its_row(url):
    with open_store(url) as store:
        (first,) = store.claim_alerts([claim(T)], "offline", "pending", NOW)
        store.record_alert(first.id, SENT, 2, None)
        row = store.recent_alerts().iloc[0]
    assert (row["status"], row["attempts"], row["rule"]) == (SENT, 2, "move")


def test_processes_checking_at_once_send_each_alert_once(url):
    """Three `aisector alert` processes on one store at the same hour: one set of posts."""
    with receiver() as hook:
        command = [
            str(Path(sys.executable).parent / "aisector"), "alert", "--source", "offline", "--store", url,
            "--as-of", "2025-01-22T00:00Z", "--notify", hook.url(),
        ]  # fmt: skip
        runs = [
            subprocess.Popen(
                command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    printed = [line for out, _ in outputs for line in out.splitlines()]
    assert len(printed) == 7 == len(hook.posts)  # 22 Jan: sector move, 2 share shifts, 4 tokens
    assert len({p["body"]["title"] for p in hook.posts}) == 7


def test_a_store_from_before_alerts_gains_the_alerts_tables_keeping_its_rows(url, monkeypatch):
    rows = pd.DataFrame(
        {"timestamp": [T], "coin_id": ["bitcoin"], "symbol": ["BTC"], "price": [1e5],
         "market_cap": [2e12], "volume": [5e10], "source": ["offline"]}
    )  # fmt: skip
    with monkeypatch.context() as before_alerts:
        step = schema.MIGRATIONS.index(schema._add_alerts_v3)  # wherever the merge put it
        before_alerts.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:step])
        with open_store(url) as old:
            old.write(rows)
            assert old.schema_version == len(schema.MIGRATIONS)
    with open_existing(url) as upgraded:
        assert upgraded.schema_version == len(schema.MIGRATIONS)
        assert len(upgraded.read()) == 1
        assert won(upgraded, claim(T)) == [f"ai-agents up at {T}"]
