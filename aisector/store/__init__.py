"""The history store: market rows kept across runs, in SQLite by default or PostgreSQL by URL.

One small interface, ``HistoryStore`` (``write``, ``read``, ``coverage``, ``schema_version``), on
SQLAlchemy Core, so both databases share one code path. ``docs/store.md`` explains the design.
"""

from aisector.store.history import Fetched, HistoryStore, Origin, open_existing, open_store
from aisector.store.location import store_url

__all__ = ["Fetched", "HistoryStore", "Origin", "open_existing", "open_store", "store_url"]
