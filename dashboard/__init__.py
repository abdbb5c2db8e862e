"""The web dashboard (Streamlit + plotly): composition over ``aisector.analytics.views`` and ``analytics``.

``app.py`` is the entry point; ``screens/`` holds one file per page; ``charts.py`` builds the
plotly figures the snapshot report reuses; ``cache.py`` is the only place that caches.
"""
