"""DefiLlama, keyless: a protocol's daily fees, revenue and trading volume.

Endpoints, under ``DEFILLAMA_API_URL`` (default ``https://api.llama.fi``), for the protocol's slug
(``defillama = "<slug>"`` in its ``[protocols.<id>]`` table):

- ``/summary/fees/{slug}?dataType=dailyFees`` for fees and ``dataType=dailyRevenue`` for revenue;
- ``/summary/dexs/{slug}?dataType=dailyVolume`` for volume, which only protocols with trading
  volume have.

A metric answered with 404 is a metric DefiLlama does not track for the protocol (no volume, no
revenue): left out, not a failure; a protocol with none of them is ``NotFound``, named.

Each answers an object whose ``totalDataChart`` is ``[[unix_seconds, value], ...]``, one point per
UTC day at midnight; a null value is a missing day (no row). The summary's other fields (totals,
breakdowns, metadata) are not read. Transport, retries, budget and error translation are
``connectors.http``'s.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

import pandas as pd

from aisector.core.errors import BadPayload, NotFound
from aisector.core.schema import (
    DATE,
    FEES,
    METRIC,
    PROTOCOL,
    REVENUE,
    VALUE,
    VOLUME,
)
from aisector.core.sectors import TrackedProtocol
from aisector.core.settings import redact
from connectors.base import ActivityConnector
from connectors.payload import numbers, timestamps

log = logging.getLogger(__name__)

SOURCE_NAME = "defillama"
DEFAULT_URL = "https://api.llama.fi"
CALLS_PER_MINUTE = 60  # DefiLlama's free API names no limit; we keep to one call a second
CHART = "totalDataChart"
# metric -> (endpoint, dataType): the one place DefiLlama's names appear
ENDPOINTS = {
    FEES: ("summary/fees", "dailyFees"),
    REVENUE: ("summary/fees", "dailyRevenue"),
    VOLUME: ("summary/dexs", "dailyVolume"),
}


class DefiLlama(ActivityConnector):
    """Live DefiLlama activity in the fundamentals frame; a slug DefiLlama does not know leaves
    its protocol without rows (see ``unserved``)."""

    name = SOURCE_NAME
    label = "DefiLlama (live)"
    upstream = "DefiLlama"
    url_setting = "DEFILLAMA_API_URL"
    default_url = DEFAULT_URL
    calls_per_minute = CALLS_PER_MINUTE
    protocol_failures = (NotFound,)

    def configured(self, protocols: Sequence[TrackedProtocol]) -> list[TrackedProtocol]:
        """The protocols with a DefiLlama slug."""
        return [p for p in protocols if p.defillama]

    def protocol_rows(self, protocol: TrackedProtocol) -> pd.DataFrame:
        """Every metric DefiLlama has of ``protocol``, as tidy columns (a metric it answers 404
        for is left out); ``NotFound`` naming the protocol when it has none of them."""
        pieces, missing = [], []
        for metric in ENDPOINTS:
            try:
                pieces.append(self.daily_chart(protocol, metric))
            except NotFound as error:
                missing.append(error)
                log.info("%s", redact(f"DefiLlama has no {metric} of {protocol.key}: {error}"))
        if not pieces:
            raise NotFound(f"{missing[0]} (protocol {protocol.key})")
        return pd.concat(pieces, ignore_index=True)

    def daily_chart(self, protocol: TrackedProtocol, metric: str) -> pd.DataFrame:
        """One metric of ``protocol`` by UTC day, from its summary's ``totalDataChart``."""
        url, query = self._request(protocol, metric)
        where = f"DefiLlama /{ENDPOINTS[metric][0]}/{protocol.defillama} ({query['dataType']})"
        payload = self.http.get_json(url, query)
        chart = chart_rows(payload, where)
        return chart.assign(**{PROTOCOL: protocol.key, METRIC: metric})

    def probe(self, protocols: Sequence[TrackedProtocol], timeout: float = 2.0) -> None:
        """One quick request without retries (the first slug's fee summary); raises our error
        when DefiLlama is not usable now. An unknown slug is an answer: DefiLlama is up."""
        slugged = [p for p in protocols if p.defillama]
        if not slugged:
            return
        url, _ = self._request(slugged[0], FEES)
        with contextlib.suppress(NotFound):
            self.http.probe(url, timeout)

    def _request(self, protocol: TrackedProtocol, metric: str) -> tuple[str, dict[str, str]]:
        endpoint, data_type = ENDPOINTS[metric]
        return f"{self.base_url}/{endpoint}/{protocol.defillama}", {"dataType": data_type}


def chart_rows(payload: object, where: str) -> pd.DataFrame:
    """A summary body's ``totalDataChart`` as rows of date and value (null values left out);
    ``BadPayload`` naming ``where`` when the body or a point is malformed."""
    if not isinstance(payload, dict) or not isinstance(payload.get(CHART), list):
        raise BadPayload(f"{where}: expected an object with a {CHART} list, got {_kind(payload)}")
    points = payload[CHART]
    bad = next((i for i, p in enumerate(points) if not (isinstance(p, list) and len(p) == 2)), None)
    if bad is not None:
        raise BadPayload(f"{where}: {CHART} item {bad} is not a [time, value] pair")
    pairs = pd.DataFrame(points, columns=["seconds", VALUE], dtype=object)
    days = timestamps(pairs["seconds"], f"{where} {CHART} time", unit="s")
    off_midnight = days != days.dt.floor("D")
    if off_midnight.any():
        seconds = pairs["seconds"][off_midnight].iloc[0]
        raise BadPayload(f"{where}: {CHART} time {seconds} is not the start of a UTC day")
    frame = pd.DataFrame({DATE: days, VALUE: numbers(pairs[VALUE], f"{where} {CHART} value")})
    return frame[frame[VALUE].notna()]


def _kind(payload: object) -> str:
    if isinstance(payload, dict):
        return f"an object without it ({', '.join(list(payload)[:5]) or 'empty'})"
    return type(payload).__name__
