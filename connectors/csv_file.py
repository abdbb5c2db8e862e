"""A CSV file in the tidy columns, for analysts who bring their own data (``--source csv:PATH``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from aisector.core.errors import BadPayload, ConfigError
from aisector.core.schema import SOURCE, validate_market_frame
from connectors.base import clip_to_range
from connectors.payload import first_line


class CsvFile:
    """Market data read from a CSV with the tidy frame's columns (``source`` optional)."""

    live = False

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # said when the source is named, before a dashboard starts (a broken link: reading says how)
        if not self.path.exists() and not self.path.is_symlink():
            raise ConfigError(f"CSV source {self.path} does not exist")
        self.name = "csv"
        self.label = f"CSV file {self.path.name}"

    def market_history(
        self,
        coins: Sequence[str],
        start: pd.Timestamp | None = None,
        end: pd.Timestamp | None = None,
    ) -> pd.DataFrame:
        return clip_to_range(self._read(), coins, start, end)

    def _read(self) -> pd.DataFrame:
        try:
            raw = pd.read_csv(self.path, dtype=str, keep_default_na=False, na_values=[""])
        except FileNotFoundError:
            raise ConfigError(f"CSV source {self.path} does not exist") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read CSV source {self.path}: {first_line(error)}") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise BadPayload(
                f"CSV source {self.path} is not a readable CSV: {first_line(error)}"
            ) from None
        raw[SOURCE] = raw[SOURCE].fillna("csv") if SOURCE in raw.columns else "csv"
        try:
            return validate_market_frame(raw)
        except BadPayload as error:
            raise BadPayload(f"CSV source {self.path}: {first_line(error)}") from None
