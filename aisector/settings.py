"""Settings read from the environment, declared once as data.

The CLI help and the README's settings table are written from ``SETTINGS``; secrets are marked so
that nothing ever prints their value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment setting: its variable, default and a one-line help."""

    env: str
    default: str | None
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("COINGECKO_DEMO_API_KEY", None, "CoinGecko Demo API key (never printed).", secret=True),
    Setting("COINGECKO_PRO_API_KEY", None, "CoinGecko Pro API key (never printed).", secret=True),
)


def read_setting(env: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The setting's value from the environment, or its default; blank counts as unset."""
    setting = next(s for s in SETTINGS if s.env == env)
    value = (os.environ if environ is None else environ).get(env, "").strip()
    return value or setting.default


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of every secret setting that is set, for redaction."""
    values = (read_setting(s.env, environ) for s in SETTINGS if s.secret)
    return tuple(v for v in values if v)


def redact(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """``text`` with every known secret value replaced by ``***``: the one sanitiser for output."""
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, "***")
    return text
