"""The two databases the store's tests run on: a SQLite file, and a real PostgreSQL server.

The server is the one ``.ci/run`` starts on 127.0.0.1 and names in ``AISECTOR_TEST_POSTGRES``;
without it (a developer's ``make test``), a throwaway cluster on 127.0.0.1 at a free port,
started once per test process from Debian's binaries (``apt-get install postgresql``). With
neither, the PostgreSQL tests skip with the reason, except under CI (``CI`` set): there they fail.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.headless import free_port

SERVER_ENV = "AISECTOR_TEST_POSTGRES"  # admin URL of a running server, e.g. from .ci/run
PG_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"  # initdb refuses to run as root; Debian's package creates this user
FAST_SETTINGS = ("-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
MISSING = "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql"
BACKENDS = ("sqlite", "postgresql")


class Server:
    """A running PostgreSQL server we may create databases on, named by its admin URL."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._names = itertools.count(1)

    def new_database(self) -> str:
        """A fresh, empty database; its store URL."""
        name = f"store_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)


class Cluster(Server):
    """A throwaway cluster in a temporary folder, listening on 127.0.0.1 at a free port."""

    def __init__(self, binaries: Path, durable: bool = False) -> None:
        self.binaries = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="aisector-pg-"))
        self.port = free_port()
        self.settings = () if durable else FAST_SETTINGS  # tests need no crash safety
        super().__init__(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")

    def start(self) -> Cluster:
        """initdb, then start the server and wait until it accepts connections."""
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        data, log = self.folder / "data", self.folder / "server.log"
        self._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = [f"-h 127.0.0.1 -p {self.port} -k {self.folder}", *self.settings]
        self._run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-o", " ".join(options), "start")
        return self

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *arguments: str) -> None:
        command = [str(self.binaries / program), *arguments]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, cwd=self.folder)


def server_binaries() -> Path | None:
    """The newest installed PostgreSQL ``bin`` folder, or None."""
    versions = sorted(PG_ROOT.glob("*/bin/initdb"), key=lambda p: _number(p.parent.parent.name))
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


@functools.cache
def shared_server() -> Server:
    """The server of this test process: CI's, else a cluster stopped when the process exits."""
    if os.environ.get(SERVER_ENV):
        return Server(os.environ[SERVER_ENV])
    binaries = server_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING} (CI must run the PostgreSQL tests)")
        pytest.skip(MISSING)
    cluster = Cluster(binaries).start()
    atexit.register(cluster.stop)
    return cluster


def backend_url(backend: str, folder: Path) -> str:
    """A store URL for an empty store: a file in ``folder``, or a new PostgreSQL database."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'history.sqlite'}"
    return shared_server().new_database()
