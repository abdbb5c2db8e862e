"""Every error the tool raises on purpose, and who handles it.

    AisectorError                 base; the CLI prints its message on one line and exits 2
    ├── SourceError               a data source could not give usable data; the dashboard keeps
    │   │                         the last good data on screen with its age and shows the message
    │   ├── RateLimited           upstream said "slow down"; carries ``retry_after`` seconds
    │   ├── Unauthorized          the API key is missing, wrong or for another plan
    │   ├── NotFound              upstream does not know the coin or endpoint
    │   ├── SourceUnavailable     timeout, connection refused, 5xx after retries
    │   └── BadPayload            the data arrived but is malformed (wrong columns, bad numbers)
    ├── ConfigError               a sectors file, window, option or setting is invalid
    ├── StoreError                the history store cannot be opened, read or written
    └── ExportError               an output file cannot be written; nothing half-written is left

Messages are written for the person at the keyboard: what failed, where, and what to do.
They never contain an API key (see ``aisector.core.settings.redact``).
"""

from __future__ import annotations


class AisectorError(Exception):
    """Base of all deliberate errors; ``str(error)`` is a complete one-line explanation."""


class SourceError(AisectorError):
    """A data source failed; callers fall back to the last good data."""


class RateLimited(SourceError):
    """Upstream rate limit; ``retry_after`` is the wait it asked for, in seconds, if it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unauthorized(SourceError):
    """The key is missing, invalid, or does not cover the endpoint."""


class NotFound(SourceError):
    """Upstream does not know what was asked for."""


class SourceUnavailable(SourceError):
    """The source did not answer in time, or answered with a server error."""


class BadPayload(SourceError):
    """Data arrived in a shape we cannot trust; the message says which field and why."""


class ConfigError(AisectorError):
    """A user-supplied file, option or setting is invalid."""


class StoreError(AisectorError):
    """The history store cannot be used; nothing already stored is touched."""


class ExportError(AisectorError):
    """An output file cannot be written; no partial file is left behind."""
