"""The dashboard's server process: ``python -P -m dashboard.serve run dashboard/app.py [flags]``.

The same as ``streamlit run``, except that the analysis stack (pandas, plotly, the layer, the
offline market) is imported before the server starts listening. Streamlit imports an app's
modules on its first script run, so without this the first visitor waits about a second for
imports that every later visitor gets for free.

``-P`` keeps the working folder off ``sys.path``. Streamlit puts the script's folder, this package's
own, first instead, so the module names here must not be those of the standard library or of an
installed package (tests/test_installed_wheel.py checks).
"""

from __future__ import annotations

import sys

PRELOADED = (
    "pandas",
    "plotly.graph_objects",
    "plotly.io",
    "aisector.sources.market_data",
    "aisector.analytics.views",
    "connectors.offline",
    "aisector.present.charts",
)


def preload() -> None:
    """Import what the first script run needs (a module imported once stays in sys.modules)."""
    for module in PRELOADED:
        __import__(module)


def main() -> None:
    from streamlit.web import cli

    preload()
    sys.argv[0] = "streamlit"
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
