"""Methodology: the formulas behind every number, the sectors file, and the offline market."""

import streamlit as st

from dashboard import context, docs

page = context.current()

st.title("Methodology")
st.markdown(docs.methodology_text())
st.subheader("Sectors in use")
st.caption(f"From `{page.book.origin}`; pass another file with `--sectors PATH`.")
st.markdown(docs.sectors_markdown(page.book))
