"""The shared HTTP layer: retries that honour Retry-After, the call budget, one error translation,
and keys that stay in headers and out of every message."""

from __future__ import annotations

import logging
import socket
from email.utils import formatdate

import pytest
import requests
import responses

from aisector.core.errors import (
    BadPayload,
    NotFound,
    RateLimited,
    SourceError,
    SourceUnavailable,
    Unauthorized,
)
from connectors.http import (
    CallBudget,
    HttpClient,
    RetryPolicy,
    open_session,
    parse_retry_after,
    translate_failure,
)
from tests.live_fakes import FakeClock, fixture, fixture_text

URL = "https://api.upstream.test/v3/coins/markets"
KEY = "CG-httpTestKey0123456789"


def client(clock: FakeClock, **options) -> HttpClient:
    session = open_session({"accept": "application/json"}, {"x-cg-demo-api-key": KEY})
    return HttpClient("Upstream", session, clock=clock.time, sleep=clock.sleep, **options)


def fetch(http: HttpClient):
    return http.get_json(URL, {"ids": "bitcoin"})


@responses.activate
def test_429_then_200_waits_the_seconds_retry_after_asks(clock):
    responses.get(URL, status=429, json=fixture("coingecko_429.json"), headers={"Retry-After": "3"})
    responses.get(URL, json=[{"id": "bitcoin"}])
    assert fetch(client(clock)) == [{"id": "bitcoin"}]
    assert clock.waits == [3.0]
    assert len(responses.calls) == 2


@responses.activate
def test_retry_after_as_an_http_date_is_a_wait_from_now(clock):
    later = formatdate(clock.now + 7, usegmt=True)
    responses.get(URL, status=503, body="busy", headers={"Retry-After": later})
    responses.get(URL, json=[])
    assert fetch(client(clock)) == []
    assert clock.waits == [pytest.approx(7.0)]


@responses.activate
def test_without_retry_after_waits_double_then_gives_up_with_the_rate_limit(clock):
    for _ in range(4):
        responses.get(URL, status=429, json=fixture("coingecko_429.json"))
    with pytest.raises(RateLimited, match=r"rate limit reached .*after 4 attempts") as caught:
        fetch(client(clock))
    assert clock.waits == [1.0, 2.0, 4.0]
    assert caught.value.retry_after is None
    assert "You've exceeded the Rate Limit" in str(caught.value)


@responses.activate
def test_a_wait_beyond_the_bound_fails_at_once_and_carries_the_wait(clock):
    responses.get(
        URL, status=429, json=fixture("coingecko_429.json"), headers={"retry-after": "119"}
    )
    with pytest.raises(RateLimited, match="wait 119 s") as caught:
        fetch(client(clock))
    assert caught.value.retry_after == 119.0
    assert clock.waits == []
    assert len(responses.calls) == 1


@responses.activate
def test_cloudflare_html_429_is_a_rate_limit_without_the_page(clock):
    responses.get(
        URL, status=429, body=fixture_text("cloudflare_429.html"), content_type="text/html"
    )
    with pytest.raises(RateLimited) as caught:
        fetch(client(clock, retry=RetryPolicy(attempts=1)))
    message = str(caught.value)
    assert "an HTML error page" in message
    assert "<" not in message and "Cloudflare Ray" not in message
    assert "\n" not in message


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@responses.activate
def test_server_errors_are_retried(clock, status):
    responses.get(URL, status=status, body="<html><body>Bad gateway</body></html>")
    responses.get(URL, json={"ok": True})
    assert fetch(client(clock)) == {"ok": True}
    assert clock.waits == [1.0]


@responses.activate
def test_a_server_that_stays_broken_is_unavailable_after_the_attempts(clock):
    responses.get(URL, status=500, json={"error": "internal error"})
    with pytest.raises(
        SourceUnavailable, match=r"server error \(HTTP 500: internal error\) after 4"
    ):
        fetch(client(clock))
    assert len(responses.calls) == 4


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "did not answer in time"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "did not answer in time"),
        (requests.exceptions.ConnectionError("connection reset by peer"), "cannot be reached"),
    ],
)
@responses.activate
def test_timeouts_and_connection_errors_are_retried_then_unavailable(clock, failure, message):
    responses.get(URL, body=failure)
    with pytest.raises(SourceUnavailable, match=message):
        fetch(client(clock, retry=RetryPolicy(attempts=3)))
    assert clock.waits == [1.0, 2.0]


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (
            401,
            {"status": {"error_code": 10002, "error_message": "API Key Missing"}},
            Unauthorized,
            "API Key Missing",
        ),
        (
            403,
            {"status": {"error_code": 10005, "error_message": "Plan restricted"}},
            Unauthorized,
            "Plan restricted",
        ),
        (404, {"error": "coin not found"}, NotFound, "coin not found"),
        (404, {"errors": [{"status": "404", "title": "Not Found"}]}, NotFound, "Not Found"),
        (400, {"error": "invalid vs_currency"}, SourceError, "invalid vs_currency"),
    ],
)
@responses.activate
def test_client_errors_are_not_retried_and_keep_upstream_words(clock, status, body, error, words):
    responses.get(URL, status=status, json=body)
    with pytest.raises(error, match=words) as caught:
        fetch(client(clock))
    assert type(caught.value) is error
    assert f"HTTP {status}" in str(caught.value)
    assert "/v3/coins/markets" in str(caught.value)
    assert len(responses.calls) == 1 and clock.waits == []


@pytest.mark.parametrize(
    "body", ['[{"id": "bitcoin", "current_pri', "<html>maintenance</html>", ""]
)
@responses.activate
def test_a_200_that_is_not_json_is_a_bad_payload_and_not_retried(clock, body):
    responses.get(URL, body=body)
    with pytest.raises(BadPayload, match="not valid JSON"):
        fetch(client(clock))
    assert len(responses.calls) == 1


@responses.activate
def test_key_travels_in_the_header_never_in_the_url(clock):
    responses.get(URL, json=[])
    fetch(client(clock))
    request = responses.calls[0].request
    assert request.headers["x-cg-demo-api-key"] == KEY
    assert KEY not in request.url


@responses.activate
def test_key_echoed_by_upstream_is_masked_in_errors_and_logs(clock, caplog):
    echo = {"error": f"invalid key {KEY}"}
    responses.get(URL, status=503, json=echo)
    responses.get(URL, status=401, json=echo)
    with caplog.at_level(logging.INFO), pytest.raises(Unauthorized) as caught:
        fetch(client(clock))
    assert KEY not in str(caught.value) and "***" in str(caught.value)
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)
    assert "retrying in 1.0 s (attempt 2 of 4)" in caplog.text


def test_a_refused_connection_is_unavailable_quickly(clock):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = client(clock, retry=RetryPolicy(attempts=2, backoff=0.0))
    with pytest.raises(SourceUnavailable, match="cannot be reached after 2 attempts") as caught:
        http.get_json(f"http://127.0.0.1:{port}/api/v3/ping")
    assert "\n" not in str(caught.value) and KEY not in str(caught.value)


@responses.activate
def test_probe_tries_once(clock):
    responses.get(URL, status=503)
    with pytest.raises(SourceUnavailable):
        client(clock).probe(URL)
    assert len(responses.calls) == 1 and clock.waits == []


def test_budget_waits_for_the_oldest_call_of_the_minute(clock):
    budget = CallBudget(3, clock.time, clock.sleep)
    for _ in range(4):
        budget.acquire()  # calls at +0, +10, +20; the 4th, at +30, waits until +60
        clock.now += 10
    budget.acquire()  # at +70: the call of +10 has left the window, the one of +20 not
    budget.acquire()  # at +70 again: full, wait until +80
    assert clock.waits == [30.0, 10.0]


@responses.activate
def test_budget_spaces_calls_made_through_the_client(clock):
    responses.get(URL, json=[])
    http = client(clock, budget=CallBudget(2, clock.time, clock.sleep))
    for _ in range(5):
        fetch(http)
    assert clock.waits == [60.0, 60.0]
    assert len(responses.calls) == 5


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("12", 12.0),
        (" 1.5 ", 1.5),
        ("-5", 0.0),
        ("soon", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_seconds(value, seconds):
    assert parse_retry_after(value) == seconds


def test_parse_retry_after_dates(clock):
    assert parse_retry_after(formatdate(clock.now - 30, usegmt=True), clock.time) == 0.0
    assert parse_retry_after(formatdate(clock.now + 90, usegmt=True), clock.time) == pytest.approx(
        90
    )


def test_translate_failure_of_an_unknown_exception_is_a_plain_source_error():
    error = translate_failure(requests.exceptions.TooManyRedirects("loop"), "Upstream")
    assert type(error) is SourceError and "loop" in str(error)


def test_leaving_calls_to_other_clients_shrinks_the_budget_but_keeps_one_call():
    client = HttpClient("test", requests.Session(), budget=CallBudget(30))
    client.leave_calls(2)
    assert client.budget.per_minute == 28
    client.leave_calls(100)
    assert client.budget.per_minute == 1
    unbudgeted = HttpClient("test", requests.Session())
    unbudgeted.leave_calls(2)
    assert unbudgeted.budget is None
