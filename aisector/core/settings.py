"""Settings read from the environment, declared once as data.

The CLI help and the README's settings table are written from ``SETTINGS``; secrets are marked so
that nothing ever prints their value. A setting may also come from a secrets mapping the caller
passes in (the dashboard passes ``st.secrets``); the environment wins.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from aisector.core.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One environment setting: its variable, default and a one-line help."""

    env: str
    default: str | None
    help: str
    secret: bool = False
    urls: bool = False  # a secret holding space-separated URLs: each and its token parts masked

    def masked(self, value: str) -> list[str]:
        """What of the setting's ``value`` is masked: the value, and for URLs their token parts."""
        parts = [part for url in value.split() for part in url_secrets(url)] if self.urls else []
        return [value, *parts]


SETTINGS: tuple[Setting, ...] = (
    Setting("COINGECKO_DEMO_API_KEY", None, "CoinGecko Demo API key (never printed).", secret=True),
    Setting("COINGECKO_PRO_API_KEY", None, "CoinGecko Pro API key (never printed).", secret=True),
    Setting(
        "COINGECKO_API_URL",
        None,
        "CoinGecko base URL; unset: the public API, or the Pro API when a Pro key is set.",
    ),
    Setting(
        "COINGECKO_CALLS_PER_MINUTE",
        None,
        "CoinGecko calls per minute we allow ourselves; unset: 10 keyless, 30 Demo, 500 Pro.",
    ),
    Setting(
        "AISECTOR_HTTP_TIMEOUT",
        None,
        "Seconds a live upstream may take to answer one request; unset: 20.",
    ),
    Setting(
        "AISECTOR_HTTP_ATTEMPTS",
        None,
        "Tries per live request, the first included (retried on 429, 5xx, timeouts); unset: 4.",
    ),
    Setting(
        "AISECTOR_HTTP_BACKOFF",
        None,
        "Seconds before the first retry when upstream names no wait, doubling after; unset: 1.",
    ),
    Setting(
        "GECKOTERMINAL_API_URL",
        None,
        "GeckoTerminal base URL; unset: https://api.geckoterminal.com/api/v2.",
    ),
    Setting(
        "GECKOTERMINAL_MIN_LIQUIDITY_USD",
        None,
        "DEX pools with less USD liquidity are ignored as spam; unset: 10000.",
    ),
    Setting(
        "DEFILLAMA_API_URL",
        None,
        "DefiLlama base URL, for protocol fees, revenue and volume; unset: https://api.llama.fi "
        "(keyless). A Pro URL carries its key in the path, `https://pro-api.llama.fi/KEY/api` "
        "(never printed).",
        secret=True,
        urls=True,
    ),
    Setting(
        "DUNE_API_URL",
        None,
        "Dune base URL, for the saved queries of `[protocols.<id>]` tables; unset: https://api.dune.com.",
    ),
    Setting(
        "DUNE_API_KEY",
        None,
        "Dune API key; without it, Dune queries are not read (never printed).",
        secret=True,
    ),
    Setting(
        "AISECTOR_STORE",
        None,
        "History store URL, as `--store`: `sqlite:///PATH` or `postgresql://USER@HOST/DB`; "
        "unset: `aisector/history.sqlite` in `$XDG_DATA_HOME`, else in `~/.local/share`.",
    ),
    Setting(
        "AISECTOR_NOTIFY",
        None,
        "Space-separated apprise URLs that alerts and reports go to, as `--notify` "
        "(they carry tokens: never printed).",
        secret=True,
        urls=True,
    ),
)

_TOKEN_LENGTH = 8  # shorter URL parts ("hook", "api") are words, not tokens

# Secret values read from a secrets mapping or handed to a connector, masked like the environment's.
_REMEMBERED: set[str] = set()


def read_setting(
    env: str,
    environ: Mapping[str, str] | None = None,
    secrets: Mapping[str, object] | None = None,
) -> str | None:
    """The setting's value from the environment, then ``secrets``, then its default; blank is unset."""
    setting = next(s for s in SETTINGS if s.env == env)
    value = (os.environ if environ is None else environ).get(env, "").strip()
    if not value and secrets is not None:
        value = str(secrets.get(env) or "").strip()
    if value and setting.secret:
        for secret in setting.masked(value):
            remember_secret(secret)
    return value or setting.default


def read_positive_number(
    env: str,
    environ: Mapping[str, str] | None = None,
    secrets: Mapping[str, object] | None = None,
) -> float | None:
    """A numeric setting, or None when unset; anything but a positive number is a ``ConfigError``."""
    text = read_setting(env, environ, secrets)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{env} must be a positive number, not {text!r}")
    return value


def remember_secret(value: str) -> None:
    """Mask ``value`` in everything ``redact`` sees from now on (keys not read from the environment)."""
    if value.strip():
        _REMEMBERED.add(value.strip())


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values of every secret setting that is set (for URL settings, each URL and its token
    parts too), and every remembered secret, for redaction; longest first, so a URL is masked
    whole before its parts are."""
    values: list[str] = []
    for setting in (s for s in SETTINGS if s.secret):
        value = read_setting(setting.env, environ)
        if value:
            values += setting.masked(value)
    found = dict.fromkeys([*values, *_REMEMBERED])
    return tuple(sorted(found, key=len, reverse=True))


def url_secrets(url: str) -> tuple[str, ...]:
    """A URL that carries tokens (an apprise notification URL), and each part of it that may be
    one: password, user, path segments and query values of 8 characters or more, and the "host"
    when it is no host name (``slack://TokenA/TokenB/TokenC``)."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2].split(":")[0]  # as written: .hostname lower-cases
        pieces = [parts.password or "", parts.username or ""]
    except ValueError:  # a malformed port or bracket: mask the whole text only
        return (url,)
    pieces += parts.path.split("/") + [value for _, value in parse_qsl(parts.query)]
    if "." not in host and host != "localhost":
        pieces.append(host)
    tokens = {text for p in pieces for text in (p, unquote(p)) if len(text) >= _TOKEN_LENGTH}
    return (url, *sorted(tokens, key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...] | None = None) -> str:
    """``text`` with every known secret value replaced by ``***``: the one sanitiser for output."""
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, "***")
    return text
