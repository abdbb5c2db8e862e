"""Rotation alerts end to end: the offline replay through a local webhook, once only, failures."""

from __future__ import annotations

import logging
import time

import pandas as pd
import pytest
import sqlalchemy as sa

from aisector.apps.alert_rules import load_rules
from aisector.apps.alerts import check_and_notify
from aisector.apps.cli import main
from aisector.apps.notify import Delivery
from aisector.core.sectors import load_sectors
from aisector.sources.market_data import load_market
from aisector.store import open_store
from aisector.store.location import database_url
from tests.alert_receiver import receiver
from tests.test_dashboard_pages import start

DASHBOARD = "http://dashboard.example/rotation"
# The hours around each event: each daily close, an hour before it (the day before's close is
# still the one judged) and an hour after (the same close judged again: must not resend).
REPLAY = [
    pd.Timestamp(f"2025-01-{day}T{hour}Z")
    for day, hour in [
        ("17", "01:00"),
        ("17", "23:00"),
        ("18", "00:00"),
        ("18", "01:00"),
        ("19", "00:00"),
        ("19", "01:00"),
        ("19", "23:00"),
        ("20", "00:00"),
        ("20", "01:00"),
        ("21", "00:00"),
        ("21", "01:00"),
        ("21", "23:00"),
        ("22", "00:00"),
    ]
]


@pytest.fixture(scope="module")
def offline():
    book = load_sectors()
    return book, load_market("offline", book), load_rules(None, book)


def replay(store_url: str, urls: tuple[str, ...], offline) -> list[str]:
    """Check every replay hour in turn; the lines of the alerts fired."""
    book, data, rules = offline
    fired = []
    with open_store(store_url) as store:
        for as_of in REPLAY:
            done = check_and_notify(store, data, book, rules, Delivery(urls), as_of, DASHBOARD)
            assert not done.warnings
            fired += [alert.line() for alert in done.alerts]
    return fired


def only(messages: list[str], *parts: str) -> str:
    """The one message containing every part; fails when none or several do."""
    found = [m for m in messages if all(part in m for part in parts)]
    assert len(found) == 1, (parts, found)
    return found[0]


def test_offline_replay_sends_the_january_alerts_once_each(tmp_path, offline):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with receiver() as hook:
        fired = replay(url, (hook.url(),), offline)
        messages = hook.messages()
        assert len(messages) == len(fired) == len(set(messages))
        meme_17 = only(messages, "Meme volume share +13.3 points over the 24h to 18 Jan 00:00 UTC")
        assert "(73.1% → 86.4% of the rotation universe's 24h volume" in meme_17
        only(messages, "AI agents volume share -8.5 points over the 24h to 18 Jan 00:00 UTC")
        only(messages, "Meme volume share +10.7 points over the 24h to 19 Jan 00:00 UTC")
        only(messages, "AI agents volume share +5.1 points over the 24h to 22 Jan 00:00 UTC")
        assert not [m for m in messages if "Majors volume share" in m]  # a benchmark group
        only(messages, "AI agents -11.92% over the 24h to 20 Jan 00:00 UTC")
        cap_fall = only(messages, "AI agents -10.00% over the 24h to 21 Jan 00:00 UTC")
        assert "market cap -10.00%, 12/12 members priced" in cap_fall
        rise = only(messages, "AI agents +10.47% over the 24h to 22 Jan 00:00 UTC")
        assert rise.startswith("aisector: AI agents +10.47%\n")
        assert "As of 2025-01-22 00:00 UTC · offline – simulated market (not live data)" in rise
        assert "rule sector-move-24h" in rise and f"Dashboard: {DASHBOARD}" in rise
        lead = only(messages, "AI agents took the lead over the 24h to 22 Jan 00:00 UTC: +10.47%")
        assert "rule leader-24h" in lead
        only(messages, "AI infrastructure took the lead over the 24h to 20 Jan 00:00 UTC")
        assert not [m for m in messages if "Meme took the lead" in m]  # the first check only marks

        again = replay(url, (hook.url(),), offline)
        assert again == [] and len(hook.messages()) == len(messages)


def test_alert_command_prints_sends_once_and_stays_quiet_the_second_time(tmp_path, capsys):
    store = str(tmp_path / "store.sqlite")
    with receiver() as hook:
        run = ["alert", "--source", "offline", "--store", store, "--notify", hook.url()]
        assert main([*run, "--as-of", "2025-01-21T23:00Z"]) == 0
        first = capsys.readouterr()
        assert main([*run, "--as-of", "2025-01-22T00:00Z"]) == 0
        second = capsys.readouterr()
        assert main([*run, "--as-of", "2025-01-22T00:00Z"]) == 0
        third = capsys.readouterr()
    assert "AI agents -10.00% over the 24h to 21 Jan 00:00 UTC" in first.out
    lines = second.out.splitlines()
    assert len(lines) == 8 == len(hook.posts) - len(first.out.splitlines())
    assert lines[0] == (
        "2025-01-22 00:00 UTC sector-move-24h: AI agents +10.47% over the 24h to 22 Jan 00:00 UTC "
        "(cap-weighted; market cap +10.47%, 12/12 members priced; threshold ±10%) [sent]"
    )
    assert any("leader-24h: AI agents took the lead" in line for line in lines)
    assert third.out == ""
    assert "no alert fired (5 rules, as of 2025-01-22 00:00 UTC)" in third.err


def test_a_missing_figure_is_named_and_fires_nothing(tmp_path, capsys):
    code = main(
        ["alert", "--source", "offline", "--store", str(tmp_path / "s.sqlite"), "--as-of",
         "2025-01-18T00:00Z"]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    assert (
        "aisector: note: rule token-move-24h: 24h move of TRUMP, MELANIA is missing (no price at "
        "both ends of the window); not judged"
    ) in err
    assert "TRUMP" not in out and "[not sent]" in out  # no target: printed and recorded only


def test_a_failing_receiver_is_retried_recorded_and_the_command_still_succeeds(
    tmp_path, capsys, monkeypatch
):
    waits: list[float] = []
    monkeypatch.setattr("aisector.apps.notify.time.sleep", waits.append)
    store = tmp_path / "store.sqlite"
    with receiver(mode="error") as hook:
        code = main(
            ["alert", "--source", "offline", "--store", str(store), "--as-of", "2025-01-22T00:00Z",
             "--notify", hook.url()]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    alerts = out.splitlines()
    assert len(alerts) == 7
    assert all(line.endswith(" [failed: target #1: failed after 3 attempts (Failed to send JSON "
               "POST notification: Internal server error., error=500.)]") for line in alerts)  # fmt: skip
    assert len(hook.posts) == 3 * len(alerts)
    assert waits == [1.0, 2.0] * len(alerts)  # doubling backoff between the 3 attempts
    assert err.count("aisector: warning: alert ") == len(alerts)
    rows = stored_alerts(f"sqlite:///{store}")
    assert set(rows["status"]) == {"failed"} and set(rows["attempts"]) == {3}


def test_a_hanging_receiver_times_out_and_is_retried(offline, tmp_path):
    book, data, rules = offline
    with receiver(mode="hang", hang_seconds=3) as hook:
        slow = Delivery((hook.url() + "?rto=0.3&cto=0.3",), attempts=2, sleep=lambda _: None)
        started = time.monotonic()
        with open_store(f"sqlite:///{tmp_path / 's.sqlite'}") as store:
            done = check_and_notify(
                store, data, book, rules, slow, pd.Timestamp("2025-01-20T00:00Z")
            )
        elapsed = time.monotonic() - started
    assert [a.status for a in done.alerts] == ["failed"]  # AI agents -11.92%
    assert len(hook.posts) == 2 and elapsed < 3  # two attempts of 0.3 s, not the 3 s hang
    row = stored_alerts(f"sqlite:///{tmp_path / 's.sqlite'}").iloc[0]
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert row["detail"].startswith("target #1: failed after 2 attempts (A Connection error")
    assert all("failed after 2 attempts (A Connection error occurred" in w for w in done.warnings)


SECRET_PATH, SECRET_PASSWORD = "T0kenSecret9f8e7d6c", "hunter2hunter2pw"


def test_no_notification_url_or_token_appears_anywhere(tmp_path, capsys, caplog, monkeypatch):
    monkeypatch.setattr("aisector.apps.notify.time.sleep", lambda _: None)
    caplog.set_level(logging.DEBUG)  # apprise's debug lines print the full POST URL
    store = tmp_path / "store.sqlite"
    with receiver(mode="error") as hook:
        url = f"json://alice:{SECRET_PASSWORD}@127.0.0.1:{hook.port}/hook/{SECRET_PATH}"
        monkeypatch.setenv("AISECTOR_NOTIFY", url)
        base = ["--source", "offline", "--store", str(store)]
        assert main(["alert", *base, "--as-of", "2025-01-22T00:00Z"]) == 0
        report = tmp_path / "reports"
        assert main(["report", "--out", str(report), "--no-png", *base]) == 0
        assert main(["export", "sectors", "--out", str(tmp_path / "s.csv"), *base]) == 0
    assert hook.posts and all(p["path"] == f"/hook/{SECRET_PATH}" for p in hook.posts)
    printed = capsys.readouterr()
    rows = stored_alerts(f"sqlite:///{store}")
    files = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.suffix in
             (".csv", ".json", ".md", ".html")]  # fmt: skip
    raw = [p.read_bytes().decode("latin-1") for p in tmp_path.glob("store.sqlite*")]
    stored = rows.astype(str).to_csv() + "".join(raw)
    places = {"out": printed.out, "err": printed.err, "log": caplog.text, "store": stored}
    places |= {f"file{i}": text for i, text in enumerate(files)}
    assert "Failed to send JSON POST notification" in caplog.text  # the log was captured
    assert "rule sector-move-24h" in stored and len(files) > 3
    for where, text in places.items():
        for secret in (SECRET_PATH, SECRET_PASSWORD, url):
            assert secret not in text, where


def stored_alerts(url: str) -> pd.DataFrame:
    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            return pd.read_sql_table("aisector_alerts", connection)
    finally:
        engine.dispose()


def test_the_rotation_page_shows_the_alert_count_and_each_rule_that_fired(
    tmp_path, monkeypatch, offline
):
    book, data, rules = offline
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    with open_store(url) as store:
        done = check_and_notify(store, data, book, rules, None, pd.Timestamp("2025-01-22T00:00Z"))
    assert len(done.alerts) == 7
    monkeypatch.setenv("AISECTOR_STORE", url)
    page = start(monkeypatch, "--source", "offline")
    assert not page.exception
    markdown = [str(m.value) for m in page.markdown]
    assert ":orange-badge[:material/notifications: 7 recent alerts]" in markdown
    (listed,) = [e for e in page.expander if e.label == "Recent alerts (7)"]
    text = "\n".join(str(m.value) for m in listed.markdown).replace("\\", "")  # unescaped
    assert "2025-01-22 00:00 UTC · sector-move-24h · AI agents +10.47% over the 24h" in text
    assert text.count("token-move-24h") == 4 and "· not sent" in text


def test_the_report_lists_recent_alerts_and_is_posted_with_the_page_attached(tmp_path, capsys):
    store = str(tmp_path / "store.sqlite")
    base = ["--source", "offline", "--store", store]
    assert main(["alert", *base, "--as-of", "2025-01-22T00:00Z"]) == 0
    with receiver() as hook:
        out = tmp_path / "reports"
        assert main(["report", "--out", str(out), "--no-png", "--notify", hook.url(), *base]) == 0
    assert "report not announced" not in capsys.readouterr().err
    folder = out / "2025-01-22T0000Z"
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert "## Recent alerts (7)" in summary
    assert "- 2025-01-22 00:00 UTC · sector-move-24h · AI agents +10.47% over" in summary
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<h2>Recent alerts (7)</h2>" in page and "sector-move-24h · AI agents +10.47%" in page
    (post,) = hook.posts
    assert post["body"]["title"] == "AI-token sector snapshot · 2025-01-22 00:00 UTC"
    assert post["body"]["message"].startswith("# AI-token sector snapshot")
    assert f"Report: {folder / 'report.html'}" in post["body"]["message"]
    (attached,) = post["body"]["attachments"]
    assert attached["filename"] == "report.html" and len(attached["base64"]) > 1_000_000


def test_a_report_is_announced_once_and_an_unreadable_store_only_drops_its_alerts(
    tmp_path, capsys
):
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    out = tmp_path / "reports"
    run = ["report", "--out", str(out), "--no-png", "--source", "offline", "--store", str(broken)]
    with receiver() as hook:
        assert main([*run, "--notify", hook.url()]) == 0
        assert main([*run, "--notify", hook.url()]) == 0  # the folder exists: nothing new to say
    err = capsys.readouterr().err
    assert len(hook.posts) == 1
    assert "aisector: warning: recent alerts left out: history store" in err
    assert "Recent alerts" not in (out / "2025-01-22T0000Z" / "summary.md").read_text("utf-8")
