"""Several browser sessions at once on one live dashboard: each renders its charts, reruns when its
window changes, and together they ask upstream once per cache lifetime, not once per session.

The bounded version of ``benchmarks/load_sessions.py`` (twenty sessions). Needs Playwright and
Chromium; without them it skips, or fails when the ``CI`` environment variable is set.
"""

from __future__ import annotations

import pytest

from tests.headless import chromium_path, missing

pytestmark = pytest.mark.browser

SESSIONS = 6
STEP_TIMEOUT_S = 180  # per page step; the sessions take about 30 s on an idle 2-core machine


def test_sessions_at_once_all_render_rerun_and_share_the_upstream_requests() -> None:
    try:
        from benchmarks.load_sessions import measure_load
    except ImportError as error:
        missing(f"Playwright is not installed ({error}); pip install -e '.[dev]'")
    load = measure_load(SESSIONS, chromium_path(), STEP_TIMEOUT_S)
    assert [s.error for s in load.sessions] == [None] * SESSIONS
    assert all(s.first_chart is not None and s.rerun is not None for s in load.sessions)
    assert load.requests.get("markets", 0) >= 1  # the data really came from upstream
    for route, count in load.requests.items():  # shared by the sessions, not one per session
        assert count <= load.allowed + 1, (route, count, load.seconds)
