"""``aisector`` runs for tests: in this process with the output captured, or as the installed
console script."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from aisector.apps.cli import main


@dataclass(frozen=True)
class CliRun:
    """One run: what was asked, the exit code, and what it wrote to stdout and stderr."""

    argv: list[str]
    code: int
    out: str
    err: str


def run_cli(argv: Sequence[str], console_script: bool = False) -> CliRun:
    """``aisector ARGV`` in this process, or with ``console_script`` as the installed command in a
    child process (what a user's shell runs, start-up included)."""
    argv = list(argv)
    if console_script:
        script = Path(sys.executable).with_name("aisector")
        done = subprocess.run(
            [str(script), *argv], capture_output=True, text=True, timeout=60, check=False
        )
        return CliRun(argv, done.returncode, done.stdout, done.stderr)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return CliRun(argv, code, out.getvalue(), err.getvalue())
