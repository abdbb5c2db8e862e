"""Reading the user-editable TOML files (sectors, events): the shipped default or the user's own."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aisector.core.errors import ConfigError


def shipped(name: str) -> Path:
    """A default file that ships inside the package, e.g. ``sectors.toml``."""
    return Path(str(resources.files("aisector") / "defaults" / name))


def read_config_text(path: Path, what: str) -> str:
    """The file's text; an unreadable or non-UTF-8 file is a one-line ``ConfigError``."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {what} file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} file {path} is not UTF-8 text") from None
