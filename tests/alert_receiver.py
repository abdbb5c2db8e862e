"""A local webhook receiver for apprise's ``json://`` URLs: answers 200, 500, or hangs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Receiver:
    """What the server got: one dict per POST (its path and JSON body)."""

    port: int
    mode: str = "ok"  # ok | error (HTTP 500) | hang (answers after ``hang_seconds``)
    hang_seconds: float = 2.0
    posts: list[dict] = field(default_factory=list)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def messages(self) -> list[str]:
        """Each post's title and body, joined by a newline."""
        return [f"{p['body'].get('title', '')}\n{p['body'].get('message', '')}" for p in self.posts]


@contextmanager
def receiver(mode: str = "ok", hang_seconds: float = 2.0) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 at a free port, for the length of the block."""
    got = Receiver(0, mode, hang_seconds)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            got.posts.append({"path": self.path, "body": json.loads(self.rfile.read(length))})
            if got.mode == "hang":
                time.sleep(got.hang_seconds)
            status = 500 if got.mode == "error" else 200
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                pass

        def log_message(self, *args: object) -> None:  # keep the test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    got.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
