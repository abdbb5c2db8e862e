"""The README says what the code does: settings table, set-up commands, CI command."""

from __future__ import annotations

from pathlib import Path

from aisector.apps.cli import build_parser
from aisector.core.settings import SETTINGS, redact

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_settings_table_is_the_declared_settings():
    rows = [line for line in README.splitlines() if line.startswith("| `") and "(unset)" in line]
    expected = [f"| `{s.env}` | {s.default or '(unset)'} | {s.help} |" for s in SETTINGS]
    assert rows == expected


def test_cli_help_lists_every_setting():
    help_text = build_parser().format_help()
    assert all(s.env in help_text for s in SETTINGS)


def test_ci_runs_the_readme_test_command():
    assert "make test" in README
    assert "make run" in README
    assert (ROOT / ".ci" / "run").read_text().strip().endswith("make test")


def test_redact_masks_secret_values_from_the_environment(monkeypatch):
    monkeypatch.setenv("COINGECKO_DEMO_API_KEY", "CG-secretsecret123")
    assert redact("GET /coins?x_cg_demo_api_key=CG-secretsecret123 failed") == (
        "GET /coins?x_cg_demo_api_key=*** failed"
    )
