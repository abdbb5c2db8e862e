"""Data sources. Each returns the tidy market frame of ``aisector.core.schema``; nothing downstream
knows where the data came from."""
