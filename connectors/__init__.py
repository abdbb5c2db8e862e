"""Data sources. Each returns the tidy market frame of ``analytics.schema``; nothing downstream
knows where the data came from."""
