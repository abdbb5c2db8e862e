"""One Streamlit page per file; each composes widgets, cached loaders and chart builders."""
