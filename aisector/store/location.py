"""Where the store lives: ``--store`` / ``AISECTOR_STORE``, else a SQLite file in the data folder.

A store URL is ``sqlite:///PATH``, a bare file path, or ``postgresql://user@host/db``; each becomes
the SQLAlchemy URL of the driver we ship (the standard library's sqlite3, or psycopg 3).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from aisector.core.errors import ConfigError
from aisector.core.settings import read_setting

STORE_ENV = "AISECTOR_STORE"
STORE_FILE = Path("aisector") / "history.sqlite"
DRIVERS = {  # URL scheme as users write it -> the SQLAlchemy dialect+driver that serves it
    "sqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def default_store_path(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user store file: ``$XDG_DATA_HOME/aisector/history.sqlite`` (XDG's data folder)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "share") / STORE_FILE


def store_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The store URL in force: the ``--store`` value, else ``AISECTOR_STORE``, else the default."""
    text = (explicit or "").strip() or read_setting(STORE_ENV, environ)
    return text or f"sqlite:///{default_store_path(environ)}"


def database_url(text: str) -> sa.URL:
    """The SQLAlchemy URL for a store URL or a bare SQLite file path; ConfigError if unsupported."""
    if "://" not in text:
        return sa.URL.create("sqlite", database=str(Path(text).expanduser()))
    try:
        url = make_url(text)
    except ArgumentError:
        raise ConfigError(f"store URL {text!r} is not a URL like sqlite:///PATH") from None
    driver = DRIVERS.get(url.drivername)
    if driver is None:
        known = "sqlite:///PATH or postgresql://USER@HOST/DB"
        raise ConfigError(f"store URL scheme {url.drivername!r} is not supported; use {known}")
    return url.set(drivername=driver)


def shown(url: sa.URL) -> str:
    """The URL as messages print it: no password, ever."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)


def describe(explicit: str | None = None) -> str:
    """The store in force, as messages print it."""
    return shown(database_url(store_url(explicit)))
