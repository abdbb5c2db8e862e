"""HTTP plumbing shared by the live connectors (CoinGecko, GeckoTerminal, DefiLlama, Dune).

- ``open_session``: one ``requests`` session per upstream; the API key travels as a header (never in
  a URL) and every HTTP error status raises ``requests.HTTPError`` from a response hook, so even a
  wrapped client such as pycoingecko hands us the status code and ``Retry-After`` intact.
- ``HttpClient.call``: a per-minute call budget, then a bounded retry on 429, 5xx, timeouts and
  refused connections that honours ``Retry-After`` (seconds or an HTTP date) and backs off
  exponentially otherwise. A wait longer than ``RetryPolicy.max_wait`` is not slept: the call fails
  at once with ``RateLimited`` carrying the wait, so a dashboard never hangs.
- ``client_settings``: the timeout and retry policy of the ``AISECTOR_HTTP_*`` settings;
  ``configured_client`` builds a live connector's client from them.
- ``translate_failure``: the one place upstream failures become ``aisector.core.errors``; every message
  passes through ``aisector.core.settings.redact``.

Clock and sleep are injected so tests never wait.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

from aisector.core.errors import (
    BadPayload,
    ConfigError,
    NotFound,
    RateLimited,
    SourceError,
    SourceUnavailable,
    Unauthorized,
)
from aisector.core.settings import read_positive_number, redact, remember_secret

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], float]  # seconds since the epoch, like time.time
Sleep = Callable[[float], None]
Timeout = float | tuple[float, float]

CONNECT_TIMEOUT = 3.05  # seconds: a dead network is noticed in seconds
DEFAULT_TIMEOUT: Timeout = (CONNECT_TIMEOUT, 20.0)  # connect, read
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
WORDS_LIMIT = 160  # characters of an upstream error text we quote


@dataclass(frozen=True)
class RetryPolicy:
    """How often to try a call and how long we agree to wait between tries."""

    attempts: int = 4  # tries in all, the first included
    backoff: float = 1.0  # seconds before the 2nd try when upstream names no wait; doubles after
    max_wait: float = 30.0  # a longer wait asked by upstream fails the call at once instead


def client_settings(
    environ: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None
) -> tuple[Timeout, RetryPolicy]:
    """The timeout and retry policy the ``AISECTOR_HTTP_*`` settings ask for; defaults otherwise."""
    read = read_positive_number("AISECTOR_HTTP_TIMEOUT", environ, secrets)
    attempts = read_positive_number("AISECTOR_HTTP_ATTEMPTS", environ, secrets)
    backoff = read_positive_number("AISECTOR_HTTP_BACKOFF", environ, secrets)
    if attempts is not None and not attempts.is_integer():
        raise ConfigError(f"AISECTOR_HTTP_ATTEMPTS must be a whole number, not {attempts:g}")
    default = RetryPolicy()
    timeout = DEFAULT_TIMEOUT if read is None else (min(CONNECT_TIMEOUT, read), read)
    policy = RetryPolicy(
        attempts=default.attempts if attempts is None else int(attempts),
        backoff=default.backoff if backoff is None else backoff,
    )
    return timeout, policy


class CallBudget:
    """At most ``per_minute`` calls in any sliding minute: we wait our turn rather than earn a 429."""

    def __init__(self, per_minute: float, clock: Clock = time.time, sleep: Sleep = time.sleep):
        if per_minute <= 0:
            raise ConfigError(f"a call budget needs a positive number of calls, not {per_minute}")
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self._calls: deque[float] = deque()

    def acquire(self) -> None:
        """Record one call, first sleeping until the oldest call of the window is a minute old."""
        now = self._expire(self.clock())
        if len(self._calls) >= self.per_minute:
            self.sleep(self._calls[0] + 60.0 - now)
            now = self._expire(max(self.clock(), self._calls[0] + 60.0))
        self._calls.append(now)

    def _expire(self, now: float) -> float:
        while self._calls and self._calls[0] <= now - 60.0:
            self._calls.popleft()
        return now


def open_session(
    headers: Mapping[str, str] | None = None, secret_headers: Mapping[str, str] | None = None
) -> requests.Session:
    """A session sending ``headers`` (keys in ``secret_headers``, masked everywhere) that raises on
    every HTTP error status; its adapters never retry on their own (``HttpClient.call`` does)."""
    session = requests.Session()
    session.headers.update(headers or {})
    for value in (secret_headers or {}).values():
        remember_secret(value)
    session.headers.update(secret_headers or {})
    session.hooks["response"].append(_raise_for_status)
    return session


def _raise_for_status(response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
    response.raise_for_status()


@dataclass
class HttpClient:
    """One upstream: its session, timeout, retry policy, call budget, clock and sleep."""

    source: str  # how messages name the upstream, e.g. "CoinGecko"
    session: requests.Session
    timeout: Timeout = DEFAULT_TIMEOUT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    budget: CallBudget | None = None
    clock: Clock = time.time
    sleep: Sleep = time.sleep
    requests_made: int = 0  # upstream requests so far, retries included

    def leave_calls(self, calls: float) -> None:
        """Leave ``calls`` a minute of the budget to other clients of the same plan (at least one
        call a minute stays ours)."""
        if self.budget is not None:
            per_minute = max(self.budget.per_minute - calls, 1.0)
            self.budget = CallBudget(per_minute, self.budget.clock, self.budget.sleep)

    def call(self, fetch: Callable[[], T], url: str | None = None) -> T:
        """``fetch()`` within the budget, retried while the failure is transient and the wait short;
        ``url``, what ``fetch`` asks for, names the endpoint when its body cannot be decoded."""
        attempt = 1
        while True:
            if self.budget is not None:
                self.budget.acquire()
            self.requests_made += 1
            try:
                return fetch()
            except (requests.RequestException, ValueError) as failure:
                wait = self._wait_before_retry(failure, attempt)
                if wait is None:
                    raise translate_failure(
                        failure, self.source, self.clock, attempt, url
                    ) from None
                reason = translate_failure(failure, self.source, self.clock, url=url)
                attempt += 1
                log.info(
                    "%s; retrying in %.1f s (attempt %d of %d)",
                    reason,
                    wait,
                    attempt,
                    self.retry.attempts,
                )
                self.sleep(wait)

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded JSON body of ``GET url``, through ``call``."""
        return self.call(
            lambda: self.session.get(url, params=params, timeout=self.timeout).json(), url
        )

    def probe(self, url: str, timeout: float = 2.0) -> None:
        """One quick GET, no retry: raises our error when the upstream is not usable right now."""
        self.requests_made += 1
        try:
            self.session.get(url, timeout=timeout)
        except (requests.RequestException, ValueError) as failure:
            raise translate_failure(failure, self.source, self.clock) from None

    def _wait_before_retry(self, failure: BaseException, attempt: int) -> float | None:
        """Seconds to wait before the next try, or None when we should give up now."""
        if attempt >= self.retry.attempts or not is_transient(failure):
            return None
        asked = retry_after_of(failure, self.clock)
        wait = self.retry.backoff * 2 ** (attempt - 1) if asked is None else asked
        return wait if wait <= self.retry.max_wait else None


def is_transient(failure: BaseException) -> bool:
    """Whether trying again may help: rate limits, server errors, timeouts, refused connections."""
    if isinstance(failure, requests.HTTPError):
        return failure.response is not None and failure.response.status_code in RETRY_STATUSES
    return isinstance(failure, requests.Timeout | requests.ConnectionError)


def retry_after_of(failure: BaseException, clock: Clock = time.time) -> float | None:
    """The wait a failed response asked for (its ``Retry-After``), in seconds, if any."""
    response = getattr(failure, "response", None)
    if response is None:
        return None
    return parse_retry_after(response.headers.get("Retry-After"), clock)


def parse_retry_after(value: str | None, clock: Clock = time.time) -> float | None:
    """``Retry-After`` as seconds from now: it may be a number of seconds or an HTTP date."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until(text, clock)
    return max(0.0, seconds) if seconds is not None and math.isfinite(seconds) else None


def _seconds_until(http_date: str, clock: Clock) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    return when.timestamp() - clock() if when.tzinfo is not None else None


def translate_failure(
    failure: BaseException,
    source: str,
    clock: Clock = time.time,
    attempts: int = 1,
    url: str | None = None,
) -> SourceError:
    """Our error for an upstream failure, keeping status, wait and upstream's words; keys masked.
    ``url`` names the endpoint when the failure does not carry its request (a body not JSON)."""
    after = f" after {attempts} attempts" if attempts > 1 else ""
    if isinstance(failure, requests.HTTPError) and failure.response is not None:
        return _status_error(failure.response, source, after, clock)
    request = getattr(failure, "request", None)
    where = _where(source, request.url if request is not None else url)
    if isinstance(failure, requests.Timeout):
        return SourceUnavailable(redact(f"{where} did not answer in time{after}"))
    if isinstance(failure, requests.ConnectionError):
        return SourceUnavailable(redact(f"{where} cannot be reached{after}: {_reason(failure)}"))
    if isinstance(failure, ValueError):  # JSON decoding, including requests' JSONDecodeError
        return BadPayload(
            redact(f"{where} sent a reply that is not valid JSON ({_not_json(failure)})")
        )
    return SourceError(redact(f"{source} request failed{after}: {_reason(failure)}"))


def _status_error(
    response: requests.Response, source: str, after: str, clock: Clock
) -> SourceError:
    """The error class and message for an HTTP error status."""
    status = response.status_code
    where = _where(source, response.url or "")
    said = f"HTTP {status}{_words(response)}"
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"), clock)
        asked = f"; it asks us to wait {wait:.0f} s" if wait is not None else ""
        return RateLimited(redact(f"{where}: rate limit reached ({said}){after}{asked}"), wait)
    if status in (401, 403):
        message = f"{where}: the API key is missing, wrong or not valid for this plan ({said})"
        return Unauthorized(redact(message))
    if status == 402:
        message = f"{where}: the plan's credits or limits are used up ({said})"
        return SourceError(redact(message))
    if status == 404:
        return NotFound(redact(f"{where}: not found ({said})"))
    if status >= 500:
        return SourceUnavailable(redact(f"{where}: server error ({said}){after}"))
    return SourceError(redact(f"{where}: request rejected ({said})"))


def _where(source: str, url: str | None) -> str:
    """The upstream and the endpoint a failure came from, e.g. ``CoinGecko /api/v3/ping`` (the
    path only: a query string could carry anything)."""
    return source if url is None else f"{source} {urlsplit(url).path or '/'}"


def _not_json(failure: ValueError) -> str:
    """What a body that does not decode looks like: empty, cut short, an HTML page, or else what
    the decoder said."""
    body, at = getattr(failure, "doc", None), getattr(failure, "pos", None)
    if not isinstance(body, str) or not isinstance(at, int):
        return str(failure)
    if not body.strip():
        return "an empty body"
    if body.lstrip().startswith("<"):
        return "an HTML page"
    if at >= len(body.rstrip()) or str(failure).startswith("Unterminated"):
        return f"cut short after {len(body):,} characters"
    return str(failure)


def _words(response: requests.Response) -> str:
    """What upstream said about the error, briefly: its JSON message, or what kind of page it sent."""
    try:
        text = response.text.strip()
    except (requests.RequestException, ValueError):
        return ""
    if not text:
        return ""
    if text.startswith("<"):
        return ", an HTML error page"
    try:
        words = _json_message(json.loads(text))
    except ValueError:
        words = text.splitlines()[0]
    words = " ".join(str(words).split())
    return f": {words[:WORDS_LIMIT]}" if words else ""


def _json_message(body: object) -> object:
    """The human message inside CoinGecko's and GeckoTerminal's error bodies."""
    if not isinstance(body, dict):
        return body
    status = body.get("status")
    if isinstance(status, dict) and status.get("error_message"):
        return status["error_message"]
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return errors[0].get("title") or errors[0].get("detail") or ""
    return body.get("error") or body.get("message") or ""


def _reason(failure: BaseException) -> str:
    """The root cause of a connection failure in a few words (no URL, no query string)."""
    cause: BaseException = failure
    while cause.__context__ is not None and cause.__context__ is not cause:
        cause = cause.__context__
    text = str(cause).split(":")[-1].strip() or type(cause).__name__
    text = re.sub(r"^\[Errno -?\d+\] ", "", text)  # "[Errno 104] Connection reset by peer"
    return text[:WORDS_LIMIT]


def configured_client(
    source: str,
    session: requests.Session,
    calls_per_minute: float,
    environ: Mapping[str, str] | None = None,
    secrets: Mapping[str, Any] | None = None,
    *,
    clock: Clock = time.time,
    sleep: Sleep = time.sleep,
    retry: RetryPolicy | None = None,
) -> HttpClient:
    """A client for ``source`` with the configured timeout and retries (``retry`` overrides the
    policy) and a budget of ``calls_per_minute``: what every live connector starts from."""
    timeout, policy = client_settings(environ, secrets)
    budget = CallBudget(calls_per_minute, clock, sleep)
    return HttpClient(
        source,
        session,
        timeout=timeout,
        retry=retry or policy,
        budget=budget,
        clock=clock,
        sleep=sleep,
    )
