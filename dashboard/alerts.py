"""Deliberate errors become one clear message on the page, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from aisector.core.errors import AisectorError, ConfigError
from aisector.core.settings import redact


@contextmanager
def stop_on_error() -> Iterator[None]:
    """Show an ``AisectorError`` as ``st.error`` (with what to do) and end the run."""
    try:
        yield
    except AisectorError as error:
        hint = (
            "Fix the file or option named above and reload the page."
            if isinstance(error, ConfigError)
            else "Check the source, or start with `--source offline` to see the built-in market."
        )
        st.error(f"**Cannot load data.** {redact(str(error))}\n\n{hint}", icon=":material/error:")
        st.stop()
