"""Delivery of alerts and reports through apprise (Slack, Discord, Telegram, e-mail, JSON webhooks).

Notification URLs carry tokens, so each is registered with the sanitiser the moment it is read
(``remember_secret`` of ``url_secrets``: the whole URL and the parts of it that look like tokens),
and the log lines of apprise and urllib3 pass through the same sanitiser. A failed delivery (5xx, timeout, refused) is retried
with a doubling backoff; what still fails is reported, never raised: delivery never fails a check.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import apprise

from aisector.core.errors import ConfigError
from aisector.core.settings import read_setting, redact, remember_secret, url_secrets

NOTIFY_ENV = "AISECTOR_NOTIFY"
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 1.0  # seconds before the first retry, doubling after
_APPRISE_LOGGER = "apprise"
_URLLIB3_LOGGERS = tuple(
    f"urllib3.{name}" for name in ("connectionpool", "connection", "poolmanager", "util.retry")
)


def _preload_imghdr() -> None:
    """apprise's e-mail plugin imports the standard library's ``imghdr`` for PGPy when it loads
    its plugins; on Python 3.11 and 3.12 that import warns that imghdr is deprecated (3.13 removed
    it, and apprise shims it there). Import it once here with that one warning silenced, so the
    plugins find it loaded and nothing else is hidden."""
    with warnings.catch_warnings(), contextlib.suppress(ImportError):  # 3.13+: apprise shims it
        warnings.filterwarnings(
            "ignore", message="'imghdr' is deprecated", category=DeprecationWarning
        )
        importlib.import_module("imghdr")


_preload_imghdr()


def notify_urls(
    given: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
    secrets: Mapping[str, object] | None = None,
) -> tuple[str, ...]:
    """The notification targets: ``--notify`` URLs if any, else ``AISECTOR_NOTIFY`` (from the
    environment, then the Streamlit secrets), space-separated. Each is checked and masked."""
    urls = [u.strip() for u in given if u.strip()]
    if not urls:
        urls = (read_setting(NOTIFY_ENV, environ, secrets) or "").split()
    for url in urls:
        for secret in url_secrets(url):
            remember_secret(secret)
    for number, url in enumerate(urls, start=1):
        if apprise.Apprise.instantiate(url) is None:
            scheme = url.split("://", 1)[0] if "://" in url else "(none)"
            raise ConfigError(
                f"notification URL #{number} (scheme {redact(scheme)!r}) is not one apprise "
                "knows; see https://github.com/caronc/apprise/wiki"
            )
    return tuple(urls)


@dataclass(frozen=True)
class Outcome:
    """What one delivery did: sent to every target or not, attempts made, the redacted reason."""

    sent: bool
    attempts: int
    detail: str | None = None


@dataclass
class Delivery:
    """Sends one message to each target, retrying each failed target with backoff."""

    urls: tuple[str, ...]
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF
    sleep: Callable[[float], None] | None = None  # default: time.sleep
    log: list[str] = field(default_factory=list)  # apprise's warnings, redacted

    def send(self, title: str, body: str, attach: Path | None = None) -> Outcome:
        """Deliver ``title``/``body`` (and the file ``attach``) to every target."""
        outcomes = [self._send_one(url, title, body, attach) for url in self.urls]
        failed = [(n, o) for n, o in enumerate(outcomes, start=1) if not o.sent]
        detail = "; ".join(f"target #{n}: {o.detail}" for n, o in failed) or None
        return Outcome(not failed, max((o.attempts for o in outcomes), default=0), detail)

    def _send_one(self, url: str, title: str, body: str, attach: Path | None) -> Outcome:
        target = apprise.Apprise()
        target.add(url)
        for attempt in range(1, self.attempts + 1):
            with _captured_apprise_log() as lines:
                sent = target.notify(body=body, title=title, attach=str(attach) if attach else None)
            self.log += lines
            if sent:
                return Outcome(True, attempt)
            if attempt < self.attempts:
                (self.sleep or time.sleep)(self.backoff * 2 ** (attempt - 1))
        reason = lines[-1] if lines else "the service did not accept it"
        return Outcome(False, self.attempts, f"failed after {self.attempts} attempts ({reason})")


class _Redacting(logging.Filter):
    """Rewrites every apprise log record through the sanitiser, wherever it then goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        return True


class _Lines(logging.Handler):
    """Collects the warnings of one attempt."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage().strip())


@contextmanager
def _captured_apprise_log() -> Iterator[list[str]]:
    """apprise's warnings during one attempt (already redacted by the logger's filter)."""
    logger = logging.getLogger(_APPRISE_LOGGER)
    handler = _Lines()
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


# apprise logs through its one "apprise" logger, and urllib3 (under requests) logs each request
# line with its path at DEBUG; a logger's filter sees only its own records, so each logger that
# may print a notification URL gets one, from import on: nothing reaches a handler unmasked.
for _name in (_APPRISE_LOGGER, *_URLLIB3_LOGGERS):
    logging.getLogger(_name).addFilter(_Redacting())
