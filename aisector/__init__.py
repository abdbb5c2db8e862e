"""aisector: sector-rotation analytics for crypto AI tokens (application core and command line)."""

__version__ = "0.1.0"
