"""The look in one place: the font, text and grid colours, gains and losses, and the light and dark
page colours. The charts, the report's CSS, its PNG copies, the dashboard's cards and grid and the
dashboard's Streamlit theme all take their values from here, so a colour changes once.

Sector colours are data: the sectors file gives them, else ``aisector.core.sectors.DEFAULT_PALETTE``
does (the core assigns them when it reads the file, and the core cannot import this layer).
``FALLBACK`` stands in for a sector without a known colour.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Streamlit's own font first, so the dashboard, its charts and the report read alike.
FONT = "'Source Sans Pro', 'Source Sans 3', 'Segoe UI', Helvetica, Arial, sans-serif"
TEXT = "#1e293b"
MUTED = "#64748b"  # axis titles, subtitles, captions
LINE = "#e2e8f0"  # grid lines and rules
FALLBACK = "#94a3b8"  # a sector without a colour, base and centre lines, totals
GAIN = "#15803d"
LOSS = "#b91c1c"
NEUTRAL = "#f8fafc"  # the middle of the red-green scale; the report's summary panel
# The data source's badge on the report's light page, as (text, background): amber for simulated
# data, green for live data, blue for a file or store; and the background of its warnings.
SOURCE_BADGES = {
    "offline": ("#b45309", "#fef3c7"),
    "live": (GAIN, "#dcfce7"),
    "file": ("#1d4ed8", "#dbeafe"),
}
WARNING_BACKGROUND = "#fff7ed"
# The dashboard's token grid is drawn on a canvas that cannot follow the theme, so its gains and
# losses are mid tones that keep >= 4:1 contrast on both the light and the dark background.
GAIN_ON_BOTH = "#138a48"
LOSS_ON_BOTH = "#d83a3a"


@dataclass(frozen=True)
class Mode:
    """The page colours of one theme, named as Streamlit's ``[theme.light]`` options (snake_case)."""

    primary_color: str
    background_color: str
    secondary_background_color: str
    text_color: str
    border_color: str


LIGHT = Mode("#0f766e", "#ffffff", "#f4f6f9", TEXT, LINE)
"""The dashboard's light theme; the report and its PNGs are always light."""
DARK = Mode("#0d9488", "#0b1220", "#162032", "#e2e8f0", "#273449")
"""The dashboard's dark theme: the default sector colours keep at least 3:1 against it."""

# Options of Streamlit's [theme] that hold in both modes.
STREAMLIT_LAYOUT: dict[str, str | bool] = {
    "baseRadius": "0.5rem",
    "metricValueFontSize": "1.9rem",
    "showSidebarBorder": True,
    "paddingTop": "1.5rem",
    "paddingBottom": "3rem",
}


def streamlit_options() -> dict[str, str | bool]:
    """The dashboard's theme as Streamlit config options (``theme.light.primaryColor`` ...).
    Two modes: the app starts in the one the browser prefers and its menu switches them."""
    options = {f"theme.{name}": value for name, value in STREAMLIT_LAYOUT.items()}
    for mode_name, mode in (("light", LIGHT), ("dark", DARK)):
        options |= {
            f"theme.{mode_name}.{_camel(field)}": value for field, value in asdict(mode).items()
        }
    return options


def _camel(name: str) -> str:
    """'primary_color' -> 'primaryColor'."""
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def rgba(hex_color: str, alpha: float) -> str:
    """'#94a3b8', 0.45 -> 'rgba(148,163,184,0.45)': a theme colour seen through."""
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"
