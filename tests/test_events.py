"""The events file: the shipped one, user files, and one-line errors for mistakes."""

from __future__ import annotations

import pandas as pd
import pytest

from aisector.core.errors import ConfigError
from aisector.core.events import Event, load_events, parse_events


def test_shipped_events_are_the_january_2025_story_in_time_order():
    events = load_events()
    assert [(e.timestamp.strftime("%Y-%m-%d"), e.label) for e in events] == [
        ("2025-01-17", "TRUMP launch"),
        ("2025-01-19", "MELANIA launch"),
        ("2025-01-20", "US inauguration"),
        ("2025-01-21", "Stargate announced"),
    ]
    assert all(str(e.timestamp.tz) == "UTC" for e in events)


def test_dates_and_date_times_become_utc_instants():
    text = (
        '[[events]]\ndate = 2025-01-20T12:00:00-05:00\nlabel = "Noon in DC"\n'
        '[[events]]\ndate = 2025-01-19T08:00:00\nlabel = " local "\n'
    )
    assert parse_events(text) == (
        Event(pd.Timestamp("2025-01-19T08:00Z"), "local"),
        Event(pd.Timestamp("2025-01-20T17:00Z"), "Noon in DC"),
    )


def test_a_file_without_events_has_none():
    assert parse_events("") == ()


def test_a_user_file_is_read_from_its_path(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('[[events]]\ndate = 2025-02-01\nlabel = "Mine"\n', encoding="utf-8")
    assert load_events(path) == (Event(pd.Timestamp("2025-02-01T00:00Z"), "Mine"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[events]\n", "not valid TOML"),
        ("events = 3\n", "events must be [[events]] tables"),
        ("events = [1]\n", "events[0] must be a table"),
        ('[[events]]\nlabel = "x"\n', "events[0] needs a date"),
        ('[[events]]\ndate = "2025-01-20"\nlabel = "x"\n', "events[0] needs a date"),
        ('[[events]]\ndate = 12:00:00\nlabel = "x"\n', "events[0] needs a date"),
        ("[[events]]\ndate = 2025-01-20\n", "events[0] needs a label"),
        ('[[events]]\ndate = 2025-01-20\nlabel = ""\n', "events[0] needs a label"),
        ('[[events]]\ndate = 2025-01-20\nlabel = "x"\nwhen = 1\n', "unknown key(s) when"),
    ],
)
def test_mistakes_are_one_line_config_errors(text, message):
    with pytest.raises(ConfigError, match=r"^mine\.toml: .*") as error:
        parse_events(text, origin="mine.toml")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read events file"):
        load_events(tmp_path / "nope.toml")


def test_chart_events_add_the_sectors_file_id_switches_in_time_order():
    from aisector.core.events import chart_events
    from aisector.core.sectors import load_sectors, parse_sectors

    events = chart_events(load_sectors())
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    switch = events[-1]
    assert switch.label == "ai16z: id ai16z → elizaos"
    assert switch.timestamp == pd.Timestamp("2025-11-06T00:00Z")
    plain = parse_sectors('[sectors.a]\ncoins = ["x"]\n')
    assert [e.label for e in chart_events(plain)] == [e.label for e in events[:-1]]


def test_report_draws_a_users_own_events_file(tmp_path):
    from aisector.apps.cli import main

    events = tmp_path / "events.toml"
    events.write_text('[[events]]\ndate = 2025-01-21T12:00:00Z\nlabel = "Desk call"\n')
    out = tmp_path / "reports"
    assert (
        main(
            [
                "report",
                "--source",
                "offline",
                "--out",
                str(out),
                "--no-png",
                "--events",
                str(events),
            ]
        )
        == 0
    )
    page = next(out.glob("*/report.html")).read_text(encoding="utf-8")
    assert "Desk call" in page
    assert "TRUMP launch" not in page  # the user's file replaces the shipped one


def test_a_broken_events_file_stops_the_report_with_one_line(tmp_path, capsys):
    from aisector.apps.cli import main

    events = tmp_path / "events.toml"
    events.write_text("[[events]]\nlabel = 'no date'\n")
    assert (
        main(["report", "--source", "offline", "--out", str(tmp_path), "--events", str(events)])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("aisector: error: ") and "\n" not in err
    assert not list(tmp_path.glob("*/report.html"))


def test_dashboard_reads_the_events_option():
    from dashboard.launch import launch_options

    assert (
        launch_options(["--source", "offline", "--events", "/x/events.toml"]).events
        == "/x/events.toml"
    )
