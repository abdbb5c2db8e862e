"""The pandas layer: pure functions from the tidy market frame to sector analytics (no I/O)."""
