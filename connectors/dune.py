"""Dune, with the user's ``DUNE_API_KEY``: the latest results of the saved queries that the
sectors file's ``[protocols.<id>]`` tables name, as daily protocol activity.

``GET {DUNE_API_URL}/api/v1/query/{id}/results`` (default ``https://api.dune.com``) answers the
query's latest finished execution without running it again (no execution credits), paged with
``limit``/``offset``: each page names the next one in ``next_uri`` (followed only on the base URL's
own host, since the key rides along) or ``next_offset``. The configuration names the column
holding the UTC day and the column of each metric; a column the results lack is a ``ConfigError``
naming the protocol, the query and the column, which, like a query not found or a bad value,
costs that protocol only (see ``ActivityConnector``). A query still executing, or whose latest run
failed, is one line saying so. The key travels only as the ``x-dune-api-key`` header.

Why not the official ``dune-client`` package: its ``get_latest_result`` runs the query again (and
spends credits) when the stored result is older than its ``max_age_hours``; its session retries
429 and 5xx five times by itself, honouring any ``Retry-After`` however long, beside our budget
and retry bound (a dashboard could hang); and it pins ``requests`` and ``aiohttp`` versions, for
what is here one paged GET. So this connector uses ``connectors.http`` like the others: one
retry policy, one budget, one error translation, one sanitiser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import requests

from aisector.core.errors import (
    BadPayload,
    ConfigError,
    NotFound,
    SourceError,
    SourceUnavailable,
    Unauthorized,
)
from aisector.core.schema import (
    DATE,
    METRIC,
    PROTOCOL,
    VALUE,
)
from aisector.core.sectors import DuneQuery, TrackedProtocol
from aisector.core.settings import read_setting
from connectors.base import JSON_HEADERS, ActivityConnector
from connectors.http import open_session
from connectors.payload import first_line, numbers

SOURCE_NAME = "dune"
DEFAULT_URL = "https://api.dune.com"
KEY_HEADER = "x-dune-api-key"
CALLS_PER_MINUTE = 40  # the free plan's limit on reading results
PAGE_ROWS = 1_000  # a daily query's rows: about three years a page
MAX_PAGES = 100  # a result this long is not a protocol's daily activity
COMPLETED = "QUERY_STATE_COMPLETED"
RUNNING = frozenset({"QUERY_STATE_PENDING", "QUERY_STATE_EXECUTING"})
FAILED = "QUERY_STATE_FAILED"


class Dune(ActivityConnector):
    """Live Dune query results in the fundamentals frame; a query Dune does not find, or whose
    results lack a configured column or hold a bad value, leaves its protocol without rows (see
    ``unserved``)."""

    name = SOURCE_NAME
    label = "Dune (live)"
    upstream = "Dune"
    url_setting = "DUNE_API_URL"
    default_url = DEFAULT_URL
    calls_per_minute = CALLS_PER_MINUTE
    protocol_failures = (NotFound, ConfigError, BadPayload)

    @classmethod
    def open_session(
        cls, environ: Mapping[str, str] | None, secrets: Mapping[str, Any] | None
    ) -> requests.Session:
        """A session sending the key; ``Unauthorized`` when no key is set."""
        key = read_setting("DUNE_API_KEY", environ, secrets)
        if not key:
            raise Unauthorized("DUNE_API_KEY is not set, so Dune queries cannot be read")
        return open_session(JSON_HEADERS, {KEY_HEADER: key})

    def configured(self, protocols: Sequence[TrackedProtocol]) -> list[TrackedProtocol]:
        """The protocols with a Dune query."""
        return [p for p in protocols if p.dune is not None]

    def protocol_rows(self, protocol: TrackedProtocol) -> pd.DataFrame:
        """The configured columns of the protocol's query results."""
        assert protocol.dune is not None  # configured() keeps only these
        try:
            columns, rows = self.query_results(protocol.dune.query)
        except NotFound as error:
            raise NotFound(f"{error} (protocol {protocol.key})") from None
        return activity_rows(columns, rows, protocol, protocol.dune)

    def query_results(self, query: int) -> tuple[list[str], list[dict]]:
        """The column names and every row of the query's latest results, page by page."""
        url: str = f"{self.base_url}/api/v1/query/{query}/results"
        params: dict[str, Any] | None = {"limit": PAGE_ROWS}
        first_url = url
        columns: list[str] = []
        rows: list[dict] = []
        for _ in range(MAX_PAGES):
            payload = self.http.get_json(url, params)
            page_columns, page_rows = result_page(payload, query)
            columns = columns or page_columns
            rows += page_rows
            following = self._next_page(payload, first_url, query)
            if following is None:
                return columns, rows
            url, params = following
        raise BadPayload(f"Dune query {query}: results run past {MAX_PAGES} pages")

    def _next_page(
        self, payload: dict, query_url: str, query: int
    ) -> tuple[str, dict[str, Any] | None] | None:
        """Where the next page is: ``next_uri`` when on our base URL's host (the key goes with
        every request), else ``next_offset`` on the query's own URL; None after the last page.
        A next page we may not follow is ``BadPayload``, never a result cut short."""
        next_uri, next_offset = payload.get("next_uri"), payload.get("next_offset")
        if isinstance(next_uri, str) and _same_origin(next_uri, self.base_url):
            return next_uri, None
        if isinstance(next_offset, int) and not isinstance(next_offset, bool):
            return query_url, {"limit": PAGE_ROWS, "offset": next_offset}
        if isinstance(next_uri, str):
            raise BadPayload(
                f"Dune query {query}: the next page is at another host "
                f"({urlsplit(next_uri).netloc}), where the key must not go, and no next_offset "
                "says where else"
            )
        return None


def result_page(payload: object, query: int) -> tuple[list[str], list[dict]]:
    """A results body's column names and rows; one clear error when the query has no
    finished result (still executing, failed, cancelled) or the body is malformed."""
    where = f"Dune query {query}"
    if not isinstance(payload, dict):
        raise BadPayload(f"{where}: expected a results object, got {type(payload).__name__}")
    state = payload.get("state")
    if state in RUNNING and not isinstance(payload.get("result"), dict):
        raise SourceUnavailable(
            f"{where} is still executing ({state}) and has no finished result yet; "
            "try again in a few minutes"
        )
    if state == FAILED:
        raise SourceError(f"{where}: its latest execution failed ({_failure(payload)})")
    if state not in (COMPLETED, *RUNNING):
        raise SourceError(f"{where} has no results to read (state {state})")
    result = payload.get("result")
    rows = result.get("rows") if isinstance(result, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise BadPayload(f"{where}: the results carry no list of row objects")
    metadata = result.get("metadata") if isinstance(result, dict) else None
    named = metadata.get("column_names") if isinstance(metadata, dict) else None
    columns = (
        list(named) if isinstance(named, list) else list(dict.fromkeys(k for r in rows for k in r))
    )
    return columns, rows


def activity_rows(
    columns: Sequence[str], rows: list[dict], protocol: TrackedProtocol, dune: DuneQuery
) -> pd.DataFrame:
    """The configured columns of a query's rows as tidy fundamentals columns (null values
    left out); a column the results lack is a ``ConfigError`` naming the place."""
    where = f"protocols.{protocol.key}.dune: query {dune.query}"
    wanted = [dune.date, *dune.columns.values()]
    lacking = [c for c in wanted if c not in columns]
    if lacking:
        have = ", ".join(columns) or "none"
        raise ConfigError(
            f"{where}'s results have no column {lacking[0]!r} (their columns: {have})"
        )
    table = pd.DataFrame.from_records(rows, columns=list(columns))
    days = _days(table[dune.date], f"{where} column {dune.date!r}")
    pieces = [
        pd.DataFrame(
            {
                DATE: days,
                PROTOCOL: protocol.key,
                METRIC: metric,
                VALUE: numbers(table[column].astype(object), f"{where} column {column!r}"),
            }
        )
        for metric, column in dune.columns.items()
    ]
    frame = pd.concat(pieces, ignore_index=True)
    return frame[frame[VALUE].notna()]


def _days(values: pd.Series, what: str) -> pd.Series:
    """UTC days from Dune's date text (``2025-01-02 00:00:00.000 UTC``, or ISO); each must be
    a midnight, as a daily query's day column is."""
    text = values.astype("string").str.replace(r"\s*UTC$", "", regex=True)
    try:
        days = pd.to_datetime(text, utc=True, format="ISO8601")
    except (ValueError, TypeError) as error:
        raise BadPayload(f"{what} holds a value that is not a date ({first_line(error)})") from None
    if days.isna().any():
        raise BadPayload(f"{what} has a row without a date")
    off = days != days.dt.floor("D")
    if off.any():
        raise BadPayload(
            f"{what} holds {values[off].iloc[0]!r}, which is not the start of a UTC day"
        )
    return days


def _same_origin(url: str, base_url: str) -> bool:
    here, there = urlsplit(base_url), urlsplit(url)
    return (here.scheme, here.netloc) == (there.scheme, there.netloc)


def _failure(payload: dict) -> str:
    """What Dune said about a failed execution, briefly."""
    error = payload.get("error")
    if isinstance(error, dict):
        return (
            " ".join(str(error.get(k) or "") for k in ("type", "message")).strip()
            or "no reason given"
        )
    return str(error or "no reason given")
