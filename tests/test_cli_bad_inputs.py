"""Bad input gets one clear line on stderr and exit code 1 or 2, never a traceback.

Every option of every subcommand gets bad values: unknown names, bad windows, dates and numbers,
missing, unreadable and directory paths, broken or wrongly typed TOML, CSV files that are empty,
binary, garbage or lack columns, and a corrupt store. ``CONSOLE_CASES`` (at least one per
option and per kind of file, every ``dashboard`` case) run through the real console entry in a
fresh process, as a shell user or cron sees them, two at a time; a process costs about two
seconds, so the other cases run through ``main`` in this process, where a traceback would be an
exception and a warning an error.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from aisector.apps.cli import main

CONSOLE = "import sys; from aisector.apps.cli import main; sys.exit(main())"
TIMEOUT_S = 120
HEADER = "timestamp,coin_id,symbol,price,market_cap,volume\n"
FILES = {  # name -> content (bytes) in the case folder
    "empty.csv": b"",
    "binary.bin": b"\x89PNG\r\n\x1a\n\xff\xfe" + bytes(range(256)) * 4,
    "columns.csv": b"when,what\n2025-01-21,1\n",
    "garbage.csv": b'"unterminated,,\n\x00\x01,;;\n',
    "date.csv": (HEADER + "yesterday,bitcoin,BTC,1,1,1\n").encode(),
    "negative.csv": (HEADER + "2025-01-21T00:00Z,bitcoin,BTC,-5,1,1\n").encode(),
    "nan.csv": (HEADER + "2025-01-21T00:00Z,bitcoin,BTC,nan,1,1\n").encode(),
    "infinite.csv": (HEADER + "2025-01-21T00:00Z,bitcoin,BTC,inf,1,1\n").encode(),
    "twice.csv": (HEADER + "2025-01-21T00:00Z,bitcoin,BTC,1,1,1\n" * 2).encode(),
    "broken.toml": b"[sectors.ai\ncoins = [",
    "types.toml": b'[sectors.ai]\nlabel = 3\ncoins = ["bitcoin"]\n',
    "not-a-list.toml": b'[sectors.ai]\ncoins = "bitcoin"\n',
    "unknown-key.toml": b'[sectors.ai]\ncolour = "red"\ncoins = ["bitcoin"]\n',
    "alias-date.toml": b'[sectors.ai]\ncoins = ["ai16z"]\n'
    b'[coins.ai16z]\naliases = [{ id = "elizaos", since = "now" }]\n',
    "unknown-coins.toml": b'[sectors.ai]\ncoins = ["no-such-coin"]\n'
    b'[benchmark]\ncoins = ["no-such-coin"]\n',
    "one-unknown-coin.toml": b'[sectors.ai]\ncoins = ["bitcoin", "no-such-coin"]\n',
    "events-types.toml": b'[[events]]\ndate = "soon"\nlabel = 5\n',
    "corrupt.sqlite": b"SQLite format 3\x00" + bytes(range(256)) * 16,
    "file.txt": b"a file, not a folder\n",
}
OUT = "{d}/out.csv"
EXPORT = ["export", "tokens", "--out", OUT]
OFFLINE = ["--source", "offline"]
REPORT = ["report", "--out", "{d}/report", "--no-png"]


def csv(name: str) -> list[str]:
    return ["--source", f"csv:{{d}}/{name}"]


def sectors(name: str) -> list[str]:
    return ["--sectors", f"{{d}}/{name}"]


# case -> (arguments, exit code, words the one line must hold); {d} is the case folder
CASES: dict[str, tuple[list[str], int, str]] = {
    "no command": ([], 2, "arguments are required: COMMAND"),
    "unknown command": (["frobnicate"], 2, "invalid choice: 'frobnicate'"),
    "unknown option": ([*EXPORT, "--colour", "red"], 2, "unrecognized arguments: --colour"),
    "export: unknown table": (["export", "prices", "--out", OUT], 2, "invalid choice: 'prices'"),
    "export: no --out": (["export", "tokens"], 2, "required: --out"),
    "export: --out a folder": (["export", "tokens", "--out", "{d}", *OFFLINE], 1, "cannot write"),
    "export: --out under a file": (
        ["export", "tokens", "--out", "{d}/file.txt/x.csv", *OFFLINE],
        1,
        "cannot write",
    ),
    "export: --window unknown unit": ([*EXPORT, *OFFLINE, "--window", "5x"], 2, "window '5x'"),
    "export: --window negative": ([*EXPORT, *OFFLINE, "--window=-24h"], 2, "window '-24h'"),
    "export: --window NaN": ([*EXPORT, *OFFLINE, "--window", "nanh"], 2, "window 'nanh'"),
    "export: --window too long": ([*EXPORT, *OFFLINE, "--window", "99999999999d"], 2, "longer"),
    "export: --as-of no date": ([*EXPORT, *OFFLINE, "--as-of", "soonish"], 2, "is not a date"),
    "export: --as-of NaT": ([*EXPORT, *OFFLINE, "--as-of", "NaT"], 2, "'NaT' is not a date"),
    "export: --as-of before data": ([*EXPORT, *OFFLINE, "--as-of", "1990-01-01"], 2, "before"),
    "export: --max-weight negative": ([*EXPORT, *OFFLINE, "--max-weight=-0.5"], 2, "fraction"),
    "export: --max-weight NaN": ([*EXPORT, *OFFLINE, "--max-weight", "nan"], 2, "fraction"),
    "export: --basis unknown": (
        ["export", "rotation", "--out", OUT, *OFFLINE, "--basis", "vibes"],
        2,
        "invalid choice: 'vibes'",
    ),
    "export: --basis on tokens": ([*EXPORT, *OFFLINE, "--basis", "price"], 2, "rotation export"),
    "export: unknown source": ([*EXPORT, "--source", "nope"], 2, "unknown source 'nope'"),
    "export: csv missing": ([*EXPORT, *csv("missing.csv")], 2, "does not exist"),
    "export: csv a folder": ([*EXPORT, "--source", "csv:{d}"], 2, "cannot read CSV source"),
    "export: csv unreadable": ([*EXPORT, *csv("loop.csv")], 2, "cannot read CSV source"),
    "export: csv empty": ([*EXPORT, *csv("empty.csv")], 1, "not a readable CSV"),
    "export: csv binary": ([*EXPORT, *csv("binary.bin")], 2, "cannot read CSV source"),
    "export: csv columns": ([*EXPORT, *csv("columns.csv")], 1, "lacks column(s) timestamp"),
    "export: csv garbage": ([*EXPORT, *csv("garbage.csv")], 1, "CSV source"),
    "export: csv bad date": ([*EXPORT, *csv("date.csv")], 1, "not a date"),
    "export: csv negative price": ([*EXPORT, *csv("negative.csv")], 1, "negative price"),
    "export: csv NaN price": ([*EXPORT, *csv("nan.csv")], 1, "'nan', which is not a number"),
    "export: csv infinite price": ([*EXPORT, *csv("infinite.csv")], 1, "infinite"),
    "export: csv rows twice": ([*EXPORT, *csv("twice.csv")], 1, "duplicate"),
    "export: sectors missing": ([*EXPORT, *OFFLINE, *sectors("missing.toml")], 2, "cannot read"),
    "export: sectors a folder": ([*EXPORT, *OFFLINE, "--sectors", "{d}"], 2, "cannot read"),
    "export: sectors unreadable": ([*EXPORT, *OFFLINE, *sectors("loop.csv")], 2, "cannot read"),
    "export: sectors broken TOML": ([*EXPORT, *OFFLINE, *sectors("broken.toml")], 2, "TOML"),
    "export: sectors binary": ([*EXPORT, *OFFLINE, *sectors("binary.bin")], 2, "not UTF-8"),
    "export: sectors empty": ([*EXPORT, *OFFLINE, *sectors("empty.csv")], 2, "at least one"),
    "export: sectors label type": ([*EXPORT, *OFFLINE, *sectors("types.toml")], 2, "label"),
    "export: sectors coins type": (
        [*EXPORT, *OFFLINE, *sectors("not-a-list.toml")],
        2,
        "non-empty list",
    ),
    "export: sectors unknown key": (
        [*EXPORT, *OFFLINE, *sectors("unknown-key.toml")],
        2,
        "unknown key(s) colour",
    ),
    "export: sectors alias date": (
        [*EXPORT, *OFFLINE, *sectors("alias-date.toml")],
        2,
        "'now' is not a date",
    ),
    "export: sectors of unknown coins": (
        [*EXPORT, *OFFLINE, *sectors("unknown-coins.toml")],
        1,
        "has no rows",
    ),
    "export: store corrupt": (
        [*EXPORT, "--source", "store", "--store", "sqlite:///{d}/corrupt.sqlite"],
        1,
        "not a readable aisector store",
    ),
    "export: store scheme": ([*EXPORT, "--source", "store", "--store", "mysql://db/x"], 2, "mysql"),
    "collect: --backfill negative": (["collect", "--backfill=-3"], 2, "whole number of days"),
    "collect: --backfill huge": (["collect", "--backfill", "99999999999"], 2, "at most 36500"),
    "collect: --backfill not ASCII": (["collect", "--backfill", "²"], 2, "whole number of days"),
    "collect: from the store": (["collect", "--source", "store"], 2, "from the store into itself"),
    "collect: csv garbage": (
        ["collect", *csv("garbage.csv"), "--store", "sqlite:///{d}/collect.sqlite"],
        1,
        "CSV source",
    ),
    "collect: store corrupt": (
        ["collect", *OFFLINE, "--store", "sqlite:///{d}/corrupt.sqlite"],
        1,
        "not a readable aisector store",
    ),
    "collect: sectors broken": (["collect", *OFFLINE, *sectors("broken.toml")], 2, "TOML"),
    "report: --out a file": (
        ["report", "--out", "{d}/file.txt", "--no-png", *OFFLINE],
        1,
        "cannot write a report",
    ),
    "report: --window bad": ([*REPORT, *OFFLINE, "--window", "24h", "5x"], 2, "window '5x'"),
    "report: --max-weight too big": ([*REPORT, *OFFLINE, "--max-weight", "2"], 2, "fraction"),
    "report: events missing": ([*REPORT, *OFFLINE, "--events", "{d}/none.toml"], 2, "events"),
    "report: events broken": ([*REPORT, *OFFLINE, "--events", "{d}/broken.toml"], 2, "TOML"),
    "report: events types": ([*REPORT, *OFFLINE, "--events", "{d}/events-types.toml"], 2, "label"),
    "report: csv binary": ([*REPORT, *csv("binary.bin")], 2, "cannot read CSV source"),
    "dashboard: --port text": (["dashboard", "--port", "abc"], 2, "'abc' is not a port"),
    "dashboard: --port range": (["dashboard", "--port", "70000"], 2, "'70000' is not a port"),
    "dashboard: unknown source": (["dashboard", "--source", "nope"], 2, "unknown source 'nope'"),
    "dashboard: csv missing": (
        ["dashboard", "--source", "csv:{d}/missing.csv"],
        2,
        "does not exist",
    ),
    "dashboard: sectors a folder": (["dashboard", "--sectors", "{d}"], 2, "cannot read"),
    "dashboard: events broken": (["dashboard", "--events", "{d}/broken.toml"], 2, "TOML"),
    # not an error: a coin without data is a warning, named, and the export is written
    "export: one unknown coin": (
        [*EXPORT, *OFFLINE, *sectors("one-unknown-coin.toml")],
        0,
        "no data for 1 coin(s): no-such-coin",
    ),
}


CONSOLE_CASES = {
    "no command",
    "unknown command",
    "unknown option",
    "export: unknown table",
    "export: no --out",
    "export: --out a folder",
    "export: --window too long",
    "export: --as-of NaT",
    "export: --as-of before data",
    "export: --max-weight NaN",
    "export: --basis on tokens",
    "export: unknown source",
    "export: csv unreadable",
    "export: csv empty",
    "export: csv binary",
    "export: csv columns",
    "export: csv bad date",
    "export: sectors broken TOML",
    "export: sectors label type",
    "export: sectors of unknown coins",
    "export: store corrupt",
    "collect: --backfill negative",
    "collect: --backfill huge",
    "collect: csv garbage",
    "report: --out a file",
    "report: events types",
    *(name for name in CASES if name.startswith("dashboard:")),  # in-process they would serve
    "export: one unknown coin",
}


@dataclass(frozen=True)
class Outcome:
    code: int | None
    out: str
    err: str


def environment(folder: Path) -> dict[str, str]:
    """No key, no store, live sources at a closed port, the data folder inside ``folder``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "xdg"),
        "COINGECKO_API_URL": "http://127.0.0.1:9/api/v3/",
        "GECKOTERMINAL_API_URL": "http://127.0.0.1:9/api/v2/",
    }


def arguments_in(case: str, folder: Path) -> list[str]:
    return [a.replace("{d}", str(folder)) for a in CASES[case][0]]


def run_console(case: str, folder: Path) -> Outcome:
    """``aisector ARGUMENTS`` as the console script runs it; a process that hangs (a dashboard
    that started after all) is stopped with its whole group and reported as code None."""
    process = subprocess.Popen(
        [sys.executable, "-c", CONSOLE, *arguments_in(case, folder)],
        cwd=folder,
        env=environment(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return Outcome(None, out, err)
    return Outcome(process.returncode, out, err)


def case_folder(root: Path, name: str) -> Path:
    """A folder of its own per case (reports, stores and outputs never meet) with every file."""
    folder = root / "".join(c if c.isalnum() else "-" for c in name)
    folder.mkdir()
    for file, content in FILES.items():
        (folder / file).write_bytes(content)
    (folder / "loop.csv").symlink_to(folder / "loop.csv")  # unreadable, even for root
    return folder


def assert_one_clear_line(case: str, outcome: Outcome) -> None:
    _, code, words = CASES[case]
    assert "Traceback" not in outcome.err + outcome.out
    assert outcome.code == code, outcome.err
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err
    if code == 0:
        assert lines[0].startswith("aisector: warning: ")
    else:  # "aisector: error: …", or "aisector export: error: …" from the option parser
        assert lines[0].startswith("aisector") and ": error: " in lines[0]
    assert words in lines[0]


@pytest.fixture(scope="module")
def console_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("bad-inputs")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            case: pool.submit(run_console, case, case_folder(root, case))
            for case in sorted(CONSOLE_CASES)
        }
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", sorted(CONSOLE_CASES))
def test_the_console_script_answers_bad_input_in_one_line(case, console_outcomes) -> None:
    assert_one_clear_line(case, console_outcomes[case])


@pytest.mark.parametrize("case", sorted(set(CASES) - CONSOLE_CASES))
def test_main_answers_bad_input_in_one_line(case, tmp_path, monkeypatch, capsys) -> None:
    folder = case_folder(tmp_path, case)
    for name, value in environment(folder).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(folder)
    try:
        code = main(arguments_in(case, folder))
    except SystemExit as exit_:  # the option parser exits
        code = exit_.code
    streams = capsys.readouterr()
    assert_one_clear_line(case, Outcome(code, streams.out, streams.err))
